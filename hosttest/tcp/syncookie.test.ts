// SYN cookies (src/tcp/syncookie.ts): the 32-bit layout, option round trips and rounding, the
// lifetime of one to two periods with two rotating secrets, resistance to forged and replayed
// cookies, the accelerator seam, and failing closed on garbage.

import { describe, expect, it } from 'vitest';
import { halfSipHash24 } from '../../src/crypto/halfsiphash';
import type { Accelerators } from '../../src/platform';
import { COOKIE_MSS_TABLE, COOKIE_WSCALE_TABLE, type CookieOptions, SynCookies } from '../../src/tcp/syncookie';
import { Random, SeededEntropy } from '../sim/random';
import { CountingEntropy } from '../sim/random';

const PERIOD = 15_000;
const LOCAL = 0xc0a80001; // 192.168.0.1
const REMOTE = 0x0a000002; // 10.0.0.2
const LPORT = 80;
const RPORT = 49_152;
const IRS = 0x89abcdef;
/** A time in an even period (period 10). */
const T0 = 10 * PERIOD + 1234;

/** Entropy that counts what was drawn. */

function fresh(): CookieOptions {
  return { mss: -7, windowScale: -7, sackPermitted: false };
}

function cookies(seed = 1, mac?: Accelerators['mac']): SynCookies {
  return new SynCookies(new SeededEntropy(seed), PERIOD, mac);
}

/** check() on the default tuple; the decoded options, or null when rejected. */
function checkDefault(sc: SynCookies, cookie: number, now: number): CookieOptions | null {
  const out = fresh();
  return sc.check(cookie, LOCAL, LPORT, REMOTE, RPORT, IRS, now, out) ? out : null;
}

function makeDefault(sc: SynCookies, now: number, mss = 1460, ws = 7, sack = true): number {
  return sc.make(LOCAL, LPORT, REMOTE, RPORT, IRS, mss, ws, sack, now);
}

/** The documented 20-byte MAC input, built independently with a DataView. */
function macInput(localIp: number, localPort: number, remoteIp: number, remotePort: number, irs: number, period: number, low: number): Uint8Array {
  const b = new Uint8Array(20);
  const v = new DataView(b.buffer);
  v.setUint32(0, localIp);
  v.setUint32(4, remoteIp);
  v.setUint16(8, localPort);
  v.setUint16(10, remotePort);
  v.setUint32(12, irs);
  v.setUint32(16, ((period % 0x100_0000) * 256 + low));
  return b;
}

describe('tables', () => {
  it('has 8 ascending MSS values from 216 to 1460', () => {
    expect(COOKIE_MSS_TABLE).toHaveLength(8);
    expect(COOKIE_MSS_TABLE[0]).toBe(216);
    expect(COOKIE_MSS_TABLE[7]).toBe(1460);
    for (let i = 1; i < 8; i++) expect(COOKIE_MSS_TABLE[i]!).toBeGreaterThan(COOKIE_MSS_TABLE[i - 1]!);
  });

  it('has 7 ascending window shifts within RFC 7323 limits, starting at 0', () => {
    expect(COOKIE_WSCALE_TABLE).toHaveLength(7);
    expect(COOKIE_WSCALE_TABLE[0]).toBe(0);
    for (let i = 1; i < 7; i++) expect(COOKIE_WSCALE_TABLE[i]!).toBeGreaterThan(COOKIE_WSCALE_TABLE[i - 1]!);
    expect(COOKIE_WSCALE_TABLE[6]!).toBeLessThanOrEqual(14);
  });

  it('are frozen', () => {
    expect(Object.isFrozen(COOKIE_MSS_TABLE)).toBe(true);
    expect(Object.isFrozen(COOKIE_WSCALE_TABLE)).toBe(true);
  });
});

