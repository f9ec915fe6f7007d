// Packet-level tests of a synchronized connection: ESTABLISHED, with RFC 5961's checks, data in
// both directions with cumulative ACKs, retransmission, keepalive and abort.

import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/tcp/connection';
import { established, readAll as read, recorder } from './setups';
import type { Listener } from '../../src/tcp/listener';
import type { TcpConfigInput } from '../../src/tcp/tcp';
import { PEER, TcpPeer, pattern } from './peer';
import { NO_DELAY, RTO, RTTVAR, SRTT } from '../../src/tcp/connection';


describe('ESTABLISHED: receiving', () => {
  it('takes in-order data, delays its ACK by 100 ms, and ACKs every second full segment at once', () => {
    const r = recorder();
    const { p, c, snd } = established({ receiveBuffer: 8192 }, r.handler);
    p.send({ flags: 'PA', seq: 1001, ack: snd, data: pattern(100, 1) });
    p.expectNone();
    p.advance(99);
    p.expectNone();
    p.advance(1);
    p.expect({ flags: 'A', seq: snd, ack: 1101 });
    p.send({ flags: 'PA', seq: 1101, ack: snd, data: pattern(50, 2) });
    expect(r.events).toEqual(['readable:100', 'readable:150']);
    const got = read(c);
    expect(got.subarray(0, 100)).toEqual(pattern(100, 1));
    expect(got.subarray(100)).toEqual(pattern(50, 2));
    p.advance(100);
    p.expect({ flags: 'A', ack: 1151 });
    // Two full-sized segments: the second is ACKed at once (RFC 5681 §4.2).
    p.send({ flags: 'A', seq: 1151, ack: snd, data: 1460 });
    p.expectNone();
    p.send({ flags: 'A', seq: 2611, ack: snd, data: 1460 });
    p.expect({ flags: 'A', ack: 4071 });
  });

  it('does not re-announce the window of its SYN-ACK when the first bytes are read before any ACK', () => {
    for (const halfOpen of ['block-per-syn', undefined] as const) {
      const p = new TcpPeer();
      const l = p.tcp.listen(80, halfOpen ? { halfOpen } : {}) as Listener;
      p.send({ flags: 'S', seq: 1000, mss: 1460 });
      const sa = p.expect({ flags: 'SA', ack: 1001 });
      p.send({ flags: 'A', seq: 1001, ack: sa.seq + 1 });
      const c = l.accept()!;
      p.send({ flags: 'PA', seq: 1001, ack: sa.seq + 1, data: 10 });
      read(c);
      p.expectNone(); // the window is what the SYN-ACK said; the delayed ACK is still pending
      p.advance(100);
      p.expect({ flags: 'A', ack: 1011 });
    }
  });

  it('ACKs at once with delayed ACKs turned off', () => {
    const { p, snd } = established({ delayedAckMs: 0 });
    p.send({ flags: 'PA', seq: 1001, ack: snd, data: 10 });
    p.expect({ flags: 'A', ack: 1011 });
  });

  it('trims a segment that overlaps data already received', () => {
    const { p, c, snd } = established();
    const all = pattern(200, 3);
    p.send({ flags: 'PA', seq: 1001, ack: snd, data: all.subarray(0, 100) });
    p.send({ flags: 'PA', seq: 1051, ack: snd, data: all.subarray(50, 200) });
    p.advance(100);
    p.expect({ flags: 'A', ack: 1201 });
    expect(read(c)).toEqual(all);
  });

  it('answers a segment beyond RCV.NXT with a duplicate ACK and keeps nothing (no reassembly yet)', () => {
    const { p, c, snd } = established();
    p.send({ flags: 'PA', seq: 1101, ack: snd, data: 10 });
    p.expect({ flags: 'A', seq: snd, ack: 1001 });
    expect(c.readable).toBe(0);
  });

  it('answers a segment outside the window with an ACK (first check, §3.10.7.4)', () => {
    const { p, snd } = established();
    p.send({ flags: 'PA', seq: 900_000, ack: snd, data: 10 });
    p.expect({ flags: 'A', seq: snd, ack: 1001 });
    p.send({ flags: 'A', seq: 500, ack: snd });
    p.expect({ flags: 'A', ack: 1001 });
    expect(p.tcp.counters.drops['out-of-window']).toBe(2);
  });

  it('keeps only what fits its receive buffer, advertises the shrinking window, and reopens it', () => {
    const { p, c, snd } = established({ receiveBuffer: 1000, delayedAckMs: 0 });
    p.send({ flags: 'PA', seq: 1001, ack: snd, data: 600 });
    p.expect({ flags: 'A', ack: 1601, win: 400 });
    p.send({ flags: 'PA', seq: 1601, ack: snd, data: 600 });
    p.expect({ flags: 'A', ack: 2001, win: 0 });
    expect(c.readable).toBe(1000);
    // With a zero window only a segment at RCV.NXT of length 0 is acceptable.
    p.send({ flags: 'PA', seq: 2001, ack: snd, data: 1 });
    p.expect({ flags: 'A', ack: 2001, win: 0 });
    // Reading 100 bytes is too small a change to announce (RFC 1122 §4.2.3.3: min(MSS, buffer/2)).
    c.read(new Uint8Array(100));
    p.expectNone();
    // Reading the rest is announced at once.
    read(c);
    p.expect({ flags: 'A', ack: 2001, win: 1000 });
  });
});

