// One synstack (Interface + Tcp) on a virtual clock, wired to the script's remote end: the runner
// injects the script's inbound packets as frames and reads back every IPv4 packet synstack sends,
// decoded (TCP options in the order they were written, padding included) for matching. Time is
// kept in microseconds, as scripts count it; synstack's clock is the whole milliseconds of it.
// Like hosttest/tcp/peer.ts, but without vitest (the CLI runs it) and with the raw option list.

import { Interface } from '../../src/iface/interface';
import type { TcpConfigInput } from '../../src/tcp/tcp';
import { Tcp } from '../../src/tcp/tcp';
import { read16, read32, write16, write32 } from '../../src/wire/bytes';
import { finish, onesSum } from '../../src/wire/checksum';
import { emitArp, ARP_LEN, ARP_OP_REPLY } from '../../src/wire/arp';
import { emitEthernet, ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetFrame } from '../../src/wire/ethernet';
import { emitIcmp, IcmpMessage } from '../../src/wire/icmp';
import { emitIpv4, IP_PROTO_ICMP, IP_PROTO_TCP, IPV4_HEADER_LEN, Ipv4Packet, parseIpv4Address } from '../../src/wire/ipv4';
import { emitTcp, TcpSegment } from '../../src/wire/tcp';
import type { TcpOption } from './ast';
import { SeededEntropy } from '../sim/random';

/** The AE bit (RFC 9768 / AccECN), kept above the 8 flag bits of byte 13. */
export const TCP_AE = 0x100;

export interface NetConfig {
  localIp: string;
  remoteIp: string;
  gatewayIp: string;
  prefixLength: number;
  mtu: number;
  seed: number;
  tcp: TcpConfigInput;
}

export const defaultNetConfig: Omit<NetConfig, 'tcp'> = Object.freeze({
  // packetdrill's defaults for IPv4: the stack under test is 192.168.0.1, the remote 192.0.2.1
  // behind the gateway 192.168.0.2.
  localIp: '192.168.0.1',
  remoteIp: '192.0.2.1',
  gatewayIp: '192.168.0.2',
  prefixLength: 16,
  mtu: 1500,
  seed: 1,
});

/** A TCP segment as it was on the wire (numbers are live ones). */
export interface WireTcp {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Byte 13 of the header, plus TCP_AE. */
  flags: number;
  win: number;
  urg: number;
  /** Options in wire order, NOP and EOL included; unknown kinds as `{ kind: 'unknown' }`. */
  options: WireOption[];
  optionBytes: number;
  payload: Uint8Array;
}

export type WireOption = TcpOption | { kind: 'unknown'; code: number; length: number };

export interface Captured {
  /** Virtual time it was sent, µs. */
  time: number;
  /** The `tag` of the stack when it was sent (the runner tags packets with script lines). */
  tag: number;
  src: number;
  dst: number;
  ttl: number;
  tos: number;
  protocol: number;
  tcp: WireTcp | null;
  icmp: { type: number; code: number } | null;
  /** The whole datagram (for quoting in ICMP errors). */
  datagram: Uint8Array;
}

/** What to put in an inbound TCP segment (numbers already live). */
export interface InboundTcp {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  win: number;
  urg: number;
  options: TcpOption[];
  payloadLength: number;
  ttl: number;
  tos: number;
}

const WARM_UP_MS = 5000;

export class StackUnderTest {
  readonly iface: Interface;
  readonly tcp: Tcp;
  readonly localIp: number;
  readonly remoteIp: number;
  readonly gatewayIp: number;
  /** Virtual time, µs. */
  now = 0;
  /** Copied into every packet captured (the runner sets the script line it is at). */
  tag = 0;
  /** Virtual time at which the script starts (after the interface announced its address). */
  readonly start: number;
  private readonly captured: Captured[] = [];
  private arpAsked = false;
  private readonly gatewayMac = new Uint8Array([2, 0, 0, 0, 0, 2]);
  private readonly localMac = new Uint8Array([2, 0, 0, 0, 0, 1]);
  private ident = 1;

  constructor(config: NetConfig) {
    this.localIp = parseIpv4Address(config.localIp);
    this.remoteIp = parseIpv4Address(config.remoteIp);
    this.gatewayIp = parseIpv4Address(config.gatewayIp);
    this.iface = new Interface({
      device: { mac: this.localMac, mtu: config.mtu, send: (f) => this.transmitted(f) },
      entropy: new SeededEntropy(config.seed, 'packetdrill-iface'),
      address: this.localIp,
      prefixLength: config.prefixLength,
      gateway: this.gatewayIp,
      clock: { now: () => this.nowMs },
    });
    this.tcp = new Tcp(this.iface, { entropy: new SeededEntropy(config.seed, 'packetdrill-tcp'), config: config.tcp });
    this.answerArp();
    this.advanceTo(WARM_UP_MS * 1000);
    this.captured.length = 0;
    this.start = this.now;
  }

  /** synstack's clock: whole milliseconds. */
  get nowMs(): number {
    return Math.floor(this.now / 1000);
  }

