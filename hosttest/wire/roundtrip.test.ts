// emit → parse → emit for every header, from seeded random field values. The parsed fields must be
// the ones put in, and re-emitting from the parsed fields must give the same bytes.

import { describe, expect, it } from 'vitest';
import { ArpPacket, emitArp, ARP_LEN } from '../../src/wire/arp';
import {
  EthernetFrame, emitEthernet, macToString, ETHERTYPE_QINQ, ETHERTYPE_VLAN, ETH_HEADER_LEN,
} from '../../src/wire/ethernet';
import { IcmpMessage, emitIcmp, ICMP_HEADER_LEN } from '../../src/wire/icmp';
import { Ipv4Packet, emitIpv4, IPV4_FLAG_DF, IPV4_FLAG_MF, IPV4_HEADER_LEN } from '../../src/wire/ipv4';
import { TcpSegment, emitTcp, writeTcpOptions } from '../../src/wire/tcp';
import { UdpDatagram, emitUdp, UDP_HEADER_LEN } from '../../src/wire/udp';
import { buildArpRequest, buildIcmpEcho, buildTcp, buildUdp, randomOptions } from './build';
import { Prng, be16, be32, macText, refChecksum, refOnesSum, pseudoHeaderBytes, toHex } from './helpers';

const TRIALS = 400;

function randomMac(rng: Prng): Uint8Array {
  return rng.bytes(6);
}

function randomEtherType(rng: Prng): number {
  for (;;) {
    const t = rng.int(0x0600, 0xffff);
    if (t !== ETHERTYPE_VLAN && t !== ETHERTYPE_QINQ) return t;
  }
}

describe('Ethernet round trip', () => {
  it('emitEthernet → EthernetFrame.parse → emitEthernet', () => {
    const rng = new Prng(802);
    for (let t = 0; t < TRIALS; t++) {
      const dst = randomMac(rng), src = randomMac(rng), type = randomEtherType(rng);
      const payload = rng.int(0, 100);
      const f = new Uint8Array(ETH_HEADER_LEN + payload + 3);
      f.set(rng.bytes(f.length));
      const at = rng.int(0, 3);
      expect(emitEthernet(f, at, dst, src, type)).toBe(14);
      const e = new EthernetFrame();
      expect(e.parse(f, at, ETH_HEADER_LEN + payload)).toBeNull();
      expect(e.etherType).toBe(type);
      expect(e.vlanId).toBe(-1);
      expect(e.payloadOffset).toBe(at + 14);
      expect(e.payloadLength).toBe(payload);
      const d = Uint8Array.from({ length: 6 }, (_, i) => e.dst(i));
      const s = Uint8Array.from({ length: 6 }, (_, i) => e.src(i));
      expect(macText(d)).toBe(macText(dst));
      expect(macText(s)).toBe(macText(src));
      const copied = new Uint8Array(8);
      e.copySrc(copied, 1);
      expect(macText(copied, 1)).toBe(macText(src));
      expect(macToString(f, at + 6)).toBe(macText(src));
      expect(e.isGroup).toBe((dst[0]! & 1) === 1);
      expect(e.isBroadcast).toBe(dst.every((b) => b === 0xff));
      const again = new Uint8Array(14);
      emitEthernet(again, 0, d, s, e.etherType);
      expect(toHex(again)).toBe(toHex(f, at, 14));
    }
  });

  it('recognises broadcast and multicast destinations', () => {
    const f = new Uint8Array(60);
    const e = new EthernetFrame();
    emitEthernet(f, 0, new Uint8Array(6).fill(0xff), new Uint8Array(6), 0x0800);
    expect(e.parse(f, 0, 60)).toBeNull();
    expect(e.isBroadcast && e.isGroup).toBe(true);
    emitEthernet(f, 0, new Uint8Array([0x01, 0x00, 0x5e, 0, 0, 1]), new Uint8Array(6), 0x0800);
    expect(e.parse(f, 0, 60)).toBeNull();
    expect([e.isBroadcast, e.isGroup]).toEqual([false, true]);
    emitEthernet(f, 0, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]), new Uint8Array(6), 0x0800);
    expect(e.parse(f, 0, 60)).toBeNull();
    expect([e.isBroadcast, e.isGroup]).toEqual([false, true]);
  });
});

