// HalfSipHash-2-4, 32-bit output (src/crypto/halfsiphash.ts) against the reference vectors, and the
// word-based helper against the byte-based function.

import { describe, expect, it } from 'vitest';
import { halfSipHash24, halfSipHashWords } from '../../src/crypto/halfsiphash';
import { Random } from '../sim/random';

// Reference vectors: vectors_hsip32 in vectors.h of github.com/veorq/SipHash (commit f26d35e9,
// "HalfSipHash-2-4-32"): key = 00 01 .. 07, message i = 00 01 .. (i-1) for i = 0..63. Each entry is
// the 4 output bytes as the reference writes them (little-endian), in hex.
const VECTORS_HSIP32 = [
  'a9359f5b', '27475ab8', 'fa62a603', '8afee704', '2a6e4689', 'c5fab669', '5863fc23', '8bcf63c5',
  'd0b8848f', 'f806e779', '94b07934', '08083050', '57f0872f', '77e663ff', 'd6fff87c', '74fe2b97',
  'd9b5ac84', 'c474645b', '465b8d9b', '7befe387', 'e34d1045', '613f62b3', '70f367fe', 'e6adb8bd',
  '27400c63', '26787875', '4f567b5f', '3ab0e669', 'b0644000', 'ff670fb4', '509e338b', '5d589f1a',
  'fee72112', '33753259', '6a434f8c', 'fe28b729', 'e75cc6ec', '697e8d54', '63688b0f', '650b62b4',
  'b6bc1840', '5d074505', '2442fd2e', '7bb7863a', '7705d548', 'd75208b1', 'b6d499c8', '0892202e',
  '69e12ce3', '8db580e5', '369764c6', '016e0204', '3b85f3d4', 'fedb66be', '1e692a3a', 'c68984c0',
  'a5c5b940', '9be9e88c', '7dbc8140', '7c078ec5', 'd4e76c73', '428fcbb9', 'bd83997a', '59ea4a74',
];

// Longer messages (past one length byte: 256 wraps to 0 in the final word). Computed by running the
// reference halfsiphash.c of the same commit with outlen 4, key 00..07, message bytes i mod 256.
const LONG_VECTORS: ReadonlyArray<readonly [number, string]> = [
  [64, '486b7fbc'],
  [255, '413d5851'],
  [256, '9eb1af11'],
  [257, '30c30ce1'],
  [1500, 'a8a17cd9'],
];

/** The reference's little-endian output bytes as a uint32. */
function leHex(hex: string): number {
  const b = (i: number): number => parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return (b(0) | (b(1) << 8) | (b(2) << 16) | (b(3) << 24)) >>> 0;
}

function counting(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i & 0xff;
  return out;
}

const KEY = counting(8);

function beBytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  words.forEach((w, i) => {
    out[4 * i] = w >>> 24;
    out[4 * i + 1] = w >>> 16;
    out[4 * i + 2] = w >>> 8;
    out[4 * i + 3] = w;
  });
  return out;
}