  /** Packets sent and not yet taken. */
  get pending(): readonly Captured[] {
    return this.captured;
  }

  take(): Captured | undefined {
    return this.captured.shift();
  }

  /**
   * Move the clock to `until` µs, firing synstack's timers on the way. With `stopOnOutput`, stop at
   * the first timer that makes synstack send something (and return true).
   */
  advanceTo(until: number, stopOnOutput = false, onStep?: () => void): boolean {
    if (stopOnOutput && this.captured.length > 0) return true;
    for (let guard = 0; guard < 1_000_000; guard++) {
      const d = this.iface.nextDeadline();
      if (d === Infinity || d * 1000 > until) break;
      this.now = Math.max(this.now, d * 1000);
      this.iface.poll(this.nowMs);
      this.afterCall();
      onStep?.();
      if (stopOnOutput && this.captured.length > 0) return true;
    }
    this.now = Math.max(this.now, until);
    return false;
  }

  /** Run an application call on the stack (connect, write, close...) at the current time. */
  call<T>(f: () => T): T {
    const r = f();
    this.afterCall();
    return r;
  }

  /** Inject one TCP segment from the remote. */
  injectTcp(s: InboundTcp): void {
    const optBytes = encodeOptions(s.options);
    const tcpLen = 20 + optBytes.length + s.payloadLength;
    const f = new Uint8Array(ETH_HEADER_LEN + IPV4_HEADER_LEN + tcpLen);
    const at = ETH_HEADER_LEN + IPV4_HEADER_LEN;
    f.set(optBytes, at + 20);
    // Payload: zeros, as packetdrill sends.
    emitTcp(f, at, s.srcPort, s.dstPort, s.seq >>> 0, s.ack >>> 0, s.flags & 0xff, s.win, s.urg, optBytes.length, s.payloadLength, this.remoteIp, this.localIp);
    if (s.flags & TCP_AE) {
      f[at + 12]! |= 0x01;
      // The AE bit is under the checksum: recompute it.
      write16(f, at + 16, 0);
      const sum = pseudoSum(this.remoteIp, this.localIp, tcpLen);
      write16(f, at + 16, finish(onesSum(f, at, tcpLen, sum)));
    }
    this.injectIpv4(f, IP_PROTO_TCP, tcpLen, s.ttl, s.tos);
  }

  /** Inject an ICMP error from the remote quoting `quoted` (a datagram synstack sent, or built). */
  injectIcmp(type: number, code: number, rest: number, quoted: Uint8Array, ttl: number, tos: number): void {
    const quote = quoted.subarray(0, Math.min(quoted.length, 28));
    const icmpLen = 8 + quote.length;
    const f = new Uint8Array(ETH_HEADER_LEN + IPV4_HEADER_LEN + icmpLen);
    f.set(quote, ETH_HEADER_LEN + IPV4_HEADER_LEN + 8);
    emitIcmp(f, ETH_HEADER_LEN + IPV4_HEADER_LEN, icmpLen, type, code, rest);
    this.injectIpv4(f, IP_PROTO_ICMP, icmpLen, ttl, tos);
  }

  /** A datagram as synstack would have sent it (for ICMP quotes of segments it did not send yet). */
  buildQuotedTcp(srcPort: number, dstPort: number, seq: number): Uint8Array {
    const d = new Uint8Array(IPV4_HEADER_LEN + 20);
    emitIpv4(d, 0, 20, IP_PROTO_TCP, this.localIp, this.remoteIp, 64, 0, 0x4000);
    write16(d, 20, srcPort);
    write16(d, 22, dstPort);
    write32(d, 24, seq >>> 0);
    return d;
  }

  private injectIpv4(f: Uint8Array, protocol: number, payloadLength: number, ttl: number, tos: number): void {
    emitEthernet(f, 0, this.localMac, this.gatewayMac, ETHERTYPE_IPV4);
    emitIpv4(f, ETH_HEADER_LEN, payloadLength, protocol, this.remoteIp, this.localIp, ttl, this.ident++ & 0xffff, 0);
    if (tos !== 0) {
      f[ETH_HEADER_LEN + 1] = tos;
      write16(f, ETH_HEADER_LEN + 10, 0);
      write16(f, ETH_HEADER_LEN + 10, finish(onesSum(f, ETH_HEADER_LEN, IPV4_HEADER_LEN, 0)));
    }
    this.iface.input(f, this.nowMs);
    this.afterCall();
  }