describe('ARP round trip', () => {
  it('emitArp → ArpPacket.parse → emitArp', () => {
    const rng = new Prng(826);
    for (let t = 0; t < TRIALS; t++) {
      const op = rng.int(1, 2);
      const sm = randomMac(rng), tm = randomMac(rng), sip = rng.u32(), tip = rng.u32();
      const buf = rng.bytes(ARP_LEN + 10);
      const at = rng.int(0, 10);
      expect(emitArp(buf, at, op, sm, sip, tm, tip)).toBe(ARP_LEN);
      // Independent reading of the wire layout of RFC 826.
      expect([be16(buf, at), be16(buf, at + 2), buf[at + 4], buf[at + 5], be16(buf, at + 6)]).toEqual([1, 0x0800, 6, 4, op]);
      expect(be32(buf, at + 14)).toBe(sip);
      expect(be32(buf, at + 24)).toBe(tip);
      const a = new ArpPacket();
      expect(a.parse(buf, at, ARP_LEN)).toBeNull();
      expect([a.op, a.senderIp, a.targetIp]).toEqual([op, sip, tip]);
      expect(macText(buf, a.senderMacOffset)).toBe(macText(sm));
      expect(macText(buf, a.targetMacOffset)).toBe(macText(tm));
      const again = new Uint8Array(ARP_LEN);
      emitArp(again, 0, a.op, buf.slice(a.senderMacOffset, a.senderMacOffset + 6), a.senderIp,
        buf.slice(a.targetMacOffset, a.targetMacOffset + 6), a.targetIp);
      expect(toHex(again)).toBe(toHex(buf, at, ARP_LEN));
    }
  });
});

describe('IPv4 round trip', () => {
  it('emitIpv4 → Ipv4Packet.parse → emitIpv4', () => {
    const rng = new Prng(791);
    for (let t = 0; t < TRIALS; t++) {
      const payload = rng.int(0, 200);
      const proto = rng.u8(), src = rng.u32(), dst = rng.u32(), ttl = rng.u8(), ident = rng.u16();
      const ff = rng.u16() & 0x7fff; // the reserved bit is not ours to set
      const pad = rng.int(0, 30); // Ethernet padding after the datagram
      const at = rng.int(0, 5);
      const buf = rng.bytes(at + IPV4_HEADER_LEN + payload + pad);
      expect(emitIpv4(buf, at, payload, proto, src, dst, ttl, ident, ff)).toBe(IPV4_HEADER_LEN);
      // The checksum is the one an independent summer computes.
      const hdr = buf.slice(at, at + 20);
      hdr[10] = 0;
      hdr[11] = 0;
      expect(be16(buf, at + 10)).toBe(refChecksum(hdr));
      const p = new Ipv4Packet();
      expect(p.parse(buf, at, IPV4_HEADER_LEN + payload + pad)).toBeNull();
      expect(p.headerLength).toBe(20);
      expect(p.optionsLength).toBe(0);
      expect(p.totalLength).toBe(20 + payload);
      expect(p.tos).toBe(0);
      expect([p.protocol, p.src, p.dst, p.ttl, p.ident]).toEqual([proto, src, dst, ttl, ident]);
      expect(p.dontFragment).toBe((ff & 0x4000) !== 0);
      expect(p.moreFragments).toBe((ff & 0x2000) !== 0);
      expect(p.fragmentOffset).toBe((ff & 0x1fff) * 8);
      expect(p.isFragment).toBe((ff & 0x3fff) !== 0); // MF or a non-zero offset
      expect(p.payloadOffset).toBe(at + 20);
      expect(p.payloadLength).toBe(payload); // the padding is not payload
      expect(p.headerChecksum).toBe(be16(buf, at + 10));
      const again = new Uint8Array(20);
      const ff2 = (p.dontFragment ? IPV4_FLAG_DF : 0) | (p.moreFragments ? IPV4_FLAG_MF : 0) | (p.fragmentOffset / 8);
      emitIpv4(again, 0, p.payloadLength, p.protocol, p.src, p.dst, p.ttl, p.ident, ff2);
      expect(toHex(again)).toBe(toHex(buf, at, 20));
    }
  });
});

describe('ICMP round trip', () => {
  it('emitIcmp → IcmpMessage.parse → emitIcmp', () => {
    const rng = new Prng(792);
    for (let t = 0; t < TRIALS; t++) {
      const body = rng.int(0, 120);
      const len = ICMP_HEADER_LEN + body;
      const type = rng.pick([0, 3, 8, 11, 12, rng.u8()]), code = rng.u8(), rest = rng.u32();
      const at = rng.int(0, 4);
      const buf = rng.bytes(at + len);
      expect(emitIcmp(buf, at, len, type, code, rest)).toBe(len);
      const m = new IcmpMessage();
      expect(m.parse(buf, at, len)).toBeNull();
      expect(refOnesSum(buf, at, len)).toBe(0xffff);
      expect([m.type, m.code, m.identifier, m.sequence, m.nextHopMtu]).toEqual([type, code, rest >>> 16, rest & 0xffff, rest & 0xffff]);
      expect(m.dataOffset).toBe(at + 8);
      expect(m.dataLength).toBe(body);
      expect(m.isError).toBe(type === 3 || type === 11 || type === 12);
      const again = new Uint8Array(len);
      again.set(buf.subarray(m.dataOffset, m.dataOffset + m.dataLength), 8);
      emitIcmp(again, 0, len, m.type, m.code, ((m.identifier << 16) | m.sequence) >>> 0);
      expect(toHex(again)).toBe(toHex(buf, at, len));
    }
  });
});

