// A small DHCP server (RFC 2131 §4.3) for the simulator, written independently of the client in
// src/iface/dhcp-message.ts (its own message parser and builder) so that the tests do not check the client
// against itself. It is a `Driven` node with its own MAC and IPv4 address that
//   - answers ARP requests for its address (clients unicast renewals and releases to it);
//   - answers DHCPDISCOVER with DHCPOFFER and DHCPREQUEST with DHCPACK from a small pool, NAKs a
//     request it cannot honour (§4.3.2), marks declined addresses unusable (§4.3.3) and frees
//     released ones (§4.3.4);
//   - can be told to stay silent, to NAK every request, or to answer only DISCOVERs;
//   - records every DHCP message it receives and every one it sends.
// Replies go to the broadcast address when the request's ciaddr is 0 (our client always sets the
// BROADCAST flag then) and as unicast to ciaddr otherwise, with the client's chaddr as the
// Ethernet destination instead of an ARP lookup (a shortcut a test server may take). NAKs are
// always broadcast (§4.1). No relay agents (giaddr), no INFORM, no option overload.

import type { Device, Driven } from '../../src/platform';
import { ARP_LEN, ARP_OP_REPLY, ARP_OP_REQUEST, ArpPacket, emitArp } from '../../src/wire/arp';
import { BROADCAST_MAC, ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetFrame, emitEthernet } from '../../src/wire/ethernet';
import { IP_PROTO_UDP, IPV4_BROADCAST, IPV4_HEADER_LEN, Ipv4Packet, emitIpv4 } from '../../src/wire/ipv4';
import { UDP_HEADER_LEN, UdpDatagram, emitUdp } from '../../src/wire/udp';

export const DISCOVER = 1, OFFER = 2, REQUEST = 3, DECLINE = 4, ACK = 5, NAK = 6, RELEASE = 7;
export const COOKIE = [99, 130, 83, 99];

/** A DHCP message as plain fields and a map of options (RFC 2131 §2, RFC 2132). */
export interface DhcpMessage {
  op: number;
  htype: number;
  hlen: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  chaddr: Uint8Array;
  /** Option code → value (the last instance wins). */
  options: Map<number, Uint8Array>;
  /** Option 53, or 0. */
  type: number;
}

const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

/** Parse a message, or null when it is not one (too short, no cookie, options running over). */
export function parseDhcpMessage(b: Uint8Array): DhcpMessage | null {
  if (b.length < 240 || COOKIE.some((c, i) => b[236 + i] !== c)) return null;
  const options = new Map<number, Uint8Array>();
  let i = 240;
  while (i < b.length && b[i] !== 255) {
    if (b[i] === 0) { i++; continue; }
    if (i + 2 > b.length || i + 2 + b[i + 1]! > b.length) return null;
    options.set(b[i]!, b.slice(i + 2, i + 2 + b[i + 1]!));
    i += 2 + b[i + 1]!;
  }
  const t = options.get(53);
  return {
    op: b[0]!, htype: b[1]!, hlen: b[2]!, xid: u32(b, 4), secs: (b[8]! << 8) | b[9]!, flags: (b[10]! << 8) | b[11]!,
    ciaddr: u32(b, 12), yiaddr: u32(b, 16), siaddr: u32(b, 20), giaddr: u32(b, 24), chaddr: b.slice(28, 34),
    options, type: t !== undefined && t.length === 1 ? t[0]! : 0,
  };
}

export interface BuildFields {
  op?: number;
  htype?: number;
  hlen?: number;
  xid?: number;
  flags?: number;
  ciaddr?: number;
  yiaddr?: number;
  chaddr?: Uint8Array;
  /** Replace the magic cookie (e.g. a plain BOOTP reply with RFC 1048 vendor data). */
  cookie?: number[];
}

/**
 * Build a message: the fixed part, the cookie, `options` in order as [code, value bytes], an end
 * option (unless `raw` bytes replace the whole options area) and padding to 300 octets.
 */