describe('ESTABLISHED: RFC 5961', () => {
  it('resets on an RST exactly at RCV.NXT, reporting "reset"', () => {
    const r = recorder();
    const { p, c } = established({}, r.handler);
    p.send({ flags: 'R', seq: 1001 });
    p.expectNone();
    expect(c.stateName).toBe('CLOSED');
    expect(r.events).toEqual(['error:reset']);
  });

  it('answers an in-window RST not at RCV.NXT with a challenge ACK and stays up (§3.2)', () => {
    const { p, c, snd } = established();
    p.send({ flags: 'R', seq: 1500 });
    p.expect({ flags: 'A', seq: snd, ack: 1001 });
    expect(c.stateName).toBe('ESTABLISHED');
  });

  it('drops an RST outside the window silently', () => {
    const { p, c } = established();
    p.send({ flags: 'R', seq: 1001 + 100_000 });
    p.expectNone();
    expect(c.stateName).toBe('ESTABLISHED');
  });

  it('takes an RST at exactly RCV.NXT + RCV.WND as outside the window (a bare ACK there is taken)', () => {
    // The receive ring is 2048 bytes: the window is [1001, 3049).
    const { p, c, snd } = established({ rfc5961Rst: false });
    p.send({ flags: 'R', seq: 1001 + 2048 });
    p.expectNone();
    expect(c.stateName).toBe('ESTABLISHED');
    expect(p.tcp.counters.drops['rst-out-of-window']).toBe(1);
    p.send({ flags: 'A', seq: 1001 + 2048, ack: snd });
    p.expectNone();
    p.send({ flags: 'R', seq: 1001 + 2047 });
    expect(c.stateName).toBe('CLOSED');
  });

  it('resets on any in-window RST in RFC 793 mode (insecure_rst)', () => {
    const { p, c } = established({ rfc5961Rst: false });
    p.send({ flags: 'R', seq: 1500 });
    expect(c.stateName).toBe('CLOSED');
  });

  it('answers a SYN with a challenge ACK, whatever its sequence number (§4.2)', () => {
    const { p, c, snd } = established();
    p.send({ flags: 'S', seq: 1001 });
    p.expect({ flags: 'A', seq: snd, ack: 1001 });
    p.send({ flags: 'S', seq: 1500 });
    p.expect({ flags: 'A', seq: snd, ack: 1001 });
    expect(c.stateName).toBe('ESTABLISHED');
  });

  it('resets the connection on an in-window SYN in RFC 793 mode (insecure_syn)', () => {
    const r = recorder();
    const { p, c, snd } = established({ rfc5961Syn: false }, r.handler);
    p.send({ flags: 'S', seq: 1500 });
    p.expect({ flags: 'RA', seq: snd, ack: 1001 });
    expect(c.stateName).toBe('CLOSED');
    expect(r.events).toEqual(['error:reset']);
  });

  it('answers a SYN outside the window with a rate-limited challenge ACK (§4.2, §7)', () => {
    const { p, c, snd } = established({ challengeAcksPerConnection: 2 });
    for (const seq of [500, 1001 + 100_000, 900]) p.send({ flags: 'S', seq });
    expect(p.take().map((x) => [x.flags, x.seq, x.ack])).toEqual([['A', snd, 1001], ['A', snd, 1001]]);
    expect(p.tcp.counters.drops['syn-challenged']).toBe(3);
    expect(p.tcp.counters.challengeAcksLimited).toBe(1);
    expect(c.stateName).toBe('ESTABLISHED');
  });

  it('answers a SYN outside the window with an ACK and stays up in RFC 793 mode', () => {
    const { p, c, snd } = established({ rfc5961Syn: false });
    p.send({ flags: 'S', seq: 1001 + 100_000 });
    p.expect({ flags: 'A', seq: snd, ack: 1001 });
    expect(c.stateName).toBe('ESTABLISHED');
  });

  it('challenges an ACK of data never sent, and an ACK older than SND.UNA − MAX.SND.WND (§5.2)', () => {
    const { p, c, snd } = established();
    p.send({ flags: 'PA', seq: 1001, ack: snd + 5000, data: 10 });
    p.expect({ flags: 'A', seq: snd, ack: 1001 });
    expect(c.readable).toBe(0);
    p.send({ flags: 'PA', seq: 1001, ack: snd - 70_000, data: 10 });
    p.expect({ flags: 'A', seq: snd, ack: 1001 });
    expect(c.readable).toBe(0);
    expect(p.tcp.counters.drops['ack-challenged']).toBe(1);
    expect(p.tcp.counters.drops['ack-of-unsent']).toBe(1);
  });

  it('limits challenge ACKs per connection per second (§7)', () => {
    const { p } = established({ challengeAcksPerConnection: 5 });
    for (let i = 0; i < 30; i++) p.send({ flags: 'R', seq: 1100 + i });
    expect(p.take()).toHaveLength(5);
    p.advance(1000);
    for (let i = 0; i < 30; i++) p.send({ flags: 'R', seq: 1100 + i });
    expect(p.take()).toHaveLength(5);
    expect(p.tcp.counters.challengeAcksLimited).toBe(50);
  });

  it('limits challenge ACKs across the whole stack too', () => {
    const p = new TcpPeer({ challengeAcksPerSecond: 3, connections: 4 });
    const l = p.tcp.listen(80) as Listener;
    for (let k = 0; k < 3; k++) {
      p.send({ flags: 'S', seq: 1000, srcPort: 40000 + k });
      const sa = p.take()[0]!;
      p.send({ flags: 'A', seq: 1001, ack: sa.seq + 1, srcPort: 40000 + k });
      l.accept();
    }
    for (let k = 0; k < 3; k++) for (let i = 0; i < 3; i++) p.send({ flags: 'R', seq: 1100 + i, srcPort: 40000 + k });
    expect(p.take()).toHaveLength(3);
  });
});

