import { describe, expect, it } from 'vitest';
import { Random, deriveSeed, seedToUint32 } from './random.js';

/** |observed - expected| within k standard deviations of a binomial(n, p). */
function withinBinomial(observed: number, n: number, p: number, k = 5): boolean {
  const sigma = Math.sqrt(n * p * (1 - p));
  return Math.abs(observed - n * p) <= k * sigma;
}

describe('xoshiro128**', () => {
  it('matches the reference output for state (1, 2, 3, 4)', () => {
    // First outputs of the reference C implementation (xoshiro128starstar.c) from s = {1,2,3,4},
    // as also used by the Rust rand_xoshiro test suite.
    const r = Random.fromState(1, 2, 3, 4);
    const expected = [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804];
    expect(expected.map(() => r.next())).toEqual(expected);
  });

  it('rejects the all-zero state', () => {
    expect(() => Random.fromState(0, 0, 0, 0)).toThrow(RangeError);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const draw = (seed: number | string): number[] => {
      const r = new Random(seed);
      return Array.from({ length: 8 }, () => r.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw('scenario')).toEqual(draw('scenario'));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(0)).not.toEqual(draw(1));
    expect(draw('a')).not.toEqual(draw('b'));
    for (const x of draw(7)) expect(Number.isInteger(x) && x >= 0 && x < 2 ** 32).toBe(true);
  });

  it('normalises seeds and rejects non-integers', () => {
    expect(seedToUint32(-1)).toBe(0xffffffff);
    expect(seedToUint32(5)).toBe(5);
    expect(seedToUint32(2 ** 32 + 5)).not.toBe(5); // the high part is folded in
    expect(() => new Random(1.5)).toThrow(RangeError);
    expect(() => new Random(Number.NaN)).toThrow(RangeError);
  });

  it('derives sub-streams that depend on the label, not on parent consumption', () => {
    expect(deriveSeed(1, 'link/0/loss')).not.toBe(deriveSeed(1, 'link/0/jitter'));
    expect(deriveSeed(1, 'x')).not.toBe(deriveSeed(2, 'x'));
    const a = Random.derive(9, 'host-a');
    const b = Random.derive(9, 'host-a');
    expect(a.next()).toBe(b.next());
    // fork() depends on the parent's state: two forks of the same label differ.
    const parent = new Random(9);
    expect(parent.fork('x').next()).not.toBe(parent.fork('x').next());
  });

  it('float() is in [0, 1) with mean near 1/2', () => {
    const r = new Random(3);
    let sum = 0;
    let outside = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = r.float();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
    }
    expect(outside).toBe(0);
    // Var of U(0,1) is 1/12; 6 sigma of the mean.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 12 / n));
  });

  it('int(n) stays in range and is uniform over buckets', () => {
    const r = new Random(11);
    const n = 100_000;
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = r.int(10);
      if (Number.isInteger(x) && x >= 0 && x < 10) buckets[x]!++;
      else outside++;
    }
    expect(outside).toBe(0);
    for (const count of buckets) expect(withinBinomial(count, n, 0.1)).toBe(true);
    expect(r.int(1)).toBe(0);
    expect(() => r.int(0)).toThrow(RangeError);
    expect(() => r.int(2.5)).toThrow(RangeError);
    const big = r.int(2 ** 32);
    expect(big >= 0 && big < 2 ** 32).toBe(true);
    for (let i = 0; i < 1000; i++) {
      const x = r.range(-3, 3);
      expect(x >= -3 && x <= 3).toBe(true);
    }
  });

  it('chance(p) honours the extremes and the rate', () => {
    const r = new Random(5);
    const n = 50_000;
    let hits = 0;
    let wrongExtremes = 0;
    for (let i = 0; i < n; i++) {
      if (r.chance(0) || !r.chance(1)) wrongExtremes++;
      if (r.chance(0.3)) hits++;
    }
    expect(wrongExtremes).toBe(0);
    expect(withinBinomial(hits, n, 0.3)).toBe(true);
    expect(() => r.chance(Number.NaN)).toThrow(RangeError);
  });

  it('chance(0) and chance(1) consume no randomness', () => {
    const a = new Random(8);
    const b = new Random(8);
    a.chance(0);
    a.chance(1);
    expect(a.next()).toBe(b.next());
  });

  it('bytes() fills any length deterministically from the uint32 stream, little-endian', () => {
    const a = new Random(21);
    const out = new Uint8Array(7);
    a.bytes(out);
    const b = new Random(21);
    const w0 = b.next();
    const w1 = b.next();
    expect([...out]).toEqual([w0 & 0xff, (w0 >>> 8) & 0xff, (w0 >>> 16) & 0xff, w0 >>> 24, w1 & 0xff, (w1 >>> 8) & 0xff, (w1 >>> 16) & 0xff]);
  });
});
