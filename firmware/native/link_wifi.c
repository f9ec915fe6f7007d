/*
 * Wi-Fi station as a raw Ethernet link, without esp_netif or lwIP: the pattern of ESP-IDF's
 * examples/network/sta2eth (its bridge mode), where the station's frames go to a callback
 * registered with esp_wifi_internal_reg_rxcb and frames are sent with esp_wifi_internal_tx.
 * Both are in esp_wifi's private API (components/esp_wifi/include/esp_private/wifi.h); the
 * contracts used here are the ones documented there and followed by sta2eth:
 *
 *   esp_wifi_internal_reg_rxcb(WIFI_IF_STA, fn)   one RX callback per interface; NULL removes it.
 *   fn(buffer, len, eb)                           runs on the Wi-Fi driver task; `buffer` is the
 *                                                 802.3 frame inside the driver's buffer `eb`;
 *                                                 the callee owns eb and must give it back with
 *   esp_wifi_internal_free_rx_buffer(eb)          (we copy first, then free at once).
 *   esp_wifi_internal_tx(WIFI_IF_STA, buf, len)   "makes a copy of the input buffer and then
 *                                                 forwards the buffer copy to WiFi driver"; the
 *                                                 caller keeps buf. Fails when not associated.
 *
 * Events (WIFI_EVENT, on the default event loop task "sys_evt"): STA_START -> connect;
 * STA_CONNECTED -> register the RX callback, link up; STA_DISCONNECTED -> remove it, link down,
 * connect again (the driver paces its own scans and retries).
 *
 * Moddable's ESP32 host has already called nvs_flash_init() (build/devices/esp32/lib/main/main.c);
 * esp_wifi uses NVS for PHY calibration data. Credentials are kept in RAM only
 * (WIFI_STORAGE_RAM), so nothing is written to flash at each boot.
 */

#include "mc.defines.h"

#include <string.h>

#include "esp_event.h"
#include "esp_mac.h"
#include "esp_private/wifi.h"
#include "esp_wifi.h"
#include "link_backend.h"

#ifndef MODDEF_SYNSTACK_WIFI_POWERSAVE
	#define MODDEF_SYNSTACK_WIFI_POWERSAVE (0)   /* 0: WIFI_PS_NONE, lowest latency for a server */
#endif

static esp_event_handler_instance_t gWiFiEvents;
static int gStarted;

/* Wi-Fi driver task. */
static esp_err_t wifiReceive(void *buffer, uint16_t length, void *eb)
{
	synstack_link_input(buffer, length);   /* copies into the ring */
	esp_wifi_internal_free_rx_buffer(eb);  /* and the driver has its buffer back at once */
	return ESP_OK;
}

/* Default event loop task. */
static void wifiEvent(void *arg, esp_event_base_t base, int32_t id, void *data)
{
	switch (id) {
	case WIFI_EVENT_STA_START:
		esp_wifi_connect();
		break;
	case WIFI_EVENT_STA_CONNECTED:
		esp_wifi_internal_reg_rxcb(WIFI_IF_STA, wifiReceive);
		synstack_link_changed(1);
		break;
	case WIFI_EVENT_STA_DISCONNECTED:
		esp_wifi_internal_reg_rxcb(WIFI_IF_STA, NULL);
		synstack_link_changed(0);
		if (gStarted)
			esp_wifi_connect();
		break;
	default:
		break;
	}
}

#define STEP(name, call) do { *failed = name; err = (call); if (err != ESP_OK) return err; } while (0)

esp_err_t synstack_backend_start(const synstack_link_config_t *config, uint8_t mac[6], const char **failed)
{
	esp_err_t err;
	if (!config->ssid[0]) {
		*failed = "configuration (no ssid: mcconfig ... ssid=\"name\" password=\"secret\")";
		return ESP_ERR_INVALID_ARG;
	}
	/* The default event loop may exist already (another module made it); that is fine. */
	*failed = "esp_event_loop_create_default";
	err = esp_event_loop_create_default();
	if (err != ESP_OK && err != ESP_ERR_INVALID_STATE)
		return err;
	wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
	STEP("esp_wifi_init", esp_wifi_init(&init));   /* driver buffers and the Wi-Fi task */
	STEP("esp_wifi_set_storage", esp_wifi_set_storage(WIFI_STORAGE_RAM));
	STEP("esp_event_handler_instance_register",
		esp_event_handler_instance_register(WIFI_EVENT, ESP_EVENT_ANY_ID, wifiEvent, NULL, &gWiFiEvents));
	STEP("esp_wifi_set_mode", esp_wifi_set_mode(WIFI_MODE_STA));
	wifi_config_t station;
	memset(&station, 0, sizeof station);
	memcpy(station.sta.ssid, config->ssid, strlen(config->ssid));               /* 32 bytes, not NUL-terminated when full */
	memcpy(station.sta.password, config->password, strlen(config->password));   /* 64 bytes, likewise */
	station.sta.threshold.authmode = config->password[0] ? WIFI_AUTH_WPA2_PSK : WIFI_AUTH_OPEN;
	STEP("esp_wifi_set_config", esp_wifi_set_config(WIFI_IF_STA, &station));
	gStarted = 1;
	STEP("esp_wifi_start", esp_wifi_start());      /* -> WIFI_EVENT_STA_START -> connect */
	STEP("esp_wifi_set_ps", esp_wifi_set_ps(MODDEF_SYNSTACK_WIFI_POWERSAVE ? WIFI_PS_MIN_MODEM : WIFI_PS_NONE));
	STEP("esp_wifi_get_mac", esp_wifi_get_mac(WIFI_IF_STA, mac));
	return ESP_OK;
}

esp_err_t synstack_backend_send(const uint8_t *frame, uint32_t length)
{
	if (length > 0xFFFF)
		return ESP_ERR_INVALID_SIZE;
	/* XS task. Copies the frame; returns an error (e.g. ESP_ERR_WIFI_NOT_ASSOC) without queuing it. */
	int err = esp_wifi_internal_tx(WIFI_IF_STA, (void *)frame, (uint16_t)length);
	return err == ESP_OK ? ESP_OK : ESP_FAIL;
}

void synstack_backend_stop(void)
{
	if (!gStarted)
		return;
	gStarted = 0;
	esp_wifi_internal_reg_rxcb(WIFI_IF_STA, NULL);   /* no more frames into the ring */
	esp_wifi_disconnect();
	esp_wifi_stop();
	if (gWiFiEvents) {
		esp_event_handler_instance_unregister(WIFI_EVENT, ESP_EVENT_ANY_ID, gWiFiEvents);
		gWiFiEvents = NULL;
	}
	esp_wifi_deinit();
}

const char *synstack_backend_kind(void)
{
	return "wifi";
}
