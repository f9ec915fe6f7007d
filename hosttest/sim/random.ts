// A small seeded PRNG for the simulator and for seeded test entropy.
//
// Generator: xoshiro128** 1.1 (Blackman & Vigna, "Scrambled linear pseudorandom number
// generators", 2018): 128 bits of state, period 2^128 - 1, 32-bit outputs. Seeds are expanded
// into state with a splitmix32-style mixer so that nearby seeds (0, 1, 2...) give unrelated
// streams and the all-zero state can't occur.
//
// Sub-streams: `Random.derive(seed, label)` (or `rng.fork(label)`) hashes the seed and a label
// into a fresh seed, so every consumer of randomness (each link, each impairment, each host's
// entropy) draws from its own stream. Changing how much one consumer draws never shifts what
// another one sees, which keeps scenarios comparable when one knob is turned.
//
// Not for cryptography: it is test infrastructure.
import type { Entropy } from '../../src/platform.js';

const TWO_POW_32 = 0x1_0000_0000;

/** A seed: an integer (normalised by `seedToUint32`) or a string hashed to 32 bits. */
export type Seed = number | string;

/** Bounded loop guard for rejection sampling; the expected number of rounds is < 2. */
const MAX_REJECTIONS = 1000;

/** 32-bit FNV-1a over UTF-16 code units, for string seeds and labels. */
function hashString(text: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Final mixer of splitmix32 / murmur3: a bijection on uint32 with good avalanche. */
function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Normalise a seed to a uint32. Integers in [-2^31, 2^32) map to their 32-bit pattern, larger
 * ones fold their high part in; fractions, NaN and Infinity are rejected (almost certainly a bug).
 */
export function seedToUint32(seed: Seed): number {
  if (typeof seed === 'string') return hashString(seed);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer or a string, got ${seed}`);
  if (seed >= -0x8000_0000 && seed < TWO_POW_32) return seed >>> 0;
  // Beyond 32 bits: fold the high part in so big seeds don't collide with their low 32 bits.
  const low = ((seed % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
  const high = ((Math.floor(seed / TWO_POW_32) % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
  return (low ^ mix32(high)) >>> 0;
}

/** A seed for an independent sub-stream named `label` of the stream seeded with `seed`. */
export function deriveSeed(seed: Seed, label: string): number {
  const base = seedToUint32(seed);
  return mix32(hashString(label, mix32(base ^ 0x9e3779b9)) ^ base);
}

/** True where a Uint32Array stores its least significant byte first (x86, ARM, Xtensa as run). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class Random {
  // The state words are kept as int32 (`| 0`), their bit patterns unchanged: a uint32 at or above
  // 2^31 is a heap number in V8 and a double slot in XS, an int32 is a small integer in both.
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Where `nextInt32` takes its one draw. */
  private readonly one = new Int32Array(1);

  /** A generator whose state is expanded from `seed`. */
  constructor(seed: Seed) {
    let x = seedToUint32(seed);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0; // splitmix32 increment (golden ratio)
      words.push(mix32(x));
    }
    this.setState(words[0]!, words[1]!, words[2]!, words[3]!);
  }

  /** A generator with exactly this 128-bit state (for known-answer tests). Not all zero. */
  static fromState(s0: number, s1: number, s2: number, s3: number): Random {
    const r = new Random(0);
    r.setState(s0, s1, s2, s3);
    return r;
  }

  /** An independent generator for sub-stream `label` of `seed`. */
  static derive(seed: Seed, label: string): Random {
    return new Random(deriveSeed(seed, label));
  }

  private setState(s0: number, s1: number, s2: number, s3: number): void {
    if (((s0 | s1 | s2 | s3) >>> 0) === 0) throw new RangeError('xoshiro128** state must not be all zero');
    this.s0 = s0 | 0;
    this.s1 = s1 | 0;
    this.s2 = s2 | 0;
    this.s3 = s3 | 0;
  }

  /** The next uint32 in [0, 2^32). */
  next(): number {
    return this.nextInt32() >>> 0;
  }

  /** The next output as an int32 (the same 32 bits as `next()`). */
  private nextInt32(): number {
    this.draw(this.one, 1);
    return this.one[0]!;
  }

  /** The next n outputs into w[0, n): the xoshiro128** step, on local copies of the state. */
  private draw(w: Int32Array | Uint32Array, n: number): void {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let k = 0; k < n; k++) {
      const m = Math.imul(s1, 5);
      w[k] = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** A float in [0, 1) with 53 random bits (two draws). */
  float(): number {
    const high = this.next() >>> 5; // 27 bits
    const low = this.next() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992; // (high * 2^26 + low) / 2^53
  }

  /** A uniform integer in [0, n), unbiased (rejection sampling). `n` in [1, 2^32]. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) throw new RangeError(`int(n) needs an integer 1..2^32, got ${n}`);
    if (n === 1) return 0;
    // Accept only draws below the largest multiple of n that fits in 2^32.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (let i = 0; i < MAX_REJECTIONS; i++) {
      const x = this.next();
      if (x < limit) return x % n;
    }
    // Probability of reaching this is below 2^-1000; a broken generator is the only way here.
    throw new Error('Random.int: rejection sampling did not terminate');
  }

  /** A uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) throw new RangeError(`range(${lo}, ${hi})`);
    return lo + this.int(hi - lo + 1);
  }

  /**
   * True with probability `p`. p <= 0 is always false and p >= 1 always true, and neither draws,
   * so a disabled impairment costs nothing and consumes no randomness.
   */
  chance(p: number): boolean {
    if (Number.isNaN(p)) throw new RangeError('chance(p): p is NaN');
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.float() < p;
  }

  /** Fill `out` with random bytes: each draw gives four, least significant first. */
  bytes(out: Uint8Array): void {
    let i = 0;
    const words = out.length >>> 2;
    if (LITTLE_ENDIAN && (out.byteOffset & 3) === 0 && words >= 16) {
      // One store a draw instead of four; the same bytes, as the platform is little-endian.
      this.draw(new Uint32Array(out.buffer, out.byteOffset, words), words);
      i = words << 2;
    }
    for (; i + 4 <= out.length; i += 4) {
      const x = this.nextInt32();
      out[i] = x;
      out[i + 1] = x >> 8;
      out[i + 2] = x >> 16;
      out[i + 3] = x >> 24;
    }
    if (i < out.length) {
      let x = this.nextInt32();
      for (; i < out.length; i++) {
        out[i] = x & 0xff;
        x >>>= 8;
      }
    }
  }

  /**
   * An independent generator labelled `label`, seeded from this generator's *current* state
   * (consumes one draw). Use `Random.derive(seed, label)` when the sub-stream must not depend
   * on how much the parent has been used.
   */
  fork(label: string): Random {
    return new Random(deriveSeed(this.next(), label));
  }
}

/**
 * Deterministic bytes for tests: the same seed always yields the same byte stream (xoshiro128**
 * from hosttest/sim/random.ts). `label` selects an independent stream of the same seed, so two
 * hosts in one scenario can share a scenario seed without sharing secrets.
 */
export class SeededEntropy implements Entropy {
  private readonly random: Random;

  constructor(seed: Seed, label = 'entropy') {
    this.random = Random.derive(seed, label);
  }

  fill(bytes: Uint8Array): void {
    this.random.bytes(bytes);
  }
}

/** Seeded entropy that also counts the bytes drawn (tests check what a component takes). */
export class CountingEntropy implements Entropy {
  drawn = 0;
  private readonly inner: SeededEntropy;

  constructor(seed: Seed = 1) {
    this.inner = new SeededEntropy(seed);
  }

  fill(bytes: Uint8Array): void {
    this.drawn += bytes.length;
    this.inner.fill(bytes);
  }
}
