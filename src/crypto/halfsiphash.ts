// HalfSipHash-2-4: the 32-bit-word member of the SipHash family (J.-P. Aumasson, D. J. Bernstein;
// reference implementation and test vectors: github.com/veorq/SipHash, halfsiphash.c / vectors.h).
// A 64-bit key and, here, a 32-bit output: the keyed MAC behind ISNs (RFC 6528), ephemeral ports
// (RFC 6056 §3.3.4), the SYN cache's bucket hash and SYN cookies. It is a PRF for short inputs,
// not a general-purpose cryptographic hash; 32 bits of output is what those uses need.
//
// Only 32-bit adds, rotates and xors (no Math.imul, no BigInt), so the same code is fast under V8
// and cheap under XS. The message words wait in a small module-level block and the state lives in
// local variables of one function (`compress`) that runs every round of a call: no allocation per
// call, no function call per word or per round (under XS a call costs more than a round), and no
// state kept between calls (under V8 an int32 stored in a module variable may be boxed: measured,
// twice the time of the whole hash). Nothing here calls back out, so calls never interleave.
//
// Layout: the message is read as little-endian 32-bit words m; each word is absorbed with c = 2
// rounds (v3 ^= m; 2 rounds; v0 ^= m); the last word carries the message length (mod 256) in its
// top byte and the 0–3 leftover bytes below it; finalisation xors 0xff into v2, runs d = 4 rounds
// and returns v1 ^ v3.

/** Initial state constants ("lyge", "tedb": the halves of SipHash's "somepseudorandomlygeneratedbytes"). */
const INIT_V2 = 0x6c796765;
const INIT_V3 = 0x74656462;

/** Message words (little-endian, as int32) waiting for `compress`; a longer message goes in blocks. */
const BLOCK_WORDS = 8;
const block = new Int32Array(BLOCK_WORDS);
/** The state (v0..v3) between the blocks of a message longer than one block. */
const carried = new Int32Array(4);

/** Key word 0 or 1 (little-endian); the key's length is checked by `checkKey`. */
function keyWord(key: Uint8Array, o: number): number {
  return key[o]! | (key[o + 1]! << 8) | (key[o + 2]! << 16) | (key[o + 3]! << 24);
}

function checkKey(key: Uint8Array): void {
  if (key.length !== 8) throw new RangeError(`HalfSipHash key must be 8 bytes, got ${key.length}`);
}

/**
 * From the state (a, b, c, d) = (v0, v1, v2, v3), absorb block[0, n) (c = 2 SipRounds a word:
 * v3 ^= m, rounds, v0 ^= m); then, when `final`, finalise (v2 ^= 0xff, d = 4 rounds) and return
 * the tag v1 ^ v3, else leave the state in `carried` and return 0. One SipRound (rotations 5, 16,
 * 8, 7, 13, 16) written once, driven by a count of the rounds left in a word or the finalisation.
 */
function compress(a: number, b: number, c: number, d: number, n: number, final: boolean): number {
  let finalisation = final;
  let i = 0;
  let m = 0;
  let left = 0;
  // Bounded: 2 rounds for each of the n words, then 4 rounds at most.
  for (;;) {
    if (left === 0) {
      a ^= m; // the end of the previous word (m is 0 before the first word and in finalisation)
      if (i < n) {
        m = block[i++]!;
        d ^= m;
        left = 2;
      } else if (finalisation) {
        m = 0;
        c ^= 0xff;
        left = 4;
        finalisation = false;
      } else {
        break;
      }
    }
    a = (a + b) | 0;
    b = ((b << 5) | (b >>> 27)) ^ a;
    a = (a << 16) | (a >>> 16);
    c = (c + d) | 0;
    d = ((d << 8) | (d >>> 24)) ^ c;
    a = (a + d) | 0;
    d = ((d << 7) | (d >>> 25)) ^ a;
    c = (c + b) | 0;
    b = ((b << 13) | (b >>> 19)) ^ c;
    c = (c << 16) | (c >>> 16);
    left--;
  }
  if (final) return (b ^ d) >>> 0;
  carried[0] = a;
  carried[1] = b;
  carried[2] = c;
  carried[3] = d;
  return 0;
}

