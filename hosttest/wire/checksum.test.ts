// The Internet checksum: RFC 1071 (sum), RFC 1624 (incremental update), the IPv4 pseudo-header.

import { describe, expect, it } from 'vitest';
import { finish, fold, onesSum, pseudoHeaderSum, updateChecksum } from '../../src/wire/checksum';
import { Prng, pseudoHeaderBytes, refChecksum, refOnesSum } from './helpers';

describe('onesSum / finish (RFC 1071)', () => {
  // RFC 1071 §3 "Numerical Examples": bytes 00 01 f2 03 f4 f5 f6 f7 (words 0001 f203 f4f5 f6f7)
  // sum to 2ddf0, which folds to ddf2; the checksum field is its complement, 220d.
  const example = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);

  it('reproduces the RFC 1071 §3 worked example', () => {
    expect(onesSum(example, 0, 8, 0)).toBe(0xddf2);
    expect(finish(onesSum(example, 0, 8, 0))).toBe(0x220d);
  });

  it('is byte-order independent as RFC 1071 §2(B) says: swapping bytes swaps the sum', () => {
    const swapped = new Uint8Array(example.length);
    for (let i = 0; i < example.length; i += 2) {
      swapped[i] = example[i + 1]!;
      swapped[i + 1] = example[i]!;
    }
    expect(onesSum(swapped, 0, 8, 0)).toBe(0xf2dd);
  });

  it('data followed by its own checksum sums to 0xffff (what every verifier checks)', () => {
    const withSum = new Uint8Array(10);
    withSum.set(example);
    const ck = finish(onesSum(example, 0, 8, 0));
    withSum[8] = ck >>> 8;
    withSum[9] = ck & 0xff;
    expect(onesSum(withSum, 0, 10, 0)).toBe(0xffff);
  });

  it('pads an odd final byte with zero (RFC 1071 §4.1)', () => {
    expect(onesSum(new Uint8Array([0xab]), 0, 1, 0)).toBe(0xab00);
    expect(onesSum(new Uint8Array([0x12, 0x34, 0x56]), 0, 3, 0)).toBe(0x1234 + 0x5600);
    // The odd byte is the high half even when a carry follows.
    expect(onesSum(new Uint8Array([0xff, 0xff, 0x80]), 0, 3, 0)).toBe(0x8000);
  });

  it('of nothing is the initial value, and of zeros is zero', () => {
    expect(onesSum(new Uint8Array(4), 0, 0, 0)).toBe(0);
    expect(onesSum(new Uint8Array(4), 2, 0, 0x1234)).toBe(0x1234);
    expect(onesSum(new Uint8Array(64), 0, 64, 0)).toBe(0);
  });

  it('handles the largest sums without losing a carry (64 KiB of 0xff)', () => {
    const all = new Uint8Array(65536).fill(0xff);
    expect(onesSum(all, 0, all.length, 0)).toBe(0xffff);
    expect(onesSum(all, 0, all.length - 1, 0)).toBe(refOnesSum(all, 0, all.length - 1));
    expect(onesSum(all, 1, 65535, 0xffff)).toBe(refOnesSum(all, 1, 65535, 0xffff));
  });

  it('matches a reference sum for random data at every offset and length parity', () => {
    const rng = new Prng(1071);
    for (let trial = 0; trial < 600; trial++) {
      const buf = rng.bytes(rng.int(1, 200));
      const offset = rng.below(buf.length);
      const length = rng.below(buf.length - offset + 1);
      const initial = rng.pick([0, 0xffff, rng.u16(), rng.u32() >>> 8]);
      const got = onesSum(buf, offset, length, initial);
      const want = refOnesSum(buf, offset, length, initial);
      // 0 and 0xffff are the two zeros of one's complement; the contract returns 0 only when the
      // data and initial value are all zero, which the reference does too.
      expect(got, `trial ${trial} offset ${offset} length ${length}`).toBe(want);
      expect(finish(got)).toBe(refChecksum(buf, offset, length, initial));
    }
  });

  it('chains through `initial`: the sum of two halves equals the sum of the whole (even splits)', () => {
    const rng = new Prng(2);
    for (let trial = 0; trial < 300; trial++) {
      const buf = rng.bytes(rng.int(2, 300));
      const whole = onesSum(buf, 0, buf.length, 0);
      for (let split = 0; split <= buf.length; split += 2) {
        const first = onesSum(buf, 0, split, 0);
        expect(onesSum(buf, split, buf.length - split, first)).toBe(whole);
      }
    }
  });

  it('an odd split does not chain (the second half is shifted by a byte), so even splits matter', () => {
    const buf = new Uint8Array([0x01, 0x02, 0x03, 0x04]);
    const chained = onesSum(buf, 1, 3, onesSum(buf, 0, 1, 0));
    expect(chained).not.toBe(onesSum(buf, 0, 4, 0));
  });
});

describe('fold', () => {
  it('folds with end-around carry, like the reference, for values up to 2^53', () => {
    expect(fold(0)).toBe(0);
    expect(fold(0xffff)).toBe(0xffff);
    expect(fold(0x10000)).toBe(1);
    expect(fold(0x1ffff)).toBe(1);
    expect(fold(0x2ddf0)).toBe(0xddf2);
    const rng = new Prng(53);
    for (let i = 0; i < 500; i++) {
      const v = rng.u32() * 0x200000 + (rng.u32() >>> 11); // up to 2^53
      let want = BigInt(v);
      while (want > 0xffffn) want = (want & 0xffffn) + (want >> 16n);
      expect(fold(v)).toBe(Number(want));
    }
  });
});

