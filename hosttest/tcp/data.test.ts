// Packet-level tests of reliable data transfer (issue 4): options negotiated in the handshake
// (window scale, timestamps, SACK-permitted), PAWS, RTT from timestamps, out-of-order reassembly
// and the SACK blocks it produces, fast retransmit and NewReno partial ACKs, SACK-guided
// retransmission, zero-window probing with backoff, congestion window growth, urgent data, and the
// retransmission time limit. (Nagle, SWS avoidance, delayed ACK, RTO backoff and Karn are in
// established.test.ts.)

import { describe, expect, it } from 'vitest';
import { established, establishedWith, readAll, recorder } from './setups';
import { PEER, TcpPeer, pattern } from './peer';
import type { Connection } from '../../src/tcp/connection';
import {
  IN_RECOVERY, NO_DELAY, RTO, RTTVAR, SACKED_COUNT, SACK_OK, SND_SCALE, SRTT, SSTHRESH, TS_OK,
  TS_RECENT,
} from '../../src/tcp/connection';

describe('options negotiated in the handshake', () => {
  it('offers MSS, SACK-permitted, timestamps and window scale in its SYN', () => {
    const p = new TcpPeer({ receiveBuffer: 256 * 1024, windowScale: 0 });
    p.tcp.connect(PEER, 5000);
    const syn = p.expect({ flags: 'S' });
    expect([syn.mss, syn.sackOk, syn.ts !== null, syn.ws]).toEqual([1460, true, true, 3]); // 256 KiB >> 2 is still 65536
    expect(syn.ts![1]).toBe(0);
  });

  it('answers a SYN only with the options the peer offered (RFC 7323 §1.3, RFC 2018 §2)', () => {
    const bare = establishedWith({});
    expect([bare.synAck.ws, bare.synAck.ts, bare.synAck.sackOk]).toEqual([-1, null, false]);
    const full = establishedWith({ ws: 7, ts: true, sackOk: true });
    expect(full.synAck.ws).toBe(0);
    expect(full.synAck.ts![1]).toBe(100); // echoes the peer's TSval
    expect(full.synAck.sackOk).toBe(true);
    expect([(full.c.flags & TS_OK) !== 0, (full.c.flags & SACK_OK) !== 0, full.c.v[SND_SCALE]]).toEqual([true, true, 7]);
  });

  it('scales the windows it receives by the peer\'s shift (RFC 7323 §2.3), but not in the SYN', () => {
    const { p, c, snd, tsv } = establishedWith({ ws: 4 });
    expect(c.sndWnd).toBe(65535 << 4); // the handshake's ACK was scaled
    p.send({ flags: 'A', seq: 1001, ack: snd, win: 100, ts: tsv() });
    expect(c.sndWnd).toBe(1600);
  });

  it('caps a window-scale shift above 14 at 14', () => {
    const { c } = establishedWith({ ws: 20 });
    expect(c.v[SND_SCALE]).toBe(14);
  });
});