describe('UDP round trip', () => {
  it('emitUdp → UdpDatagram.parse → emitUdp', () => {
    const rng = new Prng(768);
    for (let t = 0; t < TRIALS; t++) {
      const payload = rng.int(0, 150);
      const sp = rng.u16(), dp = rng.u16(), src = rng.u32(), dst = rng.u32();
      const at = rng.int(0, 4);
      const trailer = rng.int(0, 6); // IP payload beyond the UDP length is allowed and ignored
      const buf = rng.bytes(at + 8 + payload + trailer);
      expect(emitUdp(buf, at, sp, dp, payload, src, dst)).toBe(UDP_HEADER_LEN);
      const u = new UdpDatagram();
      expect(u.parse(buf, at, 8 + payload + trailer, src, dst)).toBeNull();
      expect([u.srcPort, u.dstPort, u.length, u.payloadOffset, u.payloadLength]).toEqual([sp, dp, 8 + payload, at + 8, payload]);
      expect(u.checksum).toBe(be16(buf, at + 6));
      expect(u.checksum).not.toBe(0);
      const again = new Uint8Array(8 + payload);
      again.set(buf.subarray(u.payloadOffset, u.payloadOffset + u.payloadLength), 8);
      emitUdp(again, 0, u.srcPort, u.dstPort, u.payloadLength, src, dst);
      expect(toHex(again)).toBe(toHex(buf, at, 8 + payload));
    }
  });

  it('sends a computed checksum of zero as 0xffff (RFC 768), which still verifies', () => {
    const src = 0x0a000001, dst = 0x0a000002;
    const buf = new Uint8Array(8 + 10);
    buf.set([1, 2, 3, 4, 5, 6, 7, 8], 8);
    // Find the last payload word that makes the covered sum one's-complement zero.
    const probe = buf.slice();
    probe[0] = 0x12; probe[1] = 0x34; probe[2] = 0x00; probe[3] = 0x35; probe[4] = 0; probe[5] = 18;
    const joined = new Uint8Array(12 + 18);
    joined.set(pseudoHeaderBytes(src, dst, 17, 18));
    joined.set(probe, 12);
    const partial = refOnesSum(joined);
    const w = 0xffff - partial;
    buf[16] = w >>> 8;
    buf[17] = w & 0xff;
    emitUdp(buf, 0, 0x1234, 0x0035, 10, src, dst);
    expect(be16(buf, 6)).toBe(0xffff);
    const u = new UdpDatagram();
    expect(u.parse(buf, 0, 18, src, dst)).toBeNull();
    expect(u.checksum).toBe(0xffff);
  });
});

describe('TCP round trip', () => {
  it('writeTcpOptions + emitTcp → TcpSegment.parse → the same bytes again', () => {
    const rng = new Prng(9293);
    for (let t = 0; t < TRIALS; t++) {
      const opts = randomOptions(rng);
      const payload = rng.int(0, 100);
      const sp = rng.u16(), dp = rng.u16(), seq = rng.u32(), ack = rng.u32(), flags = rng.u8();
      const win = rng.u16(), urg = rng.u16(), src = rng.u32(), dst = rng.u32();
      const at = rng.int(0, 4);
      const buf = rng.bytes(at + 60 + payload);
      const optLen = writeTcpOptions(buf, at + 20, opts);
      expect(optLen % 4).toBe(0);
      expect(optLen).toBeLessThanOrEqual(40);
      buf.copyWithin(at + 20 + optLen, at + 60, at + 60 + payload); // payload right after the options
      const segLen = 20 + optLen + payload;
      expect(emitTcp(buf, at, sp, dp, seq, ack, flags, win, urg, optLen, payload, src, dst)).toBe(20 + optLen);
      const joined = new Uint8Array(12 + segLen);
      joined.set(pseudoHeaderBytes(src, dst, 6, segLen));
      joined.set(buf.subarray(at, at + segLen), 12);
      expect(refOnesSum(joined)).toBe(0xffff);

      const s = new TcpSegment();
      expect(s.parse(buf, at, segLen, src, dst)).toBeNull();
      expect([s.srcPort, s.dstPort, s.seq, s.ack, s.flags, s.window, s.urgentPointer]).toEqual([sp, dp, seq, ack, flags, win, urg]);
      expect([s.headerLength, s.optionsOffset, s.optionsLength, s.payloadOffset, s.payloadLength])
        .toEqual([20 + optLen, at + 20, optLen, at + 20 + optLen, payload]);
      expect(s.checksum).toBe(be16(buf, at + 16));
      expect(s.segmentLength).toBe(payload + (flags & 2 ? 1 : 0) + (flags & 1 ? 1 : 0));
      const o = s.options;
      expect([o.mss, o.windowScale, o.sackPermitted, o.hasTimestamps, o.unknown]).toEqual([opts.mss, opts.windowScale, opts.sackPermitted, opts.hasTimestamps, 0]);
      if (opts.hasTimestamps) expect([o.tsVal, o.tsEcr]).toEqual([opts.tsVal, opts.tsEcr]);
      expect(o.sackCount).toBeLessThanOrEqual(opts.sackCount);
      for (let i = 0; i < o.sackCount * 2; i++) expect(o.sackBlocks[i]).toBe(opts.sackBlocks[i]);

      const again = new Uint8Array(segLen);
      const optLen2 = writeTcpOptions(again, 20, s.options);
      expect(optLen2).toBe(optLen);
      again.set(buf.subarray(s.payloadOffset, s.payloadOffset + s.payloadLength), 20 + optLen2);
      emitTcp(again, 0, s.srcPort, s.dstPort, s.seq, s.ack, s.flags, s.window, s.urgentPointer, optLen2, s.payloadLength, src, dst);
      expect(toHex(again)).toBe(toHex(buf, at, segLen));
    }
  });
});

