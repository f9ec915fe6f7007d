// The SYN cache and the defence around it (src/tcp/syncache.ts), packet by packet: entries and
// their SYN-ACK retransmissions, the final ACK, duplicate SYNs, RSTs and ICMP errors, eviction
// order, the three modes, the per-source quota, the accept queue, the memory watermark, the ring
// of recent cookie handshakes, the attack signal and the visible figures.

import { describe, expect, it } from 'vitest';
import type { Listener } from '../../src/tcp/listener';
import type { TcpConfigInput } from '../../src/tcp/tcp';
import type { SynDefenceConfig } from '../../src/tcp/syndefence';
import { ICMP_DEST_UNREACHABLE, UNREACH_PORT } from '../../src/wire/icmp';
import { parseIpv4Address } from '../../src/wire/ipv4';
import { TcpPeer } from './peer';
import { COOKIE_MSS_TABLE } from '../../src/tcp/syncookie';
import { SACK_OK, SND_SCALE, TS_OK, TS_RECENT } from '../../src/tcp/connection';

function server(syn: Partial<SynDefenceConfig> = {}, config: TcpConfigInput = {}, backlog = 4) {
  const p = new TcpPeer({ ...config, synDefence: syn });
  const l = p.tcp.listen(80, { backlog }) as Listener;
  return { p, l, cache: p.tcp.synCache };
}

/** Spoofed sources spread over 256 different /24s. */
const src = (n: number) => parseIpv4Address(`198.18.${n & 0xff}.${((n >> 8) & 0xff) + 1}`);

describe('SYN cache entries', () => {
  it('answers a SYN from the cache: SYN-ACK with our options, no connection block taken', () => {
    const { p, l, cache } = server();
    p.send({ flags: 'S', seq: 1000, mss: 1200, ws: 5, sackOk: true, ts: [77, 0] });
    const sa = p.expect({ flags: 'SA', ack: 1001, mss: 1460, sackOk: true });
    expect(sa.ws).toBeGreaterThanOrEqual(0);
    expect(sa.ts![1]).toBe(77);
    expect([cache.count, l.halfOpen, p.tcp.activeConnections]).toEqual([1, 1, 0]);
    expect(cache.perEntryBytes).toBeLessThanOrEqual(32);
  });

  it('turns the matching final ACK into an ESTABLISHED connection with the options of the SYN', () => {
    const { p, l, cache } = server();
    p.send({ flags: 'S', seq: 1000, mss: 1200, ws: 5, sackOk: true, ts: [77, 0] });
    const sa = p.expect({ flags: 'SA' });
    p.send({ flags: 'PA', seq: 1001, ack: sa.seq + 1, data: 5, ts: [78, sa.ts![0]] });
    const c = l.accept()!;
    expect(c.stateName).toBe('ESTABLISHED');
    expect([c.sndMss, c.v[SND_SCALE], (c.flags & SACK_OK) !== 0, (c.flags & TS_OK) !== 0, c.v[TS_RECENT]]).toEqual([1200, 5, true, true, 78]);
    expect(c.readable).toBe(5); // the data on the final ACK was taken
    expect([cache.count, l.halfOpen, cache.counters.cacheHits]).toEqual([0, 0, 1]);
  });

  it('completes on a data segment that overtook the bare final ACK, holding the data out of order', () => {
    const { p, l } = server({}, { receiveBuffer: 8192 });
    p.send({ flags: 'S', seq: 1000 });
    const sa = p.expect({ flags: 'SA' });
    p.send({ flags: 'PA', seq: 1101, ack: sa.seq + 1, data: 50 });
    const c = l.accept()!;
    expect(c.stateName).toBe('ESTABLISHED');
    expect(c.readable).toBe(0);
    p.send({ flags: 'PA', seq: 1001, ack: sa.seq + 1, data: 100 });
    expect(c.readable).toBe(150);
  });

  it('answers a final ACK with the wrong number as SYN-RECEIVED would: RST', () => {
    const { p, l } = server();
    p.send({ flags: 'S', seq: 1000 });
    const sa = p.expect({ flags: 'SA' });
    p.send({ flags: 'A', seq: 1001, ack: sa.seq + 7 });
    p.expect({ flags: 'R', seq: sa.seq + 7 });
    expect(l.accept()).toBeNull();
  });

  it('resends the SYN-ACK for a duplicate SYN without a second entry, and follows a new ISN', () => {
    const { p, cache } = server();
    p.send({ flags: 'S', seq: 1000 });
    const sa = p.expect({ flags: 'SA' });
    p.send({ flags: 'S', seq: 1000 });
    p.expect({ flags: 'SA', seq: sa.seq, ack: 1001 });
    p.send({ flags: 'S', seq: 5000 });
    p.expect({ flags: 'SA', seq: sa.seq, ack: 5001 });
    expect([cache.count, cache.counters.duplicateSyns]).toEqual([1, 2]);
  });

  it('retransmits the SYN-ACK after 1, 2 and 4 s, then expires the entry', () => {
    const { p, cache } = server();
    p.send({ flags: 'S', seq: 1000 });
    const sa = p.expect({ flags: 'SA' });
    const times: number[] = [];
    p.advance(20_000);
    for (const s of p.take()) {
      expect([s.flags, s.seq]).toEqual(['SA', sa.seq]);
      times.push(s.time);
    }
    void times;
    expect(cache.counters.synAcksRetransmitted).toBe(3);
    expect([cache.count, cache.counters.expiries]).toEqual([0, 1]);
  });

  it('retransmits at the right virtual times', () => {
    const { p } = server();
    p.send({ flags: 'S', seq: 1000 });
    p.take();
    const start = p.now;
    const at: number[] = [];
    for (let t = 0; t < 16_000; t += 500) {
      p.advance(500);
      for (const s of p.take()) at.push(s.time - start);
    }
    expect(at).toEqual([1000, 3000, 7000]);
  });

  it('removes an entry on an RST at IRS + 1, and ignores one at any other number', () => {
    const { p, cache } = server();
    p.send({ flags: 'S', seq: 1000 });
    p.take();
    p.send({ flags: 'R', seq: 1500 });
    expect(cache.count).toBe(1);
    p.send({ flags: 'R', seq: 1001 });
    expect([cache.count, cache.counters.resetsRemoved]).toEqual([0, 1]);
  });

  it('removes an entry on an ICMP error that quotes its SYN-ACK', () => {
    const { p, cache } = server();
    p.send({ flags: 'S', seq: 1000 });
    const sa = p.expect({ flags: 'SA' });
    p.sendIcmpError(ICMP_DEST_UNREACHABLE, UNREACH_PORT, sa.datagram);
    expect([cache.count, cache.counters.icmpRemoved]).toEqual([0, 1]);
  });

  it('forgets the entries of a listener that closes', () => {
    const { p, l, cache } = server();
    p.send({ flags: 'S', seq: 1000 });
    p.tcp.closeListener(l);
    expect(cache.count).toBe(0);
  });
});