  private transmitted(f: Uint8Array): void {
    // ARP requests for the gateway are answered at once (after the current call returns).
    if (f.length >= 42 && f[12] === 0x08 && f[13] === 0x06) {
      if (f[21] === 1 && read32(f, 38) === this.gatewayIp) this.arpAsked = true;
      return;
    }
    const eth = new EthernetFrame(), ip = new Ipv4Packet();
    if (eth.parse(f, 0, f.length) !== null || eth.etherType !== ETHERTYPE_IPV4) return;
    if (ip.parse(f, eth.payloadOffset, eth.payloadLength) !== null) return;
    const c: Captured = {
      time: this.now, tag: this.tag, src: ip.src, dst: ip.dst, ttl: ip.ttl, tos: ip.tos, protocol: ip.protocol, tcp: null, icmp: null,
      datagram: f.slice(ip.offset, ip.offset + ip.totalLength),
    };
    if (ip.protocol === IP_PROTO_TCP) {
      const seg = new TcpSegment();
      if (seg.parse(f, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst) !== null) {
        throw new Error('synstack sent a TCP segment that does not parse (bad checksum or options)');
      }
      const hdr = ip.payloadOffset;
      c.tcp = {
        srcPort: seg.srcPort, dstPort: seg.dstPort, seq: seg.seq, ack: seg.ack,
        flags: seg.flags | (f[hdr + 12]! & 0x01 ? TCP_AE : 0), win: seg.window, urg: seg.urgentPointer,
        options: decodeOptions(f, seg.optionsOffset, seg.optionsLength), optionBytes: seg.optionsLength,
        payload: f.slice(seg.payloadOffset, seg.payloadOffset + seg.payloadLength),
      };
    } else if (ip.protocol === IP_PROTO_ICMP) {
      const m = new IcmpMessage();
      if (m.parse(f, ip.payloadOffset, ip.payloadLength) === null) c.icmp = { type: m.type, code: m.code };
    }
    this.captured.push(c);
  }

  private afterCall(): void {
    if (this.arpAsked) this.answerArp();
  }

  private answerArp(): void {
    this.arpAsked = false;
    const arp = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
    emitEthernet(arp, 0, this.localMac, this.gatewayMac, ETHERTYPE_ARP);
    emitArp(arp, ETH_HEADER_LEN, ARP_OP_REPLY, this.gatewayMac, this.gatewayIp, this.localMac, this.localIp);
    this.iface.input(arp, this.nowMs);
  }
}

function pseudoSum(src: number, dst: number, length: number): number {
  return ((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + IP_PROTO_TCP + length) >>> 0;
}

/** Option bytes in the order written; padded with EOL to a multiple of 4. */
export function encodeOptions(list: readonly TcpOption[]): Uint8Array {
  const out: number[] = [];
  const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  for (const o of list) {
    switch (o.kind) {
      case 'nop': out.push(1); break;
      case 'eol': out.push(0); break;
      case 'mss': out.push(2, 4, (o.value >> 8) & 0xff, o.value & 0xff); break;
      case 'wscale': out.push(3, 3, o.value & 0xff); break;
      case 'sackOK': out.push(4, 2); break;
      case 'sack':
        out.push(5, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) out.push(...be32(l >>> 0), ...be32(r >>> 0));
        break;
      case 'ts': out.push(8, 10, ...be32((o.val ?? 0) >>> 0), ...be32(o.ecr >>> 0)); break;
      case 'md5': case 'fo':
        throw new Error(`cannot send TCP option ${o.kind}`);
    }
  }
  if (out.length > 40) throw new Error(`TCP options too long (${out.length} bytes)`);
  while (out.length % 4 !== 0) out.push(0);
  return Uint8Array.from(out);
}

/** Options as they are on the wire, in order (after EOL nothing is read, as receivers do). */
export function decodeOptions(b: Uint8Array, off: number, len: number): WireOption[] {
  const out: WireOption[] = [];
  const end = off + len;
  let i = off;
  while (i < end) {
    const kind = b[i]!;
    if (kind === 0) {
      // EOL, and the zero padding after it: one 'eol' per byte, as scripts write `eol,eol`.
      out.push({ kind: 'eol' });
      i++;
      continue;
    }
    if (kind === 1) {
      out.push({ kind: 'nop' });
      i++;
      continue;
    }
    const l = b[i + 1] ?? 0;
    if (l < 2 || i + l > end) {
      out.push({ kind: 'unknown', code: kind, length: l });
      break;
    }
    switch (kind) {
      case 2: out.push(l === 4 ? { kind: 'mss', value: read16(b, i + 2) } : { kind: 'unknown', code: kind, length: l }); break;
      case 3: out.push(l === 3 ? { kind: 'wscale', value: b[i + 2]! } : { kind: 'unknown', code: kind, length: l }); break;
      case 4: out.push(l === 2 ? { kind: 'sackOK' } : { kind: 'unknown', code: kind, length: l }); break;
      case 5: {
        const blocks: [number, number][] = [];
        for (let j = i + 2; j + 8 <= i + l; j += 8) blocks.push([read32(b, j), read32(b, j + 4)]);
        out.push({ kind: 'sack', blocks });
        break;
      }
      case 8:
        out.push(l === 10 ? { kind: 'ts', val: read32(b, i + 2), ecr: read32(b, i + 6), ecrAbsolute: false } : { kind: 'unknown', code: kind, length: l });
        break;
      default:
        out.push({ kind: 'unknown', code: kind, length: l });
    }
    i += l;
  }
  return out;
}
