/*
 * Ethernet as a raw link through esp_eth, with no esp_netif glue: the driver hands every frame
 * to our input path and we transmit with esp_eth_transmit. Two MACs, chosen by the sub-manifest
 * (firmware/manifests/manifest_emac.json or manifest_w5500.json):
 *
 *   emac   the ESP32's internal EMAC (esp_eth_mac_new_esp32) with a LAN8720-class PHY over RMII
 *          (esp_eth_phy_new_lan87xx, from the espressif/lan87xx component since ESP-IDF v6.0).
 *   w5500  a WIZnet W5500 on SPI (espressif/w5500 from esp-eth-drivers): that driver always runs
 *          the chip's socket 0 in MACRAW mode with its MAC filter, so frames for us (and broadcast)
 *          arrive raw; the chip has no factory MAC, so we give it the ESP32's ESP_MAC_ETH address.
 *
 * Contracts (components/esp_eth/include/esp_eth_driver.h and src/esp_eth.c):
 *   esp_eth_update_input_path(handle, fn, priv)  fn(handle, buffer, length, priv) runs on the MAC
 *                                                driver's receive task; `buffer` was malloc'd by
 *                                                the driver and belongs to the callee, which
 *                                                frees it (esp_eth itself does free(buffer) when no
 *                                                path is installed). We copy, then free at once.
 *   esp_eth_transmit(handle, buf, length)        copies the frame into the MAC's transmit buffers
 *                                                (EMAC DMA descriptors / the W5500's TX memory)
 *                                                before returning; ESP_ERR_INVALID_STATE while the
 *                                                link is down. The caller keeps buf.
 *   esp_eth_ioctl(handle, ETH_CMD_G_MAC_ADDR, mac)  our MAC (ETH_CMD_S_MAC_ADDR sets it).
 * Events: ETH_EVENT / ETHERNET_EVENT_CONNECTED and _DISCONNECTED on the default event loop task.
 */

#include "mc.defines.h"

#include <stdlib.h>
#include <string.h>

#include "esp_eth.h"
#include "esp_event.h"
#include "esp_mac.h"
#include "link_backend.h"

#if MODDEF_SYNSTACK_ETH_W5500
	#include "driver/gpio.h"
	#include "driver/spi_master.h"
	#include "esp_eth_mac_w5500.h"
	#include "esp_eth_phy_w5500.h"
	#ifndef MODDEF_SYNSTACK_W5500_SPI_HOST
		#define MODDEF_SYNSTACK_W5500_SPI_HOST SPI2_HOST
	#endif
	#ifndef MODDEF_SYNSTACK_W5500_MHZ
		#define MODDEF_SYNSTACK_W5500_MHZ (20)
	#endif
	#ifndef MODDEF_SYNSTACK_W5500_POLL_MS
		#define MODDEF_SYNSTACK_W5500_POLL_MS (0)   /* 0: use the interrupt pin */
	#endif
	#ifndef MODDEF_SYNSTACK_W5500_RESET
		#define MODDEF_SYNSTACK_W5500_RESET (-1)
	#endif
#else
	#include "esp_eth_phy_lan87xx.h"
	#ifndef MODDEF_SYNSTACK_EMAC_MDC
		#define MODDEF_SYNSTACK_EMAC_MDC (23)
	#endif
	#ifndef MODDEF_SYNSTACK_EMAC_MDIO
		#define MODDEF_SYNSTACK_EMAC_MDIO (18)
	#endif
	#ifndef MODDEF_SYNSTACK_EMAC_PHY_ADDR
		#define MODDEF_SYNSTACK_EMAC_PHY_ADDR (1)
	#endif
	#ifndef MODDEF_SYNSTACK_EMAC_PHY_RESET
		#define MODDEF_SYNSTACK_EMAC_PHY_RESET (-1)
	#endif
	#ifndef MODDEF_SYNSTACK_EMAC_CLOCK_MODE
		#define MODDEF_SYNSTACK_EMAC_CLOCK_MODE EMAC_CLK_EXT_IN
	#endif
	#ifndef MODDEF_SYNSTACK_EMAC_CLOCK_GPIO
		#define MODDEF_SYNSTACK_EMAC_CLOCK_GPIO (0)
	#endif
#endif

static esp_eth_handle_t gEth;
static esp_event_handler_instance_t gEthEvents;
static int gStarted;

/* MAC driver receive task. */
static esp_err_t ethReceive(esp_eth_handle_t handle, uint8_t *buffer, uint32_t length, void *priv)
{
	synstack_link_input(buffer, length);   /* copies into the ring */
	free(buffer);                          /* the driver's buffer is ours to free, at once */
	return ESP_OK;
}

/* Default event loop task. */
static void ethEvent(void *arg, esp_event_base_t base, int32_t id, void *data)
{
	if (id == ETHERNET_EVENT_CONNECTED)
		synstack_link_changed(1);
	else if (id == ETHERNET_EVENT_DISCONNECTED)
		synstack_link_changed(0);
}

#define STEP(name, call) do { *failed = name; err = (call); if (err != ESP_OK) return err; } while (0)