describe('option round trip', () => {
  const shifts = [-1, ...COOKIE_WSCALE_TABLE];
  for (const mss of COOKIE_MSS_TABLE) {
    it(`MSS ${mss} with every window-scale index and both SACK values`, () => {
      const sc = cookies();
      for (const ws of shifts) {
        for (const sack of [false, true]) {
          const cookie = makeDefault(sc, T0, mss, ws, sack);
          expect(checkDefault(sc, cookie, T0)).toEqual({ mss, windowScale: ws, sackPermitted: sack });
        }
      }
    });
  }

  it('lays the low byte out as MSS index | WS index | SACK | slot', () => {
    const sc = cookies();
    for (let m = 0; m < 8; m++) {
      for (let w = 0; w < 8; w++) {
        for (const sack of [0, 1]) {
          for (const now of [T0, T0 + PERIOD]) {
            const ws = w === 0 ? -1 : COOKIE_WSCALE_TABLE[w - 1]!;
            const cookie = makeDefault(sc, now, COOKIE_MSS_TABLE[m]!, ws, sack === 1);
            const slot = Math.floor(now / PERIOD) & 1;
            expect(cookie & 0xff).toBe((m << 5) | (w << 2) | (sack << 1) | slot);
          }
        }
      }
    }
  });

  it('rounds an MSS between entries down, below the table to 216, above it to 1460', () => {
    const sc = cookies();
    const mssOf = (mss: number): number => checkDefault(sc, makeDefault(sc, T0, mss), T0)!.mss;
    for (let i = 0; i < 7; i++) {
      const lo = COOKIE_MSS_TABLE[i]!, hi = COOKIE_MSS_TABLE[i + 1]!;
      expect(mssOf(lo + 1)).toBe(lo);
      expect(mssOf(hi - 1)).toBe(lo);
      expect(mssOf(Math.floor((lo + hi) / 2))).toBe(lo);
    }
    expect(mssOf(0)).toBe(216);
    expect(mssOf(88)).toBe(216);
    expect(mssOf(215)).toBe(216);
    expect(mssOf(1461)).toBe(1460);
    expect(mssOf(8960)).toBe(1460);
    expect(mssOf(65535)).toBe(1460);
  });

  it('rounds a window shift between entries down and any large shift to the largest entry', () => {
    const sc = cookies();
    const wsOf = (ws: number): number => checkDefault(sc, makeDefault(sc, T0, 1460, ws), T0)!.windowScale;
    for (let shift = 0; shift <= 255; shift++) {
      let expected = 0;
      for (const t of COOKIE_WSCALE_TABLE) if (t <= shift) expected = t;
      expect(wsOf(shift)).toBe(expected);
    }
    expect(wsOf(14)).toBe(COOKIE_WSCALE_TABLE[6]);
    expect(wsOf(255)).toBe(COOKIE_WSCALE_TABLE[6]);
    // A shift of 0 is not "no option": the peer can still take our scaled window.
    expect(wsOf(0)).toBe(0);
    expect(wsOf(-1)).toBe(-1);
  });

  it('leaves `out` alone when a cookie is rejected', () => {
    const sc = cookies();
    const cookie = makeDefault(sc, T0);
    const out = fresh();
    expect(sc.check(cookie ^ 0x100, LOCAL, LPORT, REMOTE, RPORT, IRS, T0, out)).toBe(false);
    expect(out).toEqual(fresh());
  });
});

describe('MAC layout', () => {
  it('is the top 24 bits of HalfSipHash-2-4 over the documented 20 bytes under the slot secret', () => {
    const seed = 77;
    const sc = new SynCookies(new SeededEntropy(seed), PERIOD);
    const replay = new SeededEntropy(seed);
    // Period 10 (slot 0) draws the first 8 bytes, period 11 (slot 1) the next 8.
    const key10 = new Uint8Array(8), key11 = new Uint8Array(8);
    replay.fill(key10);
    replay.fill(key11);
    const cases: Array<[number, number, number, number, number, number, number, boolean, number, Uint8Array]> = [
      [LOCAL, LPORT, REMOTE, RPORT, IRS, 1460, 7, true, T0, key10],
      [0xffffffff, 65535, 0, 1, 0, 536, -1, false, T0 + 5, key10],
      [0x01020304, 443, 0xfffffffe, 65535, 0xffffffff, 1380, 9, true, T0 + PERIOD, key11],
    ];
    for (const [lip, lport, rip, rport, irs, mss, ws, sack, now, key] of cases) {
      const cookie = sc.make(lip, lport, rip, rport, irs, mss, ws, sack, now);
      const low = cookie & 0xff;
      const period = Math.floor(now / PERIOD);
      const h = halfSipHash24(key, macInput(lip, lport, rip, rport, irs, period, low), 0, 20);
      expect(cookie).toBe(((h & 0xffffff00) | low) >>> 0);
    }
  });

  it('two slots hold different secrets', () => {
    const sc = cookies();
    const a = makeDefault(sc, T0);
    const b = makeDefault(sc, T0 + PERIOD);
    expect(a & 0xff).toBe((b & 0xff) ^ 1);
    expect(a >>> 8).not.toBe(b >>> 8);
  });

  it('spreads MACs over all 24 bits (few collisions among 4096 cookies)', () => {
    const sc = cookies(5);
    const seen = new Set<number>();
    let collisions = 0;
    for (let i = 0; i < 4096; i++) {
      const mac = sc.make(LOCAL, LPORT, REMOTE, RPORT, i * 7919, 1460, 7, true, T0) >>> 8;
      if (seen.has(mac)) collisions++;
      seen.add(mac);
    }
    // Expected 4096^2 / 2 / 2^24 = 0.5 collisions for a 24-bit MAC; a 16-bit one would give ~128.
    expect(collisions).toBeLessThanOrEqual(4);
  });
});

