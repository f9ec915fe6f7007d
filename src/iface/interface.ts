// The interface a device gets: Ethernet demultiplexing, ARP (RFC 826), IPv4 in and out (RFC 791,
// RFC 1122 §3.3), fragment reassembly, ICMP and UDP, and the hook where TCP registers. It is driven
// by the platform through `Driven`: frames in with `input`, timers with `poll`, and `nextDeadline`
// to say when to poll next. Every received frame is either delivered or dropped with one reason.

import type { Accelerators, Clock, Device, Driven, Entropy, Log } from '../platform';
import { silentLog } from '../platform';
import { ARP_OP_REPLY, ARP_OP_REQUEST, ARP_LEN, ArpPacket, emitArp } from '../wire/arp';
import { bytesEqual, copyMac, write16 } from '../wire/bytes';
import { type ChecksumFn, onesSum, finish } from '../wire/checksum';
import {
  BROADCAST_MAC, ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetFrame, VLAN_TAG_LEN, emitEthernet,
} from '../wire/ethernet';
import { ICMP_DEST_UNREACHABLE, ICMP_TIME_EXCEEDED, TIME_EXCEEDED_REASSEMBLY, UNREACH_PORT, UNREACH_PROTOCOL } from '../wire/icmp';
import {
  IP_PROTO_ICMP, IP_PROTO_UDP, IPV4_BROADCAST, IPV4_FLAG_DF, IPV4_FRAGMENT_BITS, IPV4_HEADER_LEN, IPV4_MAX_HEADER_LEN, Ipv4Packet,
  emitIpv4, ipv4ToString, prefixMask,
} from '../wire/ipv4';
import {
  ARP_FREE, ARP_INCOMPLETE, ARP_REACHABLE, ArpCache, type ArpConfig, type ArpCounters, defaultArpConfig, newArpCounters,
} from './arp-cache';
import type { DropCounts, DropReason } from './drops';
import { IcmpLayer, type IcmpConfig, defaultIcmpConfig } from './icmp';
import { type IpLayer, type SendResult, type Transport, TX_IP_PAYLOAD } from './ip-layer';
import { Reassembler, type ReassemblyConfig, defaultReassemblyConfig } from './reassembly';
import { UdpLayer, type UdpConfig, defaultUdpConfig } from './udp';

export interface InterfaceConfig {
  device: Device;
  entropy: Entropy;
  /**
   * The platform clock. Frames and timers bring their own `now`; the clock is read only for calls
   * the application makes between them (connect, write, close).
   */
  clock?: Clock;
  accelerators?: Partial<Accelerators>;
  log?: Log;
  /** Static address (uint32); 0 or absent leaves the interface unconfigured (DHCP sets it later). */
  address?: number;
  prefixLength?: number;
  gateway?: number;
  /** TTL of datagrams we originate (RFC 1122 §3.2.1.7 suggests 64 today). */
  ttl?: number;
  arp?: Partial<ArpConfig>;
  reassembly?: Partial<ReassemblyConfig>;
  icmp?: Partial<IcmpConfig>;
  udp?: Partial<UdpConfig>;
}

export interface InterfaceCounters {
  framesIn: number;
  framesDelivered: number;
  framesDropped: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  ipv4In: number;
  ipv4Out: number;
  ipv4NoRoute: number;
  drops: DropCounts;
}

/**
 * Something with timers of its own that the interface polls after its transports, the way it
 * polls them (the DHCP client, src/iface/dhcp.ts). It sends through the interface from `poll`.
 */
export interface PollParticipant {
  poll(now: number): void;
  /** Absolute time (ms) of its earliest pending work, or Infinity. */
  nextDeadline(): number;
}

/** RFC 5227 §1.1: ANNOUNCE_NUM announcements ANNOUNCE_INTERVAL apart; DEFEND_INTERVAL. */
const ANNOUNCE_NUM = 2;
const ANNOUNCE_INTERVAL_MS = 2_000;
const DEFEND_INTERVAL_MS = 10_000;

export class Interface implements Driven, IpLayer {
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly maxPayload: number;
  readonly tx: Uint8Array;
  readonly txView: DataView;
  readonly checksum: ChecksumFn;
  readonly counters: InterfaceCounters = {
    framesIn: 0, framesDelivered: 0, framesDropped: 0, framesOut: 0, bytesIn: 0, bytesOut: 0,
    ipv4In: 0, ipv4Out: 0, ipv4NoRoute: 0, drops: {},
  };
  readonly arpCounters: ArpCounters = newArpCounters();
  readonly arp: ArpCache;
  readonly reassembly: Reassembler;
  readonly icmp: IcmpLayer;
  readonly udp: UdpLayer;

