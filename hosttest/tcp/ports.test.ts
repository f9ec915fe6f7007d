// Ephemeral port selection, RFC 6056 §3.3.4 Algorithm 4 (src/tcp/ports.ts).

import { describe, expect, it } from 'vitest';
import { halfSipHash24 } from '../../src/crypto/halfsiphash';
import { EphemeralPorts, defaultEphemeralPortsConfig } from '../../src/tcp/ports';
import { Random, SeededEntropy } from '../sim/random';
import { CountingEntropy } from '../sim/random';

const LOCAL = 0xc0a80001; // 192.168.0.1
const SERVER = 0x5db8d822; // 93.184.216.34
const free = (): boolean => false;

interface Dest {
  ip: number;
  port: number;
}

function destinations(n: number, label: string): Dest[] {
  const rng = new Random(label);
  const out: Dest[] = [];
  const seen = new Set<string>();
  while (out.length < n) {
    const d = { ip: rng.next(), port: 1 + rng.int(65535) };
    const k = `${d.ip}:${d.port}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(d);
    }
  }
  return out;
}


describe('EphemeralPorts', () => {
  it('defaults to 49152–65535 with 256 counters', () => {
    expect(defaultEphemeralPortsConfig).toEqual({ low: 49152, high: 65535, tableSize: 256 });
    const ports = new EphemeralPorts(new SeededEntropy(1));
    expect([ports.low, ports.high, ports.rangeSize]).toEqual([49152, 65535, 16384]);
  });

  it('draws 8 + 8 bytes of secrets and 2 per counter, at construction only', () => {
    const entropy = new CountingEntropy();
    const ports = new EphemeralPorts(entropy, undefined, { tableSize: 10 });
    expect(entropy.drawn).toBe(16 + 20);
    ports.pick(LOCAL, SERVER, 443, free);
    expect(entropy.drawn).toBe(36);
  });

  it('picks ports inside the range, default and configured', () => {
    const ports = new EphemeralPorts(new SeededEntropy(2));
    for (const d of destinations(2000, 'in-range')) {
      const p = ports.pick(LOCAL, d.ip, d.port, free);
      expect(Number.isInteger(p) && p >= 49152 && p <= 65535).toBe(true);
    }
    const small = new EphemeralPorts(new SeededEntropy(2), undefined, { low: 32768, high: 32867, tableSize: 7 });
    const seen = new Set<number>();
    for (const d of destinations(2000, 'in-small-range')) {
      const p = small.pick(LOCAL, d.ip, d.port, free);
      expect(p >= 32768 && p <= 32867).toBe(true);
      seen.add(p);
    }
    expect(seen.size).toBe(100); // 2000 picks over 100 ports reach all of them
  });

  it('rejects bad configurations', () => {
    const e = new SeededEntropy(3);
    expect(() => new EphemeralPorts(e, undefined, { low: 0 })).toThrow(RangeError);
    expect(() => new EphemeralPorts(e, undefined, { high: 65536 })).toThrow(RangeError);
    expect(() => new EphemeralPorts(e, undefined, { low: 5000, high: 4999 })).toThrow(RangeError);
    expect(() => new EphemeralPorts(e, undefined, { tableSize: 0 })).toThrow(RangeError);
    expect(() => new EphemeralPorts(e, undefined, { tableSize: 1.5 })).toThrow(RangeError);
    expect(new EphemeralPorts(e, undefined, { low: 1, high: 65535 }).rangeSize).toBe(65535);
  });

  it('gives consecutive connections to one destination different ports, walking the whole range', () => {
    const ports = new EphemeralPorts(new SeededEntropy(4));
    const first = ports.pick(LOCAL, SERVER, 443, free);
    const seen = new Set<number>([first]);
    let prev = first;
    for (let i = 1; i < 16384; i++) {
      const p = ports.pick(LOCAL, SERVER, 443, free);
      expect(p).toBe(49152 + ((prev - 49152 + 1) % 16384)); // one step on, wrapping
      seen.add(p);
      prev = p;
    }
    expect(seen.size).toBe(16384); // no port reused before every other one was used
    expect(ports.pick(LOCAL, SERVER, 443, free)).toBe(first);
  });

  it('keeps the walk continuous across the counter wrap when 2^16 is not a multiple of the range', () => {
    const ports = new EphemeralPorts(new SeededEntropy(5), undefined, { low: 40000, high: 40999, tableSize: 1 });
    let prev = ports.pick(LOCAL, SERVER, 80, free);
    let breaks = 0;
    for (let i = 0; i < 70_000; i++) { // past 65536 steps of the counter
      const p = ports.pick(LOCAL, SERVER, 80, free);
      if (!(p === prev + 1 || (prev === 40999 && p === 40000))) breaks++;
      prev = p;
    }
    expect(breaks).toBe(0);
  });

  it('skips ports in use, probing in order', () => {
    const a = new EphemeralPorts(new SeededEntropy(6));
    const b = new EphemeralPorts(new SeededEntropy(6));
    const expected = a.pick(LOCAL, SERVER, 443, free);
    const next = 49152 + ((expected - 49152 + 1) % 16384);
    const asked: number[] = [];
    const got = b.pick(LOCAL, SERVER, 443, (port) => {
      asked.push(port);
      return port === expected;
    });
    expect(asked).toEqual([expected, next]);
    expect(got).toBe(next);
    // The skipped probe consumed a counter step too (RFC 6056: table[index]++ per probe).
    expect(b.pick(LOCAL, SERVER, 443, free)).toBe(49152 + ((next - 49152 + 1) % 16384));
  });

  it('never returns a port the caller says is in use', () => {
    const ports = new EphemeralPorts(new SeededEntropy(7), undefined, { low: 2000, high: 2099 });
    const used = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const p = ports.pick(LOCAL, SERVER, 443, (port) => used.has(port));
      expect(p).toBeGreaterThanOrEqual(2000);
      expect(used.has(p)).toBe(false);
      used.add(p);
    }
    expect(used.size).toBe(100);
    expect(ports.pick(LOCAL, SERVER, 443, (port) => used.has(port))).toBe(-1);
  });

  it('returns -1 after probing each port once when all are in use', () => {
    const ports = new EphemeralPorts(new SeededEntropy(8), undefined, { low: 1000, high: 1007, tableSize: 4 });
    const asked: number[] = [];
    expect(ports.pick(LOCAL, SERVER, 443, (port) => (asked.push(port), true))).toBe(-1);
    expect(asked.slice().sort((x, y) => x - y)).toEqual([1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007]);
    // One port free: found, wherever the walk stands.
    for (let free1 = 1000; free1 <= 1007; free1++) {
      expect(ports.pick(LOCAL, SERVER, 443, (port) => port !== free1)).toBe(free1);
    }
  });

  it('starts different destinations at unrelated offsets, even on a shared counter', () => {
    // With one counter every destination shares it, as Algorithm 3 (RFC 6056 §3.3.3) shares its
    // single counter; had the offsets been equal, B's next port would be A's last port + 1.
    const ports = new EphemeralPorts(new SeededEntropy(9), undefined, { tableSize: 1 });
    let adjacent = 0;
    const offsets = new Set<number>();
    for (const b of destinations(300, 'shared-counter')) {
      const lastA = ports.pick(LOCAL, SERVER, 443, free);
      const firstB = ports.pick(LOCAL, b.ip, b.port, free);
      if (firstB === 49152 + ((lastA - 49152 + 1) % 16384)) adjacent++;
      offsets.add((firstB - lastA - 1 + 16384) % 16384); // B's offset minus A's, mod N
    }
    expect(adjacent).toBeLessThanOrEqual(2); // chance ~300/16384 of even one
    expect(offsets.size).toBeGreaterThanOrEqual(290); // ~2.7 collisions expected among 300
  });

  it('isolates destinations on different counters: connections to A do not move B', () => {
    const quiet = new EphemeralPorts(new SeededEntropy(10));
    const busy = new EphemeralPorts(new SeededEntropy(10));
    for (let i = 0; i < 500; i++) busy.pick(LOCAL, SERVER, 443, free);
    let moved = 0;
    for (const b of destinations(50, 'isolation')) {
      if (quiet.pick(LOCAL, b.ip, b.port, free) !== busy.pick(LOCAL, b.ip, b.port, free)) moved++;
    }
    expect(moved).toBeLessThanOrEqual(2); // only those sharing A's counter (1 in 256 each)
  });

  it('depends on every element of the 3-tuple', () => {
    const make = (): EphemeralPorts => new EphemeralPorts(new SeededEntropy(11));
    const base = make().pick(LOCAL, SERVER, 443, free);
    expect(make().pick(LOCAL + 1, SERVER, 443, free)).not.toBe(base);
    expect(make().pick(LOCAL, SERVER + 1, 443, free)).not.toBe(base);
    expect(make().pick(LOCAL, SERVER, 444, free)).not.toBe(base);
    expect(make().pick(SERVER, LOCAL, 443, free)).not.toBe(base);
  });

  it('is reproducible for seeded entropy and differs across seeds', () => {
    const run = (seed: number): number[] => {
      const ports = new EphemeralPorts(new SeededEntropy(seed));
      return destinations(20, 'repro').map((d) => ports.pick(LOCAL, d.ip, d.port, free));
    };
    expect(run(12)).toEqual(run(12));
    const a = run(12);
    const b = run(13);
    expect(a.filter((p, i) => p === b[i]).length).toBeLessThanOrEqual(1);
  });

  it('gives the same ports with a mac accelerator', () => {
    const pure = new EphemeralPorts(new SeededEntropy(14));
    const accelerated = new EphemeralPorts(new SeededEntropy(14), halfSipHash24);
    for (const d of destinations(200, 'mac')) {
      expect(accelerated.pick(LOCAL, d.ip, d.port, free)).toBe(pure.pick(LOCAL, d.ip, d.port, free));
    }
  });
});
