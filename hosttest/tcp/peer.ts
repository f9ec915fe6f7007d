// A scripted TCP peer for packet-level tests: one synstack (Interface + Tcp) on a virtual clock,
// and a remote end that the test plays by hand, injecting segments and checking what synstack
// sends back. Segments are written and read in a small vocabulary:
//
//   peer.send({ flags: 'S', seq: 1000, mss: 1460 })
//   const synAck = peer.expect({ flags: 'SA', ack: 1001 })
//   peer.send({ flags: 'A', seq: 1001, ack: synAck.seq + 1 })
//
// Flags are letters from S F R P A (any order). `expect` asserts exactly one segment went out and
// that the named fields match; `expectNone` asserts silence.

import { expect } from 'vitest';
import { Interface } from '../../src/iface/interface';
import type { TcpConfigInput } from '../../src/tcp/tcp';
import { Tcp } from '../../src/tcp/tcp';
import { emitEthernet, ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetFrame } from '../../src/wire/ethernet';
import { emitIpv4, IP_PROTO_ICMP, IP_PROTO_TCP, IPV4_HEADER_LEN, Ipv4Packet, parseIpv4Address } from '../../src/wire/ipv4';
import { emitIcmp } from '../../src/wire/icmp';
import { emitArp, ARP_LEN, ARP_OP_REPLY } from '../../src/wire/arp';
import {
  TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, TcpOptions, TcpSegment, emitTcp, writeTcpOptions,
} from '../../src/wire/tcp';
import { RecordingLog } from '../platform/node';
import { SeededEntropy } from '../sim/random';

export const US = parseIpv4Address('192.0.2.1');
export const PEER = parseIpv4Address('192.0.2.2');
export const US_MAC = new Uint8Array([2, 0, 0, 0, 0, 1]);
export const PEER_MAC = new Uint8Array([2, 0, 0, 0, 0, 2]);

const FLAG_LETTERS: [string, number][] = [['S', TCP_SYN], ['F', TCP_FIN], ['R', TCP_RST], ['P', TCP_PSH], ['A', TCP_ACK]];

export function flagsOf(text: string): number {
  let f = 0;
  for (const ch of text) {
    const hit = FLAG_LETTERS.find(([l]) => l === ch);
    if (!hit) throw new Error(`unknown flag ${ch}`);
    f |= hit[1];
  }
  return f;
}

export function flagText(f: number): string {
  return FLAG_LETTERS.filter(([, bit]) => f & bit).map(([l]) => l).join('');
}

export interface SegmentSpec {
  flags: string;
  seq?: number;
  ack?: number;
  win?: number;
  /** Payload bytes, or a length of patterned bytes. */
  data?: Uint8Array | number;
  mss?: number;
  ws?: number;
  srcPort?: number;
  dstPort?: number;
  /** Send with a wrong checksum. */
  badChecksum?: boolean;
  /** Option bytes as given (no padding added), instead of mss/ws. */
  rawOptions?: number[];
  /** Timestamps option [TSval, TSecr]. */
  ts?: [number, number];
  sackOk?: boolean;
  /** SACK blocks [left, right) (raw sequence numbers). */
  sack?: [number, number][];
  /** Urgent pointer (sets URG when given). */
  urg?: number;
  /** Source address (default PEER); other addresses are reached through PEER as the gateway. */
  src?: number;
}

/** A segment synstack sent, as plain values. */
export interface Sent {
  flags: string;
  seq: number;
  ack: number;
  win: number;
  len: number;
  data: Uint8Array;
  mss: number;
  ws: number;
  /** Timestamps [TSval, TSecr], or null. */
  ts: [number, number] | null;
  sackOk: boolean;
  sack: [number, number][];
  srcPort: number;
  dstPort: number;
  /** Destination address of the segment. */
  dst: number;
  time: number;
  /** The whole IPv4 datagram, for quoting in ICMP errors. */
  datagram: Uint8Array;
}