describe('timestamps (RFC 7323)', () => {
  it('stamps every segment with TSval and echoes TS.Recent', () => {
    const { p, c, snd, tsv } = establishedWith({ ts: true });
    p.send({ flags: 'PA', seq: 1001, ack: snd, data: 10, ts: tsv() }); // TSval 102
    p.advance(100);
    const ack = p.expect({ flags: 'A' });
    expect(ack.ts![1]).toBe(102);
    expect(ack.ts![0]).toBe(p.now >>> 0);
    expect(c.v[TS_RECENT]).toBe(102);
  });

  it('drops a segment whose timestamp is older than TS.Recent and ACKs (PAWS, §5)', () => {
    const { p, c, snd } = establishedWith({ ts: true }, { delayedAckMs: 0 });
    p.send({ flags: 'PA', seq: 1001, ack: snd, data: 10, ts: [500, 0] });
    p.take();
    p.send({ flags: 'PA', seq: 1011, ack: snd, data: 10, ts: [499, 0] });
    p.expect({ flags: 'A', ack: 1011 });
    expect(c.readable).toBe(10);
    expect(p.tcp.counters.drops.paws).toBe(1);
    // Newer wins, and so does a value past the 2^31 wrap of TSval.
    p.send({ flags: 'PA', seq: 1011, ack: snd, data: 10, ts: [501, 0] });
    p.take();
    expect(c.readable).toBe(20);
  });

  it('measures the RTT from the echoed timestamp, even for a retransmitted segment (no Karn needed)', () => {
    const { p, c, snd, tsv, setOurTs } = establishedWith({ ts: true });
    expect([c.v[SRTT], c.v[RTTVAR]]).toEqual([0, 0]); // the handshake's ACK came at once
    c.write(pattern(10));
    p.take();
    p.advance(200);
    const again = p.expect({ seq: snd, len: 10 }); // the RTO resent it with a fresh TSval
    p.advance(30);
    setOurTs(again.ts![0]);
    p.send({ flags: 'A', seq: 1001, ack: snd + 10, ts: tsv() });
    // One 30 ms sample (RFC 6298 §2.3): RTTVAR = 30/4, SRTT = 30/8.
    expect([c.v[SRTT], c.v[RTTVAR]]).toEqual([3.75, 7.5]);
  });

  it('takes no sample from an echo older than its last retransmission (the ACK of the original came late)', () => {
    const { p, c, snd, tsv, setOurTs } = establishedWith({ ts: true });
    c.write(pattern(10));
    const first = p.expect({ seq: snd, len: 10 });
    p.advance(200);
    p.expect({ seq: snd, len: 10 }); // the RTO resent it
    p.advance(3000);
    p.take(); // and again, backing off
    // The original arrived long ago; its ACKs were lost, and this one echoes the original's TSval:
    // 3,200 ms is how long recovery took, not the path's round trip.
    setOurTs(first.ts![0]);
    p.send({ flags: 'A', seq: 1001, ack: snd + 10, ts: tsv() });
    expect(c.unacknowledged).toBe(0);
    expect([c.v[SRTT], c.v[RTTVAR]]).toEqual([0, 0]);
    // New data sent after the retransmission samples again.
    c.write(pattern(10));
    const next = p.expect({ seq: snd + 10, len: 10 });
    p.advance(40);
    setOurTs(next.ts![0]);
    p.send({ flags: 'A', seq: 1001, ack: snd + 20, ts: tsv() });
    expect([c.v[SRTT], c.v[RTTVAR]]).toEqual([5, 10]);
  });
});

describe('out-of-order data and SACK blocks (RFC 2018)', () => {
  it('holds data beyond a gap, ACKs at once with a SACK block, and delivers all when the gap fills', () => {
    const { p, c, snd, tsv } = establishedWith({ sackOk: true, ts: true }, { receiveBuffer: 8192 });
    const all = pattern(3000, 4);
    p.send({ flags: 'A', seq: 2001, ack: snd, data: all.subarray(1000, 2000), ts: tsv() });
    const a1 = p.expect({ flags: 'A', ack: 1001 });
    expect(a1.sack).toEqual([[2001, 3001]]);
    p.send({ flags: 'A', seq: 3001, ack: snd, data: all.subarray(2000, 3000), ts: tsv() });
    expect(p.expect({ flags: 'A', ack: 1001 }).sack).toEqual([[2001, 4001]]);
    expect(c.readable).toBe(0);
    p.send({ flags: 'PA', seq: 1001, ack: snd, data: all.subarray(0, 1000), ts: tsv() });
    // Filling the gap is ACKed at once (RFC 5681 §4.2), with no SACK block left.
    const full = p.expect({ flags: 'A', ack: 4001 });
    expect(full.sack).toEqual([]);
    expect(readAll(c)).toEqual(all);
  });

  it('lists the block of the most recent segment first (RFC 2018 §4)', () => {
    const { p, snd } = establishedWith({ sackOk: true }, { receiveBuffer: 8192 });
    p.send({ flags: 'A', seq: 1101, ack: snd, data: 100 });
    p.take();
    p.send({ flags: 'A', seq: 1301, ack: snd, data: 100 });
    expect(p.expect({ ack: 1001 }).sack).toEqual([[1301, 1401], [1101, 1201]]);
    p.send({ flags: 'A', seq: 1201, ack: snd, data: 50 });
    expect(p.expect({ ack: 1001 }).sack).toEqual([[1101, 1251], [1301, 1401]]);
  });

  it('merges overlapping out-of-order segments and trims a segment overlapping RCV.NXT', () => {
    const { p, c, snd } = establishedWith({}, { receiveBuffer: 8192, delayedAckMs: 0 });
    const all = pattern(600, 6);
    p.send({ flags: 'A', seq: 1201, ack: snd, data: all.subarray(200, 400) });
    p.send({ flags: 'A', seq: 1301, ack: snd, data: all.subarray(300, 600) });
    p.send({ flags: 'A', seq: 1001, ack: snd, data: all.subarray(0, 250) });
    p.take();
    expect(c.rcvNxt).toBe(1601);
    expect(readAll(c)).toEqual(all);
  });

  it('sends no SACK blocks to a peer that did not offer SACK', () => {
    const { p, snd } = establishedWith({});
    p.send({ flags: 'A', seq: 2001, ack: snd, data: 10 });
    expect(p.expect({ ack: 1001 }).sack).toEqual([]);
  });

  it('takes a FIN that arrived before the data in front of it once the gap fills', () => {
    const { p, c, snd } = establishedWith({}, { delayedAckMs: 0 });
    p.send({ flags: 'FA', seq: 1101, ack: snd, data: 50 });
    p.take();
    expect(c.stateName).toBe('ESTABLISHED');
    p.send({ flags: 'A', seq: 1001, ack: snd, data: 100 });
    p.expect({ flags: 'A', ack: 1152 });
    expect(c.stateName).toBe('CLOSE-WAIT');
    expect(c.readable).toBe(150);
  });

  it('never holds more ranges than configured', () => {
    const { p, c, snd } = establishedWith({ sackOk: true }, { receiveBuffer: 16384, reassemblyRanges: 2 });
    for (let k = 1; k <= 5; k++) p.send({ flags: 'A', seq: 1001 + k * 200, ack: snd, data: 100 });
    p.take();
    expect(c.reassembly.count).toBeLessThanOrEqual(2);
  });
});

