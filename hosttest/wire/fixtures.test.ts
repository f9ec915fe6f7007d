// Real frames from the Linux kernel (hosttest/fixtures/linux-frames.json, captured by
// hosttest/fixtures/capture-linux.sh and decoded by tshark) parsed by our views, field by field.
//
// For each frame our decoder produces the same field names tshark uses, in the order tshark lists
// repeated fields (outer header first, then the datagram quoted in an ICMP error), and the two
// sets must be identical: a field tshark saw that we did not decode fails, and so does a field we
// decoded that tshark did not see. Then every header our emitters can express is re-emitted from
// the parsed fields and compared with the kernel's bytes.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArpPacket, emitArp, ARP_LEN } from '../../src/wire/arp';
import type { ChecksumFn } from '../../src/wire/checksum';
import { EthernetFrame, emitEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../src/wire/ethernet';
import {
  IcmpMessage, emitIcmp, ICMP_DEST_UNREACHABLE, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, UNREACH_FRAG_NEEDED,
} from '../../src/wire/icmp';
import { Ipv4Packet, emitIpv4, IPV4_FLAG_DF, IPV4_FLAG_MF, IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP } from '../../src/wire/ipv4';
import { TcpSegment, emitTcp, writeTcpOptions } from '../../src/wire/tcp';
import { UdpDatagram, emitUdp } from '../../src/wire/udp';
import { be16, fromHex, ipText, macText, refOnesSum, toHex } from './helpers';

interface FixtureFrame {
  name: string;
  note: string;
  hex: string;
  fields: Record<string, string | string[]>;
}
interface FixtureFile {
  captured: string;
  kernel: string;
  how: string;
  frames: FixtureFrame[];
}

const FIXTURE_URL = new URL('../fixtures/linux-frames.json', import.meta.url);

/** Frames the capture script marks required, plus those this suite relies on by name. */
const REQUIRED = [
  'arp-request', 'arp-reply', 'vlan-icmp-echo-request', 'icmp-echo-request', 'icmp-echo-reply',
  'ipv4-options-record-route', 'ipv4-options-record-route-reply', 'ipv4-fragment-first',
  'ipv4-fragment-middle', 'ipv4-fragment-last', 'icmp-port-unreachable', 'icmp-protocol-unreachable',
  'icmp-frag-needed', 'icmp-time-exceeded', 'udp-datagram', 'tcp-syn', 'tcp-syn-ack', 'tcp-ack',
  'tcp-data', 'tcp-fin', 'tcp-rst', 'tcp-sack',
];

let fixture: FixtureFile | null = null;
let loadError = '';
try {
  fixture = JSON.parse(readFileSync(FIXTURE_URL, 'utf8')) as FixtureFile;
} catch (e) {
  loadError = String(e);
}
const frames: FixtureFrame[] = fixture?.frames ?? [];

/** A ChecksumFn that accepts anything: for headers whose checksum cannot be checked (fragments, quotes). */
const noVerify: ChecksumFn = () => 0xffff;

type Value = number | string;

/** tshark's text → comparable value: "0x.." and decimal become numbers, everything else lower-case text. */
function norm(v: string): Value {
  if (/^0x[0-9a-f]+$/i.test(v)) return parseInt(v.slice(2), 16);
  if (/^-?\d+$/.test(v)) return Number(v);
  return v.toLowerCase();
}

/** What our views make of one frame, under tshark's field names. */
interface Decoded {
  fields: Map<string, Value[]>;
  /** The innermost payload that tshark would show as `data`: [offset, length, mayHaveTimestamp]. */
  data: { offset: number; length: number; icmpEcho: boolean } | null;
  eth: EthernetFrame;
  arp: ArpPacket | null;
  ip: Ipv4Packet | null;
  icmp: IcmpMessage | null;
  udp: UdpDatagram | null;
  tcp: TcpSegment | null;
  quote: Ipv4Packet | null;
  quoteIcmp: IcmpMessage | null;
  quoteUdp: UdpDatagram | null;
  errors: string[];
}

/** Walk IPv4 options (RFC 791 §3.1) the simple way, for the ip.opt.* fields. */
function ipOptionFields(bytes: Uint8Array, off: number, len: number, put: (k: string, v: Value) => void): void {
  let i = off;
  const end = off + len;
  while (i < end) {
    const type = bytes[i]!;
    put('ip.opt.type', type);
    if (type === 0) break;
    if (type === 1) {
      i++;
      continue;
    }
    const olen = bytes[i + 1]!;
    put('ip.opt.len', olen);
    if (type === 7) {
      // Record Route: pointer, then route data; slots before the pointer are filled.
      const ptr = bytes[i + 2]!;
      put('ip.opt.ptr', ptr);
      for (let s = i + 3; s + 4 <= i + ptr - 1; s += 4) put('ip.rec_rt', ipText(((bytes[s]! << 24) | (bytes[s + 1]! << 16) | (bytes[s + 2]! << 8) | bytes[s + 3]!) >>> 0));
    }
    i += Math.max(olen, 2);
  }
}

function decode(bytes: Uint8Array): Decoded {
  const fields = new Map<string, Value[]>();
  const put = (k: string, v: Value): void => {
    const list = fields.get(k);
    if (list) list.push(v);
    else fields.set(k, [v]);
  };
  const d: Decoded = {
    fields, data: null, eth: new EthernetFrame(), arp: null, ip: null, icmp: null, udp: null, tcp: null,
    quote: null, quoteIcmp: null, quoteUdp: null, errors: [],
  };
  put('frame.len', bytes.length);
  put('frame.cap_len', bytes.length);

  const e = d.eth;
  const eErr = e.parse(bytes, 0, bytes.length);
  if (eErr) {
    d.errors.push(eErr);
    return d;
  }
  put('eth.dst', Array.from({ length: 6 }, (_, i) => e.dst(i).toString(16).padStart(2, '0')).join(':'));
  put('eth.src', Array.from({ length: 6 }, (_, i) => e.src(i).toString(16).padStart(2, '0')).join(':'));
  if (e.vlanId >= 0) {
    put('eth.type', be16(bytes, 12));
    put('vlan.priority', bytes[14]! >> 5); // not exposed by the view: read where it sits
    put('vlan.id', e.vlanId);
    put('vlan.etype', e.etherType);
  } else {
    put('eth.type', e.etherType);
  }

  if (e.etherType === ETHERTYPE_ARP) {
    const a = (d.arp = new ArpPacket());
    const err = a.parse(bytes, e.payloadOffset, e.payloadLength);
    if (err) {
      d.errors.push(err);
      return d;
    }
    // The view accepts only Ethernet/IPv4 ARP, so a successful parse means these values.
    put('arp.hw.type', 1);
    put('arp.proto.type', 0x0800);
    put('arp.hw.size', 6);
    put('arp.proto.size', 4);
    put('arp.opcode', a.op);
    put('arp.src.hw_mac', macText(bytes, a.senderMacOffset));
    put('arp.src.proto_ipv4', ipText(a.senderIp));
    put('arp.dst.hw_mac', macText(bytes, a.targetMacOffset));
    put('arp.dst.proto_ipv4', ipText(a.targetIp));
    return d;
  }
  if (e.etherType !== ETHERTYPE_IPV4) {
    d.errors.push(`unexpected EtherType ${e.etherType}`);
    return d;
  }

  const putIp = (p: Ipv4Packet, verified: boolean): void => {
    put('ip.version', 4); // parse refuses any other version
    put('ip.hdr_len', p.headerLength);
    put('ip.dsfield', p.tos);
    put('ip.len', p.totalLength);
    put('ip.id', p.ident);
    // tshark 4's ip.flags is the 3-bit field: reserved, DF, MF.
    const reserved = (bytes[p.offset + 6]! & 0x80) !== 0 ? 4 : 0;
    put('ip.flags', reserved | (p.dontFragment ? 2 : 0) | (p.moreFragments ? 1 : 0));
    put('ip.flags.df', p.dontFragment ? 1 : 0);
    put('ip.flags.mf', p.moreFragments ? 1 : 0);
    put('ip.frag_offset', p.fragmentOffset / 8); // tshark counts 8-byte units
    put('ip.ttl', p.ttl);
    put('ip.proto', p.protocol);
    put('ip.checksum', p.headerChecksum);
    put('ip.checksum.status', verified ? 1 : 2);
    put('ip.src', ipText(p.src));
    put('ip.dst', ipText(p.dst));
    if (p.optionsLength > 0) ipOptionFields(bytes, p.offset + 20, p.optionsLength, put);
  };
  const putIcmp = (m: IcmpMessage, verified: boolean): void => {
    put('icmp.type', m.type);
    put('icmp.code', m.code);
    put('icmp.checksum', be16(bytes, m.offset + 2)); // not exposed by the view
    put('icmp.checksum.status', verified ? 1 : 2);
    if (m.type === ICMP_ECHO_REQUEST || m.type === ICMP_ECHO_REPLY) {
      put('icmp.ident', m.identifier);
      put('icmp.seq', m.sequence);
    }
    if (m.type === ICMP_DEST_UNREACHABLE && m.code === UNREACH_FRAG_NEEDED) put('icmp.mtu', m.nextHopMtu);
  };
  const putUdp = (u: UdpDatagram): void => {
    put('udp.srcport', u.srcPort);
    put('udp.dstport', u.dstPort);
    put('udp.length', u.length);
    put('udp.checksum', u.checksum);
    put('udp.checksum.status', 1);
  };

  const p = (d.ip = new Ipv4Packet());
  const pErr = p.parse(bytes, e.payloadOffset, e.payloadLength);
  if (pErr) {
    d.errors.push(pErr);
    return d;
  }
  putIp(p, true);

  if (p.fragmentOffset !== 0) {
    d.data = { offset: p.payloadOffset, length: p.payloadLength, icmpEcho: false };
    return d;
  }
  if (p.protocol === IP_PROTO_ICMP) {
    const m = (d.icmp = new IcmpMessage());
    // A first fragment holds only part of what the ICMP checksum covers.
    const err = m.parse(bytes, p.payloadOffset, p.payloadLength, p.moreFragments ? noVerify : undefined);
    if (err) {
      d.errors.push(err);
      return d;
    }
    putIcmp(m, !p.moreFragments);
    if (!m.isError) {
      d.data = { offset: m.dataOffset, length: m.dataLength, icmpEcho: true };
      return d;
    }
    // The quoted datagram: header plus however much of the data the sender kept.
    const q = (d.quote = new Ipv4Packet());
    const qErr = q.parse(bytes, m.dataOffset, m.dataLength, null, true);
    if (qErr) {
      d.errors.push(`quote: ${qErr}`);
      return d;
    }
    const qHeaderOk = refOnesSum(bytes, q.offset, q.headerLength) === 0xffff;
    putIp(q, qHeaderOk);
    const complete = q.payloadLength === q.totalLength - q.headerLength;
    if (q.protocol === IP_PROTO_ICMP) {
      const qm = (d.quoteIcmp = new IcmpMessage());
      const err2 = qm.parse(bytes, q.payloadOffset, q.payloadLength, noVerify);
      if (err2) {
        d.errors.push(`quote: ${err2}`);
        return d;
      }
      putIcmp(qm, false); // tshark does not verify checksums inside an error
      d.data = { offset: qm.dataOffset, length: qm.dataLength, icmpEcho: true };
    } else if (q.protocol === IP_PROTO_UDP) {
      const qu = (d.quoteUdp = new UdpDatagram());
      const err2 = qu.parse(bytes, q.payloadOffset, q.payloadLength, q.src, q.dst, complete ? undefined : noVerify);
      if (err2) {
        d.errors.push(`quote: ${err2}`);
        return d;
      }
      putUdp(qu);
      d.data = { offset: qu.payloadOffset, length: qu.payloadLength, icmpEcho: false };
    } else {
      d.data = { offset: q.payloadOffset, length: q.payloadLength, icmpEcho: false };
    }
    return d;
  }
  if (p.protocol === IP_PROTO_UDP) {
    const u = (d.udp = new UdpDatagram());
    const err = u.parse(bytes, p.payloadOffset, p.payloadLength, p.src, p.dst);
    if (err) {
      d.errors.push(err);
      return d;
    }
    putUdp(u);
    d.data = { offset: u.payloadOffset, length: u.payloadLength, icmpEcho: false };
    return d;
  }
  if (p.protocol === IP_PROTO_TCP) {
    const s = (d.tcp = new TcpSegment());
    const err = s.parse(bytes, p.payloadOffset, p.payloadLength, p.src, p.dst);
    if (err) {
      d.errors.push(err);
      return d;
    }
    put('tcp.srcport', s.srcPort);
    put('tcp.dstport', s.dstPort);
    put('tcp.seq', s.seq);
    put('tcp.ack', s.ack);
    put('tcp.hdr_len', s.headerLength);
    // tshark's tcp.flags has 12 bits: the reserved/AE nibble below the data offset, then ours.
    put('tcp.flags', ((bytes[s.offset + 12]! & 0x0f) << 8) | s.flags);
    put('tcp.window_size_value', s.window);
    put('tcp.checksum', s.checksum);
    put('tcp.checksum.status', 1);
    put('tcp.urgent_pointer', s.urgentPointer);
    put('tcp.len', s.payloadLength);
    // Option kinds in wire order (the view keeps values, not order): walk the bytes it delimited.
    for (let i = s.optionsOffset; i < s.optionsOffset + s.optionsLength;) {
      const kind = bytes[i]!;
      put('tcp.option_kind', kind);
      if (kind === 0) break;
      i += kind === 1 ? 1 : bytes[i + 1]!;
    }
    const o = s.options;
    if (o.mss >= 0) put('tcp.options.mss_val', o.mss);
    if (o.windowScale >= 0) put('tcp.options.wscale.shift', o.windowScale);
    if (o.hasTimestamps) {
      put('tcp.options.timestamp.tsval', o.tsVal);
      put('tcp.options.timestamp.tsecr', o.tsEcr);
    }
    for (let b = 0; b < o.sackCount; b++) {
      put('tcp.options.sack_le', o.sackBlocks[b * 2]!);
      put('tcp.options.sack_re', o.sackBlocks[b * 2 + 1]!);
    }
    return d;
  }
  d.data = { offset: p.payloadOffset, length: p.payloadLength, icmpEcho: false };
  return d;
}

describe('Linux fixture file', () => {
  it('exists and has every required frame', () => {
    expect(loadError, `cannot read ${FIXTURE_URL.pathname}`).toBe('');
    const names = frames.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    const missing = REQUIRED.filter((n) => !names.includes(n));
    expect(missing, 'required frames missing from linux-frames.json').toEqual([]);
  });
});

describe.each(frames.map((f) => [f.name, f] as const))('Linux frame %s', (_name, frame) => {
  const bytes = fromHex(frame.hex);
  const d = decode(bytes);

  it('parses with checksum verification and matches every tshark field', () => {
    expect(d.errors).toEqual([]);
    const ours = new Map<string, Value[]>(d.fields);
    const theirs = new Map<string, Value[]>();
    for (const [k, v] of Object.entries(frame.fields)) {
      if (k === 'data.data' || k === 'data.len') continue;
      theirs.set(k, (Array.isArray(v) ? v : [v]).map(norm));
    }
    expect([...ours.keys()].filter((k) => !theirs.has(k)), 'fields we decoded that tshark did not').toEqual([]);
    expect([...theirs.keys()].filter((k) => !ours.has(k)), 'fields tshark decoded that we did not').toEqual([]);
    for (const [k, v] of theirs) expect(ours.get(k), k).toEqual(v);
  });

  it('locates the payload tshark shows as data', () => {
    const text = frame.fields['data.data'];
    const len = frame.fields['data.len'];
    if (text === undefined) {
      expect(len).toBeUndefined();
      // Only TCP payloads (tcp.payload) and frames without payload have no data field.
      if (d.data !== null) expect(d.data.length).toBe(0);
      return;
    }
    expect(typeof text).toBe('string');
    expect(d.data).not.toBeNull();
    const want = String(text).toLowerCase();
    const { offset, length, icmpEcho } = d.data!;
    expect(Number(len)).toBe(want.length / 2);
    const whole = toHex(bytes, offset, length);
    // tshark shows the first 8 bytes of ping's echo data as a timestamp, the rest as data.
    if (icmpEcho && want.length / 2 === length - 8) expect(toHex(bytes, offset + 8, length - 8)).toBe(want);
    else expect(whole).toBe(want);
  });

  it('re-emits byte for byte what our emitters can express', () => {
    let compared = 0;
    const e = d.eth;
    if (e.vlanId < 0) {
      const out = new Uint8Array(14);
      emitEthernet(out, 0, bytes.subarray(0, 6), bytes.subarray(6, 12), e.etherType);
      expect(toHex(out), 'Ethernet header').toBe(toHex(bytes, 0, 14));
      compared++;
    }
    if (d.arp) {
      const a = d.arp, out = new Uint8Array(ARP_LEN);
      emitArp(out, 0, a.op, bytes.slice(a.senderMacOffset, a.senderMacOffset + 6), a.senderIp,
        bytes.slice(a.targetMacOffset, a.targetMacOffset + 6), a.targetIp);
      expect(toHex(out), 'ARP').toBe(toHex(bytes, a.offset, ARP_LEN));
      compared++;
    }
    const reIp = (p: Ipv4Packet, what: string): void => {
      // emitIpv4 writes TOS 0 and no options; Linux's ICMP errors use TOS 0xc0.
      if (p.tos !== 0 || p.optionsLength !== 0) return;
      const out = new Uint8Array(20);
      const ff = (p.dontFragment ? IPV4_FLAG_DF : 0) | (p.moreFragments ? IPV4_FLAG_MF : 0) | (p.fragmentOffset / 8);
      emitIpv4(out, 0, p.totalLength - 20, p.protocol, p.src, p.dst, p.ttl, p.ident, ff);
      expect(toHex(out), what).toBe(toHex(bytes, p.offset, 20));
      compared++;
    };
    if (d.ip) reIp(d.ip, 'IPv4 header');
    if (d.quote) reIp(d.quote, 'quoted IPv4 header');
    if (d.icmp && d.ip && !d.ip.isFragment) {
      const m = d.icmp, out = bytes.slice(m.offset, m.offset + m.length);
      out.fill(0, 0, 8);
      const rest = m.isError ? (m.type === ICMP_DEST_UNREACHABLE && m.code === UNREACH_FRAG_NEEDED ? m.nextHopMtu : 0)
        : ((m.identifier << 16) | m.sequence) >>> 0;
      emitIcmp(out, 0, m.length, m.type, m.code, rest);
      expect(toHex(out), 'ICMP').toBe(toHex(bytes, m.offset, m.length));
      compared++;
    }
    const reUdp = (u: UdpDatagram, src: number, dst: number, what: string): void => {
      const out = bytes.slice(u.offset, u.offset + u.length);
      out.fill(0, 0, 8);
      emitUdp(out, 0, u.srcPort, u.dstPort, u.payloadLength, src, dst);
      expect(toHex(out), what).toBe(toHex(bytes, u.offset, u.length));
      compared++;
    };
    if (d.udp && d.ip) reUdp(d.udp, d.ip.src, d.ip.dst, 'UDP');
    if (d.quoteUdp && d.quote && d.quote.payloadLength === d.quote.totalLength - d.quote.headerLength) {
      reUdp(d.quoteUdp, d.quote.src, d.quote.dst, 'quoted UDP');
    }
    if (d.tcp && d.ip) {
      // Linux lays options out as writeTcpOptions does (MSS, SACK-permitted + timestamps, NOP +
      // window scale; NOP NOP timestamps; NOP NOP SACK), so the whole header must come out equal.
      const s = d.tcp, len = s.headerLength + s.payloadLength;
      const out = bytes.slice(s.offset, s.offset + len);
      out.fill(0, 0, s.headerLength);
      const optLen = writeTcpOptions(out, 20, s.options);
      expect(optLen, 'TCP options length').toBe(s.optionsLength);
      emitTcp(out, 0, s.srcPort, s.dstPort, s.seq, s.ack, s.flags, s.window, s.urgentPointer, optLen, s.payloadLength, d.ip.src, d.ip.dst);
      expect(toHex(out, 0, s.headerLength), 'TCP header').toBe(toHex(bytes, s.offset, s.headerLength));
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });
});

describe('Linux frames: specific facts', () => {
  const byName = (n: string): Decoded => {
    const f = frames.find((x) => x.name === n);
    if (!f) throw new Error(`fixture ${n} missing`);
    return decode(fromHex(f.hex));
  };

  it('frag-needed carries next-hop MTU 1280 and quotes the too-big DF datagram', () => {
    const d = byName('icmp-frag-needed');
    expect(d.icmp!.nextHopMtu).toBe(1280);
    const q = d.quote!;
    expect(q.dontFragment).toBe(true);
    expect(q.totalLength).toBeGreaterThan(1280);
    expect(q.payloadLength).toBeLessThan(q.totalLength - q.headerLength); // cut short
    expect(q.src).toBe(d.ip!.dst);
    // Without `quote` the cut-short datagram is refused.
    expect(new Ipv4Packet().parse(d.icmp!.bytes, d.icmp!.dataOffset, d.icmp!.dataLength, null)).toBe('ipv4-total-length');
  });

  for (const [name, code] of [['icmp-port-unreachable', 3], ['icmp-protocol-unreachable', 2]] as const) {
    it(`${name} quotes the offending datagram back to its sender`, () => {
      const d = byName(name);
      expect([d.icmp!.type, d.icmp!.code]).toEqual([3, code]);
      expect(d.quote!.src).toBe(d.ip!.dst);
      expect(d.quote!.dst).toBe(d.ip!.src);
    });
  }

  it('time-exceeded quotes a datagram whose TTL ran out', () => {
    const d = byName('icmp-time-exceeded');
    expect([d.icmp!.type, d.icmp!.code]).toEqual([11, 0]);
    expect(d.quote!.ttl).toBe(1);
    expect(d.quoteIcmp!.type).toBe(ICMP_ECHO_REQUEST);
  });

  it('the VLAN frame is tagged with VID 10 and carries IPv4', () => {
    const d = byName('vlan-icmp-echo-request');
    expect(d.eth.vlanId).toBe(10);
    expect(d.eth.etherType).toBe(ETHERTYPE_IPV4);
    expect(d.eth.payloadOffset).toBe(18);
  });

  it('fragments: offsets in bytes and MF as the three pieces of one 3008-byte datagram', () => {
    const parts = ['ipv4-fragment-first', 'ipv4-fragment-middle', 'ipv4-fragment-last'].map(byName);
    expect(parts.map((x) => x.ip!.fragmentOffset)).toEqual([0, parts[0]!.ip!.payloadLength, parts[0]!.ip!.payloadLength + parts[1]!.ip!.payloadLength]);
    expect(parts.map((x) => x.ip!.moreFragments)).toEqual([true, true, false]);
    expect(new Set(parts.map((x) => x.ip!.ident)).size).toBe(1);
    const total = parts.reduce((n, x) => n + x.ip!.payloadLength, 0);
    expect(total).toBe(8 + 3000);
    // A first fragment's ICMP checksum covers bytes it does not hold: a verified parse refuses it.
    const first = parts[0]!;
    expect(new IcmpMessage().parse(first.icmp!.bytes, first.ip!.payloadOffset, first.ip!.payloadLength)).toBe('icmp-bad-checksum');
  });

  it('the SYN carries MSS, SACK-permitted, timestamps and window scale', () => {
    const o = byName('tcp-syn').tcp!.options;
    expect(o.mss).toBeGreaterThan(0);
    expect(o.sackPermitted).toBe(true);
    expect(o.hasTimestamps).toBe(true);
    expect(o.windowScale).toBeGreaterThanOrEqual(0);
  });
});