describe('lifetime and secret rotation', () => {
  it('accepts a cookie from the first ms of a period until the last ms of the next period', () => {
    const sc = cookies();
    const start = 10 * PERIOD;
    const cookie = makeDefault(sc, start);
    for (const now of [start, start + 1, start + PERIOD - 1, start + PERIOD, start + 2 * PERIOD - 1]) {
      expect(checkDefault(sc, cookie, now), `t=${now}`).not.toBeNull();
    }
    expect(checkDefault(sc, cookie, start + 2 * PERIOD)).toBeNull();
    expect(checkDefault(sc, cookie, start + 3 * PERIOD)).toBeNull();
  });

  it('a cookie made in the last ms of a period lives one period and a ms', () => {
    const sc = cookies();
    const made = 11 * PERIOD - 1;
    const cookie = makeDefault(sc, made);
    expect(checkDefault(sc, cookie, made + PERIOD)).not.toBeNull();
    expect(checkDefault(sc, cookie, made + PERIOD + 1)).toBeNull();
  });

  it('stays valid while cookies of the next period are made under the other secret', () => {
    const sc = cookies();
    const old = makeDefault(sc, T0);
    const next = makeDefault(sc, T0 + PERIOD);
    expect(checkDefault(sc, old, T0 + PERIOD + 1)).not.toBeNull();
    expect(checkDefault(sc, next, T0 + PERIOD + 1)).not.toBeNull();
  });

  it('is rejected two periods later, whether or not the slot has been rotated yet', () => {
    const sc = cookies();
    const cookie = makeDefault(sc, T0);
    expect(checkDefault(sc, cookie, T0 + 2 * PERIOD)).toBeNull();
    makeDefault(sc, T0 + 2 * PERIOD); // rotates slot 0
    expect(checkDefault(sc, cookie, T0 + 2 * PERIOD)).toBeNull();
  });

  it('is rejected for good once its slot secret has rotated, even if the clock stepped back', () => {
    const entropy = new CountingEntropy(3);
    const sc = new SynCookies(entropy, PERIOD);
    const cookie = makeDefault(sc, T0);
    expect(entropy.drawn).toBe(8);
    makeDefault(sc, T0 + 2 * PERIOD); // same slot, two periods on: a fresh secret
    expect(entropy.drawn).toBe(16);
    // Back in the period right after the cookie's: the period test alone would pass, the secret is gone.
    expect(checkDefault(sc, cookie, T0 + PERIOD)).toBeNull();
    expect(checkDefault(sc, cookie, T0)).toBeNull();
  });

  it('is rejected before the period it was made in', () => {
    const sc = cookies();
    const cookie = makeDefault(sc, T0);
    expect(checkDefault(sc, cookie, T0 - PERIOD)).toBeNull();
    expect(checkDefault(sc, cookie, 0)).toBeNull();
  });

  it('draws 8 bytes of entropy per slot rotation and none for checks', () => {
    const entropy = new CountingEntropy(4);
    const sc = new SynCookies(entropy, PERIOD);
    expect(entropy.drawn).toBe(0);
    expect(checkDefault(sc, 0x12345600, T0)).toBeNull();
    expect(entropy.drawn).toBe(0);
    for (let i = 0; i < 100; i++) makeDefault(sc, T0 + i);
    expect(entropy.drawn).toBe(8);
    makeDefault(sc, T0 + PERIOD);
    expect(entropy.drawn).toBe(16);
    for (let i = 0; i < 100; i++) checkDefault(sc, i, T0 + PERIOD);
    expect(entropy.drawn).toBe(16);
    makeDefault(sc, T0 + 5 * PERIOD);
    expect(entropy.drawn).toBe(24);
  });

  it('rejects everything before any cookie was made, including at time 0', () => {
    const sc = cookies();
    for (let c = 0; c < 512; c++) {
      expect(checkDefault(sc, c, 0)).toBeNull();
      expect(checkDefault(sc, (c * 0x01010101) >>> 0, T0)).toBeNull();
    }
  });

  it('a slot never drawn holds no usable secret (an all-zero key is not accepted)', () => {
    const sc = cookies();
    const zeroKey = new Uint8Array(8);
    for (const [now, slot] of [[0, 1], [0, 0], [T0, 0], [T0, 1]] as const) {
      const current = Math.floor(now / PERIOD);
      for (const period of [current, current - 1]) {
        if ((period & 1) !== slot) continue;
        const low = (7 << 5) | (4 << 2) | 2 | slot;
        const h = halfSipHash24(zeroKey, macInput(LOCAL, LPORT, REMOTE, RPORT, IRS, (period + 0x100_0000) % 0x100_0000, low), 0, 20);
        expect(checkDefault(sc, ((h & 0xffffff00) | low) >>> 0, now), `t=${now} period ${period}`).toBeNull();
      }
    }
  });

  it('works from time 0 (period 0, slot 0)', () => {
    const sc = cookies();
    const cookie = makeDefault(sc, 0);
    expect(cookie & 1).toBe(0);
    expect(checkDefault(sc, cookie, 0)).not.toBeNull();
    expect(checkDefault(sc, cookie, 2 * PERIOD - 1)).not.toBeNull();
    expect(checkDefault(sc, cookie, 2 * PERIOD)).toBeNull();
  });

  it('sets the slot bit to the parity of the period', () => {
    const sc = cookies();
    for (let p = 0; p < 6; p++) expect(makeDefault(sc, p * PERIOD + 7) & 1).toBe(p & 1);
  });

  it('honours other period lengths', () => {
    const sc = new SynCookies(new SeededEntropy(9), 1000);
    const cookie = makeDefault(sc, 5000);
    expect(checkDefault(sc, cookie, 6999)).not.toBeNull();
    expect(checkDefault(sc, cookie, 7000)).toBeNull();
  });
});

