// IPv4 input on the interface (RFC 791, RFC 1122 §3.2–3.3) and fragment reassembly with its limits.

import { describe, expect, it } from 'vitest';
import { ICMP_ECHO_REQUEST, ICMP_TIME_EXCEEDED, TIME_EXCEEDED_REASSEMBLY } from '../../src/wire/icmp';
import { IP_PROTO_ICMP, IP_PROTO_UDP, IPV4_FLAG_MF } from '../../src/wire/ipv4';
import { Harness, PEER, US, bytes, icmpPayload, ip, ipv4Frame, parseSent, udpPayload } from './harness';

const BROADCAST_MAC = new Uint8Array(6).fill(0xff);

describe('IPv4 input', () => {
  it('accepts datagrams for our address and for both broadcasts, and nothing else', () => {
    const h = new Harness();
    const sock = h.iface.udp.bind(7000)!;
    const data = bytes(10);
    h.input(ipv4Frame(IP_PROTO_UDP, udpPayload(1, 7000, data)));
    h.input(ipv4Frame(IP_PROTO_UDP, udpPayload(1, 7000, data, PEER, 0xffffffff), { dst: 0xffffffff, ethDst: BROADCAST_MAC }));
    h.input(ipv4Frame(IP_PROTO_UDP, udpPayload(1, 7000, data, PEER, ip('192.0.2.255')), { dst: ip('192.0.2.255'), ethDst: BROADCAST_MAC }));
    h.input(ipv4Frame(IP_PROTO_UDP, udpPayload(1, 7000, data, PEER, ip('192.0.2.9')), { dst: ip('192.0.2.9') }));
    expect(sock.pending).toBe(3);
    expect(h.iface.counters.drops['ipv4-not-for-us']).toBe(1);
  });

  it('drops a unicast datagram that came in a link-layer broadcast (RFC 1122 §3.3.6)', () => {
    const h = new Harness();
    h.iface.udp.bind(7000);
    h.input(ipv4Frame(IP_PROTO_UDP, udpPayload(1, 7000, bytes(4)), { ethDst: BROADCAST_MAC }));
    expect(h.iface.counters.drops['ipv4-not-for-us']).toBe(1);
  });

  it('drops broadcast and multicast sources (RFC 1122 §3.2.1.3)', () => {
    const h = new Harness();
    for (const src of ['255.255.255.255', '224.0.0.1', '192.0.2.255']) {
      h.input(ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_ECHO_REQUEST, 0, 1, bytes(8)), { src: ip(src) }));
    }
    expect(h.iface.counters.drops['ipv4-bad-source']).toBe(3);
    expect(h.take()).toHaveLength(0);
  });

  it('drops frames for other MACs, other VLANs and unknown EtherTypes, and oversized frames', () => {
    const h = new Harness();
    const f = ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_ECHO_REQUEST, 0, 1, bytes(8)), { ethDst: new Uint8Array([2, 9, 9, 9, 9, 9]) });
    h.input(f);
    const vlan = new Uint8Array(f.length + 4);
    vlan.set(f.subarray(0, 12));
    vlan.set([0x81, 0x00, 0x00, 0x05], 12);
    vlan.set(f.subarray(12), 16);
    vlan.set([2, 0, 0, 0, 0, 1], 0);
    h.input(vlan);
    const ipx = f.slice();
    ipx.set([2, 0, 0, 0, 0, 1], 0);
    ipx.set([0x81, 0x37], 12);
    h.input(ipx);
    h.input(new Uint8Array(1600).fill(0xff));
    const d = h.iface.counters.drops;
    expect([d['eth-not-for-us'], d['eth-vlan-foreign'], d['eth-unknown-type'], d['eth-too-long']]).toEqual([1, 1, 1, 1]);
  });

  it('accepts a priority-tagged frame (VLAN id 0)', () => {
    const h = new Harness();
    h.resolve(PEER);
    const f = ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_ECHO_REQUEST, 0, 0x00010001, bytes(8)));
    const tagged = new Uint8Array(f.length + 4);
    tagged.set(f.subarray(0, 12));
    tagged.set([0x81, 0x00, 0xa0, 0x00], 12);
    tagged.set(f.subarray(12), 16);
    h.input(tagged);
    expect(h.take().map((x) => parseSent(x).icmp?.type)).toEqual([0]);
  });

  it('originates datagrams with TTL 64, DF clear, fresh identifiers and a valid checksum', () => {
    const h = new Harness();
    h.resolve(PEER);
    h.iface.icmp.ping(PEER, 1, 1, 8, h.now);
    h.iface.icmp.ping(PEER, 1, 2, 8, h.now);
    const [a, b] = h.take().map(parseSent);
    expect(a!.ip!.ttl).toBe(64);
    expect(a!.ip!.dontFragment).toBe(false);
    expect(a!.ip!.src).toBe(US);
    expect(b!.ip!.ident).toBe((a!.ip!.ident + 1) & 0xffff);
  });
});

