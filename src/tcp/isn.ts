// Initial sequence numbers (RFC 6528) and the keyed 4-tuple hash they share with the SYN cache,
// the SYN cookie engine and ephemeral port selection.
//
// RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), where M is the
// RFC 9293 §3.4.1 clock that ticks every 4 microseconds and F is a keyed PRF whose secret the
// peer cannot learn. Sequence spaces of different connections are then unrelated (an off-path
// attacker cannot guess one ISN from another: RFC 6528 §1), while one connection's successive
// incarnations still move forward with the clock (the property RFC 9293 wants for old duplicates).
//
// Here F is HalfSipHash-2-4 (src/crypto/halfsiphash.ts) under a 64-bit secret drawn from Entropy
// once per boot, over 12 bytes in network order:
//
//   localip (4) | remoteip (4) | localport (2) | remoteport (2)
//
// so the direction matters: the tuple seen from the other end hashes differently.

import type { Accelerators, Entropy } from '../platform';
import { halfSipHashWords } from '../crypto/halfsiphash';

/** Size of a HalfSipHash key in bytes (64 bits). */
export const TUPLE_KEY_BYTES = 8;

/** M ticks per millisecond: one tick every 4 µs (RFC 6528 §3, RFC 9293 §3.4.1). */
export const ISN_TICKS_PER_MS = 250;

/**
 * The ISN clock M for an integer-millisecond time: ms * 250 modulo 2^32 (it wraps every
 * 2^32 / 250 000 s ≈ 4.77 hours). Exact for any `nowMs` below 2^53 / 250 (over a thousand years).
 */
export function isnClock(nowMs: number): number {
  // ToUint32 reduces the exact product modulo 2^32.
  return (nowMs * ISN_TICKS_PER_MS) >>> 0;
}

/** The 4-tuple's third word: local port in the high half, remote port in the low half. */
function portsWord(localPort: number, remotePort: number): number {
  return ((localPort & 0xffff) << 16) | (remotePort & 0xffff);
}

/**
 * The keyed 4-tuple hash in pure TypeScript: HalfSipHash-2-4 under `key` (8 bytes) of
 * localIp | remoteIp | localPort | remotePort, big-endian (12 bytes). Addresses are uint32.
 */
export function tupleHash(
  key: Uint8Array, localIp: number, localPort: number, remoteIp: number, remotePort: number,
): number {
  return halfSipHashWords(key, localIp, remoteIp, portsWord(localPort, remotePort), 0, 3);
}

/**
 * A keyed hash of connection identifiers under one secret. Each user (ISNs, the SYN cache's
 * buckets, cookies, port selection) holds its own TupleHasher, so learning one output stream says
 * nothing about another. With a native `mac` (Accelerators.mac) the words are written into a
 * scratch buffer owned by the instance and hashed by it; without one the pure TypeScript word
 * hash runs directly. Both give the same value. No allocation per call either way.
 *
 * The scratch words are written through a DataView made once: under XS one setUint32 costs about
 * a fifth of four byte stores with their shifts (measured), and only the words hashed are written.
 */
export class TupleHasher {
  private readonly key = new Uint8Array(TUPLE_KEY_BYTES);
  private readonly scratch = new Uint8Array(16);
  private readonly words = new DataView(this.scratch.buffer);
  private readonly mac: Accelerators['mac'] | undefined;

  /** `key` must be 8 bytes; it is copied. */
  constructor(key: Uint8Array, mac?: Accelerators['mac']) {
    if (key.length !== TUPLE_KEY_BYTES) throw new RangeError(`TupleHasher key must be 8 bytes, got ${key.length}`);
    this.key.set(key);
    this.mac = mac;
  }

  /** A hasher with a fresh secret: draws exactly 8 bytes from `entropy`. */
  static fromEntropy(entropy: Entropy, mac?: Accelerators['mac']): TupleHasher {
    const key = new Uint8Array(TUPLE_KEY_BYTES);
    entropy.fill(key);
    return new TupleHasher(key, mac);
  }

  /** The keyed hash of a 4-tuple (same layout as `tupleHash`), uint32. */
  tupleHash(localIp: number, localPort: number, remoteIp: number, remotePort: number): number {
    const mac = this.mac;
    if (mac === undefined) return halfSipHashWords(this.key, localIp, remoteIp, portsWord(localPort, remotePort), 0, 3);
    const w = this.words;
    w.setUint32(0, localIp);
    w.setUint32(4, remoteIp);
    w.setUint32(8, ((localPort & 0xffff) << 16) | (remotePort & 0xffff)); // portsWord, without the call
    return mac(this.key, this.scratch, 0, 12) >>> 0;
  }

  /** The keyed hash of one word (4 big-endian bytes), uint32: wordsHash(w0, 0, 0, 0, 1). */
  wordHash(w0: number): number {
    const mac = this.mac;
    if (mac === undefined) return halfSipHashWords(this.key, w0, 0, 0, 0, 1);
    this.words.setUint32(0, w0);
    return mac(this.key, this.scratch, 0, 4) >>> 0;
  }

  /** The keyed hash of two words (8 big-endian bytes), uint32: wordsHash(w0, w1, 0, 0, 2). */
  pairHash(w0: number, w1: number): number {
    const mac = this.mac;
    if (mac === undefined) return halfSipHashWords(this.key, w0, w1, 0, 0, 2);
    const w = this.words;
    w.setUint32(0, w0);
    w.setUint32(4, w1);
    return mac(this.key, this.scratch, 0, 8) >>> 0;
  }

  /**
   * The keyed hash of the first `count` (0–4) of w0..w3, each as 4 big-endian bytes, uint32.
   * Users define their own layouts on top of this (e.g. a 3-tuple, or a 4-tuple plus a peer ISN).
   */
  wordsHash(w0: number, w1: number, w2: number, w3: number, count: number): number {
    const mac = this.mac;
    if (mac === undefined) return halfSipHashWords(this.key, w0, w1, w2, w3, count);
    if (!((count | 0) === count && count >= 0 && count <= 4)) {
      throw new RangeError(`wordsHash: count must be 0..4, got ${count}`);
    }
    const w = this.words;
    // setUint32 takes its value modulo 2^32, as the byte stores it replaced did.
    w.setUint32(0, w0);
    if (count > 1) {
      w.setUint32(4, w1);
      if (count > 2) {
        w.setUint32(8, w2);
        if (count > 3) w.setUint32(12, w3);
      }
    }
    return mac(this.key, this.scratch, 0, count * 4) >>> 0;
  }
}

/**
 * RFC 6528 initial sequence numbers. The secret is drawn once, at construction (per boot):
 * exactly 8 bytes from `entropy`.
 */
export class IsnGenerator {
  private readonly hasher: TupleHasher;

  constructor(entropy: Entropy, mac?: Accelerators['mac']) {
    this.hasher = TupleHasher.fromEntropy(entropy, mac);
  }

  /**
   * ISN for a connection at time `nowMs` (integer ms from the platform Clock), uint32:
   * M + F(localIp, localPort, remoteIp, remotePort, secret) modulo 2^32 (RFC 6528 §3).
   */
  isn(localIp: number, localPort: number, remoteIp: number, remotePort: number, nowMs: number): number {
    return (isnClock(nowMs) + this.hasher.tupleHash(localIp, localPort, remoteIp, remotePort)) >>> 0;
  }
}
