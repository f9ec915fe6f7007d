/*
 * HalfSipHash-2-4 with a 32-bit result (J.-P. Aumasson, D. J. Bernstein), the native half of
 * Accelerators.mac (src/platform.ts) and the twin of src/crypto/halfsiphash.ts: 64-bit key read as
 * two little-endian words, message as little-endian words, the last word carrying the length
 * (mod 256) in its top byte and the 0-3 leftover bytes below it; c = 2 compression rounds,
 * d = 4 finalisation rounds, result v1 ^ v3. Platform-independent C99, byte loads only.
 */
#ifndef SYNSTACK_HALFSIPHASH_H
#define SYNSTACK_HALFSIPHASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint32_t synstack_halfsiphash24(const uint8_t key[8], const uint8_t *data, size_t length);

#ifdef __cplusplus
}
#endif

#endif