/**
 * HalfSipHash-2-4 with a 32-bit result of data[offset, offset+length) under an 8-byte key. The
 * signature of `Accelerators.mac` (src/platform.ts). Throws RangeError for a key that is not 8
 * bytes or a range outside `data` (programming errors, not input errors).
 */
export function halfSipHash24(key: Uint8Array, data: Uint8Array, offset: number, length: number): number {
  if (!((offset >>> 0) === offset && (length >>> 0) === length && offset + length <= data.length)) {
    throw new RangeError(`halfSipHash24: range [${offset}, ${offset + length}) outside ${data.length} bytes`);
  }
  checkKey(key);
  const k0 = keyWord(key, 0), k1 = keyWord(key, 4);
  let a = k0, b = k1, c = k0 ^ INIT_V2, d = k1 ^ INIT_V3;
  const whole = offset + (length & ~3);
  let p = offset;
  let n = 0;
  for (; p < whole; p += 4) {
    block[n++] = data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24);
    if (n === BLOCK_WORDS) {
      compress(a, b, c, d, n, false);
      a = carried[0]!;
      b = carried[1]!;
      c = carried[2]!;
      d = carried[3]!;
      n = 0;
    }
  }
  // Length (mod 256) in the top byte, the 0–3 leftover bytes little-endian below it.
  let last = length << 24;
  const rest = length & 3;
  if (rest > 0) last |= data[p]!;
  if (rest > 1) last |= data[p + 1]! << 8;
  if (rest > 2) last |= data[p + 2]! << 16;
  block[n++] = last;
  return compress(a, b, c, d, n, true);
}

/** The 4 bytes of `w` in big-endian order, read back as a little-endian word (a byte swap). */
function beWord(w: number): number {
  return (w >>> 24) | ((w >>> 8) & 0xff00) | ((w & 0xff00) << 8) | (w << 24);
}

/** HalfSipHash-2-4 of the first `count` (0–5) of w0..w4 as big-endian bytes; count is valid. */
function wordsHash(key: Uint8Array, w0: number, w1: number, w2: number, w3: number, w4: number, count: number): number {
  checkKey(key);
  if (count > 0) block[0] = beWord(w0);
  if (count > 1) block[1] = beWord(w1);
  if (count > 2) block[2] = beWord(w2);
  if (count > 3) block[3] = beWord(w3);
  if (count > 4) block[4] = beWord(w4);
  block[count] = (count * 4) << 24;
  const k0 = keyWord(key, 0), k1 = keyWord(key, 4);
  return compress(k0, k1, k0 ^ INIT_V2, k1 ^ INIT_V3, count + 1, true);
}

/**
 * HalfSipHash-2-4 of the first `count` (0–4) of w0..w3, each taken as 4 big-endian bytes (network
 * order, the way addresses and ports sit in a header), without building a byte array: equal to
 * `halfSipHash24(key, bytes, 0, 4 * count)` where `bytes` holds those words big-endian. Words past
 * `count` are ignored.
 */
export function halfSipHashWords(
  key: Uint8Array, w0: number, w1: number, w2: number, w3: number, count: number,
): number {
  if (!((count | 0) === count && count >= 0 && count <= 4)) throw new RangeError(`halfSipHashWords: count must be 0..4, got ${count}`);
  return wordsHash(key, w0, w1, w2, w3, 0, count);
}

/**
 * HalfSipHash-2-4 of the five words w0..w4 as big-endian bytes: equal to
 * `halfSipHash24(key, bytes, 0, 20)` where `bytes` holds them big-endian (the SYN cookie's MAC input).
 */
export function halfSipHashWords5(key: Uint8Array, w0: number, w1: number, w2: number, w3: number, w4: number): number {
  return wordsHash(key, w0, w1, w2, w3, w4, 5);
}