/** Fragments of one UDP datagram of `size` payload bytes, cut into `chunk`-byte pieces. */
function fragments(size: number, chunk: number, ident = 77, dst = US): { frames: Uint8Array[]; data: Uint8Array } {
  const data = bytes(size, 3);
  const whole = udpPayload(1234, 9000, data, PEER, dst);
  const frames: Uint8Array[] = [];
  for (let off = 0; off < whole.length; off += chunk) {
    const piece = whole.subarray(off, Math.min(off + chunk, whole.length));
    const more = off + chunk < whole.length;
    frames.push(ipv4Frame(IP_PROTO_UDP, piece, { ident, dst, flagsFragment: (more ? IPV4_FLAG_MF : 0) | (off / 8) }));
  }
  return { frames, data };
}

function readAll(h: Harness, port: number): Uint8Array[] {
  const s = h.iface.udp.lookup(port)!;
  const out: Uint8Array[] = [];
  while (s.pending) {
    const b = new Uint8Array(s.peekLength());
    s.readInto(b);
    out.push(b);
  }
  return out;
}

describe('fragment reassembly', () => {
  it('reassembles in order and out of order, ignoring exact duplicates', () => {
    const h = new Harness({ udp: { queueBytes: 8192 } });
    h.iface.udp.bind(9000);
    const { frames, data } = fragments(3000, 1480);
    for (const f of frames) h.input(f);
    const g = fragments(3000, 512, 78);
    const order = [3, 0, 5, 1, 1, 4, 2];
    for (const k of order) h.input(g.frames[k]!);
    expect(readAll(h, 9000)).toEqual([data, g.data]);
    expect(h.iface.counters.drops['frag-duplicate']).toBe(1);
    expect(h.iface.reassembly.counters.reassembled).toBe(2);
    expect(h.iface.reassembly.inProgress).toBe(0);
  });

  it('discards a datagram when a fragment overlaps held data with different bytes', () => {
    const h = new Harness();
    h.iface.udp.bind(9000);
    const { frames } = fragments(2000, 1000);
    h.input(frames[0]!);
    const evil = frames[1]!.slice();
    // Rewrite the second fragment to start 8 bytes early with different data there.
    const g = fragments(2000, 1000);
    const piece = new Uint8Array(1000 - 8 + 8 + 8);
    piece.fill(0xee);
    const forged = ipv4Frame(IP_PROTO_UDP, piece, { ident: 77, flagsFragment: IPV4_FLAG_MF | (992 / 8) });
    h.input(forged);
    expect(h.iface.counters.drops['frag-overlap']).toBe(1);
    // What remains of the real datagram can no longer complete it.
    h.input(evil);
    h.input(g.frames[2]!);
    expect(readAll(h, 9000)).toEqual([]);
    expect(h.iface.reassembly.counters.discarded).toBe(1);
  });

  it('refuses datagrams larger than the reassembly buffer', () => {
    const h = new Harness({ reassembly: { maxBytes: 2048 } });
    h.iface.udp.bind(9000);
    const { frames } = fragments(3000, 1024);
    for (const f of frames) h.input(f);
    expect(h.iface.counters.drops['frag-too-big']).toBeGreaterThanOrEqual(1);
    expect(readAll(h, 9000)).toEqual([]);
  });

  it('rejects a non-final fragment whose length is not a multiple of 8', () => {
    const h = new Harness();
    h.input(ipv4Frame(IP_PROTO_UDP, bytes(100), { flagsFragment: IPV4_FLAG_MF }));
    expect(h.iface.counters.drops['frag-bad-length']).toBe(1);
  });

  it('gives up after 30 s and sends time exceeded (code 1) for a datagram whose first fragment came', () => {
    const h = new Harness();
    h.resolve(PEER);
    const { frames } = fragments(3000, 1480);
    h.input(frames[0]!);
    h.advance(29_999);
    expect(h.take()).toHaveLength(0);
    h.advance(1);
    const [te, ...rest] = h.take().map(parseSent);
    expect(rest).toHaveLength(0);
    expect(te!.icmp!.type).toBe(ICMP_TIME_EXCEEDED);
    expect(te!.icmp!.code).toBe(TIME_EXCEEDED_REASSEMBLY);
    expect(h.iface.reassembly.counters.timedOut).toBe(1);
    // Without the first fragment, nothing is sent.
    h.input(frames[2]!);
    h.advance(30_000);
    expect(h.take()).toHaveLength(0);
    expect(h.iface.reassembly.counters.timedOut).toBe(2);
  });

  it('evicts the oldest datagram when every slot is busy, and never holds more than its slots', () => {
    const h = new Harness({ reassembly: { slots: 2 } });
    h.iface.udp.bind(9000);
    const a = fragments(2000, 1008, 1), b = fragments(2000, 1008, 2), c = fragments(2000, 1008, 3);
    h.input(a.frames[0]!);
    h.now += 1;
    h.input(b.frames[0]!);
    h.now += 1;
    h.input(c.frames[0]!);
    expect(h.iface.reassembly.inProgress).toBe(2);
    expect(h.iface.reassembly.counters.evicted).toBe(1);
    h.input(b.frames[1]!);
    h.input(c.frames[1]!);
    h.input(a.frames[1]!);
    expect(readAll(h, 9000)).toEqual([b.data, c.data]);
  });
});