describe('ESTABLISHED: sending', () => {
  it('sends written data in MSS-sized segments, holds the short tail while data is in flight (Nagle)', () => {
    const r = recorder();
    const { p, c, snd } = established({ sendBuffer: 8192 }, r.handler);
    expect(c.write(pattern(4000, 5))).toBe(4000);
    const segs = p.take();
    expect(segs.map((s) => [s.flags, s.seq - snd, s.len])).toEqual([['A', 0, 1460], ['A', 1460, 1460]]);
    expect(c.unacknowledged).toBe(4000);
    p.send({ flags: 'A', seq: 1001, ack: snd + 2920 });
    // Nothing in flight any more: the 1080-byte tail may go (RFC 896).
    const tail = p.expect({ flags: 'PA', seq: snd + 2920, len: 1080 });
    expect(Buffer.concat([...segs, tail].map((s) => s.data))).toEqual(Buffer.from(pattern(4000, 5)));
    expect(c.unacknowledged).toBe(1080);
    expect(r.events).toEqual(['writable:7112']);
  });

  it('sends the short tail at once with Nagle off (noDelay)', () => {
    const { p, c, snd } = established({ sendBuffer: 8192 });
    c.flags |= NO_DELAY;
    c.write(pattern(3000));
    expect(p.take().map((s) => [s.seq - snd, s.len])).toEqual([[0, 1460], [1460, 1460], [2920, 80]]);
  });

  it('sends one small write at once when nothing is in flight, and holds the next (Nagle)', () => {
    const { p, c, snd } = established();
    c.write(pattern(10));
    p.expect({ flags: 'PA', len: 10 });
    c.write(pattern(10));
    p.expectNone();
    p.send({ flags: 'A', seq: 1001, ack: snd + 10 });
    p.expect({ flags: 'PA', seq: snd + 10, len: 10 });
  });

  it('never sends beyond the window, and avoids silly segments until the persist timer overrides (RFC 1122 §4.2.3.4)', () => {
    const { p, c, snd } = established();
    p.send({ flags: 'A', seq: 1001, ack: snd, win: 100 });
    c.write(pattern(500));
    // 100 bytes is less than half the largest window the peer offered (65535): hold.
    p.expectNone();
    p.advance(200);
    p.expect({ flags: 'A', seq: snd, len: 100 });
    p.send({ flags: 'A', seq: 1001, ack: snd + 100, win: 40_000 });
    // Now all 400 remaining bytes fit: they go at once.
    p.expect({ flags: 'PA', seq: snd + 100, len: 400 });
  });

  it('accepts no more than its send buffer holds', () => {
    const { c } = established({ sendBuffer: 1000 });
    expect(c.write(pattern(3000))).toBe(1000);
    expect(c.writable).toBe(0);
  });

  it('retransmits unacknowledged data from SND.UNA after the RTO, doubling it each time', () => {
    const { p, c, snd } = established();
    c.write(pattern(100));
    const first = p.expect({ flags: 'PA', seq: snd, len: 100 });
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      p.advanceToNextDeadline();
      const s = p.expect({ seq: snd, len: 100 });
      times.push(s.time - first.time);
    }
    // The handshake's RTT sample was 0 ms on the virtual clock: RTO = the 200 ms minimum.
    expect(times).toEqual([200, 600, 1400]);
    p.send({ flags: 'A', seq: 1001, ack: snd + 100 });
    expect(c.rtxAt).toBe(Infinity);
  });

  it('gives up after maxRetries retransmissions with "timeout" and an RST', () => {
    const r = recorder();
    const { p, c, snd } = established({ maxRetries: 3 }, r.handler);
    c.write(pattern(10));
    p.advance(60_000);
    const out = p.take();
    expect(out.map((s) => s.flags)).toEqual(['PA', 'PA', 'PA', 'PA', 'R']);
    expect(out[4]!.seq).toBe(snd + 10);
    expect(r.events).toEqual(['error:timeout']);
    expect(c.stateName).toBe('CLOSED');
  });

  it('adds rtoSlopMs to every RTO computed from a sample (FreeBSD rexmit_slop), above minRtoMs', () => {
    const { p, c, snd } = established({ rtoSlopMs: 200, minRtoMs: 30 });
    expect(c.v[RTO]).toBe(201); // the handshake's 0 ms sample: 0 + max(G = 1, 0) + 200
    c.write(pattern(10));
    p.take();
    p.advance(80);
    p.send({ flags: 'A', seq: 1001, ack: snd + 10 });
    expect(c.v[RTO]).toBe(290); // 10 + 4 · 20 + 200
    c.write(pattern(10));
    p.take();
    p.advance(289);
    p.expectNone();
    p.advance(1);
    p.expect({ seq: snd + 10, len: 10 });
  });

  it('samples the RTT from ACKs (RFC 6298) but not from retransmitted segments (Karn)', () => {
    const { p, c, snd } = established();
    // The handshake gave a first sample of 0 ms (the peer answered at once): SRTT 0, RTTVAR 0.
    expect([c.v[SRTT], c.v[RTTVAR], c.v[RTO]]).toEqual([0, 0, 200]);
    c.write(pattern(10));
    p.take();
    p.advance(80);
    p.send({ flags: 'A', seq: 1001, ack: snd + 10 });
    // §2.3: RTTVAR = 3/4 · 0 + 1/4 · |0 − 80| = 20; SRTT = 7/8 · 0 + 1/8 · 80 = 10.
    expect([c.v[SRTT], c.v[RTTVAR]]).toEqual([10, 20]);
    expect(c.v[RTO]).toBe(200); // 10 + 4 · 20 = 90, raised to the 200 ms minimum
    p.advance(300);
    p.send({ flags: 'A', seq: 1001, ack: snd + 10 }); // a duplicate ACK carries no sample
    c.write(pattern(10));
    p.take();
    p.advance(200);
    p.expect({ seq: snd + 10, len: 10 }); // retransmitted
    p.advance(5);
    p.send({ flags: 'A', seq: 1001, ack: snd + 20 });
    expect([c.v[SRTT], c.v[RTTVAR]]).toEqual([10, 20]);
  });
});

