// HalfSipHash-2-4: the 32-bit-word member of the SipHash family (J.-P. Aumasson, D. J. Bernstein;
// reference implementation and test vectors: github.com/veorq/SipHash, halfsiphash.c / vectors.h).
// A 64-bit key and, here, a 32-bit output: the keyed MAC behind ISNs (RFC 6528), ephemeral ports
// (RFC 6056 §3.3.4), the SYN cache's bucket hash and SYN cookies. It is a PRF for short inputs,
// not a general-purpose cryptographic hash; 32 bits of output is what those uses need.
//
// Only 32-bit adds, rotates and xors (no Math.imul, no BigInt), so the same code is fast under V8
// and cheap under XS. The state lives in four module-level variables: no allocation per call, and
// nothing here calls back out, so a call can never interleave with another.
//
// Layout: the message is read as little-endian 32-bit words m; each word is absorbed with c = 2
// rounds (v3 ^= m; 2 rounds; v0 ^= m); the last word carries the message length (mod 256) in its
// top byte and the 0–3 leftover bytes below it; finalisation xors 0xff into v2, runs d = 4 rounds
// and returns v1 ^ v3.

/** Initial state constants ("lyge", "tedb": the halves of SipHash's "somepseudorandomlygeneratedbytes"). */
const INIT_V2 = 0x6c796765;
const INIT_V3 = 0x74656462;

let v0 = 0;
let v1 = 0;
let v2 = 0;
let v3 = 0;

/** Load the key (two little-endian words) into the state. */
function start(key: Uint8Array): void {
  if (key.length !== 8) throw new RangeError(`HalfSipHash key must be 8 bytes, got ${key.length}`);
  const k0 = key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24);
  const k1 = key[4]! | (key[5]! << 8) | (key[6]! << 16) | (key[7]! << 24);
  v0 = k0;
  v1 = k1;
  v2 = k0 ^ INIT_V2;
  v3 = k1 ^ INIT_V3;
}

/** `n` SipRounds on the 32-bit state: rotations 5, 16, 8, 7, 13, 16. Rotates written out inline. */
function rounds(n: number): void {
  let a = v0;
  let b = v1;
  let c = v2;
  let d = v3;
  for (let i = 0; i < n; i++) {
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
  }
  v0 = a;
  v1 = b;
  v2 = c;
  v3 = d;
}

/** Absorb one message word (compression: c = 2 rounds). */
function absorb(m: number): void {
  v3 ^= m;
  rounds(2);
  v0 ^= m;
}

/** Absorb the final (length) word, finalise (d = 4 rounds) and return the 32-bit tag. */
function finish(last: number): number {
  absorb(last);
  v2 ^= 0xff;
  rounds(4);
  return (v1 ^ v3) >>> 0;
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
  start(key);
  const whole = offset + (length & ~3);
  let p = offset;
  for (; p < whole; p += 4) {
    absorb(data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24));
  }
  // Length (mod 256) in the top byte, the 0–3 leftover bytes little-endian below it.
  let last = length << 24;
  const rest = length & 3;
  if (rest > 0) last |= data[p]!;
  if (rest > 1) last |= data[p + 1]! << 8;
  if (rest > 2) last |= data[p + 2]! << 16;
  return finish(last);
}

/** The 4 bytes of `w` in big-endian order, read back as a little-endian word (a byte swap). */
function beWord(w: number): number {
  return (w >>> 24) | ((w >>> 8) & 0xff00) | ((w & 0xff00) << 8) | (w << 24);
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
  start(key);
  if (count > 0) absorb(beWord(w0));
  if (count > 1) absorb(beWord(w1));
  if (count > 2) absorb(beWord(w2));
  if (count > 3) absorb(beWord(w3));
  return finish((count * 4) << 24);
}