esp_err_t synstack_backend_start(const synstack_link_config_t *config, uint8_t mac_out[6], const char **failed)
{
	esp_err_t err;
	esp_eth_mac_t *mac = NULL;
	esp_eth_phy_t *phy = NULL;
	eth_mac_config_t mac_config = ETH_MAC_DEFAULT_CONFIG();   /* receive task: 4 KB stack, priority 15 */
	eth_phy_config_t phy_config = ETH_PHY_DEFAULT_CONFIG();

	*failed = "esp_event_loop_create_default";
	err = esp_event_loop_create_default();
	if (err != ESP_OK && err != ESP_ERR_INVALID_STATE)
		return err;

#if MODDEF_SYNSTACK_ETH_W5500
	/* The W5500 driver takes its interrupt through the GPIO ISR service. */
	*failed = "gpio_install_isr_service";
	err = gpio_install_isr_service(0);
	if (err != ESP_OK && err != ESP_ERR_INVALID_STATE)
		return err;
	spi_bus_config_t bus = {
		.miso_io_num = MODDEF_SYNSTACK_W5500_MISO,
		.mosi_io_num = MODDEF_SYNSTACK_W5500_MOSI,
		.sclk_io_num = MODDEF_SYNSTACK_W5500_SCLK,
		.quadwp_io_num = -1,
		.quadhd_io_num = -1,
	};
	*failed = "spi_bus_initialize";
	err = spi_bus_initialize(MODDEF_SYNSTACK_W5500_SPI_HOST, &bus, SPI_DMA_CH_AUTO);
	if (err != ESP_OK && err != ESP_ERR_INVALID_STATE)   /* INVALID_STATE: the bus exists already */
		return err;
	spi_device_interface_config_t device = {
		.mode = 0,
		.clock_speed_hz = MODDEF_SYNSTACK_W5500_MHZ * 1000 * 1000,
		.queue_size = 20,
		.spics_io_num = MODDEF_SYNSTACK_W5500_CS,
	};
	eth_w5500_config_t w5500 = ETH_W5500_DEFAULT_CONFIG(MODDEF_SYNSTACK_W5500_SPI_HOST, &device);
	w5500.base.int_gpio_num = MODDEF_SYNSTACK_W5500_INT;
	w5500.base.poll_period_ms = MODDEF_SYNSTACK_W5500_POLL_MS;
	phy_config.reset_gpio_num = MODDEF_SYNSTACK_W5500_RESET;
	*failed = "esp_eth_mac_new_w5500";
	mac = esp_eth_mac_new_w5500(&w5500, &mac_config);
	*failed = "esp_eth_phy_new_w5500";
	phy = esp_eth_phy_new_w5500(&phy_config);
#else
	eth_esp32_emac_config_t emac = ETH_ESP32_EMAC_DEFAULT_CONFIG();
	emac.smi_gpio.mdc_num = MODDEF_SYNSTACK_EMAC_MDC;
	emac.smi_gpio.mdio_num = MODDEF_SYNSTACK_EMAC_MDIO;
	emac.clock_config.rmii.clock_mode = MODDEF_SYNSTACK_EMAC_CLOCK_MODE;
	emac.clock_config.rmii.clock_gpio = MODDEF_SYNSTACK_EMAC_CLOCK_GPIO;
	phy_config.phy_addr = MODDEF_SYNSTACK_EMAC_PHY_ADDR;
	phy_config.reset_gpio_num = MODDEF_SYNSTACK_EMAC_PHY_RESET;
	*failed = "esp_eth_mac_new_esp32";
	mac = esp_eth_mac_new_esp32(&emac, &mac_config);
	*failed = "esp_eth_phy_new_lan87xx";
	phy = esp_eth_phy_new_lan87xx(&phy_config);
#endif
	if (!mac || !phy)
		return ESP_FAIL;
	esp_eth_config_t eth_config = ETH_DEFAULT_CONFIG(mac, phy);
	STEP("esp_eth_driver_install", esp_eth_driver_install(&eth_config, &gEth));
#if MODDEF_SYNSTACK_ETH_W5500
	uint8_t address[6];
	STEP("esp_read_mac", esp_read_mac(address, ESP_MAC_ETH));
	STEP("esp_eth_ioctl(ETH_CMD_S_MAC_ADDR)", esp_eth_ioctl(gEth, ETH_CMD_S_MAC_ADDR, address));
#endif
	STEP("esp_eth_update_input_path", esp_eth_update_input_path(gEth, ethReceive, NULL));
	STEP("esp_eth_ioctl(ETH_CMD_G_MAC_ADDR)", esp_eth_ioctl(gEth, ETH_CMD_G_MAC_ADDR, mac_out));
	STEP("esp_event_handler_instance_register",
		esp_event_handler_instance_register(ETH_EVENT, ESP_EVENT_ANY_ID, ethEvent, NULL, &gEthEvents));
	STEP("esp_eth_start", esp_eth_start(gEth));   /* link state machine; carrier reported by event */
	gStarted = 1;
	return ESP_OK;
}

esp_err_t synstack_backend_send(const uint8_t *frame, uint32_t length)
{
	if (!gEth)
		return ESP_ERR_INVALID_STATE;
	/* XS task. Copies the frame before returning. */
	return esp_eth_transmit(gEth, (void *)frame, length);
}

void synstack_backend_stop(void)
{
	if (!gEth)
		return;
	if (gStarted)
		esp_eth_stop(gEth);
	gStarted = 0;
	esp_eth_update_input_path(gEth, NULL, NULL);   /* esp_eth then frees what arrives */
	if (gEthEvents) {
		esp_event_handler_instance_unregister(ETH_EVENT, ESP_EVENT_ANY_ID, gEthEvents);
		gEthEvents = NULL;
	}
}

const char *synstack_backend_kind(void)
{
#if MODDEF_SYNSTACK_ETH_W5500
	return "w5500";
#else
	return "emac";
#endif
}