describe('ESTABLISHED: keepalive (RFC 1122 §4.2.3.6) and abort', () => {
  function withKeepalive(config: TcpConfigInput = {}) {
    const p = new TcpPeer({ keepalive: { idleMs: 10_000, intervalMs: 1_000, count: 3 }, ...config });
    const r = recorder();
    const c = p.tcp.connect(PEER, 5000, r.handler, { keepalive: true }) as Connection;
    const syn = p.expect({ flags: 'S' });
    p.usPort = syn.srcPort;
    p.peerPort = 5000;
    p.send({ flags: 'SA', seq: 7000, ack: syn.seq + 1 });
    p.take();
    return { p, c, r, snd: syn.seq + 1 };
  }

  it('probes an idle connection with SEG.SEQ = SND.NXT − 1 and keeps it while the peer answers', () => {
    const { p, c, snd } = withKeepalive();
    p.advance(9_999);
    p.expectNone();
    p.advance(1);
    p.expect({ flags: 'A', seq: snd - 1, ack: 7001, len: 0 });
    p.send({ flags: 'A', seq: 7001, ack: snd });
    p.advance(9_999);
    p.expectNone();
    p.advance(1);
    p.expect({ flags: 'A', seq: snd - 1 });
    expect(c.stateName).toBe('ESTABLISHED');
  });

  it('declares the peer dead after `count` unanswered probes: "timeout" and RST', () => {
    const { p, c, r } = withKeepalive();
    p.advance(10_000 + 3 * 1_000);
    expect(p.take().map((s) => s.flags)).toEqual(['A', 'A', 'A', 'R']);
    expect(c.stateName).toBe('CLOSED');
    expect(r.events).toEqual(['connected', 'error:timeout']);
  });

  it('sends nothing on an idle connection without keepalive', () => {
    const { p } = established();
    p.advance(3 * 3_600_000);
    p.expectNone();
  });

  it('abort() sends <SEQ=SND.NXT><CTL=RST> and frees the block at once', () => {
    const { p, c, snd } = established();
    c.abort();
    p.expect({ flags: 'R', seq: snd });
    expect(p.tcp.activeConnections).toBe(0);
  });

  it('close() with unread data resets instead of closing (RFC 1122 §4.2.2.13)', () => {
    const { p, c, snd } = established();
    p.send({ flags: 'PA', seq: 1001, ack: snd, data: 10 });
    p.take();
    c.close();
    p.expect({ flags: 'R', seq: snd });
    expect(p.tcp.activeConnections).toBe(0);
  });
});
