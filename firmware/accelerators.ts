// The native halves of the platform seam's Accelerators and Entropy (src/platform.ts), in
// firmware/native/xs_accel.c: the RFC 1071 sum (checksum.c) and HalfSipHash-2-4 (halfsiphash.c),
// which hosttest/firmware/native.test.ts checks against the TypeScript versions, a byte copy for
// the connection rings (memmove: under XS it saves the view Uint8Array.set needs for every
// segment), and the hardware random number generator (esp_fill_random).
//
// Each function is only a native call, the pattern xsc compiles to a direct host call.

import type { Accelerators, Entropy } from '../src/platform';

/** RFC 1071 sum of bytes[offset, offset + length) added to `initial`, folded, not complemented. */
export function checksum(this: unknown, bytes: Uint8Array, offset: number, length: number, initial: number): number {
  return native('xs_synstack_checksum').call(this, bytes, offset, length, initial);
}

/** HalfSipHash-2-4 (32-bit) of data[offset, offset + length) under an 8-byte key. */
export function mac(this: unknown, key: Uint8Array, data: Uint8Array, offset: number, length: number): number {
  return native('xs_synstack_halfsiphash').call(this, key, data, offset, length);
}

/** Copy src[srcOffset, srcOffset + length) to dst[dstOffset..] (the rings' payload copies). */
export function copy(this: unknown, src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, length: number): void {
  native('xs_synstack_copy').call(this, src, srcOffset, dst, dstOffset, length);
}

/** Fill `bytes` from the hardware RNG. */
export function fillRandom(this: unknown, bytes: Uint8Array): void {
  native('xs_synstack_random').call(this, bytes);
}

export const nativeAccelerators: Accelerators = Object.freeze({ checksum, mac, copy });
export const nativeEntropy: Entropy = Object.freeze({ fill: fillRandom });
