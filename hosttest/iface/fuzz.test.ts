// Hostile input: 200,000 seeded random and mutated frames into one interface. Nothing may throw,
// every frame must be accounted for (delivered or dropped with a reason), and no table may grow
// past its fixed size. Mutations are applied both with and without repairing checksums afterwards,
// so that lying fields reach the deeper layers instead of dying at the first checksum.

import { describe, expect, it } from 'vitest';
import { Random } from '../sim/random';
import { ARP_OP_REPLY, ARP_OP_REQUEST } from '../../src/wire/arp';
import { finish, onesSum, pseudoHeaderSum } from '../../src/wire/checksum';
import { ICMP_DEST_UNREACHABLE, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, UNREACH_PORT } from '../../src/wire/icmp';
import { IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP, IPV4_FLAG_MF } from '../../src/wire/ipv4';
import { TcpOptions, TcpSegment, emitTcp, writeTcpOptions, TCP_SYN, TCP_ACK } from '../../src/wire/tcp';
import type { Ipv4Packet } from '../../src/wire/ipv4';
import { Harness, PEER, PEER_MAC, US, US_MAC, arpFrame, bytes, icmpPayload, ip, ipv4Frame, udpPayload } from './harness';

const FRAMES = 200_000;
const SEED = 0x5eed2026;

function tcpSyn(): Uint8Array {
  const opts = new TcpOptions();
  opts.mss = 1460; opts.windowScale = 7; opts.sackPermitted = true; opts.hasTimestamps = true; opts.tsVal = 99;
  const seg = new Uint8Array(60 + 10);
  const ol = writeTcpOptions(seg, 20, opts);
  seg.set(bytes(10), 20 + ol);
  emitTcp(seg, 0, 40000, 80, 12345, 0, TCP_SYN | TCP_ACK, 65535, 0, ol, 10, PEER, US);
  return seg.slice(0, 20 + ol + 10);
}

function templates(): Uint8Array[] {
  const udpQuote = ipv4Frame(IP_PROTO_UDP, udpPayload(5000, 53, bytes(12), US, PEER), { src: US, dst: PEER }).slice(14);
  const whole = udpPayload(1, 5000, bytes(2000), PEER, US);
  const frag = (off: number, len: number, more: boolean) =>
    ipv4Frame(IP_PROTO_UDP, whole.subarray(off, off + len), { ident: 9, flagsFragment: (more ? IPV4_FLAG_MF : 0) | (off / 8) });
  const vlan = (() => {
    const f = ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_ECHO_REQUEST, 0, 1, bytes(16)));
    const t = new Uint8Array(f.length + 4);
    t.set(f.subarray(0, 12)); t.set([0x81, 0, 0, 0], 12); t.set(f.subarray(12), 16);
    return t;
  })();
  return [
    arpFrame(ARP_OP_REQUEST, PEER_MAC, PEER, new Uint8Array(6), US),
    arpFrame(ARP_OP_REPLY, PEER_MAC, PEER, US_MAC, US, US_MAC),
    ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_ECHO_REQUEST, 0, 0x00010001, bytes(56))),
    ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_ECHO_REPLY, 0, 0x00010001, bytes(56))),
    ipv4Frame(IP_PROTO_ICMP, icmpPayload(ICMP_DEST_UNREACHABLE, UNREACH_PORT, 0, udpQuote), { src: ip('192.0.2.254') }),
    ipv4Frame(IP_PROTO_UDP, udpPayload(1, 5000, bytes(100))),
    ipv4Frame(IP_PROTO_UDP, udpPayload(1, 5001, bytes(10))),
    ipv4Frame(IP_PROTO_TCP, tcpSyn()),
    frag(0, 1000, true), frag(1000, 1008, false), frag(504, 504, true),
    vlan,
  ];
}

/** Recompute IPv4 header and transport checksums after a mutation, trusting the (mutated) lengths as far as the bytes go. */
function repair(f: Uint8Array): void {
  let o = 14;
  if (f.length >= 18 && f[12] === 0x81 && f[13] === 0x00) o = 18;
  if (f.length < o + 20 || f[o - 2] !== 0x08 || f[o - 1] !== 0x00) return;
  const hl = (f[o]! & 15) * 4;
  if (hl < 20 || o + hl > f.length) return;
  f[o + 10] = 0; f[o + 11] = 0;
  const hc = finish(onesSum(f, o, hl, 0));
  f[o + 10] = hc >> 8; f[o + 11] = hc & 255;
  const total = (f[o + 2]! << 8) | f[o + 3]!;
  const len = Math.min(total, f.length - o) - hl;
  const p = o + hl, proto = f[o + 9]!;
  const src = ((f[o + 12]! << 24) | (f[o + 13]! << 16) | (f[o + 14]! << 8) | f[o + 15]!) >>> 0;
  const dst = ((f[o + 16]! << 24) | (f[o + 17]! << 16) | (f[o + 18]! << 8) | f[o + 19]!) >>> 0;
  const at = proto === IP_PROTO_ICMP ? 2 : proto === IP_PROTO_UDP ? 6 : proto === IP_PROTO_TCP ? 16 : -1;
  if (at < 0 || len < at + 2) return;
  f[p + at] = 0; f[p + at + 1] = 0;
  const init = proto === IP_PROTO_ICMP ? 0 : pseudoHeaderSum(src, dst, proto, proto === IP_PROTO_UDP ? Math.min(len, (f[p + 4]! << 8) | f[p + 5]!) : len);
  const c = finish(onesSum(f, p, proto === IP_PROTO_UDP ? Math.min(len, (f[p + 4]! << 8) | f[p + 5]!) : len, init));
  f[p + at] = c >> 8; f[p + at + 1] = c & 255;
}