  address = 0;
  prefixLength = 0;
  netmask = 0;
  gateway = 0;
  ttl: number;
  /**
   * RFC 5227 §2.1: the candidate address an ARP probe is checking, 0 when none. While it is set,
   * an ARP packet whose sender IP is the candidate, or another host's probe for it (sender IP 0,
   * target the candidate), is reported to `onProbeConflict` and consumed (§2.1.1).
   */
  probeAddress = 0;
  onProbeConflict: ((address: number, now: number) => void) | null = null;

  readonly clock: Clock | null;
  private readonly device: Device;
  private readonly log: Log;
  /** Registered transports (TCP, perhaps one more) and their protocol numbers: a short list, not a 256-entry table. */
  private readonly transportList: Transport[] = [];
  private readonly transportProtocols: number[] = [];
  private readonly participants: PollParticipant[] = [];
  private readonly eth = new EthernetFrame();
  private readonly arpPacket = new ArpPacket();
  private readonly ip = new Ipv4Packet();
  private readonly quote = new Ipv4Packet();
  /**
   * The last two views of `tx` handed to the device (a view per frame length): bulk traffic sends
   * frames of one or two lengths (full segments, ACKs), so a view per frame would be garbage.
   */
  private txFrameA: Uint8Array;
  private txFrameB: Uint8Array;
  /**
   * The ARP entry whose MAC the Ethernet header in `tx` holds (with our MAC and IPv4's type), as
   * the cache had it at `txHeaderLearned` learns; -1 after any other header. A run of frames to one
   * neighbour then writes its header once. Only this class writes tx[0, 14) (the layers above
   * write from TX_IP_PAYLOAD on), and the device only reads the frames it is given.
   */
  private txHeaderEntry = -1;
  private txHeaderLearned = 0;
  /** Our MAC as two numbers, bytes 0-1 and 2-5, for the destination check of every frame. */
  private readonly macHigh: number;
  private readonly macLow: number;
  /**
   * False when the reassembler holds nothing: no fragment came since its nextDeadline last said
   * Infinity (fragments reach it only through ipv4Input), so poll and nextDeadline skip it.
   */
  private reassembling = false;
  /** subnetBroadcast, kept by setAddress: it is compared with every datagram in and out. */
  private broadcast = 0;
  private ident: number;
  private announceLeft = 0;
  private announceAt = Infinity;
  private defendedAt = -Infinity;

  constructor(config: InterfaceConfig) {
    this.device = config.device;
    this.clock = config.clock ?? null;
    this.mac = config.device.mac;
    this.macHigh = (this.mac[0]! << 8) | this.mac[1]!;
    this.macLow = (this.mac[2]! << 24) | (this.mac[3]! << 16) | (this.mac[4]! << 8) | this.mac[5]!;
    this.mtu = config.device.mtu;
    this.maxPayload = this.mtu - IPV4_HEADER_LEN;
    this.tx = new Uint8Array(ETH_HEADER_LEN + this.mtu);
    this.txView = new DataView(this.tx.buffer);
    this.txFrameA = this.tx;
    this.txFrameB = this.tx;
    this.checksum = config.accelerators?.checksum ?? onesSum;
    this.log = config.log ?? silentLog;
    this.ttl = config.ttl ?? 64;
    this.arp = new ArpCache({ ...defaultArpConfig, ...config.arp }, this.tx.length);
    this.reassembly = new Reassembler({ ...defaultReassemblyConfig, ...config.reassembly });
    this.udp = new UdpLayer({ ...defaultUdpConfig, ...config.udp }, this, config.entropy);
    this.icmp = new IcmpLayer({ ...defaultIcmpConfig, ...config.icmp }, this, this.udp, (p) => this.transport(p));
    const seed = new Uint8Array(2);
    config.entropy.fill(seed);
    this.ident = (seed[0]! << 8) | seed[1]!;
    if (config.address) this.setAddress(config.address, config.prefixLength ?? 24, config.gateway ?? 0, 0);
  }

