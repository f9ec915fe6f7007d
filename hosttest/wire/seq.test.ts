// Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4), across the wrap.

import { describe, expect, it } from 'vitest';
import {
  seqAdd, seqDiff, seqGeq, seqGt, seqInRange, seqLeq, seqLt, seqMax, seqMin,
} from '../../src/wire/seq';
import { Prng } from './helpers';

const TWO32 = 2 ** 32;
const HALF = 2 ** 31;

/** Reference: the signed distance a - b, taken in (-2^31, 2^31] … computed with BigInt. */
function refDiff(a: number, b: number): number {
  let d = (BigInt(a) - BigInt(b)) % BigInt(TWO32);
  if (d < 0n) d += BigInt(TWO32);
  return d >= BigInt(HALF) ? Number(d) - TWO32 : Number(d);
}

/** Pairs that straddle the wrap, plus random ones; never exactly 2^31 apart (undefined order). */
function pairs(): Array<[number, number]> {
  const edges = [0, 1, 2, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x12345678];
  const out: Array<[number, number]> = [];
  for (const a of edges) for (const b of edges) out.push([a, b]);
  const rng = new Prng(9293);
  for (let i = 0; i < 2000; i++) {
    const a = rng.u32();
    const near = rng.pick([1, 2, 100, 65535, 0x3fffffff, 0x7fffffff]);
    out.push([a, rng.bool() ? (a + rng.below(near + 1)) >>> 0 : (a - rng.below(near + 1)) >>> 0]);
    out.push([a, rng.u32()]);
  }
  return out.filter(([a, b]) => ((a - b) >>> 0) !== HALF);
}

describe('sequence arithmetic', () => {
  it('seqDiff is the signed 32-bit distance', () => {
    expect(seqDiff(0, 0xffffffff)).toBe(1);
    expect(seqDiff(0xffffffff, 0)).toBe(-1);
    expect(seqDiff(5, 0xfffffffb)).toBe(10);
    expect(seqDiff(0x7fffffff, 0)).toBe(0x7fffffff);
    for (const [a, b] of pairs()) expect(seqDiff(a, b)).toBe(refDiff(a, b));
  });

  it('seqAdd wraps and always yields a uint32', () => {
    expect(seqAdd(0xffffffff, 1)).toBe(0);
    expect(seqAdd(0xfffffff0, 0x20)).toBe(0x10);
    expect(seqAdd(0, -1)).toBe(0xffffffff);
    expect(seqAdd(0x80000000, 0x80000000)).toBe(0);
    const rng = new Prng(1);
    for (let i = 0; i < 1000; i++) {
      const a = rng.u32();
      const n = rng.u32() - HALF;
      const r = seqAdd(a, n);
      expect(r).toBe(Number((BigInt(a) + BigInt(n) + BigInt(TWO32)) % BigInt(TWO32)));
      expect(seqDiff(r, a)).toBe(n);
    }
  });

  it('comparisons agree with the reference distance for all pairs, across the wrap', () => {
    for (const [a, b] of pairs()) {
      const d = refDiff(a, b);
      const msg = `a=${a.toString(16)} b=${b.toString(16)}`;
      expect(seqLt(a, b), msg).toBe(d < 0);
      expect(seqLeq(a, b), msg).toBe(d <= 0);
      expect(seqGt(a, b), msg).toBe(d > 0);
      expect(seqGeq(a, b), msg).toBe(d >= 0);
      // Exactly one of <, ==, > holds, and the order is antisymmetric.
      expect([seqLt(a, b), a === b, seqGt(a, b)].filter(Boolean)).toHaveLength(1);
      expect(seqLt(a, b)).toBe(seqGt(b, a));
      expect(seqLeq(a, b)).toBe(seqGeq(b, a));
    }
  });

  it('orders numbers just past the wrap after numbers just before it', () => {
    expect(seqLt(0xffffffff, 0)).toBe(true);
    expect(seqGt(0, 0xffffffff)).toBe(true);
    expect(seqLt(0xfffffff0, 0x10)).toBe(true);
    expect(seqLeq(0xfffffff0, 0x10)).toBe(true);
    expect(seqGeq(0x10, 0xfffffff0)).toBe(true);
    expect(seqLeq(7, 7) && seqGeq(7, 7) && !seqLt(7, 7) && !seqGt(7, 7)).toBe(true);
    // A raw `<` would get every one of these wrong.
    expect(0xffffffff < 0).toBe(false);
  });

  it('seqMax / seqMin choose by modular order', () => {
    expect(seqMax(0xffffffff, 1)).toBe(1);
    expect(seqMin(0xffffffff, 1)).toBe(0xffffffff);
    expect(seqMax(5, 5)).toBe(5);
    for (const [a, b] of pairs()) {
      const d = refDiff(a, b);
      expect(seqMax(a, b)).toBe(d >= 0 ? a : b);
      expect(seqMin(a, b)).toBe(d <= 0 ? a : b);
    }
  });

  it('seqInRange is lo <= x < hi modulo 2^32', () => {
    // A window that straddles the wrap.
    const lo = 0xfffffff0, hi = 0x10;
    expect(seqInRange(lo, lo, hi)).toBe(true);
    expect(seqInRange(0xffffffff, lo, hi)).toBe(true);
    expect(seqInRange(0, lo, hi)).toBe(true);
    expect(seqInRange(0xf, lo, hi)).toBe(true);
    expect(seqInRange(hi, lo, hi)).toBe(false);
    expect(seqInRange(0xffffffef, lo, hi)).toBe(false);
    expect(seqInRange(0x80000000, lo, hi)).toBe(false);
    // Empty when lo == hi.
    expect(seqInRange(5, 5, 5)).toBe(false);
    expect(seqInRange(0, 0xffffffff, 0xffffffff)).toBe(false);
    // Random windows shorter than 2^31 against the distance reference.
    const rng = new Prng(4);
    for (let i = 0; i < 3000; i++) {
      const l = rng.u32();
      const size = rng.pick([0, 1, 2, 1000, rng.below(HALF)]);
      const h = (l + size) >>> 0;
      const x = rng.bool() ? (l + rng.below(size + 2)) >>> 0 : (l - rng.below(1000)) >>> 0;
      const off = refDiff(x, l);
      const want = off >= 0 && off < size;
      expect(seqInRange(x, l, h), `x=${x} lo=${l} size=${size}`).toBe(want);
    }
  });
});
