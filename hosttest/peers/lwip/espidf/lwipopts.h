/*
 * lwIP 2.1.3 (Debian's source package) configured with ESP-IDF's defaults, for the simulator.
 *
 * Where each value comes from:
 *   [opts]    ESP-IDF components/lwip/port/include/lwipopts.h (espressif/esp-idf, read at commit
 *             00bb284b), which maps most options to Kconfig symbols;
 *   [kconfig] the Kconfig defaults in ESP-IDF components/lwip/Kconfig (espressif/esp-idf, read at
 *             commit 199d416b; the same TCP defaults at 00096a34 except buffers of 5744);
 *   [esp-lwip] ESP-IDF's lwIP fork (espressif/esp-lwip, src/core/tcp.c): tcp_alloc() counts the
 *             TIME-WAIT, active, listening and bound PCBs and refuses a new one at
 *             MEMP_NUM_TCP_PCB, even though ESP-IDF allocates PCBs with malloc (MEMP_MEM_MALLOC 1
 *             in [opts]). Stock lwIP has no such count, so this build gets the same limit from
 *             static pools (MEMP_MEM_MALLOC 0). One difference: esp-lwip counts the listening PCB
 *             among the 16; here listening PCBs have their own pool (MEMP_NUM_TCP_PCB_LISTEN).
 *   [host]    a choice for running on the host, not an ESP-IDF value.
 * What stock 2.1.3 cannot express is left at lwIP's value and said so: ESP-IDF's initial RTO
 * (LWIP_TCP_RTO_TIME, [kconfig] 1500 ms; stock lwIP starts at 3000 ms) and its RFC 6528 ISN hook
 * (LWIP_TCP_ISN_HOOK; stock lwIP uses its own tcp_next_iss()).
 * The listen backlog is the application's: hosttest/peers/lwip.ts passes 5, esp_http_server's
 * default (HTTPD_DEFAULT_CONFIG().backlog_conn in components/esp_http_server/include/esp_http_server.h).
 */
#ifndef SYNSTACK_LWIP_ESPIDF_LWIPOPTS_H
#define SYNSTACK_LWIP_ESPIDF_LWIPOPTS_H

/* [host] One thread, driven by the simulator: no OS layer (ESP-IDF runs lwIP in FreeRTOS's tiT
 * task with the sequential and socket APIs on top, which this raw-API harness does not need). */
#define NO_SYS                          1
#define LWIP_NETCONN                    0
#define LWIP_SOCKET                     0
#define SYS_LIGHTWEIGHT_PROT            0

/* [opts] MEM_LIBC_MALLOC 1: pbufs and lwIP's heap come from the C library's malloc. */
#define MEM_LIBC_MALLOC                 1
/* [esp-lwip] see above: static pools give the PCB limit esp-lwip enforces by counting. */
#define MEMP_MEM_MALLOC                 0
/* [host] 8 on a 64-bit host (ESP32: 4, [opts]). */
#define MEM_ALIGNMENT                   8

/* [kconfig] LWIP_MAX_ACTIVE_TCP 16, LWIP_MAX_LISTENING_TCP 16. */
#define MEMP_NUM_TCP_PCB                16
#define MEMP_NUM_TCP_PCB_LISTEN         16
/* [kconfig] LWIP_MAX_UDP_PCBS 16. */
#define MEMP_NUM_UDP_PCB                16
/* [host] ESP-IDF mallocs segments without a count; this bounds them only by what 16 PCBs can
 * queue (TCP_SND_QUEUELEN each), so the pool is never the limit. */
#define MEMP_NUM_TCP_SEG                (MEMP_NUM_TCP_PCB * TCP_SND_QUEUELEN)

/* [opts] */
#define ARP_QUEUEING                    1
#define LWIP_RAW                        1
#define LWIP_UDP                        1
#define LWIP_TCP                        1
#define LWIP_IGMP                       1
#define LWIP_ICMP                       1
#define IP_REASS_MAXAGE                 3
/* [kconfig] LWIP_IP4_FRAG y, LWIP_IP4_REASSEMBLY n, LWIP_IP_FORWARD n. */
#define IP_FRAG                         1
#define IP_REASSEMBLY                   0
#define IP_FORWARD                      0
/* [kconfig] LWIP_CHECKSUM_CHECK_IP n, _UDP n, _ICMP y (TCP: lwIP's default, on). */
#define CHECKSUM_CHECK_IP               0
#define CHECKSUM_CHECK_UDP              0
#define CHECKSUM_CHECK_ICMP             1

/* [host] IPv4 only: the simulated traffic is IPv4 (ESP-IDF enables IPv6 by default; with it
 * every address in a PCB takes 20 bytes instead of 4). DHCP, DNS, AutoIP off: the address is static. */
#define LWIP_IPV4                       1
#define LWIP_IPV6                       0
#define LWIP_DHCP                       0
#define LWIP_DNS                        0
#define LWIP_AUTOIP                     0

/* TCP: [opts] maps each to its Kconfig symbol, whose default is given. */
#define TCP_MSS                         1440   /* [kconfig] LWIP_TCP_MSS */
#define TCP_WND                         5760   /* [kconfig] LWIP_TCP_WND_DEFAULT */
#define TCP_SND_BUF                     5760   /* [kconfig] LWIP_TCP_SND_BUF_DEFAULT */
#define TCP_MAXRTX                      12     /* [kconfig] LWIP_TCP_MAXRTX */
#define TCP_SYNMAXRTX                   12     /* [kconfig] LWIP_TCP_SYNMAXRTX (high-speed retransmission y) */
#define TCP_QUEUE_OOSEQ                 1      /* [kconfig] LWIP_TCP_QUEUE_OOSEQ */
#define TCP_OOSEQ_MAX_PBUFS             4      /* [kconfig] LWIP_TCP_OOSEQ_MAX_PBUFS */
#define LWIP_TCP_SACK_OUT               0      /* [kconfig] LWIP_TCP_SACK_OUT */
#define TCP_LISTEN_BACKLOG              1      /* [opts] */
#define TCP_OVERSIZE                    TCP_MSS /* [kconfig] LWIP_TCP_OVERSIZE_MSS */
#define TCP_TMR_INTERVAL                250    /* [kconfig] LWIP_TCP_TMR_INTERVAL */
#define TCP_MSL                         60000UL /* [kconfig] LWIP_TCP_MSL */
/* TCP_FIN_WAIT_TIMEOUT: [kconfig] 20000, which is also stock lwIP's (not configurable in 2.1.3). */
#define LWIP_WND_SCALE                  0      /* [kconfig] LWIP_WND_SCALE n */
#define TCP_RCV_SCALE                   0
#define LWIP_TCP_KEEPALIVE              1      /* [opts] */
#define LWIP_EVENT_API                  0      /* [opts] */
#define LWIP_CALLBACK_API               1      /* [opts] */

/* [opts] */
#define LWIP_NETIF_TX_SINGLE_PBUF       1

/* [host] Counters, so the harness can report pool use (ESP-IDF: LWIP_STATS n by default; the
 * counters change no behaviour). */
#define LWIP_STATS                      1
#define MEMP_STATS                      1
#define TCP_STATS                       1
#define LWIP_STATS_DISPLAY              0

#endif