  /** Take an address; announces it with gratuitous ARP (RFC 5227 §2.3) from the next poll. */
  setAddress(address: number, prefixLength: number, gateway: number, now: number): void {
    this.address = address >>> 0;
    this.prefixLength = prefixLength;
    this.netmask = prefixMask(prefixLength);
    this.gateway = gateway >>> 0;
    this.broadcast = this.subnetBroadcast;
    this.announceLeft = address ? ANNOUNCE_NUM : 0;
    this.announceAt = address ? now : Infinity;
    this.log.log('info', 'address-set', { address: ipv4ToString(this.address), prefixLength, gateway: ipv4ToString(this.gateway) });
  }

  /** Subnet broadcast address, or 0 when there is none (no address, /31, /32). */
  get subnetBroadcast(): number {
    return this.address === 0 || this.prefixLength >= 31 ? 0 : (this.address | ~this.netmask) >>> 0;
  }

  registerTransport(protocol: number, transport: Transport): void {
    const i = this.transportProtocols.indexOf(protocol);
    if (i >= 0) {
      this.transportList.splice(i, 1);
      this.transportProtocols.splice(i, 1);
    }
    this.transportList.push(transport);
    this.transportProtocols.push(protocol);
  }

  /** The transport registered for `protocol`, or null. */
  private transport(protocol: number): Transport | null {
    for (let i = 0; i < this.transportProtocols.length; i++) if (this.transportProtocols[i] === protocol) return this.transportList[i]!;
    return null;
  }

  /** Poll `p` from now on (once, however often it is added). */
  addPollParticipant(p: PollParticipant): void {
    if (this.participants.indexOf(p) < 0) this.participants.push(p);
  }

  // ---- receive ---------------------------------------------------------------------------------

  input(frame: Uint8Array, now: number): void {
    const c = this.counters;
    c.framesIn++;
    c.bytesIn += frame.length;
    const reason = this.receive(frame, now);
    if (reason === null) c.framesDelivered++;
    else this.drop(reason);
  }

  private drop(reason: DropReason): void {
    const c = this.counters;
    c.framesDropped++;
    c.drops[reason] = (c.drops[reason] ?? 0) + 1;
    if (this.log.enabled('debug')) this.log.log('debug', 'drop', { reason });
  }

  private receive(frame: Uint8Array, now: number): DropReason | null {
    const eth = this.eth;
    const err = eth.parse(frame, 0, frame.length);
    if (err !== null) return err;
    if (frame.length > ETH_HEADER_LEN + VLAN_TAG_LEN + this.mtu) return 'eth-too-long';
    // Not VLAN-aware: untagged and priority-tagged (VID 0) frames are ours, other VLANs are not.
    if (eth.vlanId > 0) return 'eth-vlan-foreign';
    // Broadcast or multicast (the group bit), else our own address (as EthernetFrame.isGroup and
    // a byte compare with `mac` would say, in fewer steps).
    const group = (frame[0]! & 1) === 1;
    if (!group && (((frame[0]! << 8) | frame[1]!) !== this.macHigh ||
      ((frame[2]! << 24) | (frame[3]! << 16) | (frame[4]! << 8) | frame[5]!) !== this.macLow)) return 'eth-not-for-us';
    if (eth.etherType === ETHERTYPE_IPV4) return this.ipv4Input(frame, eth.payloadOffset, eth.payloadLength, group, now);
    if (eth.etherType === ETHERTYPE_ARP) return this.arpInput(frame, eth.payloadOffset, eth.payloadLength, now);
    return 'eth-unknown-type';
  }

