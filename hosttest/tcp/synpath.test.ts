// The shortcuts of the SYN path (src/tcp/syncache.ts, syncookie.ts, isn.ts) give what the general
// code gives: the one- and two-word hashes equal wordsHash, a cookie made from a parsed segment
// equals make()'s, every window shift and MSS is rounded down to the cookie tables as documented,
// and the attack state ends and the sources window rolls on the SYN path alone, with no poll and no
// status() call in between.

import { describe, expect, it } from 'vitest';
import { halfSipHash24 } from '../../src/crypto/halfsiphash';
import type { Listener } from '../../src/tcp/listener';
import { TupleHasher } from '../../src/tcp/isn';
import { COOKIE_MSS_TABLE, COOKIE_WSCALE_TABLE, type CookieOptions, SynCookies } from '../../src/tcp/syncookie';
import { parseIpv4Address } from '../../src/wire/ipv4';
import { Random, SeededEntropy } from '../sim/random';
import { TcpPeer } from './peer';

const LOCAL = 0xc0a80001;
const REMOTE = 0xc6120a07;

describe('TupleHasher one- and two-word hashes', () => {
  it('equal wordsHash with count 1 and 2, with and without an accelerator', () => {
    const rnd = new Random(11);
    for (const mac of [undefined, halfSipHash24]) {
      for (let i = 0; i < 200; i++) {
        const key = new Uint8Array(8).map(() => rnd.int(256));
        const h = new TupleHasher(key, mac);
        // uint32 and int32 forms of the same word hash alike.
        const w0 = rnd.int(2 ** 32), w1 = i & 1 ? rnd.int(2 ** 32) | 0 : rnd.int(2 ** 32);
        expect(h.wordHash(w0)).toBe(h.wordsHash(w0, 0, 0, 0, 1));
        expect(h.wordHash(w0 | 0)).toBe(h.wordsHash(w0, 0, 0, 0, 1));
        expect(h.pairHash(w0, w1)).toBe(h.wordsHash(w0, w1, 0, 0, 2));
      }
    }
  });
});

describe('cookies made from a parsed segment', () => {
  const roundDown = (table: readonly number[], v: number): number => table.filter((x) => x <= v).reduce((a, b) => Math.max(a, b), table[0]!);

  it('makeForSegment gives make()\'s cookie, and check() reads the options back rounded down', () => {
    const rnd = new Random(5);
    for (const mac of [undefined, halfSipHash24]) {
      const a = new SynCookies(new SeededEntropy(3), 15_000, mac), b = new SynCookies(new SeededEntropy(3), 15_000, mac);
      const out: CookieOptions = { mss: 0, windowScale: 0, sackPermitted: false };
      for (let shift = -1; shift <= 255; shift++) {
        const mss = [0, 1, 215, 216, 535, 536, 1239, 1240, 1459, 1460, 9000, 65535][rnd.int(12)]!;
        const irs = rnd.int(2 ** 32), port = 1024 + rnd.int(60000), now = 1 + rnd.int(10 ** 9);
        const cookie = a.makeForSegment(LOCAL, 80, REMOTE, port, irs, mss, shift, (shift & 1) === 0, now);
        expect(cookie).toBe(b.make(LOCAL, 80, REMOTE, port, irs, mss, shift, (shift & 1) === 0, now));
        expect(a.check(cookie, LOCAL, 80, REMOTE, port, irs, now, out)).toBe(true);
        expect(out.mss).toBe(roundDown(COOKIE_MSS_TABLE, mss));
        expect(out.windowScale).toBe(shift < 0 ? -1 : roundDown(COOKIE_WSCALE_TABLE, Math.min(shift, 14)));
        expect(out.sackPermitted).toBe((shift & 1) === 0);
      }
    }
  });

  it('makeForSegment still rejects a time that is not a safe non-negative integer', () => {
    const sc = new SynCookies(new SeededEntropy(1), 15_000);
    for (const now of [NaN, -1, 1.5, Infinity, 2 ** 53]) {
      expect(() => sc.makeForSegment(LOCAL, 80, REMOTE, 40000, 1, 1460, 7, true, now), String(now)).toThrow(RangeError);
    }
  });
});

