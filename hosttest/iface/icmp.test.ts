// ICMP on the interface: echo (RFC 792), errors sent under RFC 1122 §3.2.2's rules and rate limit,
// and errors received handed to the owner of the quoted flow.

import { describe, expect, it } from 'vitest';
import type { Ipv4Packet } from '../../src/wire/ipv4';
import {
  ICMP_DEST_UNREACHABLE, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, UNREACH_FRAG_NEEDED, UNREACH_PORT, UNREACH_PROTOCOL,
} from '../../src/wire/icmp';
import { IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP, IPV4_FLAG_MF, Ipv4Packet as Ip } from '../../src/wire/ipv4';
import { Harness, PEER, US, bytes, icmpPayload, ip, ipv4Frame, parseSent, udpPayload } from './harness';

describe('echo', () => {
  it('answers an echo request with the same identifier, sequence and data', () => {
    const h = new Harness();
    h.resolve(PEER);
    const data = bytes(56, 9);
    h.input(ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_ECHO_REQUEST, 0, 0x12345678, data)));
    const [r] = h.take().map(parseSent);
    expect(r!.icmp!.type).toBe(ICMP_ECHO_REPLY);
    expect(r!.icmp!.identifier).toBe(0x1234);
    expect(r!.icmp!.sequence).toBe(0x5678);
    expect(r!.eth.bytes.slice(r!.icmp!.dataOffset, r!.icmp!.dataOffset + r!.icmp!.dataLength)).toEqual(data);
    expect(r!.ip!.dst).toBe(PEER);
  });

  it('ignores echo requests sent to a broadcast address (RFC 1122 §3.2.2.6)', () => {
    const h = new Harness();
    h.input(ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_ECHO_REQUEST, 0, 1, bytes(8)),
      { dst: 0xffffffff, ethDst: new Uint8Array(6).fill(255) }));
    expect(h.take()).toHaveLength(0);
    expect(h.iface.counters.drops['icmp-broadcast-echo']).toBe(1);
  });

  it('hands echo replies to the ping client, and drops them with nobody listening', () => {
    const h = new Harness();
    const seen: number[] = [];
    h.input(ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_ECHO_REPLY, 0, 0x00070003, bytes(8))));
    expect(h.iface.counters.drops['icmp-no-listener']).toBe(1);
    h.iface.icmp.onEchoReply = (src, id, seq) => seen.push(src, id, seq);
    h.input(ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_ECHO_REPLY, 0, 0x00070003, bytes(8))));
    expect(seen).toEqual([PEER, 7, 3]);
  });
});

describe('errors we send', () => {
  it('sends port unreachable for UDP to a closed port, quoting the datagram', () => {
    const h = new Harness();
    h.resolve(PEER);
    const frame = ipv4Frame(IP_PROTO_UDP, udpPayload(5555, 6666, bytes(20)));
    h.input(frame);
    expect(h.iface.counters.drops['udp-no-socket']).toBe(1);
    const [e] = h.take().map(parseSent);
    expect([e!.icmp!.type, e!.icmp!.code]).toEqual([ICMP_DEST_UNREACHABLE, UNREACH_PORT]);
    const quoted = e!.eth.bytes.slice(e!.icmp!.dataOffset, e!.icmp!.dataOffset + e!.icmp!.dataLength);
    expect(quoted).toEqual(frame.slice(14));
  });

  it('sends protocol unreachable for an unknown protocol', () => {
    const h = new Harness();
    h.resolve(PEER);
    h.input(ipv4Frame(253, bytes(12)));
    const [e] = h.take().map(parseSent);
    expect([e!.icmp!.type, e!.icmp!.code]).toEqual([ICMP_DEST_UNREACHABLE, UNREACH_PROTOCOL]);
    expect(h.iface.counters.drops['ipv4-unknown-protocol']).toBe(1);
  });

  it('never answers an error, a broadcast, or a non-initial fragment with an error', () => {
    const h = new Harness();
    h.resolve(PEER);
    const quote = new Uint8Array(28);
    h.input(ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_DEST_UNREACHABLE, UNREACH_PORT, 0, quote)));
    h.input(ipv4Frame(IP_PROTO_UDP, udpPayload(1, 6666, bytes(4), PEER, 0xffffffff), { dst: 0xffffffff, ethDst: new Uint8Array(6).fill(255) }));
    h.input(ipv4Frame(253, bytes(16), { flagsFragment: 100 })); // last fragment, offset 800, of an unknown protocol
    h.input(ipv4Frame(253, bytes(16), { flagsFragment: IPV4_FLAG_MF }));
    h.advance(31_000);
    // Only the reassembly of the first fragment can time out; nothing may have been sent as an error
    // except that (and even that needs the first fragment, which the last one alone was not).
    const errors = h.take().map(parseSent).filter((p) => p.icmp && p.icmp.type === ICMP_DEST_UNREACHABLE);
    expect(errors).toHaveLength(0);
  });

  it('limits errors to a burst of 10, then 10 per second', () => {
    const h = new Harness();
    h.resolve(PEER);
    const send = (n: number) => { for (let i = 0; i < n; i++) h.input(ipv4Frame(253, bytes(8))); };
    send(50);
    expect(h.take()).toHaveLength(10);
    h.advance(1000);
    send(50);
    expect(h.take()).toHaveLength(10);
    h.advance(300);
    send(50);
    expect(h.take()).toHaveLength(3);
    expect(h.iface.icmp.counters.errorsRateLimited).toBe(50 - 10 + 50 - 10 + 50 - 3);
  });
});