  private arpInput(frame: Uint8Array, offset: number, length: number, now: number): DropReason | null {
    const p = this.arpPacket;
    const err = p.parse(frame, offset, length);
    if (err !== null) return err;
    const ac = this.arpCounters;
    if (p.op === ARP_OP_REQUEST) ac.requestsIn++;
    else ac.repliesIn++;
    const sm = p.senderMacOffset;
    if ((frame[sm]! & 1) !== 0 || bytesEqual(frame, sm, this.mac, 0, 6)) return 'arp-bad-sender';
    const probe = this.probeAddress;
    if (probe !== 0 && (p.senderIp === probe || (p.senderIp === 0 && p.op === ARP_OP_REQUEST && p.targetIp === probe))) {
      // RFC 5227 §2.1.1: someone uses or probes for the address we are probing: a conflict.
      ac.conflicts++;
      this.onProbeConflict?.(probe, now);
      return null;
    }
    if (this.address !== 0 && p.senderIp === this.address) {
      // Someone else claims our address (RFC 5227 §2.4): count it and defend at most every 10 s.
      ac.conflicts++;
      this.log.log('warn', 'arp-conflict', { address: ipv4ToString(this.address) });
      if (now - this.defendedAt >= DEFEND_INTERVAL_MS) {
        this.defendedAt = now;
        this.sendArp(ARP_OP_REQUEST, BROADCAST_MAC, this.address);
        ac.announcementsOut++;
      }
      return null;
    }
    // RFC 826: update the sender's entry if we have one, and add it if we are the target.
    const cache = this.arp;
    const forUs = this.address !== 0 && p.targetIp === this.address;
    let merged = false;
    if (p.senderIp !== 0) {
      let i = cache.find(p.senderIp);
      merged = i >= 0;
      if (i < 0 && forUs) i = cache.allocate(p.senderIp, ac);
      if (i >= 0) {
        cache.learn(i, frame, sm, now);
        this.flushQueued(p.senderIp, i);
      }
    }
    // Not for us: delivered only if it refreshed an entry we hold (e.g. a gratuitous ARP).
    if (!forUs) return merged ? null : 'arp-not-for-us';
    if (p.op === ARP_OP_REQUEST) {
      this.sendArp(ARP_OP_REPLY, frame.subarray(sm, sm + 6), p.senderIp);
      ac.repliesOut++;
    }
    return null;
  }

  private ipv4Input(bytes: Uint8Array, offset: number, length: number, linkGroup: boolean, now: number): DropReason | null {
    let ip = this.ip;
    const err = ip.parse(bytes, offset, length, this.checksum);
    if (err !== null) return err;
    this.counters.ipv4In++;
    const src = ip.src, dst = ip.dst, bcast = this.broadcast;
    // RFC 1122 §3.2.1.3: a broadcast or multicast source is never legitimate.
    if (src === IPV4_BROADCAST || src >>> 28 === 0xe || (bcast !== 0 && src === bcast)) return 'ipv4-bad-source';
    const toBroadcast = dst === IPV4_BROADCAST || (bcast !== 0 && dst === bcast);
    if (!toBroadcast && (this.address === 0 || dst !== this.address)) return 'ipv4-not-for-us';
    // RFC 1122 §3.3.6: a link-layer broadcast must carry an IP broadcast.
    if (linkGroup && !toBroadcast) return 'ipv4-not-for-us';
    if ((ip.flagsFragment & IPV4_FRAGMENT_BITS) !== 0) { // ip.isFragment
      this.reassembling = true;
      const r = this.reassembly.add(ip, now);
      if (typeof r === 'string') return r;
      if (r < 0) return null;
      ip = this.reassembled(r);
    }
    return this.deliver(ip, toBroadcast || linkGroup, now);
  }

  /** Rebind `this.ip` to a datagram the reassembler completed in `slot`. */
  private reassembled(slot: number): Ipv4Packet {
    const r = this.reassembly, buf = r.buffers[slot]!, ho = r.headerOffset(slot);
    const total = IPV4_MAX_HEADER_LEN - ho + r.payloadLength(slot);
    write16(buf, ho + 2, total);
    write16(buf, ho + 6, 0);
    write16(buf, ho + 10, 0);
    write16(buf, ho + 10, finish(this.checksum(buf, ho, IPV4_MAX_HEADER_LEN - ho, 0)));
    this.ip.parse(buf, ho, total, null);
    return this.ip;
  }

  private deliver(ip: Ipv4Packet, broadcast: boolean, now: number): DropReason | null {
    const proto = ip.protocol;
    if (proto === IP_PROTO_ICMP) return this.icmp.input(ip, broadcast, now);
    if (proto === IP_PROTO_UDP) {
      const r = this.udp.input(ip);
      if (r === 'udp-no-socket' && !broadcast) this.icmp.sendError(ICMP_DEST_UNREACHABLE, UNREACH_PORT, 0, ip, now);
      return r;
    }
    const t = this.transport(proto);
    if (t !== null) return broadcast ? 'ipv4-not-for-us' : t.input(ip, now);
    if (!broadcast) this.icmp.sendError(ICMP_DEST_UNREACHABLE, UNREACH_PROTOCOL, 0, ip, now);
    return 'ipv4-unknown-protocol';
  }

  // ---- send ------------------------------------------------------------------------------------