describe('forgery and replay', () => {
  it('accepts at most a handful of 2^20 random cookies for one tuple (expected 1/16)', () => {
    const sc = cookies(11);
    // Both secrets live, so every slot bit has a secret to be checked against.
    makeDefault(sc, T0);
    makeDefault(sc, T0 + PERIOD);
    const now = T0 + PERIOD + 1;
    const rng = new Random('syncookie-forgery');
    const out = fresh();
    let accepted = 0;
    const tries = 1 << 20;
    for (let i = 0; i < tries; i++) {
      if (sc.check(rng.next(), LOCAL, LPORT, REMOTE, RPORT, IRS, now, out)) accepted++;
    }
    // Each guess matches one 24-bit MAC: expected 2^20 / 2^24 = 1/16 acceptances (Poisson:
    // P(>= 4) ≈ 1.6e-6). A 20-bit MAC would expect 1 and an 18-bit one 4.
    expect(accepted).toBeLessThanOrEqual(3);
  });

  it('a cookie replayed on another tuple, IRS or direction fails', () => {
    const sc = cookies();
    const cookie = makeDefault(sc, T0);
    const ok = (lip: number, lport: number, rip: number, rport: number, irs: number): boolean =>
      sc.check(cookie, lip, lport, rip, rport, irs, T0, fresh());
    expect(ok(LOCAL, LPORT, REMOTE, RPORT, IRS)).toBe(true);
    expect(ok(LOCAL + 1, LPORT, REMOTE, RPORT, IRS)).toBe(false);
    expect(ok(LOCAL, LPORT + 1, REMOTE, RPORT, IRS)).toBe(false);
    expect(ok(LOCAL, LPORT, REMOTE + 1, RPORT, IRS)).toBe(false);
    expect(ok(LOCAL, LPORT, REMOTE, RPORT + 1, IRS)).toBe(false);
    expect(ok(LOCAL, LPORT, REMOTE, RPORT, IRS + 1)).toBe(false);
    expect(ok(LOCAL, LPORT, REMOTE, RPORT, (IRS ^ 0x80000000) >>> 0)).toBe(false);
    expect(ok(REMOTE, RPORT, LOCAL, LPORT, IRS)).toBe(false); // the other direction
    expect(ok(LOCAL, RPORT, REMOTE, LPORT, IRS)).toBe(false); // ports swapped
    // Every single-bit change of each field.
    for (let bit = 0; bit < 32; bit++) {
      const m = (1 << bit) >>> 0;
      expect(ok((LOCAL ^ m) >>> 0, LPORT, REMOTE, RPORT, IRS), `localIp bit ${bit}`).toBe(false);
      expect(ok(LOCAL, LPORT, (REMOTE ^ m) >>> 0, RPORT, IRS), `remoteIp bit ${bit}`).toBe(false);
      expect(ok(LOCAL, LPORT, REMOTE, RPORT, (IRS ^ m) >>> 0), `irs bit ${bit}`).toBe(false);
      if (bit < 16) {
        expect(ok(LOCAL, LPORT ^ m, REMOTE, RPORT, IRS), `localPort bit ${bit}`).toBe(false);
        expect(ok(LOCAL, LPORT, REMOTE, RPORT ^ m, IRS), `remotePort bit ${bit}`).toBe(false);
      }
    }
  });

  it('flipping any single bit of a valid cookie fails (both secrets live)', () => {
    const sc = cookies();
    makeDefault(sc, T0 - PERIOD); // the other slot live too, so a flipped slot bit still meets a secret
    for (const [mss, ws, sack] of [[1460, 7, true], [216, -1, false], [536, 0, true]] as const) {
      const cookie = makeDefault(sc, T0, mss, ws, sack);
      expect(checkDefault(sc, cookie, T0)).not.toBeNull();
      for (let bit = 0; bit < 32; bit++) {
        expect(checkDefault(sc, (cookie ^ (1 << bit)) >>> 0, T0), `bit ${bit}`).toBeNull();
      }
    }
  });

  it('a cookie from another instance (another boot, another secret) fails', () => {
    const a = cookies(1), b = cookies(2);
    makeDefault(b, T0);
    expect(checkDefault(b, makeDefault(a, T0), T0)).toBeNull();
  });
});