describe('eviction and limits (cache mode)', () => {
  it('evicts the oldest entry of a full bucket', () => {
    const { p, cache } = server({ mode: 'cache', buckets: 1, bucketLimit: 3, entries: 8, quotaShare: 1 });
    const sas = [];
    for (let k = 0; k < 4; k++) {
      p.send({ flags: 'S', seq: 1000 * k, srcPort: 41000 + k });
      sas.push(p.take()[0]!);
    }
    expect([cache.count, cache.counters.evictions]).toEqual([3, 1]);
    // The first (oldest) is gone: its final ACK is refused; the last three complete.
    p.send({ flags: 'A', seq: 1, ack: sas[0]!.seq + 1, srcPort: 41000 });
    p.expect({ flags: 'R' });
    for (let k = 1; k < 4; k++) p.send({ flags: 'A', seq: 1000 * k + 1, ack: sas[k]!.seq + 1, srcPort: 41000 + k });
    expect(cache.counters.cacheHits).toBe(3);
  });

  it('evicts from another bucket when the whole cache is full, and never holds more than its size', () => {
    const { p, cache } = server({ mode: 'cache', entries: 16, buckets: 4, bucketLimit: 16, quotaShare: 1 });
    for (let k = 0; k < 1000; k++) p.send({ flags: 'S', seq: k, srcPort: 1024 + k, src: src(k) });
    expect(cache.count).toBe(16);
    expect(cache.counters.evictions).toBe(1000 - 16);
  });

  it('keeps one /24 from taking more than its quota; over quota it is refused, others still get in', () => {
    const { p, cache } = server({ mode: 'cache', entries: 16, quotaShare: 0.25 });
    for (let k = 0; k < 50; k++) p.send({ flags: 'S', seq: k, srcPort: 1024 + k, src: parseIpv4Address(`198.18.7.${k + 1}`) });
    expect(cache.count).toBe(4);
    expect(cache.counters.quotaHits).toBe(46);
    p.send({ flags: 'S', seq: 1, srcPort: 2000, src: parseIpv4Address('203.0.113.9') });
    expect(cache.count).toBe(5);
  });
});