describe('pseudoHeaderSum', () => {
  it('equals the sum of the 12-byte pseudo-header built byte by byte', () => {
    const rng = new Prng(768);
    const cases: Array<[number, number, number, number]> = [
      [0, 0, 0, 0],
      [0xffffffff, 0xffffffff, 255, 0xffff],
      [0x0a000102, 0x0a000101, 6, 40],
      [0xc0a80001, 0xc0a800c7, 17, 8],
    ];
    for (let i = 0; i < 300; i++) cases.push([rng.u32(), rng.u32(), rng.pick([1, 6, 17, rng.u8()]), rng.u16()]);
    for (const [src, dst, proto, len] of cases) {
      const p = pseudoHeaderBytes(src, dst, proto, len);
      expect(pseudoHeaderSum(src, dst, proto, len)).toBe(refOnesSum(p));
    }
  });

  it('as `initial` gives the same checksum as summing pseudo-header and segment together', () => {
    const rng = new Prng(9293);
    for (let i = 0; i < 200; i++) {
      const seg = rng.bytes(rng.int(20, 120));
      const src = rng.u32(), dst = rng.u32();
      const joined = new Uint8Array(12 + seg.length);
      joined.set(pseudoHeaderBytes(src, dst, 6, seg.length));
      joined.set(seg, 12);
      expect(finish(onesSum(seg, 0, seg.length, pseudoHeaderSum(src, dst, 6, seg.length)))).toBe(refChecksum(joined));
    }
  });
});

describe('updateChecksum (RFC 1624)', () => {
  /** Words → bytes. */
  const bytesOf = (words: number[]): Uint8Array => {
    const b = new Uint8Array(words.length * 2);
    words.forEach((w, i) => {
      b[i * 2] = w >>> 8;
      b[i * 2 + 1] = w & 0xff;
    });
    return b;
  };
  const full = (words: number[]): number => refChecksum(bytesOf(words));

  it('gets RFC 1624 §3\'s example right: 0x0000, where eqn. 2 would give 0xffff', () => {
    // Sum of the other header words is 0xcd7a; m = 0x5555 changes to m' = 0x3285.
    const hc = 0xffff - ((0xcd7a + 0x5555) % 0xffff); // ~(C + m) = 0xdd2f
    expect(hc).toBe(0xdd2f);
    expect(updateChecksum(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
    expect(full([0xcd7a, 0x3285])).toBe(0x0000);
    expect(full([0xcd7a, 0x5555])).toBe(0xdd2f);
  });

  it('equals a full recompute after changing one word, over random data (seeded)', () => {
    const rng = new Prng(1624);
    for (let trial = 0; trial < 3000; trial++) {
      const n = rng.int(2, 30);
      // Word 0 is fixed non-zero, as in every real header (IPv4 version/IHL, the pseudo-header's
      // protocol), so the data is never all zeros.
      const words = [0x4500 | rng.u8()];
      for (let i = 1; i < n; i++) words.push(rng.pick([0x0000, 0xffff, rng.u16(), rng.u16()]));
      const j = rng.int(1, n - 1);
      const before = full(words);
      const m = words[j]!;
      const m2 = rng.pick([0x0000, 0xffff, rng.u16(), (m + 1) & 0xffff, (~m) & 0xffff]);
      words[j] = m2;
      expect(updateChecksum(before, m, m2), `trial ${trial}`).toBe(full(words));
    }
  });

  it('handles the 0x0000 / 0xffff edge cases of RFC 1624 §3', () => {
    const rng = new Prng(3);
    for (let trial = 0; trial < 500; trial++) {
      // Choose the new word so that the new data sums to one's-complement zero (checksum 0x0000),
      // and the old word so that the old data does (checksum 0x0000 before the change).
      const others = [0x4500 | rng.u8(), rng.u16(), rng.u16()];
      const c = refOnesSum(bytesOf(others));
      const toZero = 0xffff - c; // c + toZero = 0xffff
      for (const [m, m2] of [
        [rng.u16(), toZero],
        [toZero, rng.u16()],
        [toZero, 0x0000],
        [toZero, 0xffff],
        [0x0000, 0xffff],
        [0xffff, 0x0000],
        [0x0000, toZero],
        [0xffff, toZero],
      ] as const) {
        const before = full([...others, m]);
        expect(updateChecksum(before, m, m2), `c=${c.toString(16)} m=${m} m'=${m2}`).toBe(full([...others, m2]));
      }
    }
  });

  it('keeps a real header valid after a TTL decrement (the router use in RFC 1624 §1)', () => {
    const hdr = new Uint8Array([
      0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01, 0x00, 0x00,
      0x0a, 0x00, 0x01, 0x02, 0x0a, 0x00, 0x02, 0x02,
    ]);
    let ck = refChecksum(hdr);
    hdr[10] = ck >>> 8;
    hdr[11] = ck & 0xff;
    for (let ttl = 64; ttl > 0; ttl--) {
      const oldWord = (hdr[8]! << 8) | hdr[9]!;
      hdr[8] = ttl - 1;
      const newWord = (hdr[8]! << 8) | hdr[9]!;
      ck = updateChecksum(ck, oldWord, newWord);
      hdr[10] = ck >>> 8;
      hdr[11] = ck & 0xff;
      expect(refOnesSum(hdr)).toBe(0xffff);
    }
  });
});