export function buildDhcpMessage(f: BuildFields, options: [number, number[]][], raw?: number[]): Uint8Array {
  const opts: number[] = [];
  if (raw !== undefined) opts.push(...raw);
  else {
    for (const [code, value] of options) opts.push(code, value.length, ...value);
    opts.push(255);
  }
  const b = new Uint8Array(Math.max(300, 240 + opts.length));
  b[0] = f.op ?? 2;
  b[1] = f.htype ?? 1;
  b[2] = f.hlen ?? 6;
  b.set(be32(f.xid ?? 0), 4);
  b[10] = (f.flags ?? 0) >>> 8;
  b[11] = (f.flags ?? 0) & 255;
  b.set(be32(f.ciaddr ?? 0), 12);
  b.set(be32(f.yiaddr ?? 0), 16);
  if (f.chaddr) b.set(f.chaddr.subarray(0, 6), 28);
  b.set(f.cookie ?? COOKIE, 236);
  b.set(opts, 240);
  return b;
}

export const addr = (v: number) => be32(v);

export interface ServerRecord {
  time: number;
  type: number;
  msg: DhcpMessage;
  ipSrc: number;
  ipDst: number;
  srcPort: number;
  ethBroadcast: boolean;
  /** Option 50, 54 and 12 when present. */
  requestedIp: number | null;
  serverId: number | null;
  hostname: string | null;
}

export interface SentRecord {
  time: number;
  type: number;
  xid: number;
  yiaddr: number;
  ipDst: number;
}

export interface DhcpServerConfig {
  mac: Uint8Array;
  ip: number;
  poolStart: number;
  poolSize: number;
  subnetMask: number;
  router?: number;
  dns?: number[];
  leaseSeconds: number;
  /** Options 58/59; absent lets the client use 0.5 and 0.875 of the lease. */
  t1Seconds?: number;
  t2Seconds?: number;
}

export class DhcpServer implements Driven {
  readonly received: ServerRecord[] = [];
  readonly sent: SentRecord[] = [];
  /** Record but never answer DHCP (ARP still answered: the host is up, its server is not). */
  silent = false;
  /** NAK every DHCPREQUEST. */
  nak = false;
  /** Answer DISCOVERs but not REQUESTs. */
  ignoreRequests = false;
  /** chaddr (hex) → address bound or offered to it. */
  readonly bindings = new Map<string, number>();
  readonly declined = new Set<number>();
  readonly config: DhcpServerConfig;

  private readonly eth = new EthernetFrame();
  private readonly arp = new ArpPacket();
  private readonly ip = new Ipv4Packet();
  private readonly udp = new UdpDatagram();

  constructor(private readonly device: Device, config: DhcpServerConfig) {
    this.config = { ...config };
  }

  poll(): void {}

  nextDeadline(): number {
    return Infinity;
  }

  inPool(a: number): boolean {
    return a >= this.config.poolStart && a < this.config.poolStart + this.config.poolSize;
  }