describe('loss recovery (RFC 5681 §3.2, RFC 6582)', () => {
  /** An established connection with `n` full segments in flight; returns their starts. */
  function inFlight(n: number, opts = {}) {
    const e = establishedWith(opts, { sendBuffer: 64 * 1024 });
    const mss = 1460 - ((e.c.flags & TS_OK) !== 0 ? 12 : 0);
    e.c.write(pattern(n * mss));
    const segs = e.p.take();
    expect(segs).toHaveLength(n);
    return { ...e, mss, segs };
  }

  it('fast-retransmits on the third duplicate ACK, not before', () => {
    const { p, c, snd, mss } = inFlight(6);
    p.send({ flags: 'A', seq: 1001, ack: snd + mss });
    p.take();
    for (let i = 0; i < 2; i++) p.send({ flags: 'A', seq: 1001, ack: snd + mss });
    p.expectNone();
    p.send({ flags: 'A', seq: 1001, ack: snd + mss });
    p.expect({ seq: snd + mss, len: mss });
    expect((c.flags & IN_RECOVERY) !== 0).toBe(true);
    // ssthresh = max(FlightSize / 2, 2·SMSS) with 5 segments in flight at the third duplicate.
    expect(c.v[SSTHRESH]).toBe(Math.floor((5 * mss) / 2));
    expect(c.cwnd).toBe(c.v[SSTHRESH] + 3 * mss);
    expect(p.tcp.counters.fastRetransmits).toBe(1);
  });

  it('retransmits the next hole on a partial ACK and leaves recovery on a full one (NewReno)', () => {
    const { p, c, snd, mss } = inFlight(6);
    for (let i = 0; i < 4; i++) p.send({ flags: 'A', seq: 1001, ack: snd });
    p.expect({ seq: snd, len: mss });
    // Partial ACK: up to the third segment; the fourth is the next hole.
    p.send({ flags: 'A', seq: 1001, ack: snd + 3 * mss });
    p.expect({ seq: snd + 3 * mss, len: mss });
    expect((c.flags & IN_RECOVERY) !== 0).toBe(true);
    // Full ACK: everything sent before recovery began.
    p.send({ flags: 'A', seq: 1001, ack: snd + 6 * mss });
    expect((c.flags & IN_RECOVERY) !== 0).toBe(false);
    expect(c.cwnd).toBeLessThanOrEqual(c.v[SSTHRESH]);
  });

  it('does not retransmit what the peer SACKed (RFC 6675 idea): the holes go, the SACKed ranges do not', () => {
    const { p, c, snd, mss } = inFlight(6, { sackOk: true });
    // Segments 0 and 2 lost; 1, 3, 4, 5 arrive.
    const block = (a: number, b: number): [number, number] => [snd + a * mss, snd + b * mss];
    p.send({ flags: 'A', seq: 1001, ack: snd, sack: [block(1, 2)] });
    p.send({ flags: 'A', seq: 1001, ack: snd, sack: [block(3, 4), block(1, 2)] });
    p.send({ flags: 'A', seq: 1001, ack: snd, sack: [block(3, 5), block(1, 2)] });
    const first = p.take();
    expect(first.map((s) => s.seq - snd)).toEqual([0]);
    p.send({ flags: 'A', seq: 1001, ack: snd, sack: [block(3, 6), block(1, 2)] });
    const second = p.take();
    expect(second.map((s) => s.seq - snd)).toEqual([2 * mss]);
    expect(c.v[SACKED_COUNT]).toBeGreaterThan(0);
  });

  it('ignores SACK blocks outside what it sent or below SND.UNA', () => {
    const { p, c, snd, mss } = inFlight(3, { sackOk: true });
    p.send({ flags: 'A', seq: 1001, ack: snd, sack: [[snd + 10 * mss, snd + 11 * mss], [snd - 500, snd - 100], [snd + 2 * mss, snd + mss]] });
    expect(c.v[SACKED_COUNT]).toBe(0);
    p.send({ flags: 'A', seq: 1001, ack: snd, sack: [[snd + mss, snd + 2 * mss]] });
    expect(c.v[SACKED_COUNT]).toBe(1);
  });

  it('restarts from the initial window after an idle period longer than the RTO (RFC 5681 §4.1)', () => {
    const { p, c, snd } = established({ sendBuffer: 256 * 1024, receiveBuffer: 256 * 1024 });
    c.write(pattern(30 * 1460));
    for (let acked = 0; acked < 30 * 1460;) {
      const out = p.take();
      acked = out.length ? out[out.length - 1]!.seq - snd + out[out.length - 1]!.len : acked;
      p.send({ flags: 'A', seq: 1001, ack: snd + acked });
      if (out.length === 0) break;
    }
    expect(c.cwnd).toBeGreaterThan(10 * 1460);
    p.advance(10_000);
    c.write(pattern(40 * 1460));
    expect(p.take()).toHaveLength(10);
  });

  it('after a timeout, starts again from one segment and grows by slow start', () => {
    const { p, c, snd, mss } = inFlight(4);
    p.advance(c.v[RTO]);
    p.expect({ seq: snd, len: mss });
    expect(c.cwnd).toBe(mss);
    p.send({ flags: 'A', seq: 1001, ack: snd + mss });
    expect(c.cwnd).toBe(2 * mss);
    expect(p.take().map((s) => s.seq - snd)).toEqual([mss, 2 * mss]);
  });

  it('starts with the RFC 6928 initial window and doubles it each round trip in slow start', () => {
    const e = established({ sendBuffer: 256 * 1024, receiveBuffer: 256 * 1024 });
    const { p, c, snd } = e;
    c.write(pattern(100_000));
    const round1 = p.take();
    expect(round1).toHaveLength(10);
    p.send({ flags: 'A', seq: 1001, ack: snd + 10 * 1460 });
    // Appropriate byte counting (RFC 3465, L = 2·SMSS): one ACK of ten segments adds two.
    expect(c.cwnd).toBe(12 * 1460);
  });

  it('gives up after maxRetransmitTimeMs even with retries left', () => {
    const r = recorder();
    const { p, c } = established({ maxRetries: 100, maxRetransmitTimeMs: 10_000 }, r.handler);
    c.write(pattern(10));
    p.advance(20_000);
    expect(r.events).toEqual(['error:timeout']);
  });
});