describe('errors we receive', () => {
  /** An ICMP error from a router quoting a datagram we sent to `dst`. */
  function errorAbout(type: number, code: number, rest: number, protocol: number, srcPort: number, dstPort: number, dst: number) {
    const inner = ipv4Frame(protocol, new Uint8Array([srcPort >> 8, srcPort & 255, dstPort >> 8, dstPort & 255, 0, 0, 0, 0, 1, 2, 3, 4]), { src: US, dst }).slice(14);
    return ipv4Frame(IP_PROTO_ICMP, icmpPayload(type, code, rest, inner), { src: ip('192.0.2.254') });
  }

  it('hands a port unreachable to the UDP socket that sent the datagram', () => {
    const h = new Harness();
    const s = h.iface.udp.bind(4000)!;
    const got: number[] = [];
    s.onError = (type, code, addr, port) => got.push(type, code, addr, port);
    h.input(errorAbout(ICMP_DEST_UNREACHABLE, UNREACH_PORT, 0, IP_PROTO_UDP, 4000, 53, PEER));
    expect(got).toEqual([ICMP_DEST_UNREACHABLE, UNREACH_PORT, PEER, 53]);
    h.input(errorAbout(ICMP_DEST_UNREACHABLE, UNREACH_PORT, 0, IP_PROTO_UDP, 4001, 53, PEER));
    expect(h.iface.counters.drops['icmp-error-unclaimed']).toBe(1);
  });

  it('hands fragmentation-needed to the registered transport with the next-hop MTU', () => {
    const h = new Harness();
    const seen: [number, number, number, number][] = [];
    h.iface.registerTransport(IP_PROTO_TCP, {
      input: () => null,
      icmpError: (type: number, code: number, mtu: number, q: Ipv4Packet) => { seen.push([type, code, mtu, q.dst]); return true; },
      poll: () => {},
      nextDeadline: () => Infinity,
    });
    h.input(errorAbout(ICMP_DEST_UNREACHABLE, UNREACH_FRAG_NEEDED, 1280, IP_PROTO_TCP, 40000, 80, ip('198.51.100.1')));
    expect(seen).toEqual([[ICMP_DEST_UNREACHABLE, UNREACH_FRAG_NEEDED, 1280, ip('198.51.100.1')]]);
  });

  it('drops errors whose quote is truncated or about datagrams we did not send', () => {
    const h = new Harness();
    h.iface.udp.bind(4000);
    h.input(ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_DEST_UNREACHABLE, UNREACH_PORT, 0, new Uint8Array(24))));
    const other = ipv4Frame(IP_PROTO_UDP, new Uint8Array([15, 160, 0, 53, 0, 0, 0, 0]), { src: ip('192.0.2.50'), dst: PEER }).slice(14);
    h.input(ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_DEST_UNREACHABLE, UNREACH_PORT, 0, other)));
    expect(h.iface.counters.drops['icmp-bad-quote']).toBe(2);
    expect(new Ip().parse(other, 0, other.length)).toBeNull();
  });
});
