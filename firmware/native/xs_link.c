/*
 * The RawLink host object (firmware/link.ts) in the xsmc API: the receive ring (ring.c) between a
 * driver task and the XS task, the messages that wake the XS task, and the calls link.ts makes.
 *
 * Tasks and ownership:
 *   - synstack_link_input runs on the driver's receive task (the Wi-Fi task for esp_wifi's RX
 *     callback, the EMAC/W5500 receive task for esp_eth's input path). It copies the frame into the
 *     ring and returns; the driver callback frees the driver's buffer right after, so no driver
 *     buffer is ever held while the XS task is busy. If the copy turns the ring from empty to
 *     non-empty (ring.h), it posts one message with modMessagePostToMachine.
 *     modMessagePostToMachine (xs/platforms/esp/xsHost.c) copies the message record into the XS
 *     machine's FreeRTOS queue: in release builds it waits for room forever (portMAX_DELAY), in
 *     debug builds 20 ticks and then fails; a failure clears the notification (ring_post_failed),
 *     so the next frame posts again, and the firmware's timer drains the ring meanwhile.
 *   - deliverFrames runs on the XS task (modMessageService). It calls the JS onReadable(frames)
 *     with the number of frames waiting; JS reads them with read(). Then ring_finish: if more are
 *     waiting, the next message is posted from here, so timers and other messages get a turn
 *     between batches and the work per message is bounded by the ring's capacity.
 *   - synstack_link_changed runs on the default event loop task; it posts a one-byte message and
 *     deliverLinkChange calls onLinkChange(up) on the XS task.
 *
 * One link per boot: the state is static, so a message still queued when the link is closed or
 * collected finds `open` cleared and does nothing (no dangling refcon).
 */

#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"
#include "mc.defines.h"
#include "modInstrumentation.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "esp_heap_caps.h"
#include "link_backend.h"
#include "ring.h"

#ifndef MODDEF_SYNSTACK_RING_BYTES
	#define MODDEF_SYNSTACK_RING_BYTES (16384)
#endif
#ifndef MODDEF_SYNSTACK_RING_FRAME
	#define MODDEF_SYNSTACK_RING_FRAME (1536)
#endif

typedef struct {
	xsMachine *the;
	xsSlot obj;                 /* the RawLink instance, remembered while open */
	_Atomic uint32_t open;
	_Atomic uint32_t up;
	uint8_t *storage;
	ring_t ring;
	uint32_t tx_frames, tx_failures, link_ups, link_downs;  /* XS task only */
	uint8_t mac[6];
} synstack_link_t;

static synstack_link_t gLink;

void xs_synstack_link_destructor(void *data);

static void deliverFrames(void *the, void *refcon, uint8_t *message, uint16_t messageLength);

static void postFrames(synstack_link_t *link)
{
	if (modMessagePostToMachine(link->the, NULL, 0, deliverFrames, link) != 0)
		ring_post_failed(&link->ring);
}

/* Driver task. */
void synstack_link_input(const uint8_t *frame, uint32_t length)
{
	synstack_link_t *link = &gLink;
	if (!atomic_load(&link->open))
		return;
	if (ring_push(&link->ring, frame, length) == RING_POST)
		postFrames(link);
	/* RING_FULL and RING_BAD_SIZE are counted by the ring; the frame is dropped. */
}

/* XS task. */
static void deliverFrames(void *the, void *refcon, uint8_t *message, uint16_t messageLength)
{
	synstack_link_t *link = refcon;
	if (!atomic_load(&link->open))
		return;
	uint32_t waiting = ring_waiting(&link->ring);
	xsBeginHost(the);
		xsTry {
			xsCall1(link->obj, xsID_onReadable, xsInteger((xsIntegerValue)waiting));
		}
		xsCatch {
			/* JS reports its own errors; the ring must still be finished below. */
		}
	xsEndHost(the);
	if (atomic_load(&link->open) && ring_finish(&link->ring))
		postFrames(link);
}

static void deliverLinkChange(void *the, void *refcon, uint8_t *message, uint16_t messageLength)
{
	synstack_link_t *link = refcon;
	if (!atomic_load(&link->open) || messageLength < 1)
		return;
	if (message[0]) link->link_ups++;
	else link->link_downs++;
	xsBeginHost(the);
		xsTry {
			xsCall1(link->obj, xsID_onLinkChange, xsBoolean(message[0] ? 1 : 0));
		}
		xsCatch {
		}
	xsEndHost(the);
}

/* Event loop task. */
void synstack_link_changed(int up)
{
	synstack_link_t *link = &gLink;
	uint8_t value = up ? 1 : 0;
	atomic_store(&link->up, value);
	if (atomic_load(&link->open))
		modMessagePostToMachine(link->the, &value, sizeof value, deliverLinkChange, link);
}

static synstack_link_t *linkOf(xsMachine *the)
{
	synstack_link_t *link = xsmcGetHostDataValidate(xsThis, xs_synstack_link_destructor);
	if (!link || !atomic_load(&link->open))
		xsUnknownError("synstack: link closed");
	return link;
}

static void copyOption(xsMachine *the, xsIdentifier id, char *into, size_t size)
{
	xsmcGet(xsVar(0), xsArg(0), id);
	if (xsmcTypeOf(xsVar(0)) == xsStringType) {
		const char *value = xsmcToString(xsVar(0));
		if (strlen(value) >= size)
			xsRangeError("synstack: option too long");
		strcpy(into, value);
	}
}