describe('halfSipHash24', () => {
  it('has all 64 reference vectors', () => {
    expect(VECTORS_HSIP32).toHaveLength(64);
  });

  it('matches the 64 reference vectors (key 00..07, messages 00..n-1)', () => {
    const message = counting(64);
    for (let n = 0; n < 64; n++) {
      expect({ n, mac: halfSipHash24(KEY, message, 0, n) }).toEqual({ n, mac: leHex(VECTORS_HSIP32[n]!) });
    }
  });

  it('matches the reference on messages longer than 255 bytes', () => {
    const message = counting(1500);
    for (const [n, hex] of LONG_VECTORS) {
      expect({ n, mac: halfSipHash24(KEY, message, 0, n) }).toEqual({ n, mac: leHex(hex) });
    }
  });

  it('hashes exactly data[offset, offset+length), wherever it sits', () => {
    const message = counting(64);
    const rng = new Random('hsip-offset');
    for (let n = 0; n < 64; n++) {
      const before = rng.int(9);
      const buf = new Uint8Array(before + n + rng.int(9));
      rng.bytes(buf); // surrounding junk must not matter
      buf.set(message.subarray(0, n), before);
      expect(halfSipHash24(KEY, buf, before, n)).toBe(leHex(VECTORS_HSIP32[n]!));
    }
  });

  it('returns a uint32 and depends on every key byte', () => {
    const message = counting(12);
    const base = halfSipHash24(KEY, message, 0, 12);
    expect(Number.isInteger(base) && base >= 0 && base < 2 ** 32).toBe(true);
    for (let i = 0; i < 8; i++) {
      const key = KEY.slice();
      key[i]! ^= 0x01;
      expect(halfSipHash24(key, message, 0, 12)).not.toBe(base);
    }
  });

  it('rejects a key that is not 8 bytes and ranges outside the data', () => {
    const data = new Uint8Array(8);
    expect(() => halfSipHash24(new Uint8Array(16), data, 0, 8)).toThrow(RangeError);
    expect(() => halfSipHash24(new Uint8Array(7), data, 0, 8)).toThrow(RangeError);
    expect(() => halfSipHash24(KEY, data, 0, 9)).toThrow(RangeError);
    expect(() => halfSipHash24(KEY, data, 4, 5)).toThrow(RangeError);
    expect(() => halfSipHash24(KEY, data, -1, 2)).toThrow(RangeError);
    expect(() => halfSipHash24(KEY, data, 0, -1)).toThrow(RangeError);
    expect(() => halfSipHash24(KEY, data, 0.5, 2)).toThrow(RangeError);
    expect(halfSipHash24(KEY, data, 8, 0)).toBe(leHex(VECTORS_HSIP32[0]!));
  });
});

describe('halfSipHashWords', () => {
  it('equals hashing the words big-endian, for every count, on random keys and words', () => {
    const rng = new Random('hsip-words');
    const key = new Uint8Array(8);
    for (let trial = 0; trial < 500; trial++) {
      rng.bytes(key);
      const w = [rng.next(), rng.next(), rng.next(), rng.next()];
      for (let count = 0; count <= 4; count++) {
        const bytes = beBytes(w.slice(0, count));
        expect(halfSipHashWords(key, w[0]!, w[1]!, w[2]!, w[3]!, count)).toBe(halfSipHash24(key, bytes, 0, bytes.length));
      }
    }
  });

  it('ignores words past count', () => {
    expect(halfSipHashWords(KEY, 1, 2, 3, 4, 2)).toBe(halfSipHashWords(KEY, 1, 2, 0xdead, 0xbeef, 2));
    expect(halfSipHashWords(KEY, 1, 2, 3, 4, 0)).toBe(leHex(VECTORS_HSIP32[0]!));
  });

  it('reproduces a reference vector through words (message 00..0f)', () => {
    expect(halfSipHashWords(KEY, 0x00010203, 0x04050607, 0x08090a0b, 0x0c0d0e0f, 4)).toBe(leHex(VECTORS_HSIP32[16]!));
    expect(halfSipHashWords(KEY, 0x00010203, 0, 0, 0, 1)).toBe(leHex(VECTORS_HSIP32[4]!));
  });

  it('treats negative (int32) and uint32 forms of a word alike', () => {
    expect(halfSipHashWords(KEY, 0xc0a80001 | 0, 0, 0, 0, 1)).toBe(halfSipHashWords(KEY, 0xc0a80001, 0, 0, 0, 1));
  });

  it('rejects a count outside 0..4', () => {
    expect(() => halfSipHashWords(KEY, 0, 0, 0, 0, 5)).toThrow(RangeError);
    expect(() => halfSipHashWords(KEY, 0, 0, 0, 0, -1)).toThrow(RangeError);
    expect(() => halfSipHashWords(KEY, 0, 0, 0, 0, 1.5)).toThrow(RangeError);
  });
});
