/*
 * RFC 1071 Internet checksum, the native half of Accelerators.checksum (src/platform.ts):
 * the ones'-complement sum of bytes[0, length) read as big-endian 16-bit words (an odd last byte
 * is padded with zero), added to `initial` (a 16-bit partial sum, e.g. a pseudo-header sum),
 * folded to 16 bits and NOT complemented. Same contract as onesSum in src/wire/checksum.ts.
 * Platform-independent C99; only byte loads, so any alignment works (the Xtensa cores fault on
 * unaligned 16/32-bit loads, and frames sit at any offset of a JS buffer).
 */
#ifndef SYNSTACK_CHECKSUM_H
#define SYNSTACK_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint16_t synstack_checksum(const uint8_t *bytes, size_t length, uint32_t initial);

#ifdef __cplusplus
}
#endif

#endif
