// The native halves of the platform seam's Accelerators and Entropy (src/platform.ts), in
// firmware/native/xs_accel.c: the RFC 1071 sum (checksum.c) and HalfSipHash-2-4 (halfsiphash.c),
// which hosttest/firmware/native.test.ts checks against the TypeScript versions, and the
// hardware random number generator (esp_fill_random).
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

/** Fill `bytes` from the hardware RNG. */
export function fillRandom(this: unknown, bytes: Uint8Array): void {
  native('xs_synstack_random').call(this, bytes);
}

export const nativeAccelerators: Accelerators = Object.freeze({ checksum, mac });
export const nativeEntropy: Entropy = Object.freeze({ fill: fillRandom });
