// Remaining transitions and hostile inputs: close() in SYN-RECEIVED (Figure 5: SYN-RECEIVED →
// FIN-WAIT-1), ICMP soft errors (RFC 1122 §4.2.3.9) and fragmentation-needed (RFC 1191), data and
// FIN riding on SYNs, malformed options, and the state-transition log.

import { describe, expect, it } from 'vitest';
import type { Listener } from '../../src/tcp/listener';
import { ICMP_DEST_UNREACHABLE, UNREACH_FRAG_NEEDED, UNREACH_HOST } from '../../src/wire/icmp';
import { established, recorder } from './setups';
import { synSent } from './setups';
import { TcpPeer, pattern } from './peer';

describe('SYN-RECEIVED → FIN-WAIT-1 (close before the handshake completes)', () => {
  it('sends FIN as soon as its SYN is acknowledged, and is then in FIN-WAIT-1', () => {
    const { p, c, iss } = synSent();
    p.send({ flags: 'S', seq: 7000 }); // simultaneous open
    p.expect({ flags: 'SA', seq: iss });
    c.shutdown();
    p.expectNone();
    p.send({ flags: 'A', seq: 7001, ack: iss + 1 });
    p.expect({ flags: 'FA', seq: iss + 1, ack: 7001 });
    expect(c.stateName).toBe('FIN-WAIT-1');
  });
});

describe('ICMP errors on a synchronized connection', () => {
  it('keeps a soft error (host unreachable) and reports "unreachable" when the connection then times out', () => {
    const r = recorder();
    const { p, c } = established({ maxRetries: 2 }, r.handler);
    c.write(pattern(10));
    const data = p.expect({ flags: 'PA' });
    p.sendIcmpError(ICMP_DEST_UNREACHABLE, UNREACH_HOST, data.datagram);
    expect(c.stateName).toBe('ESTABLISHED');
    p.advance(10_000);
    expect(r.events).toEqual(['error:unreachable']);
  });

  it('shrinks the segment size on fragmentation-needed and resends what was lost (RFC 1191)', () => {
    const { p, c, snd } = established({ sendBuffer: 4096 });
    c.write(pattern(3000));
    const first = p.take();
    expect(first.map((s) => s.len)).toEqual([1460, 1460]); // the 80-byte tail waits (Nagle)
    p.sendIcmpError(ICMP_DEST_UNREACHABLE, UNREACH_FRAG_NEEDED, first[0]!.datagram, 1000);
    expect(c.sndMss).toBe(960);
    const again = p.take();
    expect(again[0]!.seq).toBe(snd);
    expect(Math.max(...again.map((s) => s.len))).toBe(960);
  });
});

describe('SYNs carrying more than a SYN', () => {
  it('does not acknowledge data on a SYN (it will come again after the handshake)', () => {
    const p = new TcpPeer();
    p.tcp.listen(80);
    p.send({ flags: 'S', seq: 1000, data: 20 });
    p.expect({ flags: 'SA', ack: 1001 });
  });

  it('queues text on the SYN of a simultaneous open and delivers it once ESTABLISHED (RFC 9293 §3.10.7.3)', () => {
    const { p, c, iss, events } = synSent();
    p.send({ flags: 'S', seq: 7000, data: 3 });
    p.expect({ flags: 'SA', seq: iss, ack: 7001 }); // the SYN only: the text is not acknowledged yet
    expect(c.readable).toBe(0);
    p.send({ flags: 'A', seq: 7004, ack: iss + 1 });
    p.expectNone(); // the ACK of the text is delayed
    expect(c.stateName).toBe('ESTABLISHED');
    expect(c.readable).toBe(3);
    expect(events).toContain('readable:3');
    c.read(new Uint8Array(3));
    p.expectNone(); // reading 3 bytes opens no window worth announcing
    p.advance(100);
    p.expect({ flags: 'A', seq: iss + 1, ack: 7004 });
  });

  it('treats SYN+FIN as a SYN when drop_synfin is off, ignoring the FIN', () => {
    const p = new TcpPeer({ dropSynFin: false });
    p.tcp.listen(80);
    p.send({ flags: 'SF', seq: 1000 });
    p.expect({ flags: 'SA', ack: 1001 });
  });

  it('drops a SYN whose options do not parse, before TCP state is touched', () => {
    const p = new TcpPeer();
    const l = p.tcp.listen(80) as Listener;
    p.send({ flags: 'S', seq: 1000, rawOptions: [2, 3, 5, 0] }); // MSS with length 3
    p.send({ flags: 'S', seq: 1000, rawOptions: [1, 1, 8, 12] }); // timestamps running past the header
    p.expectNone();
    expect(p.iface.counters.drops['tcp-option-length']).toBe(1);
    expect(p.iface.counters.drops['tcp-option-overrun']).toBe(1);
    expect(l.halfOpen).toBe(0);
  });
});

describe('the state log', () => {
  it('logs every transition with the connection, both states and the cause', () => {
    const { p, c, snd } = established();
    c.close();
    p.send({ flags: 'FA', seq: 1001, ack: snd + 1 });
    const lines = p.log.filter('tcp-state').map((e) => `${e.fields.from}>${e.fields.to} (${e.fields.cause})`);
    // The handshake ran in the SYN cache: the block is born ESTABLISHED.
    expect(lines).toEqual([
      'CLOSED>ESTABLISHED (syn-cache)',
      'ESTABLISHED>FIN-WAIT-1 (close)',
      'FIN-WAIT-1>FIN-WAIT-2 (fin-acked)',
      'FIN-WAIT-2>TIME-WAIT (closed)',
    ]);
    expect(p.log.find('tcp-state')!.fields.conn).toBe(c.slot);
  });
});

