// RFC 6528 initial sequence numbers (src/tcp/isn.ts): ISN = M + F(4-tuple, secret), M ticking every
// 4 µs, F = HalfSipHash-2-4 under a per-boot secret.

import { describe, expect, it } from 'vitest';
import { halfSipHash24 } from '../../src/crypto/halfsiphash';
import type { Accelerators } from '../../src/platform';
import { IsnGenerator, TupleHasher, isnClock, tupleHash } from '../../src/tcp/isn';
import { Random, SeededEntropy } from '../sim/random';
import { CountingEntropy } from '../sim/random';

const TWO32 = 2 ** 32;
const LOCAL = 0xc0a80001; // 192.168.0.1
const REMOTE = 0x0a000002; // 10.0.0.2

/** The 12-byte layout the module documents: localIp | remoteIp | localPort | remotePort. */
function tupleBytes(localIp: number, localPort: number, remoteIp: number, remotePort: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint32(0, localIp);
  v.setUint32(4, remoteIp);
  v.setUint16(8, localPort);
  v.setUint16(10, remotePort);
  return b;
}

function isUint32(x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x < TWO32;
}


describe('isnClock (M)', () => {
  it('ticks 250 per millisecond (4 µs) modulo 2^32', () => {
    expect(isnClock(0)).toBe(0);
    expect(isnClock(1)).toBe(250);
    expect(isnClock(1000)).toBe(250_000);
    // 2^32 / 250 = 17179869.184 ms: the first wrap.
    expect(isnClock(17_179_869)).toBe(17_179_869 * 250);
    expect(isnClock(17_179_870)).toBe(17_179_870 * 250 - TWO32);
    expect(isnClock(2 ** 40)).toBe(Number((2n ** 40n * 250n) % 2n ** 32n));
  });
});

describe('IsnGenerator', () => {
  it('equals (ms * 250 + HalfSipHash(secret, tuple bytes)) mod 2^32 for a seeded secret', () => {
    const key = new Uint8Array(8);
    new SeededEntropy(6528).fill(key); // the generator draws its secret first, and only it
    const gen = new IsnGenerator(new SeededEntropy(6528));
    const rng = new Random('isn-model');
    for (let i = 0; i < 300; i++) {
      const lip = rng.next();
      const lport = rng.int(65536);
      const rip = rng.next();
      const rport = rng.int(65536);
      const now = rng.int(2 ** 32) * 1000 + rng.int(1000); // up to ~136 years of uptime
      const f = halfSipHash24(key, tupleBytes(lip, lport, rip, rport), 0, 12);
      const expected = Number((BigInt(now) * 250n + BigInt(f)) % 2n ** 32n);
      expect(gen.isn(lip, lport, rip, rport, now)).toBe(expected);
    }
  });

  it('draws exactly one 8-byte secret, at construction', () => {
    const entropy = new CountingEntropy(1);
    const gen = new IsnGenerator(entropy);
    expect(entropy.drawn).toBe(8);
    gen.isn(LOCAL, 80, REMOTE, 40000, 5);
    gen.isn(LOCAL, 80, REMOTE, 40001, 6);
    expect(entropy.drawn).toBe(8);
  });

  it('advances 250 per ms for a fixed tuple, across the 2^32 wrap', () => {
    const gen = new IsnGenerator(new SeededEntropy(7));
    const base = gen.isn(LOCAL, 80, REMOTE, 40000, 0);
    for (const t of [1, 2, 1000, 17_179_869, 17_179_870, 123_456_789]) {
      const isn = gen.isn(LOCAL, 80, REMOTE, 40000, t);
      expect(isUint32(isn)).toBe(true);
      expect((isn - base + TWO32) % TWO32).toBe((t * 250) % TWO32);
    }
    // Consecutive milliseconds straddling the point where the ISN itself wraps.
    const offset = (TWO32 - base) % TWO32; // M at which ISN = 0
    const tWrap = Math.ceil(offset / 250);
    const before = gen.isn(LOCAL, 80, REMOTE, 40000, tWrap - 1);
    const after = gen.isn(LOCAL, 80, REMOTE, 40000, tWrap);
    expect(after).toBeLessThan(before); // wrapped
    expect((after - before + TWO32) % TWO32).toBe(250);
    // M repeats every 2^31 ms: 250 * 2^31 = 125 * 2^32.
    expect(gen.isn(LOCAL, 80, REMOTE, 40000, 2 ** 31 + 12345)).toBe(gen.isn(LOCAL, 80, REMOTE, 40000, 12345));
  });

  it('differs across tuples at the same instant', () => {
    const gen = new IsnGenerator(new SeededEntropy(11));
    const seen = new Set<number>();
    for (let port = 40000; port < 42000; port++) seen.add(gen.isn(LOCAL, 80, REMOTE, port, 1000));
    for (let host = 1; host < 1000; host++) seen.add(gen.isn(LOCAL, 80, (REMOTE + host) >>> 0, 40000, 1000));
    // 2999 distinct tuples; a 32-bit PRF collides among them with probability ~1e-3.
    expect(seen.size).toBeGreaterThanOrEqual(2997);
    // And the spacing is not the clock's: neighbouring ports are not a fixed distance apart.
    const a = gen.isn(LOCAL, 80, REMOTE, 40000, 0);
    const b = gen.isn(LOCAL, 80, REMOTE, 40001, 0);
    const c = gen.isn(LOCAL, 80, REMOTE, 40002, 0);
    expect((b - a + TWO32) % TWO32).not.toBe((c - b + TWO32) % TWO32);
  });

  it('depends on the order of the tuple (local and remote are not interchangeable)', () => {
    const gen = new IsnGenerator(new SeededEntropy(12));
    const t = 777;
    const isn = gen.isn(LOCAL, 80, REMOTE, 40000, t);
    expect(gen.isn(REMOTE, 40000, LOCAL, 80, t)).not.toBe(isn); // the tuple seen from the peer
    expect(gen.isn(REMOTE, 80, LOCAL, 40000, t)).not.toBe(isn); // addresses swapped
    expect(gen.isn(LOCAL, 40000, REMOTE, 80, t)).not.toBe(isn); // ports swapped
  });

  it('depends on the secret, and is reproducible for a seeded one', () => {
    const values = (seed: number): number[] => {
      const gen = new IsnGenerator(new SeededEntropy(seed));
      return [0, 1, 2, 3].map((i) => gen.isn(LOCAL, 80, REMOTE, 40000 + i, 42));
    };
    expect(values(1)).toEqual(values(1));
    const a = values(1);
    const b = values(2);
    for (let i = 0; i < a.length; i++) expect(a[i]).not.toBe(b[i]);
  });

  it('uses a supplied mac accelerator with the documented layout, giving the same ISNs', () => {
    const calls: number[][] = [];
    const mac: Accelerators['mac'] = (key, data, offset, length) => {
      calls.push(Array.from(data.subarray(offset, offset + length)));
      return halfSipHash24(key, data, offset, length);
    };
    const pure = new IsnGenerator(new SeededEntropy(99));
    const accelerated = new IsnGenerator(new SeededEntropy(99), mac);
    const rng = new Random('isn-mac');
    for (let i = 0; i < 50; i++) {
      const [lip, lport, rip, rport, now] = [rng.next(), rng.int(65536), rng.next(), rng.int(65536), rng.int(1e9)];
      expect(accelerated.isn(lip, lport, rip, rport, now)).toBe(pure.isn(lip, lport, rip, rport, now));
    }
    expect(calls).toHaveLength(50);
    accelerated.isn(0x01020304, 0x0506, 0x0708090a, 0x0b0c, 0);
    expect(calls[50]).toEqual([1, 2, 3, 4, 7, 8, 9, 10, 5, 6, 11, 12]);
  });

  it('is built on the mac: a constant mac leaves only the clock', () => {
    const gen = new IsnGenerator(new SeededEntropy(3), () => 0x1000);
    expect(gen.isn(LOCAL, 80, REMOTE, 40000, 4)).toBe(0x1000 + 1000);
    expect(gen.isn(REMOTE, 1, LOCAL, 2, 4)).toBe(0x1000 + 1000);
  });
});