  input(frame: Uint8Array, now: number): void {
    const eth = this.eth;
    if (eth.parse(frame, 0, frame.length) !== null) return;
    if (eth.etherType === ETHERTYPE_ARP) {
      const a = this.arp;
      if (a.parse(frame, eth.payloadOffset, eth.payloadLength) === null && a.op === ARP_OP_REQUEST && a.targetIp === this.config.ip) {
        const peer = frame.slice(a.senderMacOffset, a.senderMacOffset + 6);
        const out = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
        emitEthernet(out, 0, peer, this.config.mac, ETHERTYPE_ARP);
        emitArp(out, ETH_HEADER_LEN, ARP_OP_REPLY, this.config.mac, this.config.ip, peer, a.senderIp);
        this.device.send(out);
      }
      return;
    }
    if (eth.etherType !== ETHERTYPE_IPV4) return;
    const ip = this.ip, udp = this.udp;
    if (ip.parse(frame, eth.payloadOffset, eth.payloadLength) !== null || ip.protocol !== IP_PROTO_UDP) return;
    if (ip.dst !== IPV4_BROADCAST && ip.dst !== this.config.ip) return;
    if (udp.parse(frame, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst) !== null || udp.dstPort !== 67) return;
    const msg = parseDhcpMessage(frame.slice(udp.payloadOffset, udp.payloadOffset + udp.payloadLength));
    if (msg === null || msg.op !== 1) return;
    const opt32 = (code: number) => {
      const v = msg.options.get(code);
      return v !== undefined && v.length === 4 ? u32(v, 0) : null;
    };
    const host = msg.options.get(12);
    this.received.push({
      time: now, type: msg.type, msg, ipSrc: ip.src, ipDst: ip.dst, srcPort: udp.srcPort,
      ethBroadcast: eth.isGroup, requestedIp: opt32(50), serverId: opt32(54),
      hostname: host === undefined ? null : String.fromCharCode(...host),
    });
    if (this.silent) return;
    const key = Array.from(msg.chaddr, (x) => x.toString(16).padStart(2, '0')).join(':');
    const bound = this.bindings.get(key);
    switch (msg.type) {
      case DISCOVER: {
        // §4.3.1: the client's current binding, else a free pool address.
        let a = bound;
        for (let i = 0; a === undefined && i < this.config.poolSize; i++) {
          const c = this.config.poolStart + i;
          if (!this.declined.has(c) && ![...this.bindings.values()].includes(c)) a = c;
        }
        if (a === undefined) return;
        this.bindings.set(key, a);
        this.reply(msg, OFFER, a, now);
        return;
      }
      case REQUEST: {
        if (this.ignoreRequests) return;
        const sid = opt32(54);
        if (sid !== null && sid !== this.config.ip) return; // the client chose another server
        if (this.nak) {
          this.reply(msg, NAK, 0, now);
          return;
        }
        // SELECTING (server id) and INIT-REBOOT name the address in option 50; RENEWING and
        // REBINDING in ciaddr (§4.3.2).
        const want = msg.ciaddr !== 0 ? msg.ciaddr : opt32(50);
        if (want === null || !this.inPool(want) || this.declined.has(want) || (bound !== undefined && bound !== want)) {
          if (sid !== null || msg.ciaddr === 0 || !this.inPool(want ?? 0)) this.reply(msg, NAK, 0, now);
          return;
        }
        this.bindings.set(key, want);
        this.reply(msg, ACK, want, now);
        return;
      }
      case DECLINE: {
        const a = opt32(50);
        if (a !== null) this.declined.add(a);
        this.bindings.delete(key);
        return;
      }
      case RELEASE:
        this.bindings.delete(key);
        return;
    }
  }

  private reply(req: DhcpMessage, type: number, yiaddr: number, now: number): void {
    const c = this.config;
    const options: [number, number[]][] = [[53, [type]], [54, be32(c.ip)]];
    if (type !== NAK) {
      options.push([51, be32(c.leaseSeconds)], [1, be32(c.subnetMask)]);
      if (c.router !== undefined) options.push([3, be32(c.router)]);
      if (c.dns !== undefined && c.dns.length > 0) options.push([6, c.dns.flatMap(be32)]);
      if (c.t1Seconds !== undefined) options.push([58, be32(c.t1Seconds)]);
      if (c.t2Seconds !== undefined) options.push([59, be32(c.t2Seconds)]);
    }
    const body = buildDhcpMessage({
      op: 2, xid: req.xid, flags: req.flags, ciaddr: type === ACK ? req.ciaddr : 0, yiaddr, chaddr: req.chaddr,
    }, options);
    const unicast = type !== NAK && req.ciaddr !== 0;
    const dst = unicast ? req.ciaddr : IPV4_BROADCAST;
    const frame = new Uint8Array(ETH_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN + body.length);
    const ipAt = ETH_HEADER_LEN, udpAt = ipAt + IPV4_HEADER_LEN;
    frame.set(body, udpAt + UDP_HEADER_LEN);
    emitUdp(frame, udpAt, 67, 68, body.length, c.ip, dst);
    emitIpv4(frame, ipAt, UDP_HEADER_LEN + body.length, IP_PROTO_UDP, c.ip, dst, 64, this.sent.length & 0xffff, 0);
    emitEthernet(frame, 0, unicast ? req.chaddr : BROADCAST_MAC, c.mac, ETHERTYPE_IPV4);
    this.sent.push({ time: now, type, xid: req.xid, yiaddr, ipDst: dst });
    this.device.send(frame);
  }
}
