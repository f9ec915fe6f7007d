// Packet-level tests of opening: CLOSED (no connection), LISTEN, SYN-SENT and SYN-RECEIVED,
// one block per RFC 9293 state, on the virtual clock. Sequence numbers of the peer are chosen by
// the test; synstack's come from its ISN and are read from what it sends.

import { describe, expect, it } from 'vitest';
import { ICMP_DEST_UNREACHABLE, UNREACH_HOST, UNREACH_PORT } from '../../src/wire/icmp';
import type { Listener } from '../../src/tcp/listener';
import { TcpPeer } from './peer';
import { synReceived, synSent } from './setups';

describe('CLOSED (RFC 9293 §3.10.7.1): segments for no connection', () => {
  it('answers a SYN to a closed port with <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>', () => {
    const p = new TcpPeer();
    p.send({ flags: 'S', seq: 5000, dstPort: 81 });
    p.expect({ flags: 'RA', seq: 0, ack: 5001, srcPort: 81 });
  });

  it('answers an ACK with <SEQ=SEG.ACK><CTL=RST>', () => {
    const p = new TcpPeer();
    p.send({ flags: 'A', seq: 5000, ack: 777, dstPort: 81 });
    p.expect({ flags: 'R', seq: 777 });
  });

  it('answers data without ACK with an ACK of SEG.SEQ+SEG.LEN', () => {
    const p = new TcpPeer();
    p.send({ flags: 'P', seq: 5000, data: 10, dstPort: 81 });
    p.expect({ flags: 'RA', seq: 0, ack: 5010 });
  });

  it('never answers an RST', () => {
    const p = new TcpPeer();
    p.send({ flags: 'R', seq: 5000, dstPort: 81 });
    p.send({ flags: 'RA', seq: 5000, ack: 1, dstPort: 81 });
    p.expectNone();
  });

  it('rate-limits its RSTs', () => {
    const p = new TcpPeer({ resetsPerSecond: 20 });
    for (let i = 0; i < 100; i++) p.send({ flags: 'S', seq: i, dstPort: 81 });
    expect(p.take()).toHaveLength(20);
    p.advance(500);
    for (let i = 0; i < 100; i++) p.send({ flags: 'S', seq: i, dstPort: 81 });
    expect(p.take()).toHaveLength(10);
    expect(p.tcp.counters.drops['rst-rate-limited']).toBe(170);
  });

  it('drops SYN+RST always, SYN+FIN by default, and a bad checksum before TCP sees it', () => {
    const p = new TcpPeer();
    p.tcp.listen(80);
    p.send({ flags: 'SR', seq: 1 });
    p.send({ flags: 'SF', seq: 1 });
    p.send({ flags: 'S', seq: 1, badChecksum: true });
    p.expectNone();
    expect(p.tcp.counters.drops['syn-rst']).toBe(1);
    expect(p.tcp.counters.drops['syn-fin']).toBe(1);
    expect(p.iface.counters.drops['tcp-bad-checksum']).toBe(1);
  });
});

describe('LISTEN (RFC 9293 §3.10.7.2)', () => {
  it('answers a SYN with SYN-ACK <SEQ=ISS><ACK=SEG.SEQ+1> carrying our MSS, and enters SYN-RECEIVED', () => {
    const { p, l } = synReceived();
    expect(l.halfOpen).toBe(1);
    expect(p.tcp.connections.filter((c) => c.stateName === 'SYN-RECEIVED')).toHaveLength(1);
  });

  it('answers an ACK with RST, ignores an RST, and drops anything without SYN', () => {
    const p = new TcpPeer();
    p.tcp.listen(80);
    p.send({ flags: 'A', seq: 10, ack: 99 });
    p.expect({ flags: 'R', seq: 99 });
    p.send({ flags: 'R', seq: 10 });
    p.send({ flags: 'F', seq: 10 });
    p.expectNone();
    expect(p.tcp.counters.drops['listen-rst']).toBe(1);
    expect(p.tcp.counters.drops['listen-no-syn']).toBe(1);
  });

  it('drops SYNs beyond the backlog without a reply', () => {
    const p = new TcpPeer();
    const l = p.tcp.listen(80, { backlog: 2, halfOpen: 'block-per-syn' }) as Listener;
    for (let i = 0; i < 4; i++) p.send({ flags: 'S', seq: 100 * i, srcPort: 40000 + i });
    expect(p.take().map((s) => s.flags)).toEqual(['SA', 'SA']);
    expect(l.stats.backlogDrops).toBe(2);
  });

  it('drops SYNs when every connection block is in use', () => {
    const p = new TcpPeer({ connections: 2 });
    p.tcp.listen(80, { backlog: 2, halfOpen: 'block-per-syn' });
    p.tcp.listen(81, { backlog: 2, halfOpen: 'block-per-syn' });
    p.send({ flags: 'S', seq: 1, srcPort: 40001 });
    p.send({ flags: 'S', seq: 1, srcPort: 40002, dstPort: 81 });
    p.send({ flags: 'S', seq: 1, srcPort: 40003, dstPort: 81 });
    expect(p.take()).toHaveLength(2);
    expect(p.tcp.counters.drops['no-memory']).toBe(1);
  });

  it('refuses with RST once the listener is closed, and resets what it held', () => {
    const { p, l } = synReceived();
    p.tcp.closeListener(l);
    p.expect({ flags: 'R' });
    p.send({ flags: 'S', seq: 5, srcPort: 41000 });
    p.expect({ flags: 'RA', ack: 6 });
    expect(p.tcp.activeConnections).toBe(0);
  });
});