describe('a whole frame', () => {
  it('Ethernet + IPv4 + TCP built by the emitters parses layer by layer', () => {
    const rng = new Prng(1);
    for (let t = 0; t < 100; t++) {
      const opts = randomOptions(rng);
      const payload = rng.int(0, 64);
      const src = rng.u32(), dst = rng.u32();
      const frame = new Uint8Array(Math.max(60, 14 + 20 + 60 + payload));
      const optLen = writeTcpOptions(frame, 54, opts);
      const segLen = 20 + optLen + payload;
      emitEthernet(frame, 0, randomMac(rng), randomMac(rng), 0x0800);
      emitTcp(frame, 34, 1, 2, 3, 4, 0x10, 5, 0, optLen, payload, src, dst);
      emitIpv4(frame, 14, segLen, 6, src, dst, 64, 0, IPV4_FLAG_DF);
      const used = Math.max(60, 34 + segLen);
      const e = new EthernetFrame(), p = new Ipv4Packet(), s = new TcpSegment();
      expect(e.parse(frame, 0, used)).toBeNull();
      expect(p.parse(frame, e.payloadOffset, e.payloadLength)).toBeNull();
      expect(p.payloadLength).toBe(segLen); // padding of short frames excluded
      expect(s.parse(frame, p.payloadOffset, p.payloadLength, p.src, p.dst)).toBeNull();
      expect(s.payloadLength).toBe(payload);
    }
  });
});

describe('frames built for the benchmark', () => {
  it('each parses down to its transport header with checksums verified', () => {
    const e = new EthernetFrame(), a = new ArpPacket(), p = new Ipv4Packet();
    const m = new IcmpMessage(), u = new UdpDatagram(), s = new TcpSegment();
    const arp = buildArpRequest();
    expect(e.parse(arp, 0, arp.length)).toBeNull();
    expect(a.parse(arp, e.payloadOffset, e.payloadLength)).toBeNull();
    const echo = buildIcmpEcho(56);
    expect(e.parse(echo, 0, echo.length)).toBeNull();
    expect(p.parse(echo, e.payloadOffset, e.payloadLength)).toBeNull();
    expect(m.parse(echo, p.payloadOffset, p.payloadLength)).toBeNull();
    expect(m.dataLength).toBe(56);
    const udp = buildUdp(21); // short: padded to 60 bytes
    expect(udp.length).toBe(63);
    const small = buildUdp(3);
    expect(small.length).toBe(60);
    expect(e.parse(small, 0, small.length)).toBeNull();
    expect(p.parse(small, e.payloadOffset, e.payloadLength)).toBeNull();
    expect(u.parse(small, p.payloadOffset, p.payloadLength, p.src, p.dst)).toBeNull();
    expect(u.payloadLength).toBe(3);
    for (const [payload, sacks] of [[0, 0], [15, 0], [0, 1], [100, 3]] as const) {
      const f = buildTcp(payload, sacks);
      expect(e.parse(f, 0, f.length)).toBeNull();
      expect(p.parse(f, e.payloadOffset, e.payloadLength)).toBeNull();
      expect(s.parse(f, p.payloadOffset, p.payloadLength, p.src, p.dst)).toBeNull();
      expect([s.payloadLength, s.options.sackCount, s.options.hasTimestamps]).toEqual([payload, sacks, true]);
    }
  });
});