  sendIpv4(dst: number, protocol: number, payloadLength: number, now: number, dontFragment: boolean): SendResult {
    if (this.address === 0 && dst !== IPV4_BROADCAST) return 'no-address';
    if (payloadLength > this.maxPayload) return 'too-big';
    this.ident = (this.ident + 1) & 0xffff;
    emitIpv4(this.tx, ETH_HEADER_LEN, payloadLength, protocol, this.address, dst, this.ttl, this.ident,
      dontFragment ? IPV4_FLAG_DF : 0, this.checksum, this.txView);
    const r = this.transmit(dst, TX_IP_PAYLOAD + payloadLength, now);
    if (r === 'sent' || r === 'queued') this.counters.ipv4Out++;
    return r;
  }

  /**
   * Resolve the next hop for the IPv4 datagram in `tx`, write the Ethernet header once its
   * destination is known, and send or queue the frame.
   */
  private transmit(dst: number, frameLength: number, now: number): SendResult {
    const tx = this.tx;
    if (dst === IPV4_BROADCAST || dst === this.broadcast) {
      this.txHeader(BROADCAST_MAC, 0, ETHERTYPE_IPV4, -1);
      this.sendFrame(tx, frameLength);
      return 'sent';
    }
    const onLink = ((dst ^ this.address) & this.netmask) === 0;
    const nextHop = onLink ? dst : this.gateway;
    if (nextHop === 0) {
      this.counters.ipv4NoRoute++;
      return 'no-route';
    }
    const cache = this.arp, ac = this.arpCounters;
    let i = cache.find(nextHop);
    if (i >= 0 && cache.state[i] === ARP_REACHABLE && cache.deadline[i]! > now) {
      ac.hits++;
      if (i !== this.txHeaderEntry || cache.learned !== this.txHeaderLearned) this.txHeader(cache.mac, i * 6, ETHERTYPE_IPV4, i);
      this.sendFrame(tx, frameLength);
      return 'sent';
    }
    ac.misses++;
    // The destination MAC is filled in when the reply comes (flushQueued).
    this.txHeader(BROADCAST_MAC, 0, ETHERTYPE_IPV4, -1);
    if (!cache.enqueue(nextHop, tx, frameLength)) {
      ac.queueFull++;
      return 'arp-queue-full';
    }
    ac.queued++;
    if (i < 0 || cache.state[i] !== ARP_INCOMPLETE) {
      if (i < 0) i = cache.allocate(nextHop, ac);
      cache.resolve(i, now);
      this.arpRetry(i, now);
    }
    return 'queued';
  }

  /**
   * Write the Ethernet header of the frame in `tx`, to dst[dstOffset, dstOffset+6). `entry` is the
   * ARP entry that MAC is from, or -1 for any other (see txHeaderEntry).
   */
  private txHeader(dst: Uint8Array, dstOffset: number, etherType: number, entry: number): void {
    emitEthernet(this.tx, 0, dst, this.mac, etherType, dstOffset, this.txView);
    this.txHeaderEntry = entry;
    this.txHeaderLearned = this.arp.learned;
  }

  private sendFrame(frame: Uint8Array, length: number): void {
    const c = this.counters;
    c.framesOut++;
    c.bytesOut += length;
    // The Device seam takes a frame, not (buffer, length): a view of the right length.
    const last = this.txFrameA;
    this.device.send(frame !== this.tx ? frame.subarray(0, length) : last.length === length ? last : this.txFrame(length));
  }

  /** `tx.subarray(0, length)` when the last view made (txFrameA) has another length: the one before it, or a new one. */
  private txFrame(length: number): Uint8Array {
    if (this.txFrameB.length !== length) {
      this.txFrameB = this.txFrameA;
      this.txFrameA = this.tx.subarray(0, length);
      return this.txFrameA;
    }
    const v = this.txFrameB;
    this.txFrameB = this.txFrameA;
    this.txFrameA = v;
    return v;
  }

  /** A request is broadcast with a zero target MAC (RFC 826, RFC 5227 §2.3); a reply goes to `peer`. */
  private sendArp(op: number, peer: Uint8Array, targetIp: number): void {
    const tx = this.tx, request = op === ARP_OP_REQUEST;
    this.txHeader(request ? BROADCAST_MAC : peer, 0, ETHERTYPE_ARP, -1);
    emitArp(tx, ETH_HEADER_LEN, op, this.mac, this.address, request ? ZERO_MAC : peer, targetIp);
    this.sendFrame(tx, ETH_HEADER_LEN + ARP_LEN);
  }

