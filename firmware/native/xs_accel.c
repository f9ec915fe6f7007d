/*
 * Host functions behind firmware/accelerators.ts: the Accelerators seam (checksum.c,
 * halfsiphash.c, both tested on the host against the TypeScript versions) and the hardware RNG.
 * All run on the XS task and only read or write the buffers they are given: the pointers from
 * xsmcGetBuffer* point into the XS chunk heap and stay valid because nothing here allocates.
 */

#include "xsmc.h"
#include "xsHost.h"
#include "mc.defines.h"

#include "checksum.h"
#include "esp_random.h"
#include "halfsiphash.h"
#include <string.h>

#if !MODDEF_SYNSTACK_LINK_WIFI
	#include "bootloader_random.h"
#endif

/* bytes[offset, offset + length) of a byte buffer, or a RangeError. */
static const uint8_t *range(xsMachine *the, xsSlot *buffer, xsIntegerValue offset, xsIntegerValue length)
{
	void *data;
	xsUnsignedValue count;
	xsmcGetBufferReadable(*buffer, &data, &count);
	if (offset < 0 || length < 0 || (xsUnsignedValue)offset > count || (xsUnsignedValue)length > count - (xsUnsignedValue)offset)
		xsRangeError("synstack: range outside the buffer");
	return (const uint8_t *)data + offset;
}

/* checksum(bytes, offset, length, initial) -> RFC 1071 sum, folded, not complemented. */
void xs_synstack_checksum(xsMachine *the)
{
	xsIntegerValue offset = xsmcToInteger(xsArg(1));
	xsIntegerValue length = xsmcToInteger(xsArg(2));
	uint32_t initial = (uint32_t)xsmcToInteger(xsArg(3));
	const uint8_t *p = range(the, &xsArg(0), offset, length);
	xsmcSetInteger(xsResult, synstack_checksum(p, (size_t)length, initial));
}

/* mac(key, data, offset, length) -> HalfSipHash-2-4 as an unsigned 32-bit number. */
void xs_synstack_halfsiphash(xsMachine *the)
{
	xsIntegerValue offset = xsmcToInteger(xsArg(2));
	xsIntegerValue length = xsmcToInteger(xsArg(3));
	const uint8_t *key = range(the, &xsArg(0), 0, 8);
	const uint8_t *p = range(the, &xsArg(1), offset, length);
	uint32_t h = synstack_halfsiphash24(key, p, (size_t)length);
	/* Above 2^31 an XS integer would be negative; the TypeScript version returns h >>> 0. */
	xsmcSetNumber(xsResult, (xsNumberValue)h);
}

/* copy(src, srcOffset, dst, dstOffset, length): the rings' payload copies (memmove, so even an
 * overlap the caller never makes would be safe). */
void xs_synstack_copy(xsMachine *the)
{
	xsIntegerValue srcOffset = xsmcToInteger(xsArg(1));
	xsIntegerValue dstOffset = xsmcToInteger(xsArg(3));
	xsIntegerValue length = xsmcToInteger(xsArg(4));
	const uint8_t *from = range(the, &xsArg(0), srcOffset, length);
	void *data;
	xsUnsignedValue count;
	xsmcGetBufferWritable(xsArg(2), &data, &count);
	if (dstOffset < 0 || length < 0 || (xsUnsignedValue)dstOffset > count || (xsUnsignedValue)length > count - (xsUnsignedValue)dstOffset)
		xsRangeError("synstack: range outside the buffer");
	memmove((uint8_t *)data + dstOffset, from, (size_t)length);
}

/*
 * fill(bytes) from the hardware RNG. esp_random.h: the numbers are truly random while Wi-Fi or
 * Bluetooth is enabled; otherwise (Ethernet builds) an entropy source must be switched on with
 * bootloader_random_enable() and off again before anything else uses the SAR ADC (the firmware
 * itself does not), which is done around each fill. Fills are rare: secrets at boot, a cookie
 * secret every rotation period, DHCP transaction ids.
 */
void xs_synstack_random(xsMachine *the)
{
	void *data;
	xsUnsignedValue count;
	xsmcGetBufferWritable(xsArg(0), &data, &count);
#if !MODDEF_SYNSTACK_LINK_WIFI
	bootloader_random_enable();
#endif
	esp_fill_random(data, count);
#if !MODDEF_SYNSTACK_LINK_WIFI
	bootloader_random_disable();
#endif
}
