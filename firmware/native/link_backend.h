/*
 * Between the XS glue of the raw-frame link (xs_link.c) and its driver: link_wifi.c (Wi-Fi
 * station without esp_netif) or link_eth.c (esp_eth: internal EMAC + LAN87xx, or W5500). Exactly
 * one driver is compiled into a build (manifest.json: SYNSTACK_LINK).
 */

#ifndef SYNSTACK_LINK_BACKEND_H
#define SYNSTACK_LINK_BACKEND_H

#include <stdint.h>
#include "esp_err.h"

typedef struct {
	char ssid[33];      /* Wi-Fi: up to 32 bytes and a NUL */
	char password[65];  /* Wi-Fi: up to 64 bytes and a NUL; empty = open network */
} synstack_link_config_t;

/* Driver side, called by xs_link.c on the XS task. */

/* Bring the driver up and write our MAC into mac[6]. Link-up is reported later, asynchronously. */
esp_err_t synstack_backend_start(const synstack_link_config_t *config, uint8_t mac[6], const char **failed_step);
/* Transmit one frame; the driver copies it before returning (the caller keeps the buffer). */
esp_err_t synstack_backend_send(const uint8_t *frame, uint32_t length);
/* Stop delivering frames and stop the driver. Idempotent. */
void synstack_backend_stop(void);
/* "wifi", "emac" or "w5500". */
const char *synstack_backend_kind(void);

/* Glue side, called by the driver. */

/* A received frame (driver task). Copies it; the caller frees its buffer right after. */
void synstack_link_input(const uint8_t *frame, uint32_t length);
/* Link up (associated / carrier) or down (event loop task). */
void synstack_link_changed(int up);

#endif