describe('cookies', () => {
  it('answers with a cookie once a bucket is full (overflow mode), and a valid cookie ACK opens a connection', () => {
    const { p, l, cache } = server({ mode: 'overflow', buckets: 1, bucketLimit: 2, entries: 8, quotaShare: 1 });
    for (let k = 0; k < 2; k++) p.send({ flags: 'S', seq: k, srcPort: 41000 + k });
    p.take();
    p.send({ flags: 'S', seq: 7000, srcPort: 42000, mss: 1400, ws: 6, sackOk: true });
    const sa = p.expect({ flags: 'SA', ack: 7001 });
    expect([cache.count, cache.counters.cookiesSent]).toEqual([2, 1]);
    const st = p.tcp.synDefenceStatus();
    expect([st.cookieMode, st.underAttack, st.attackStartedAt]).toEqual([true, true, p.now]);
    p.send({ flags: 'A', seq: 7001, ack: sa.seq + 1, srcPort: 42000 });
    const c = l.accept()!;
    expect(c.stateName).toBe('ESTABLISHED');
    // The MSS comes back rounded down to the cookie table.
    expect([c.sndMss, c.v[SND_SCALE], (c.flags & SACK_OK) !== 0]).toEqual([Math.max(...COOKIE_MSS_TABLE.filter((m) => m <= 1400)), 6, true]);
    expect(cache.counters.cookiesAccepted).toBe(1);
  });

  it('stays on cookies for the hysteresis period, then trusts the cache again', () => {
    const { p, cache } = server({ mode: 'overflow', buckets: 1, bucketLimit: 1, entries: 8, hysteresisMs: 10_000, quotaShare: 1 });
    p.send({ flags: 'S', seq: 1, srcPort: 41000 });
    p.send({ flags: 'S', seq: 2, srcPort: 41001 }); // overflow: cookie
    p.send({ flags: 'R', seq: 2, srcPort: 41000 }); // the entry goes
    p.send({ flags: 'S', seq: 3, srcPort: 41002 }); // room now, but still cookie mode
    expect([cache.counters.cookiesSent, cache.count]).toEqual([2, 0]);
    p.advance(10_000);
    p.send({ flags: 'S', seq: 4, srcPort: 41003 });
    expect([cache.counters.cookiesSent, cache.count]).toEqual([2, 1]);
    expect(p.tcp.synDefenceStatus().underAttack).toBe(false);
  });

  it('in cookies mode keeps no state, and drops forged, replayed and stale cookies without an RST', () => {
    const { p, l, cache } = server({ mode: 'cookies', cookiePeriodMs: 15_000, cookieRing: 0 });
    p.send({ flags: 'S', seq: 1000, mss: 1460 });
    const sa = p.expect({ flags: 'SA' });
    expect(cache.count).toBe(0);
    p.send({ flags: 'A', seq: 1001, ack: sa.seq + 2 }); // forged
    p.send({ flags: 'A', seq: 1001, ack: sa.seq + 1, srcPort: 40001 }); // replayed on another tuple
    p.send({ flags: 'PA', seq: 2001, ack: sa.seq + 1, data: 10 }); // a later segment: cannot be checked
    p.expectNone();
    expect(cache.counters.cookiesRejected).toBe(3);
    p.advance(31_000); // two periods later
    p.send({ flags: 'A', seq: 1001, ack: sa.seq + 1 });
    p.expectNone();
    expect(cache.counters.cookiesRejected).toBe(4);
    expect(l.accept()).toBeNull();
    // Outside cookie mode (cache-only) an unmatched ACK gets the LISTEN answer, an RST.
    const c = server({ mode: 'cache' });
    c.p.send({ flags: 'A', seq: 1001, ack: 12345 });
    c.p.expect({ flags: 'R', seq: 12345 });
  });

  it('gives a prefix over its quota cookies in overflow mode, while other sources keep cache entries', () => {
    const { p, cache } = server({ mode: 'overflow', entries: 16, quotaShare: 0.25 });
    for (let k = 0; k < 50; k++) p.send({ flags: 'S', seq: k, srcPort: 1024 + k, src: parseIpv4Address(`198.18.7.${k + 1}`) });
    expect(cache.count).toBe(4);
    expect(cache.counters.cookiesSent).toBe(46);
    const st = p.tcp.synDefenceStatus();
    expect([st.underAttack, st.cookieMode]).toEqual([true, false]);
    p.send({ flags: 'S', seq: 1, srcPort: 2000, src: parseIpv4Address('203.0.113.9') });
    expect([cache.count, cache.counters.cookiesSent]).toEqual([5, 46]);
  });

  it('keeps cookie mode (and the attack signal) up while SYNs keep outrunning the cache', () => {
    const { p, cache } = server({ mode: 'overflow', entries: 16, hysteresisMs: 10_000 });
    for (let t = 0; t < 60; t++) {
      for (let k = 0; k < 100; k++) p.send({ flags: 'S', seq: k, srcPort: 1024 + k, src: src(t * 100 + k) });
      p.advance(1000);
      p.take();
      expect(p.tcp.synDefenceStatus().underAttack).toBe(true);
    }
    const st = p.tcp.synDefenceStatus();
    expect(st.attackStartedAt).toBeLessThan(1000 + 5000);
    expect(cache.count).toBe(0); // the cache drained; everything since went to cookies
  });

  it('uses cookies when free connection blocks fall under the watermark', () => {
    const { p, cache } = server({ mode: 'overflow', freeBlocksWatermark: 100 }, { connections: 8 });
    p.send({ flags: 'S', seq: 1 });
    expect([cache.count, cache.counters.cookiesSent]).toEqual([0, 1]);
  });

  it('resends the SYN-ACK of a recent cookie handshake that got no final ACK, a bounded number of times', () => {
    const { p, cache } = server({ mode: 'cookies', cookieRing: 4, cookieRetries: 2 });
    p.send({ flags: 'S', seq: 1000 });
    const sa = p.expect({ flags: 'SA' });
    p.advance(1000);
    p.expect({ flags: 'SA', seq: sa.seq, ack: 1001 });
    p.advance(2000);
    p.expect({ flags: 'SA', seq: sa.seq });
    p.advance(10_000);
    p.expectNone();
    expect(cache.counters.synAcksRetransmitted).toBe(2);
  });
});