describe('SYN-SENT (RFC 9293 §3.10.7.3)', () => {
  it('sends SYN with our MSS, and on SYN-ACK enters ESTABLISHED and ACKs', () => {
    const { p, c, iss, syn, events } = synSent();
    expect(syn.mss).toBe(1460);
    expect(c.stateName).toBe('SYN-SENT');
    p.send({ flags: 'SA', seq: 7000, ack: iss + 1, mss: 1000 });
    p.expect({ flags: 'A', seq: iss + 1, ack: 7001 });
    expect(c.stateName).toBe('ESTABLISHED');
    expect(c.sndMss).toBe(1000);
    expect(events).toEqual(['connected']);
  });

  it('answers an unacceptable ACK with <SEQ=SEG.ACK><CTL=RST> and stays in SYN-SENT', () => {
    const { p, c, iss } = synSent();
    p.send({ flags: 'SA', seq: 7000, ack: iss });
    p.expect({ flags: 'R', seq: iss });
    p.send({ flags: 'SA', seq: 7000, ack: iss + 2 });
    p.expect({ flags: 'R', seq: iss + 2 });
    expect(c.stateName).toBe('SYN-SENT');
  });

  it('fails with "refused" on an RST that acknowledges the SYN, ignores one that does not', () => {
    const { p, c, iss, events } = synSent();
    p.send({ flags: 'R', seq: 0 });
    expect(c.stateName).toBe('SYN-SENT');
    p.send({ flags: 'RA', seq: 0, ack: iss + 1 });
    p.expectNone();
    expect(c.stateName).toBe('CLOSED');
    expect(events).toEqual(['error:refused']);
  });

  it('moves to SYN-RECEIVED on a bare SYN (simultaneous open) and sends SYN-ACK with the same ISS', () => {
    const { p, c, iss, events } = synSent();
    p.send({ flags: 'S', seq: 7000 });
    p.expect({ flags: 'SA', seq: iss, ack: 7001 });
    expect(c.stateName).toBe('SYN-RECEIVED');
    p.send({ flags: 'A', seq: 7001, ack: iss + 1 });
    expect(c.stateName).toBe('ESTABLISHED');
    expect(events).toEqual(['connected']);
  });

  it('drops a segment with neither SYN nor RST', () => {
    const { p, c, iss } = synSent();
    p.send({ flags: 'A', seq: 7000, ack: iss + 1 });
    p.expectNone();
    expect(c.stateName).toBe('SYN-SENT');
  });

  it('retransmits the SYN after 1, 2, 4, 8, 16, 32 s and fails with "timeout" one capped RTO (60 s) later', () => {
    const { p, c, iss, events } = synSent();
    const times: number[] = [];
    const start = p.now;
    while (c.stateName === 'SYN-SENT') {
      p.advanceToNextDeadline();
      for (const s of p.take()) {
        expect([s.flags, s.seq]).toEqual(['S', iss]);
        times.push(s.time - start);
      }
    }
    expect(times).toEqual([1000, 3000, 7000, 15000, 31000, 63000]);
    expect(p.now - start).toBe(63_000 + 60_000);
    expect(events).toEqual(['error:timeout']);
  });

  it('honours a smaller SYN retry limit', () => {
    const { p, c, events } = synSent({ synRetries: 2 });
    p.advance(10_000);
    expect(p.take()).toHaveLength(2);
    expect(c.stateName).toBe('CLOSED');
    expect(events).toEqual(['error:timeout']);
  });

  it('fails with "unreachable" on an ICMP port unreachable quoting the SYN (RFC 1122 §4.2.3.9)', () => {
    const { p, c, syn, events } = synSent();
    p.sendIcmpError(ICMP_DEST_UNREACHABLE, UNREACH_PORT, syn.datagram);
    expect(c.stateName).toBe('CLOSED');
    expect(events).toEqual(['error:unreachable']);
  });

  it('ignores an ICMP error quoting a sequence number it never sent (RFC 5927)', () => {
    const { p, c, syn } = synSent();
    const forged = syn.datagram.slice();
    forged[24] ^= 0x80; // high byte of the quoted TCP sequence number
    p.sendIcmpError(ICMP_DEST_UNREACHABLE, UNREACH_HOST, forged);
    expect(c.stateName).toBe('SYN-SENT');
  });

  it('deletes the block on close() without sending anything', () => {
    const { p, c } = synSent();
    c.close();
    p.expectNone();
    expect(p.tcp.activeConnections).toBe(0);
  });
});