describe('the attack state on the SYN path alone', () => {
  /** A different /24 for each n, so the per-source quota never decides. */
  const src = (n: number) => parseIpv4Address(`198.${18 + (n >> 8)}.${n & 0xff}.1`);

  it('leaves cookie mode after hysteresisMs without overflow, with no poll in between', () => {
    const p = new TcpPeer({ synDefence: { mode: 'overflow', buckets: 1, bucketLimit: 2, entries: 8, hysteresisMs: 10_000 } });
    p.tcp.listen(80, { backlog: 4 }) as Listener;
    const cache = p.tcp.synCache;
    for (let k = 0; k < 3; k++) p.send({ flags: 'S', seq: k, srcPort: 41000 + k, src: src(k) });
    const overflowAt = p.now;
    expect([cache.count, cache.counters.cookiesSent, cache.cookieMode, cache.underAttack]).toEqual([2, 1, true, true]);
    p.send({ flags: 'R', seq: 1, srcPort: 41000, src: src(0) }); // the first entry goes: room again
    expect(cache.count).toBe(1);
    // Time moves without iface.poll (as between two frames): only the SYN path can notice.
    p.now = overflowAt + 9_999;
    p.send({ flags: 'S', seq: 9, srcPort: 42000, src: src(9) });
    expect([cache.count, cache.counters.cookiesSent, cache.cookieMode]).toEqual([1, 2, true]); // inside the hysteresis
    p.now = overflowAt + 10_000;
    p.send({ flags: 'S', seq: 10, srcPort: 42001, src: src(10) });
    expect([cache.count, cache.counters.cookiesSent, cache.cookieMode, cache.underAttack]).toEqual([2, 2, false, false]);
  });

  it('ends the attack signal after hysteresisMs and starts a new one later, each seen by the next SYN', () => {
    const p = new TcpPeer({ synDefence: { mode: 'overflow', buckets: 1, bucketLimit: 1, entries: 8, hysteresisMs: 5_000, quotaShare: 1 } });
    p.tcp.listen(80, { backlog: 4 }) as Listener;
    const cache = p.tcp.synCache;
    p.send({ flags: 'S', seq: 1, srcPort: 41000 });
    p.send({ flags: 'S', seq: 2, srcPort: 41001 }); // bucket full: cookie, attack
    const started = p.now;
    expect([cache.underAttack, cache.attackStartedAt]).toEqual([true, started]);
    p.send({ flags: 'R', seq: 2, srcPort: 41000 }); // the entry goes: room again
    p.now += 5_000;
    p.send({ flags: 'S', seq: 3, srcPort: 41002 }); // hysteresis over: into the cache
    expect([cache.count, cache.underAttack, cache.cookieMode]).toEqual([1, false, false]);
    p.now += 1;
    p.send({ flags: 'S', seq: 4, srcPort: 41003 }); // a new overflow, a new attack
    expect([cache.underAttack, cache.attackStartedAt, cache.cookieMode]).toEqual([true, p.now, true]);
  });

  it('rolls the distinct-sources window on the SYN path', () => {
    const p = new TcpPeer({ synDefence: { mode: 'cookies', windowMs: 1_000, cookieRing: 0 } });
    p.tcp.listen(80, { backlog: 4 }) as Listener;
    const cache = p.tcp.synCache;
    for (let k = 0; k < 40; k++) p.send({ flags: 'S', seq: k, srcPort: 1024 + k, src: src(k) });
    const many = cache.distinctSources();
    expect(many).toBeGreaterThan(30);
    p.now += 1_000; // a new window: the old one still counts (current + previous)
    p.send({ flags: 'S', seq: 1, srcPort: 5000, src: src(100) });
    expect(cache.distinctSources()).toBeGreaterThanOrEqual(many);
    p.now += 1_000; // and another: only the last SYN is left
    p.send({ flags: 'S', seq: 2, srcPort: 5001, src: src(100) });
    expect(cache.distinctSources()).toBeLessThanOrEqual(2);
  });
});

describe('the ring of recent cookie handshakes', () => {
  it('resends each remembered SYN-ACK with the options of its SYN, the newest `cookieRing` only', () => {
    const p = new TcpPeer({ synDefence: { mode: 'cookies', cookieRing: 2, cookieRetries: 1 } });
    p.tcp.listen(80, { backlog: 4 }) as Listener;
    const first: Array<{ seq: number; ack: number; ws: number; sackOk: boolean; ts: [number, number] | null }> = [];
    const opts = [{ ws: 3, sackOk: false }, { ws: 7, sackOk: true, ts: [55, 0] as [number, number] }, { ws: -1, sackOk: true }];
    opts.forEach((o, k) => {
      p.send({ flags: 'S', seq: 1000 * k, srcPort: 41000 + k, mss: 1460, ...(o.ws >= 0 ? { ws: o.ws } : {}), sackOk: o.sackOk, ...(o.ts ? { ts: o.ts } : {}) });
      first.push(p.expect({ flags: 'SA', dstPort: 41000 + k, ack: 1000 * k + 1 }));
    });
    p.advance(1000);
    // The first handshake was overwritten by the third (a ring of two).
    const again = p.take().sort((a, b) => a.dstPort - b.dstPort);
    expect(again.map((s) => s.dstPort)).toEqual([41001, 41002]);
    again.forEach((s, i) => {
      const was = first[i + 1]!;
      expect([s.flags, s.seq, s.ack, s.ws, s.sackOk]).toEqual(['SA', was.seq, was.ack, was.ws, was.sackOk]);
      expect(s.ts === null).toBe(was.ts === null);
    });
    p.advance(10_000);
    p.expectNone(); // cookieRetries: 1
    expect(p.tcp.synCache.nextDeadline()).toBe(Infinity);
  });

  it('forgets a handshake that completes, and those of a listener that closes', () => {
    const p = new TcpPeer({ synDefence: { mode: 'cookies', cookieRing: 4 } });
    const l = p.tcp.listen(80, { backlog: 4 }) as Listener;
    p.send({ flags: 'S', seq: 1000, srcPort: 41000 });
    const sa = p.expect({ flags: 'SA' });
    p.send({ flags: 'A', seq: 1001, ack: sa.seq + 1, srcPort: 41000 });
    expect(l.accept()).not.toBeNull();
    p.send({ flags: 'S', seq: 2000, srcPort: 41001 });
    p.expect({ flags: 'SA', dstPort: 41001 });
    p.advance(1000);
    p.expect({ flags: 'SA', dstPort: 41001, ack: 2001 }); // only the unfinished one
    p.tcp.closeListener(l);
    p.take();
    p.advance(10_000);
    p.expectNone();
    expect(p.tcp.synCache.nextDeadline()).toBe(Infinity);
  });
});