describe('accept queue', () => {
  function fullQueue(acceptOverflow: 'drop' | 'reset') {
    const s = server({ acceptOverflow }, {}, 1);
    const { p } = s;
    const open = (port: number) => {
      p.send({ flags: 'S', seq: 1000, srcPort: port });
      const sa = p.take()[0]!;
      p.send({ flags: 'A', seq: 1001, ack: sa.seq + 1, srcPort: port });
      return sa;
    };
    open(41000);
    const sa = open(41001); // the queue (1) is full
    return { ...s, sa };
  }

  it('drops the final ACK when the accept queue is full, keeping the entry for a later retry', () => {
    const { p, l, cache, sa } = fullQueue('drop');
    expect([cache.count, cache.counters.acceptQueueOverflows]).toEqual([1, 1]);
    p.take();
    l.accept();
    p.send({ flags: 'A', seq: 1001, ack: sa.seq + 1, srcPort: 41001 });
    expect(l.accept()!.stateName).toBe('ESTABLISHED');
  });

  it('refuses with RST when configured to', () => {
    const { p, cache } = fullQueue('reset');
    expect(p.take().map((s) => s.flags)).toContain('R');
    expect(cache.count).toBe(0);
  });
});

describe('visibility', () => {
  it('estimates distinct sources, and counts SYNs and SYN-ACKs', () => {
    const { p } = server({ mode: 'cookies' });
    for (let k = 0; k < 500; k++) p.send({ flags: 'S', seq: k, srcPort: 1024 + k, src: src(k) });
    for (let k = 0; k < 500; k++) p.send({ flags: 'S', seq: k, srcPort: 3024 + k, src: src(k) });
    const st = p.tcp.synDefenceStatus();
    expect(st.distinctSources).toBeGreaterThan(450);
    expect(st.distinctSources).toBeLessThan(550);
    expect([st.counters.synsReceived, st.counters.cookiesSent]).toEqual([1000, 1000]);
  });

  it('stays within its fixed size under 100,000 SYNs from random sources', () => {
    const { p, cache } = server({ mode: 'overflow', entries: 64 });
    const before = cache.totalBytes;
    for (let k = 0; k < 100_000; k++) p.send({ flags: 'S', seq: k, srcPort: 1024 + (k % 60000), src: src(k % 65536) });
    p.take();
    expect(cache.count).toBeLessThanOrEqual(64);
    expect(cache.totalBytes).toBe(before);
    expect(p.tcp.activeConnections).toBe(0);
  });
});

describe('RSTs for cached entries (RFC 5961 §3.2 in SYN-RECEIVED)', () => {
  it('challenges an in-window RST that is not at IRS + 1, keeping the entry', () => {
    const { p, cache } = server();
    p.send({ flags: 'S', seq: 1000 });
    const sa = p.expect({ flags: 'SA' });
    p.send({ flags: 'R', seq: 1500 });
    p.expect({ flags: 'A', seq: sa.seq + 1, ack: 1001 });
    expect(cache.count).toBe(1);
    p.send({ flags: 'R', seq: 900_000 }); // outside the window: silence
    p.expectNone();
    expect(cache.count).toBe(1);
  });

  it('removes the entry on any in-window RST in RFC 793 mode (insecure_rst)', () => {
    const { p, cache } = server({}, { rfc5961Rst: false });
    p.send({ flags: 'S', seq: 1000 });
    p.take();
    p.send({ flags: 'R', seq: 1500 });
    p.expectNone();
    expect(cache.count).toBe(0);
  });
});
