// Test harness for one Interface: a device that records what it sends, and builders for the
// frames a test injects. Frames are built with the wire emitters, so what the builders produce is
// checked by the wire tests and the Linux fixtures.

import { expect } from 'vitest';
import { Interface, type InterfaceConfig } from '../../src/iface/interface';
import { emitArp, ARP_LEN } from '../../src/wire/arp';
import { emitEthernet, ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetFrame } from '../../src/wire/ethernet';
import { emitIcmp, ICMP_HEADER_LEN, IcmpMessage } from '../../src/wire/icmp';
import { emitIpv4, IPV4_HEADER_LEN, Ipv4Packet, parseIpv4Address } from '../../src/wire/ipv4';
import { emitUdp, UDP_HEADER_LEN, UdpDatagram } from '../../src/wire/udp';
import { ArpPacket } from '../../src/wire/arp';

export const ip = (text: string): number => {
  const a = parseIpv4Address(text);
  if (a < 0) throw new Error(`bad address ${text}`);
  return a;
};

export const US_MAC = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
export const PEER_MAC = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]);
export const US = ip('192.0.2.1');
export const PEER = ip('192.0.2.2');
export const GATEWAY = ip('192.0.2.254');

export class Harness {
  readonly sent: Uint8Array[] = [];
  readonly iface: Interface;
  now = 0;

  constructor(overrides: Partial<InterfaceConfig> = {}) {
    let counter = 0;
    this.iface = new Interface({
      device: { mac: US_MAC, mtu: 1500, send: (f) => this.sent.push(f.slice()) },
      entropy: { fill: (b) => { for (let i = 0; i < b.length; i++) b[i] = (counter++ * 37 + 11) & 0xff; } },
      address: US,
      prefixLength: 24,
      gateway: GATEWAY,
      ...overrides,
    });
    // Let the address announcements go out so tests start from a quiet interface.
    this.advance(5_000);
    this.sent.length = 0;
  }

  input(frame: Uint8Array): void {
    this.iface.input(frame, this.now);
    checkAccounting(this.iface);
  }

  /** Move the clock forward, polling at every deadline on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      const d = this.iface.nextDeadline();
      if (d > end) break;
      this.now = Math.max(this.now, d);
      this.iface.poll(this.now);
    }
    this.now = end;
  }

  /** Take and return everything sent so far. */
  take(): Uint8Array[] {
    return this.sent.splice(0, this.sent.length);
  }

  /** Answer the interface's ARP request for `addr` so that its queued frames go out. */
  resolve(addr: number, mac: Uint8Array = PEER_MAC): void {
    this.input(arpFrame(2, mac, addr, US_MAC, US, US_MAC));
  }
}

/** received = delivered + dropped, and the drop reasons add up to the drops. */
export function checkAccounting(iface: Interface): void {
  const c = iface.counters;
  expect(c.framesDelivered + c.framesDropped).toBe(c.framesIn);
  const byReason = Object.values(c.drops).reduce((a, b) => a + (b ?? 0), 0);
  expect(byReason).toBe(c.framesDropped);
}

export function arpFrame(
  op: number, senderMac: Uint8Array, senderIp: number, targetMac: Uint8Array, targetIp: number,
  ethDst: Uint8Array = new Uint8Array([255, 255, 255, 255, 255, 255]),
): Uint8Array {
  const f = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
  emitEthernet(f, 0, ethDst, senderMac, ETHERTYPE_ARP);
  emitArp(f, ETH_HEADER_LEN, op, senderMac, senderIp, targetMac, targetIp);
  return f;
}

export interface Ipv4Options {
  src?: number;
  dst?: number;
  ttl?: number;
  ident?: number;
  flagsFragment?: number;
  ethDst?: Uint8Array;
  ethSrc?: Uint8Array;
}

/** An Ethernet frame carrying an IPv4 datagram with `payload` (already complete, checksums and all). */
export function ipv4Frame(protocol: number, payload: Uint8Array, o: Ipv4Options = {}): Uint8Array {
  const f = new Uint8Array(ETH_HEADER_LEN + IPV4_HEADER_LEN + payload.length);
  emitEthernet(f, 0, o.ethDst ?? US_MAC, o.ethSrc ?? PEER_MAC, ETHERTYPE_IPV4);
  f.set(payload, ETH_HEADER_LEN + IPV4_HEADER_LEN);
  emitIpv4(f, ETH_HEADER_LEN, payload.length, protocol, o.src ?? PEER, o.dst ?? US, o.ttl ?? 64,
    o.ident ?? 1, o.flagsFragment ?? 0);
  return f;
}

export function icmpPayload(type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const p = new Uint8Array(ICMP_HEADER_LEN + data.length);
  p.set(data, ICMP_HEADER_LEN);
  emitIcmp(p, 0, p.length, type, code, rest);
  return p;
}

export function udpPayload(srcPort: number, dstPort: number, data: Uint8Array, src = PEER, dst = US): Uint8Array {
  const p = new Uint8Array(UDP_HEADER_LEN + data.length);
  p.set(data, UDP_HEADER_LEN);
  emitUdp(p, 0, srcPort, dstPort, data.length, src, dst);
  return p;
}

/** Parsed views of a frame the interface sent. */
export function parseSent(frame: Uint8Array) {
  const eth = new EthernetFrame();
  expect(eth.parse(frame, 0, frame.length)).toBeNull();
  const out = { eth, arp: null as ArpPacket | null, ip: null as Ipv4Packet | null, icmp: null as IcmpMessage | null, udp: null as UdpDatagram | null };
  if (eth.etherType === ETHERTYPE_ARP) {
    out.arp = new ArpPacket();
    expect(out.arp.parse(frame, eth.payloadOffset, eth.payloadLength)).toBeNull();
    return out;
  }
  out.ip = new Ipv4Packet();
  expect(out.ip.parse(frame, eth.payloadOffset, eth.payloadLength)).toBeNull();
  if (out.ip.protocol === 1) {
    out.icmp = new IcmpMessage();
    expect(out.icmp.parse(frame, out.ip.payloadOffset, out.ip.payloadLength)).toBeNull();
  } else if (out.ip.protocol === 17) {
    out.udp = new UdpDatagram();
    expect(out.udp.parse(frame, out.ip.payloadOffset, out.ip.payloadLength, out.ip.src, out.ip.dst)).toBeNull();
  }
  return out;
}

export function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}