describe('zero window (RFC 9293 §3.8.6.1, RFC 6429)', () => {
  function closedWindow(config = {}) {
    const r = recorder();
    const e = established({ ...config }, r.handler);
    e.p.send({ flags: 'A', seq: 1001, ack: e.snd, win: 0 });
    e.c.write(pattern(100));
    e.p.expectNone();
    return { ...e, r };
  }

  it('probes a closed window with one byte, backing off, and sends the data when it opens', () => {
    const { p, c, snd } = closedWindow();
    const times: number[] = [];
    const start = p.now;
    for (let i = 0; i < 4; i++) {
      p.advanceToNextDeadline();
      const probe = p.expect({ seq: snd, len: 1 });
      times.push(probe.time - start);
      p.send({ flags: 'A', seq: 1001, ack: snd, win: 0 });
    }
    expect(times).toEqual([200, 600, 1400, 3000]);
    p.send({ flags: 'A', seq: 1001, ack: snd, win: 1000 });
    p.expect({ flags: 'PA', seq: snd, len: 100 });
    expect(c.stateName).toBe('ESTABLISHED');
  });

  it('keeps probing for as long as the peer answers, far past every retry limit', () => {
    const { p, c, snd, r } = closedWindow({ maxRetries: 3, maxRetransmitTimeMs: 60_000 });
    for (let i = 0; i < 100 && p.tcp.counters.persistProbes < 40; i++) {
      p.advanceToNextDeadline();
      if (p.take().length > 0) p.send({ flags: 'A', seq: 1001, ack: snd, win: 0 });
    }
    expect(p.now).toBeGreaterThan(10 * 60_000);
    expect(c.stateName).toBe('ESTABLISHED');
    expect(r.events).toEqual([]);
    expect(p.tcp.counters.persistProbes).toBe(40);
  });

  it('gives up when the peer stops answering probes', () => {
    const { p, r } = closedWindow({ maxRetransmitTimeMs: 30_000 });
    p.advance(120_000);
    expect(r.events).toEqual(['error:timeout']);
  });

  it('counts the probe byte as sent once the peer takes it', () => {
    const { p, c, snd } = closedWindow();
    p.advanceToNextDeadline();
    p.expect({ seq: snd, len: 1 });
    p.send({ flags: 'A', seq: 1001, ack: snd + 1, win: 1000 });
    p.expect({ seq: snd + 1, len: 99 });
    expect(c.unacknowledged).toBe(99);
  });
});