void xs_synstack_link_destructor(void *data)
{
	/* Only reached for an instance that was closed (an open one is remembered) or never opened. */
	synstack_link_t *link = data;
	if (link && atomic_exchange(&link->open, 0))
		synstack_backend_stop();
}

void xs_synstack_link(xsMachine *the)
{
	synstack_link_t *link = &gLink;
	synstack_link_config_t config;
	const char *step = "start";

	if (atomic_load(&link->open))
		xsUnknownError("synstack: the link is already open");
	xsmcVars(1);
	memset(&config, 0, sizeof config);
	copyOption(the, xsID_ssid, config.ssid, sizeof config.ssid);
	copyOption(the, xsID_password, config.password, sizeof config.password);

	if (!link->storage) {
		/* Internal RAM: the driver tasks copy into it, the XS task copies out. Kept for the boot. */
		link->storage = heap_caps_malloc(MODDEF_SYNSTACK_RING_BYTES, MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT);
		if (!link->storage)
			xsUnknownError("synstack: no memory for the receive ring");
	}
	else
		ring_deinit(&link->ring);
	if (ring_init(&link->ring, link->storage, MODDEF_SYNSTACK_RING_BYTES, MODDEF_SYNSTACK_RING_FRAME) != 0)
		xsUnknownError("synstack: bad ring size (defines synstack.ring)");

	/* The callbacks become properties of the instance, which stays remembered while open. */
	xsmcGet(xsVar(0), xsArg(0), xsID_onReadable);
	xsmcSet(xsThis, xsID_onReadable, xsVar(0));
	xsmcGet(xsVar(0), xsArg(0), xsID_onLinkChange);
	xsmcSet(xsThis, xsID_onLinkChange, xsVar(0));

	link->the = the;
	link->obj = xsThis;
	link->tx_frames = link->tx_failures = link->link_ups = link->link_downs = 0;
	atomic_store(&link->up, 0);
	atomic_store(&link->open, 1);   /* before the driver starts, so its first frame is kept */
	esp_err_t err = synstack_backend_start(&config, link->mac, &step);
	if (err != ESP_OK) {
		atomic_store(&link->open, 0);
		synstack_backend_stop();
		xsUnknownError("synstack: %s link: %s failed: %s", synstack_backend_kind(), step, esp_err_to_name(err));
	}
	xsRemember(link->obj);
	xsmcSetHostData(xsThis, link);
}

void xs_synstack_link_read(xsMachine *the)
{
	synstack_link_t *link = linkOf(the);
	void *data;
	xsUnsignedValue count;
	xsmcGetBufferWritable(xsArg(0), &data, &count);
	int n;
	/* A frame longer than the buffer is dropped by the ring (counted: truncated); try the next. */
	do {
		n = ring_pop(&link->ring, data, count);
	} while (n < 0);
	if (n > 0)
		modInstrumentationAdjust(NetworkBytesRead, n);
	xsmcSetInteger(xsResult, n);
}

void xs_synstack_link_send(xsMachine *the)
{
	linkOf(the);
	void *data;
	xsUnsignedValue count;
	xsmcGetBufferReadable(xsArg(0), &data, &count);
	/* The pointer is into the XS chunk heap: nothing below may allocate in XS before the driver
	   has copied the frame (synstack_backend_send returns only after copying). */
	esp_err_t err = synstack_backend_send(data, count);
	if (err == ESP_OK) {
		gLink.tx_frames++;
		modInstrumentationAdjust(NetworkBytesWritten, count);
		xsmcSetTrue(xsResult);
	}
	else {
		gLink.tx_failures++;
		xsmcSetFalse(xsResult);
	}
}

void xs_synstack_link_get_mac(xsMachine *the)
{
	synstack_link_t *link = linkOf(the);
	void *data;
	xsUnsignedValue count;
	xsmcGetBufferWritable(xsArg(0), &data, &count);
	if (count < 6)
		xsRangeError("synstack: MAC buffer too small");
	memcpy(data, link->mac, 6);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* The order is LINK_STATISTICS in firmware/link-types.ts. */
void xs_synstack_link_get_statistics(xsMachine *the)
{
	synstack_link_t *link = linkOf(the);
	ring_counters_t c;
	enum { n = 14 };
	void *data;
	xsUnsignedValue count;
	xsmcGetBufferWritable(xsArg(0), &data, &count);
	if (count < 4u * n)
		xsRangeError("synstack: statistics buffer too small");
	ring_counters(&link->ring, &c);
	const uint32_t values[n] = {
		c.frames_in, c.frames_out, c.overflows, c.oversize, c.truncated, c.posts, c.post_failures, c.high_water,
		c.used, c.size, link->tx_frames, link->tx_failures, link->link_ups, link->link_downs,
	};
	for (int i = 0; i < n; i++)
		put32((uint8_t *)data + 4 * i, values[i]);
}

void xs_synstack_link_get_kind(xsMachine *the)
{
	xsmcSetString(xsResult, (char *)synstack_backend_kind());
}

void xs_synstack_link_get_up(xsMachine *the)
{
	synstack_link_t *link = linkOf(the);
	xsmcSetBoolean(xsResult, atomic_load(&link->up) ? 1 : 0);
}

void xs_synstack_link_close(xsMachine *the)
{
	synstack_link_t *link = xsmcGetHostDataValidate(xsThis, xs_synstack_link_destructor);
	if (!link || !atomic_exchange(&link->open, 0))
		return;
	synstack_backend_stop();
	xsForget(link->obj);
	xsmcSetHostData(xsThis, NULL);
}