describe('SYN-RECEIVED (RFC 9293 §3.10.7.4)', () => {
  it('enters ESTABLISHED on an acceptable ACK and queues the connection for accept()', () => {
    const { p, l, iss } = synReceived();
    let queued = 0;
    l.handler = { onConnection: (_l, n) => { queued = n; } };
    p.send({ flags: 'A', seq: 1001, ack: iss + 1 });
    p.expectNone();
    expect(queued).toBe(1);
    const c = l.accept()!;
    expect(c.stateName).toBe('ESTABLISHED');
    expect(l.accept()).toBeNull();
    expect(l.halfOpen).toBe(0);
  });

  it('answers an unacceptable ACK with <SEQ=SEG.ACK><CTL=RST>', () => {
    const { p, iss } = synReceived();
    p.send({ flags: 'A', seq: 1001, ack: iss + 5 });
    p.expect({ flags: 'R', seq: iss + 5 });
    expect(p.tcp.connections.filter((c) => c.stateName === 'SYN-RECEIVED')).toHaveLength(1);
  });

  it('returns to LISTEN on an RST at RCV.NXT (passive open), with nothing left behind', () => {
    const { p, l } = synReceived();
    p.send({ flags: 'R', seq: 1001 });
    p.expectNone();
    expect(l.halfOpen).toBe(0);
    expect(p.tcp.activeConnections).toBe(0);
    // Still listening.
    p.send({ flags: 'S', seq: 2000, srcPort: 40001 });
    p.expect({ flags: 'SA', ack: 2001 });
  });

  it('challenges an in-window RST that is not at RCV.NXT (RFC 5961 §3.2)', () => {
    const { p, iss } = synReceived();
    p.send({ flags: 'R', seq: 1500 });
    p.expect({ flags: 'A', seq: iss + 1, ack: 1001 });
    expect(p.tcp.activeConnections).toBe(1);
  });

  it('resends the SYN-ACK for a duplicate SYN', () => {
    const { p, iss } = synReceived();
    p.send({ flags: 'S', seq: 1000, mss: 1460 });
    p.expect({ flags: 'SA', seq: iss, ack: 1001 });
  });

  it('retransmits the SYN-ACK after 1, 2 and 4 s, then forgets the half-open connection', () => {
    const { p, l, iss } = synReceived();
    const start = p.now;
    const times: number[] = [];
    for (let i = 0; i < 10 && l.halfOpen > 0; i++) {
      p.advanceToNextDeadline();
      for (const s of p.take()) {
        expect([s.flags, s.seq]).toEqual(['SA', iss]);
        times.push(s.time - start);
      }
    }
    expect(times).toEqual([1000, 3000, 7000]);
    expect(p.now - start).toBe(15_000);
    expect(p.tcp.activeConnections).toBe(0);
  });

  it('goes back to LISTEN for a new SYN inside the window (passive open)', () => {
    const { p, l } = synReceived();
    p.send({ flags: 'S', seq: 1200 });
    expect(l.halfOpen).toBe(0);
  });
});