describe('TupleHasher / tupleHash', () => {
  it('tupleHash is HalfSipHash-2-4 of the 12-byte tuple layout', () => {
    const rng = new Random('tuple-hash');
    const key = new Uint8Array(8);
    for (let i = 0; i < 200; i++) {
      rng.bytes(key);
      const [lip, lport, rip, rport] = [rng.next(), rng.int(65536), rng.next(), rng.int(65536)];
      const expected = halfSipHash24(key, tupleBytes(lip, lport, rip, rport), 0, 12);
      expect(tupleHash(key, lip, lport, rip, rport)).toBe(expected);
      expect(new TupleHasher(key).tupleHash(lip, lport, rip, rport)).toBe(expected);
      expect(new TupleHasher(key, halfSipHash24).tupleHash(lip, lport, rip, rport)).toBe(expected);
    }
  });

  it('wordsHash hashes big-endian words, with or without an accelerator', () => {
    const key = Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2);
    const words = [0xdeadbeef, 0x01020304, 0x0000ffff, 0x80000000];
    const bytes = new Uint8Array(16);
    words.forEach((w, i) => new DataView(bytes.buffer).setUint32(4 * i, w));
    for (const hasher of [new TupleHasher(key), new TupleHasher(key, halfSipHash24)]) {
      for (let count = 0; count <= 4; count++) {
        expect(hasher.wordsHash(words[0]!, words[1]!, words[2]!, words[3]!, count)).toBe(halfSipHash24(key, bytes, 0, 4 * count));
      }
      expect(() => hasher.wordsHash(0, 0, 0, 0, 5)).toThrow(RangeError);
    }
  });

  it('copies its key, and rejects a key that is not 8 bytes', () => {
    const key = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const hasher = new TupleHasher(key);
    const before = hasher.tupleHash(LOCAL, 1, REMOTE, 2);
    key.fill(0);
    expect(hasher.tupleHash(LOCAL, 1, REMOTE, 2)).toBe(before);
    expect(() => new TupleHasher(new Uint8Array(4))).toThrow(RangeError);
  });

  it('fromEntropy draws 8 bytes; different draws give independent hashers', () => {
    const entropy = new CountingEntropy(5);
    const a = TupleHasher.fromEntropy(entropy);
    const b = TupleHasher.fromEntropy(entropy);
    expect(entropy.drawn).toBe(16);
    expect(a.tupleHash(LOCAL, 80, REMOTE, 40000)).not.toBe(b.tupleHash(LOCAL, 80, REMOTE, 40000));
  });
});