export function pattern(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

export class TcpPeer {
  readonly iface: Interface;
  readonly tcp: Tcp;
  readonly log = new RecordingLog({ capacity: 100_000 });
  now = 0;
  /** Our (the peer's) port, and synstack's port, used when a spec names none. */
  peerPort = 40000;
  usPort = 80;
  private readonly frames: Uint8Array[] = [];
  private readonly sent: Sent[] = [];

  constructor(config: TcpConfigInput = {}) {
    this.iface = new Interface({
      device: { mac: US_MAC, mtu: 1500, send: (f) => this.transmitted(f) },
      entropy: new SeededEntropy(1, 'iface'),
      address: US,
      prefixLength: 24,
      gateway: PEER,
      log: this.log,
      clock: { now: () => this.now },
    });
    this.tcp = new Tcp(this.iface, { entropy: new SeededEntropy(1, 'tcp'), config, log: this.log });
    // Teach the interface our MAC so its segments go out at once.
    this.answerArp();
    this.advance(5000); // address announcements
    this.collect();
    this.sent.length = 0;
  }

  /** The peer answers ARP requests for its address, as a real host would (after the current call). */
  private arpAsked = false;

  private transmitted(f: Uint8Array): void {
    if (f.length >= 42 && f[12] === 0x08 && f[13] === 0x06 && f[21] === 1 &&
        ((f[38]! << 24) | (f[39]! << 16) | (f[40]! << 8) | f[41]!) >>> 0 === PEER) {
      this.arpAsked = true;
      return;
    }
    this.frames.push(f.slice());
  }

  private answerArp(): void {
    this.arpAsked = false;
    const arp = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
    emitEthernet(arp, 0, US_MAC, PEER_MAC, ETHERTYPE_ARP);
    emitArp(arp, ETH_HEADER_LEN, ARP_OP_REPLY, PEER_MAC, PEER, US_MAC, US);
    this.iface.input(arp, this.now);
  }

  /** Inject one segment from the peer. */
  send(s: SegmentSpec): void {
    const data = typeof s.data === 'number' ? pattern(s.data) : s.data ?? new Uint8Array(0);
    const o = new TcpOptions();
    if (s.mss !== undefined) o.mss = s.mss;
    if (s.ws !== undefined) o.windowScale = s.ws;
    if (s.ts) {
      o.hasTimestamps = true;
      o.tsVal = s.ts[0] >>> 0;
      o.tsEcr = s.ts[1] >>> 0;
    }
    if (s.sackOk) o.sackPermitted = true;
    if (s.sack) {
      s.sack.forEach(([l, r], i) => { o.sackBlocks[2 * i] = l >>> 0; o.sackBlocks[2 * i + 1] = r >>> 0; });
      o.sackCount = s.sack.length;
    }
    const f = new Uint8Array(ETH_HEADER_LEN + IPV4_HEADER_LEN + 60 + data.length);
    const at = ETH_HEADER_LEN + IPV4_HEADER_LEN;
    let optLen: number;
    if (s.rawOptions) {
      f.set(s.rawOptions, at + 20);
      optLen = s.rawOptions.length;
    } else optLen = writeTcpOptions(f, at + 20, o);
    f.set(data, at + 20 + optLen);
    emitTcp(f, at, s.srcPort ?? this.peerPort, s.dstPort ?? this.usPort, (s.seq ?? 0) >>> 0, (s.ack ?? 0) >>> 0,
      flagsOf(s.flags) | (s.urg !== undefined ? TCP_URG : 0), s.win ?? 65535, s.urg ?? 0, optLen, data.length, s.src ?? PEER, US);
    if (s.badChecksum) f[at + 16]! ^= 0xff;
    const ipLen = 20 + optLen + data.length;
    emitEthernet(f, 0, US_MAC, PEER_MAC, ETHERTYPE_IPV4);
    emitIpv4(f, ETH_HEADER_LEN, ipLen, IP_PROTO_TCP, s.src ?? PEER, US, 64, 1, 0);
    this.iface.input(f.subarray(0, ETH_HEADER_LEN + IPV4_HEADER_LEN + ipLen), this.now);
  }

  /** Inject an ICMP error from the peer quoting `datagram` (one synstack sent). */
  sendIcmpError(type: number, code: number, datagram: Uint8Array, rest = 0): void {
    const quote = datagram.subarray(0, Math.min(datagram.length, 28));
    const f = new Uint8Array(ETH_HEADER_LEN + IPV4_HEADER_LEN + 8 + quote.length);
    f.set(quote, ETH_HEADER_LEN + IPV4_HEADER_LEN + 8);
    emitIcmp(f, ETH_HEADER_LEN + IPV4_HEADER_LEN, 8 + quote.length, type, code, rest);
    emitEthernet(f, 0, US_MAC, PEER_MAC, ETHERTYPE_IPV4);
    emitIpv4(f, ETH_HEADER_LEN, 8 + quote.length, IP_PROTO_ICMP, PEER, US, 64, 2, 0);
    this.iface.input(f, this.now);
  }

  /** Move the virtual clock forward, polling at every deadline on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (let guard = 0; guard < 1_000_000; guard++) {
      const d = this.iface.nextDeadline();
      if (d > end) break;
      this.now = Math.max(this.now, d);
      this.iface.poll(this.now);
      if (this.arpAsked) this.answerArp();
    }
    this.now = end;
  }

  /** Advance to the next deadline (returns its time) — for timer tests. */
  advanceToNextDeadline(limitMs = 1e9): number {
    const d = this.iface.nextDeadline();
    if (d === Infinity || d > this.now + limitMs) throw new Error(`no deadline within ${limitMs} ms (next: ${d})`);
    this.now = Math.max(this.now, d);
    this.iface.poll(this.now);
    if (this.arpAsked) this.answerArp();
    return this.now;
  }

  /** Every TCP segment synstack has sent since the last call. */
  take(): Sent[] {
    this.collect();
    return this.sent.splice(0, this.sent.length);
  }

  /** Exactly one segment went out; it matches the fields given. */
  expect(match: Partial<Omit<Sent, 'data'>> & { data?: Uint8Array }): Sent {
    const out = this.take();
    expect(out.map((s) => describe(s)), 'segments sent').toHaveLength(1);
    const s = out[0]!;
    for (const [k, v] of Object.entries(match)) {
      expect(s[k as keyof Sent], `${k} of ${describe(s)}`).toEqual(k === 'seq' || k === 'ack' ? (v as number) >>> 0 : v);
    }
    return s;
  }

  expectNone(): void {
    expect(this.take().map(describe), 'segments sent').toEqual([]);
  }

  private collect(): void {
    if (this.arpAsked) this.answerArp();
    const eth = new EthernetFrame(), ip = new Ipv4Packet(), seg = new TcpSegment();
    for (const f of this.frames.splice(0, this.frames.length)) {
      if (eth.parse(f, 0, f.length) !== null || eth.etherType !== ETHERTYPE_IPV4) continue;
      if (ip.parse(f, eth.payloadOffset, eth.payloadLength) !== null || ip.protocol !== IP_PROTO_TCP) continue;
      expect(seg.parse(f, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst), 'synstack sent a valid segment').toBeNull();
      expect(ip.dontFragment, 'TCP sets DF').toBe(true);
      this.sent.push({
        flags: flagText(seg.flags), seq: seg.seq, ack: seg.ack, win: seg.window, len: seg.payloadLength,
        data: f.slice(seg.payloadOffset, seg.payloadOffset + seg.payloadLength),
        mss: seg.options.mss, ws: seg.options.windowScale,
        ts: seg.options.hasTimestamps ? [seg.options.tsVal, seg.options.tsEcr] : null,
        sackOk: seg.options.sackPermitted,
        sack: Array.from({ length: seg.options.sackCount }, (_, i) => [seg.options.sackBlocks[2 * i]!, seg.options.sackBlocks[2 * i + 1]!] as [number, number]),
        srcPort: seg.srcPort, dstPort: seg.dstPort, dst: ip.dst, time: this.now,
        datagram: f.slice(ip.offset, ip.offset + ip.totalLength),
      });
    }
  }
}

export function describe(s: Sent): string {
  return `${s.flags} seq=${s.seq} ack=${s.ack} win=${s.win} len=${s.len}`;
}