describe('determinism and the accelerator seam', () => {
  it('gives the same cookies for the same seed and different ones for another seed', () => {
    const run = (seed: number): number[] => {
      const sc = cookies(seed);
      const out: number[] = [];
      for (let i = 0; i < 64; i++) {
        out.push(sc.make(LOCAL, LPORT, REMOTE + i, RPORT + i, IRS + i * 12345, 1460, 7, (i & 1) === 1, T0 + i * 997));
      }
      return out;
    };
    expect(run(42)).toEqual(run(42));
    const other = run(43);
    const same = run(42).filter((c, i) => c === other[i]).length;
    expect(same).toBeLessThanOrEqual(1);
  });

  it('the accelerator path uses Accelerators.mac and gives the same cookies as the TypeScript path', () => {
    let calls = 0;
    const mac: Accelerators['mac'] = (key, data, offset, length) => {
      calls++;
      expect(key).toHaveLength(8);
      expect([offset, length]).toEqual([0, 20]);
      return halfSipHash24(key, data, offset, length);
    };
    const plain = cookies(8);
    const accel = cookies(8, mac);
    const rng = new Random('accel');
    for (let i = 0; i < 200; i++) {
      const lip = rng.next(), rip = rng.next(), irs = rng.next();
      const lport = rng.int(65536), rport = rng.int(65536);
      const mss = rng.int(65536), ws = rng.int(16) - 1, sack = rng.chance(0.5);
      const now = T0 + rng.int(4 * PERIOD) + i * PERIOD;
      const c = accel.make(lip, lport, rip, rport, irs, mss, ws, sack, now);
      expect(plain.make(lip, lport, rip, rport, irs, mss, ws, sack, now)).toBe(c);
      const a = fresh(), p = fresh();
      expect(accel.check(c, lip, lport, rip, rport, irs, now, a)).toBe(true);
      expect(plain.check(c, lip, lport, rip, rport, irs, now, p)).toBe(true);
      expect(a).toEqual(p);
    }
    expect(calls).toBe(400);
  });

  it('a native mac returning a signed int32 gives the same cookies', () => {
    const signed: Accelerators['mac'] = (key, data, offset, length) => halfSipHash24(key, data, offset, length) | 0;
    const plain = cookies(12), accel = cookies(12, signed);
    for (let i = 0; i < 64; i++) {
      const c = accel.make(LOCAL, LPORT, REMOTE, RPORT, IRS + i, 1460, 7, true, T0);
      expect(c).toBe(plain.make(LOCAL, LPORT, REMOTE, RPORT, IRS + i, 1460, 7, true, T0));
      expect(c).toBeGreaterThanOrEqual(0);
      expect(accel.check(c, LOCAL, LPORT, REMOTE, RPORT, IRS + i, T0, fresh())).toBe(true);
    }
  });
});

