// UDP sockets on the interface: bind, send, receive, bounded queues, ephemeral ports.

import { describe, expect, it } from 'vitest';
import { IP_PROTO_UDP } from '../../src/wire/ipv4';
import { Harness, PEER, US, bytes, ipv4Frame, parseSent, udpPayload } from './harness';

describe('UDP sockets', () => {
  it('receives datagrams in order with their source, and sends with a valid checksum', () => {
    const h = new Harness();
    h.resolve(PEER);
    const s = h.iface.udp.bind(5000)!;
    let readable = 0;
    s.onReadable = (n) => { readable = n; };
    h.input(ipv4Frame(IP_PROTO_UDP, udpPayload(6000, 5000, bytes(5, 1))));
    h.input(ipv4Frame(IP_PROTO_UDP, udpPayload(6001, 5000, bytes(0, 1))));
    expect(readable).toBe(2);
    const a = new Uint8Array(s.peekLength());
    expect(s.readInto(a)).toBe(5);
    expect([a, s.lastAddress, s.lastPort]).toEqual([bytes(5, 1), PEER, 6000]);
    expect(s.readInto(new Uint8Array(0))).toBe(0);
    expect(s.lastPort).toBe(6001);
    expect(s.readInto(new Uint8Array(10))).toBe(-1);

    expect(s.send(PEER, 7, bytes(33), 0, 33, h.now)).toBe('sent');
    const [p] = h.take().map(parseSent);
    expect([p!.udp!.srcPort, p!.udp!.dstPort, p!.udp!.payloadLength, p!.ip!.src]).toEqual([5000, 7, 33, US]);
  });

  it('drops datagrams that do not fit the queue, and keeps the ones that do', () => {
    const h = new Harness({ udp: { queueBytes: 100 } });
    const s = h.iface.udp.bind(5000)!;
    for (let i = 0; i < 5; i++) h.input(ipv4Frame(IP_PROTO_UDP, udpPayload(6000, 5000, bytes(30, i))));
    expect(s.pending).toBe(2); // 2 × (8 + 30) = 76 ≤ 100 < 114
    expect(h.iface.counters.drops['udp-queue-full']).toBe(3);
    // The ring wraps: read one, add one, and the contents stay intact.
    const b = new Uint8Array(30);
    s.readInto(b);
    expect(b).toEqual(bytes(30, 0));
    h.input(ipv4Frame(IP_PROTO_UDP, udpPayload(6000, 5000, bytes(30, 7))));
    s.readInto(b);
    expect(b).toEqual(bytes(30, 1));
    s.readInto(b);
    expect(b).toEqual(bytes(30, 7));
  });

  it('refuses a taken port and a full table, picks ephemeral ports in 49152–65535, frees on close', () => {
    const h = new Harness({ udp: { sockets: 3 } });
    const a = h.iface.udp.bind(5000)!;
    expect(h.iface.udp.bind(5000)).toBeNull();
    const e1 = h.iface.udp.bind(0)!, e2 = h.iface.udp.bind(0)!;
    for (const e of [e1, e2]) expect(e.port).toBeGreaterThanOrEqual(49152);
    expect(e1.port).not.toBe(e2.port);
    expect(h.iface.udp.bind(5001)).toBeNull();
    a.close();
    a.close();
    expect(h.iface.udp.bind(5000)).not.toBeNull();
  });

  it('refuses to send a datagram larger than one frame, and before an address exists', () => {
    const h = new Harness();
    const s = h.iface.udp.bind(5000)!;
    expect(s.send(PEER, 7, new Uint8Array(1473), 0, 1473, h.now)).toBe('too-big');
    const u = new Harness({ address: 0 });
    expect(u.iface.udp.bind(1)!.send(PEER, 7, bytes(4), 0, 4, 0)).toBe('no-address');
  });

  it('rejects datagrams with a bad checksum or a lying length', () => {
    const h = new Harness();
    const s = h.iface.udp.bind(5000)!;
    const good = ipv4Frame(IP_PROTO_UDP, udpPayload(6000, 5000, bytes(20)));
    const bad = good.slice();
    bad[bad.length - 1]! ^= 1;
    h.input(bad);
    const long = ipv4Frame(IP_PROTO_UDP, (() => { const p = udpPayload(6000, 5000, bytes(20)); p[5] = 200; return p; })());
    h.input(long);
    expect(s.pending).toBe(0);
    expect(h.iface.counters.drops['udp-bad-checksum']).toBe(1);
    expect(h.iface.counters.drops['udp-bad-length']).toBe(1);
  });
});