describe('urgent data (RFC 9293 §3.8.5)', () => {
  it('keeps urgent data inline and tells the application where it ends', () => {
    const seen: number[] = [];
    const { p, c, snd } = established({}, { onUrgent: (_c: Connection, ahead: number) => seen.push(ahead) });
    p.send({ flags: 'PA', seq: 1001, ack: snd, data: pattern(20, 1), urg: 5 });
    expect(seen).toEqual([5]);
    expect(readAll(c)).toEqual(pattern(20, 1));
    expect(p.tcp.counters.urgentIn).toBe(1);
  });
});

describe('regressions found by the impairment runs', () => {
  it('takes the ACK of a zero-length segment sitting exactly at the right edge of its window', () => {
    const { p, c, snd } = established({ receiveBuffer: 1000 });
    c.write(pattern(10));
    p.take();
    // The peer filled our 1000-byte window (its first segment lost), so its ACKs carry seq = RCV.NXT + 1000.
    p.send({ flags: 'A', seq: 2001, ack: snd + 10 });
    expect(c.unacknowledged).toBe(0);
    expect(p.tcp.counters.drops['out-of-window'] ?? 0).toBe(0);
  });

  it('numbers a pure ACK with SND.MAX after a timeout rewound SND.NXT', () => {
    const { p, c, snd } = established({ sendBuffer: 8192 });
    c.flags |= NO_DELAY;
    c.write(pattern(3000));
    p.take();
    p.advance(200); // RTO: SND.NXT goes back to SND.UNA, one segment resent
    p.take();
    p.send({ flags: 'PA', seq: 1001, ack: snd, data: 1, });
    p.advance(100);
    const ack = p.take().find((x) => x.len === 0)!;
    expect(ack.seq).toBe(snd + 3000);
  });

  it('does not let a segment whose ACK fails the checks move TS.Recent (PAWS poisoning)', () => {
    const { p, c, snd } = establishedWith({ ts: true });
    const before = c.v[TS_RECENT];
    p.send({ flags: 'A', seq: 1001, ack: snd - 100_000, ts: [0x7000_0000, 0] });
    expect(c.v[TS_RECENT]).toBe(before);
    p.send({ flags: 'PA', seq: 1001, ack: snd, data: 10, ts: [before + 1, 0] });
    expect(c.readable).toBe(10);
  });
});

describe('duplicate ACKs with SACK (RFC 6675 §2)', () => {
  it('counts SACK-bearing duplicate ACKs even when the receiver grows its window meanwhile', () => {
    const e = establishedWith({ sackOk: true }, { sendBuffer: 64 * 1024 });
    const { p, c, snd } = e;
    const mss = 1460;
    c.write(pattern(6 * mss));
    p.take();
    for (let i = 0; i < 3; i++) {
      p.send({ flags: 'A', seq: 1001, ack: snd, win: 60_000 + i * 1000, sack: [[snd + mss, snd + (2 + i) * mss]] });
    }
    p.expect({ seq: snd, len: mss });
    expect((c.flags & IN_RECOVERY) !== 0).toBe(true);
  });
});