describe('input handling', () => {
  it('returns uint32 cookies and accepts 32-bit values given as int32 (SEG.ACK - 1 arithmetic)', () => {
    const sc = cookies();
    for (let i = 0; i < 64; i++) {
      const irs = (0xfffffff0 + i) >>> 0;
      const cookie = sc.make(0xc0a80001, LPORT, 0xfe000001, RPORT, irs, 1460, 7, true, T0);
      expect(Number.isInteger(cookie) && cookie >= 0 && cookie < 2 ** 32).toBe(true);
      expect(sc.check(cookie | 0, 0xc0a80001 | 0, LPORT, 0xfe000001 | 0, RPORT, irs | 0, T0, fresh())).toBe(true);
    }
  });

  it('check() fails closed and never throws on garbage', () => {
    const sc = cookies();
    const cookie = makeDefault(sc, T0);
    const garbage = [NaN, Infinity, -Infinity, 2 ** 32, 2 ** 32 + cookie, -(2 ** 31) - 1, 0.5, cookie + 0.5, 2 ** 53, -0.25];
    const out = fresh();
    for (const g of garbage) {
      expect(sc.check(g, LOCAL, LPORT, REMOTE, RPORT, IRS, T0, out), `cookie ${g}`).toBe(false);
      expect(sc.check(cookie, g, LPORT, REMOTE, RPORT, IRS, T0, out), `localIp ${g}`).toBe(false);
      expect(sc.check(cookie, LOCAL, g, REMOTE, RPORT, IRS, T0, out), `localPort ${g}`).toBe(false);
      expect(sc.check(cookie, LOCAL, LPORT, g, RPORT, IRS, T0, out), `remoteIp ${g}`).toBe(false);
      expect(sc.check(cookie, LOCAL, LPORT, REMOTE, g, IRS, T0, out), `remotePort ${g}`).toBe(false);
      expect(sc.check(cookie, LOCAL, LPORT, REMOTE, RPORT, g, T0, out), `irs ${g}`).toBe(false);
      expect(sc.check(cookie, LOCAL, LPORT, REMOTE, RPORT, IRS, g, out), `now ${g}`).toBe(false);
    }
    for (const port of [-1, 65536, 0x1_0050]) {
      expect(sc.check(cookie, LOCAL, port, REMOTE, RPORT, IRS, T0, out)).toBe(false);
      expect(sc.check(cookie, LOCAL, LPORT, REMOTE, port, IRS, T0, out)).toBe(false);
    }
    expect(sc.check(cookie, LOCAL, LPORT, REMOTE, RPORT, IRS, -1, out)).toBe(false);
    expect(out).toEqual(fresh());
    // The real cookie still checks afterwards: garbage did not disturb the state.
    expect(sc.check(cookie, LOCAL, LPORT, REMOTE, RPORT, IRS, T0, out)).toBe(true);
  });

  it('make() rejects arguments no parser produces', () => {
    const sc = cookies();
    const bad: Array<[string, () => number]> = [
      ['mss NaN', () => makeDefault(sc, T0, NaN)],
      ['mss 65536', () => makeDefault(sc, T0, 65536)],
      ['mss -1', () => makeDefault(sc, T0, -1)],
      ['ws -2', () => makeDefault(sc, T0, 1460, -2)],
      ['ws 1.5', () => makeDefault(sc, T0, 1460, 1.5)],
      ['now NaN', () => makeDefault(sc, NaN)],
      ['now -1', () => makeDefault(sc, -1)],
      ['port 65536', () => sc.make(LOCAL, 65536, REMOTE, RPORT, IRS, 1460, 7, true, T0)],
      ['ip 2^32', () => sc.make(2 ** 32, LPORT, REMOTE, RPORT, IRS, 1460, 7, true, T0)],
      ['irs NaN', () => sc.make(LOCAL, LPORT, REMOTE, RPORT, NaN, 1460, 7, true, T0)],
    ];
    for (const [name, f] of bad) expect(f, name).toThrow(RangeError);
  });

  it('the constructor rejects a period that is not a positive integer', () => {
    for (const p of [0, -1, 1.5, NaN, Infinity]) {
      expect(() => new SynCookies(new SeededEntropy(1), p)).toThrow(RangeError);
    }
  });
});