  /** RFC 5227 §2.1.1: an ARP probe for `candidate`: a broadcast request with sender IP 0. */
  sendArpProbe(candidate: number): void {
    const tx = this.tx;
    this.txHeader(BROADCAST_MAC, 0, ETHERTYPE_ARP, -1);
    emitArp(tx, ETH_HEADER_LEN, ARP_OP_REQUEST, this.mac, 0, ZERO_MAC, candidate);
    this.sendFrame(tx, ETH_HEADER_LEN + ARP_LEN);
    this.arpCounters.requestsOut++;
  }

  /** Send the queued frames waiting on `ip`, now that entry `i` holds its MAC. */
  private flushQueued(ip: number, i: number): void {
    const cache = this.arp;
    for (let s = 0; s < cache.queueIp.length; s++) {
      if (cache.queueIp[s] !== ip) continue;
      const frame = cache.queueFrame[s]!;
      copyMac(cache.mac, i * 6, frame, 0);
      cache.queueIp[s] = 0;
      this.sendFrame(frame, cache.queueLength[s]!);
    }
  }

  // ---- timers ----------------------------------------------------------------------------------

  poll(now: number): void {
    // Each table is walked only when something in it is due (most polls are for TCP's timers).
    const cache = this.arp;
    if (cache.nextDeadline() <= now) {
      for (let i = 0, n = cache.config.entries; i < n; i++) {
        const state = cache.state[i];
        if (state === ARP_FREE || cache.deadline[i]! > now) continue;
        if (state === ARP_REACHABLE) {
          cache.free(i);
          this.arpCounters.expired++;
        } else this.arpRetry(i, now);
      }
    }
    if (this.reassembling) this.reassembly.poll(now, (slot) => this.reassemblyTimeout(slot, now));
    if (this.announceLeft > 0 && this.announceAt <= now) {
      this.sendArp(ARP_OP_REQUEST, BROADCAST_MAC, this.address);
      this.arpCounters.announcementsOut++;
      this.announceLeft--;
      this.announceAt = this.announceLeft > 0 ? now + ANNOUNCE_INTERVAL_MS : Infinity;
    }
    for (let i = 0; i < this.transportList.length; i++) {
      const t = this.transportList[i]!;
      if (t.nextDeadline() <= now) t.poll(now);
    }
    for (let i = 0; i < this.participants.length; i++) {
      const p = this.participants[i]!;
      if (p.nextDeadline() <= now) p.poll(now);
    }
  }

  nextDeadline(): number {
    // The platform asks after every batch of frames: comparisons, not Math.min calls.
    let t = this.arp.nextDeadline();
    if (this.announceAt < t) t = this.announceAt;
    if (this.reassembling) {
      const r = this.reassembly.nextDeadline();
      if (r === Infinity) this.reassembling = false;
      else if (r < t) t = r;
    }
    const transports = this.transportList, participants = this.participants;
    for (let i = 0; i < transports.length; i++) {
      const d = transports[i]!.nextDeadline();
      if (d < t) t = d;
    }
    for (let i = 0; i < participants.length; i++) {
      const d = participants[i]!.nextDeadline();
      if (d < t) t = d;
    }
    return t;
  }

  /** Entry `i` is unresolved and due: ask again, or give up and drop what waited on it. */
  private arpRetry(i: number, now: number): void {
    const cache = this.arp, ip = cache.ip[i]!;
    if (cache.tries[i]! >= cache.config.retries) {
      cache.free(i);
      this.arpCounters.unresolved++;
      cache.dropQueued(ip, this.arpCounters);
      this.log.log('info', 'arp-unresolved', { address: ipv4ToString(ip) });
      return;
    }
    cache.requested(i, now + cache.config.retryMs);
    this.sendArp(ARP_OP_REQUEST, BROADCAST_MAC, ip);
    this.arpCounters.requestsOut++;
  }

  /** RFC 1122 §3.3.2: tell the sender of a datagram we gave up reassembling, if it was unicast to us. */
  private reassemblyTimeout(slot: number, now: number): void {
    const r = this.reassembly, buf = r.buffers[slot]!, ho = r.headerOffset(slot);
    const q = this.quote;
    if (q.parse(buf, ho, buf.length - ho, null, true) !== null || q.dst !== this.address) return;
    this.icmp.sendError(ICMP_TIME_EXCEEDED, TIME_EXCEEDED_REASSEMBLY, 0, q, now);
  }
}

const ZERO_MAC = new Uint8Array(6);