function mutate(r: Random, t: Uint8Array): Uint8Array {
  let f = t.slice();
  const n = 1 + r.int(6);
  for (let k = 0; k < n; k++) {
    const kind = r.int(4);
    if (kind === 0 && f.length) f[r.int(f.length)]! ^= 1 << r.int(8);
    else if (kind === 1 && f.length) f[r.int(f.length)] = r.int(256);
    else if (kind === 2 && f.length > 14) {
      // Aim at the headers, where the length fields are.
      const at = 12 + r.int(Math.min(60, f.length - 12));
      f[at] = [0, 1, 2, 0x45, 0x4f, 0xff, 0x80, 5][r.int(8)]!;
    } else if (kind === 3) {
      const cut = r.int(f.length + 1);
      f = cut <= f.length && r.int(2) ? f.slice(0, cut) : (() => { const g = new Uint8Array(f.length + r.int(64)); g.set(f); return g; })();
    }
  }
  return f;
}

describe('fuzz: 200,000 random and mutated frames', () => {
  it('never throws, accounts for every frame, and stays within its fixed sizes', () => {
    const r = new Random(SEED);
    const h = new Harness({ udp: { queueBytes: 2048 }, reassembly: { slots: 3, maxBytes: 4096 }, arp: { entries: 8, queueSlots: 4 } });
    h.resolve(PEER);
    const sock = h.iface.udp.bind(5000)!;
    const seg = new TcpSegment();
    let tcpParsed = 0;
    h.iface.registerTransport(IP_PROTO_TCP, {
      input: (ipp: Ipv4Packet) => {
        const e = seg.parse(ipp.bytes, ipp.payloadOffset, ipp.payloadLength, ipp.src, ipp.dst);
        if (e === null) tcpParsed++;
        return e;
      },
      icmpError: () => false,
      poll: () => {},
      nextDeadline: () => Infinity,
    });
    const tpl = templates();
    const c = h.iface.counters;
    const startIn = c.framesIn;
    const drain = new Uint8Array(2048);
    for (let i = 0; i < FRAMES; i++) {
      const roll = r.int(10);
      let f: Uint8Array;
      if (roll === 0) {
        f = new Uint8Array(r.int(1600));
        for (let k = 0; k < f.length; k++) f[k] = r.int(256);
      } else if (roll < 4) f = mutate(r, tpl[r.int(tpl.length)]!);
      else if (roll < 9) {
        f = mutate(r, tpl[r.int(tpl.length)]!);
        repair(f);
      } else f = tpl[r.int(tpl.length)]!.slice();
      try {
        h.iface.input(f, h.now);
      } catch (e) {
        throw new Error(`frame ${i} (seed ${SEED}) threw ${String(e)}: ${Buffer.from(f).toString('hex')}`);
      }
      if ((i & 255) === 0) {
        h.now += r.int(2000);
        h.iface.poll(h.now);
        while (sock.pending) sock.readInto(drain);
        h.take();
        if (c.framesDelivered + c.framesDropped !== c.framesIn) throw new Error(`accounting broken at frame ${i}`);
        if (h.iface.reassembly.inProgress > 3) throw new Error('reassembly above its slots');
      }
    }
    expect(c.framesIn - startIn).toBe(FRAMES);
    expect(c.framesDelivered + c.framesDropped).toBe(c.framesIn);
    expect(Object.values(c.drops).reduce((a, b) => a + (b ?? 0), 0)).toBe(c.framesDropped);
    // Fixed sizes: nothing was reallocated.
    expect(h.iface.arp.ip.length).toBe(8);
    expect(h.iface.arp.queueFrame.length).toBe(4);
    expect(h.iface.reassembly.buffers.length).toBe(3);
    // The repaired mutations reached every layer, not only the Ethernet parser.
    const reached = ['udp-bad-length', 'tcp-option-length', 'ipv4-total-length', 'ipv4-bad-checksum', 'frag-overlap', 'icmp-bad-quote', 'arp-unsupported', 'eth-too-short'];
    for (const reason of reached) expect(c.drops[reason as keyof typeof c.drops] ?? 0, reason).toBeGreaterThan(0);
    expect(tcpParsed).toBeGreaterThan(1000);
    expect(h.iface.reassembly.counters.reassembled).toBeGreaterThan(0);
    console.log(`fuzz: ${FRAMES} frames, delivered ${c.framesDelivered}, dropped ${c.framesDropped} over ${Object.keys(c.drops).length} reasons`);
  }, 120_000);
});
