// The SYN cache and the SYN defence around it: how a listener answers SYNs without giving them
// connection blocks.
//
// Threat: a SYN flood sends SYNs from spoofed sources that never complete the handshake. A stack
// that gives each one a connection block (lwIP's PCB, 16 of them on ESP-IDF) is full after a few
// dozen and refuses everyone. Here a SYN takes one 31-byte entry in a fixed table: a keyed hash of
// the 4-tuple (secret per boot, so nobody can aim at one bucket) picks a bucket of at most
// `bucketLimit` entries; a full bucket, a full table, a source /24 over its quota, or too few free
// connection blocks either evicts the oldest entry of the bucket (`cache` mode) or answers with a
// SYN cookie that costs no memory at all (`overflow` mode, the default; `cookies` mode always does).
// Only a final ACK that matches an entry, or carries a valid cookie, gets a connection block, and
// only if the listener's accept queue has room. Memory is therefore bounded by construction:
// entries × 31 bytes, whatever the flood.
//
// An entry is struct-of-arrays (see `perEntryBytes`): remote address, both ports, ISS, IRS, the
// peer's timestamp, the SYN-ACK deadline (ms modulo 2^32), the peer's MSS, one byte of option
// flags (window-scale shift, SACK-permitted, timestamps), the retransmission count, the listener,
// and the chain link. The local address is the interface's.

import type { Entropy, Accelerators } from '../platform';
import type { Ipv4Packet } from '../wire/ipv4';
import { seqAdd, seqInRange } from '../wire/seq';
import { TCP_ACK, TCP_RST, TCP_SYN, type TcpSegment } from '../wire/tcp';
import type { Connection } from './connection';
import type { TcpContext } from './context';
import { segmentArrives } from './input';
import { TupleHasher, type IsnGenerator } from './isn';
import type { HalfOpenPolicy, Listener } from './listener';
import { type CookieOptions, SynCookies } from './syncookie';
import {
  type SynDefenceConfig, type SynDefenceCounters, type SynDefenceStatus, newSynDefenceCounters,
} from './syndefence';

/** What the SYN cache needs from the Tcp layer beyond TcpContext. */
export interface SynCacheOwner extends TcpContext {
  /** Free connection blocks now. */
  readonly freeBlocks: number;
  readonly isnGenerator: IsnGenerator;
  /** <SEQ=SEG.ACK><CTL=RST> or <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, rate-limited. */
  resetFor(seg: TcpSegment, ip: Ipv4Packet, now: number): void;
  /** A SYN-ACK from no connection block, with the options a SYN cache entry or cookie implies. */
  sendSynAck(localIp: number, localPort: number, remoteIp: number, remotePort: number, iss: number, irs: number,
    windowScale: number, sackOk: boolean, tsOk: boolean, tsEcr: number, now: number): void;
  /** A challenge ACK (RFC 5961 §3.2) from no connection block, under the stack-wide limit. */
  challengeBare(localIp: number, localPort: number, remoteIp: number, remotePort: number, seq: number, ack: number, now: number): void;
  /** A connection block in ESTABLISHED from a completed handshake, queued on the listener; null when no block is free. */
  openEstablished(l: Listener, localIp: number, localPort: number, remoteIp: number, remotePort: number,
    iss: number, irs: number, mss: number, windowScale: number, sackOk: boolean, tsOk: boolean, tsRecent: number,
    rtt: number, cause: string, now: number): Connection | null;
}

const FLAG_WS_MASK = 0x0f; // the peer's shift, 0..14
const FLAG_WS_OFFERED = 0x10;
const FLAG_SACK = 0x20;
const FLAG_TS = 0x40;
/** The SYN-ACK went out more than once (a duplicate SYN asked for it): no RTT sample (Karn). */
const FLAG_RESENT = 0x80;
const NONE = -1;
// A slot of the cookie ring: six words and a seventh packing the option flags (FLAG_*, with
// RING_USED), the retransmission count and the listener, in one Uint32Array: the SYN path stores
// a slot with one property read (XS walks an object's fields to find each array).
const RING_REMOTE_IP = 0;
const RING_PORTS = 1;
const RING_ISS = 2;
const RING_IRS = 3;
const RING_TS = 4;
const RING_DEADLINE = 5;
const RING_META = 6;
const RING_WORDS = 7;
/** In RING_META's low byte (the flags): the slot holds a handshake. Retransmissions in bits 8..15, the listener in 16..23. */
const RING_USED = 0x80;
/** Bits in the linear-counting bitmap that estimates distinct sources. */
const SOURCE_BITS = 1024;
const QUOTA_COUNTERS = 64;

export class SynCache implements HalfOpenPolicy {
  // Fields are declared in the order the SYN path reads them: XS finds a property by walking the
  // object's list from its first field (and a method only after all of them), so what every SYN
  // touches comes first. (The constructor's parameter properties, owner and listeners, lead.)
  readonly config: SynDefenceConfig;
  readonly counters: SynDefenceCounters = newSynDefenceCounters();
  /** Earliest time `tick` has something to do (a lower bound: running it earlier changes nothing). */
  private tickAt = -Infinity;
  private earliest = Infinity;
  count = 0;
  // The configuration as the SYN path uses it, fixed when the cache is made (as its sizes are).
  private readonly cookiesOnly: boolean;
  private readonly cookieOverflow: boolean;
  private readonly entryLimit: number;
  /** The source prefix is `ip >>> quotaShift`; -1: every source is one prefix (quotaPrefixLength <= 0). */
  private readonly quotaShift: number;
  /** Entries one prefix may hold: max(1, floor(entries × quotaShare)). */
  private readonly quotaLimit: number;
  private readonly isn: IsnGenerator;
  private overflowing = false;
  private readonly cookies: SynCookies;

  // Per-source quota: a two-row count-min sketch over source prefixes (over-counts, never under).
  private readonly quota: Uint16Array;
  private readonly quotaHasher: TupleHasher;
  // Distinct sources: linear counting over the current and the previous window.
  private readonly sourceBits: Uint32Array;

  // Buckets, free list.
  private readonly hasher: TupleHasher;
  private readonly mask: number;
  private readonly heads: Int16Array;
  private readonly bucketCount: Uint8Array;
  private freeHead: number;
  // Entries (struct of arrays).
  private readonly next: Int16Array;
  private readonly ports: Uint32Array;
  private readonly remoteIp: Uint32Array;
  private readonly iss: Uint32Array;
  private readonly irs: Uint32Array;
  private readonly tsRecent: Uint32Array;
  private readonly deadline: Uint32Array;
  private readonly mss: Uint16Array;
  private readonly flags: Uint8Array;
  private readonly rtx: Uint8Array;
  private readonly listenerOf: Uint8Array;

  // The ring of recent cookie handshakes whose SYN-ACK may need resending.
  private ringNext = 0;
  private ringActive = 0;
  private readonly ringSlots: number;
  /** RING_WORDS words a slot (RING_REMOTE_IP ... RING_META). */
  private readonly ring: Uint32Array;

  private lastOverflow = -Infinity;
  private lastAttackSign = -Infinity;
  private cookieWindowStart = -Infinity;
  private cookieWindowCount = 0;
  underAttack = false;
  attackStartedAt = -1;
  private windowStart = 0;
  private readonly sourceBitsPrevious: Uint32Array;
  private sweepBucket = 0;
  private readonly cookieOut: CookieOptions = { mss: 0, windowScale: -1, sackPermitted: false };

  constructor(
    config: SynDefenceConfig,
    private readonly owner: SynCacheOwner,
    private readonly listeners: readonly Listener[],
    entropy: Entropy,
    mac?: Accelerators['mac'],
  ) {
    this.config = config;
    this.cookiesOnly = config.mode === 'cookies';
    this.cookieOverflow = config.mode === 'overflow';
    // Cookies-only keeps no half-open state: no entries at all.
    const n = config.mode === 'cookies' ? 0 : Math.max(1, Math.min(config.entries, 0x7fff));
    this.entryLimit = n;
    const len = config.quotaPrefixLength;
    this.quotaShift = len <= 0 ? -1 : 32 - Math.min(len, 32);
    this.quotaLimit = Math.max(1, Math.floor(n * config.quotaShare));
    this.isn = owner.isnGenerator;
    let buckets = 1;
    while (buckets < config.buckets) buckets <<= 1;
    this.mask = buckets - 1;
    this.remoteIp = new Uint32Array(n);
    this.ports = new Uint32Array(n);
    this.iss = new Uint32Array(n);
    this.irs = new Uint32Array(n);
    this.tsRecent = new Uint32Array(n);
    this.deadline = new Uint32Array(n);
    this.mss = new Uint16Array(n);
    this.flags = new Uint8Array(n);
    this.rtx = new Uint8Array(n);
    this.listenerOf = new Uint8Array(n);
    this.next = new Int16Array(n);
    for (let i = 0; i < n; i++) this.next[i] = i + 1 < n ? i + 1 : NONE;
    this.freeHead = n > 0 ? 0 : NONE;
    this.heads = new Int16Array(buckets).fill(NONE);
    this.bucketCount = new Uint8Array(buckets);
    this.hasher = TupleHasher.fromEntropy(entropy, mac);
    this.quota = new Uint16Array(2 * QUOTA_COUNTERS);
    this.quotaHasher = TupleHasher.fromEntropy(entropy, mac);
    this.sourceBits = new Uint32Array(SOURCE_BITS / 32);
    this.sourceBitsPrevious = new Uint32Array(SOURCE_BITS / 32);
    this.cookies = new SynCookies(entropy, config.cookiePeriodMs, mac);
    const r = Math.max(0, config.cookieRing);
    this.ringSlots = r;
    this.ring = new Uint32Array(r * RING_WORDS);
  }

  /** Bytes one entry takes in the typed arrays, and the whole table (entries, buckets, sketch, ring). */
  get perEntryBytes(): number {
    return 4 * 6 + 2 + 1 + 1 + 1 + 2;
  }

  get totalBytes(): number {
    const entries = this.remoteIp.length * this.perEntryBytes;
    const buckets = this.heads.byteLength + this.bucketCount.byteLength;
    return entries + buckets + this.quota.byteLength + this.sourceBits.byteLength * 2 + this.ring.byteLength;
  }

  get capacity(): number {
    return this.entryLimit;
  }

  /** Cookies are being answered to everyone now (always in `cookies` mode; in `overflow` mode after an overflow). */
  get cookieMode(): boolean {
    return this.cookiesOnly || (this.cookieOverflow && this.overflowing);
  }

  status(now: number): SynDefenceStatus {
    this.tick(now);
    return {
      // The mode the cache was built in and runs (config.mode is read only at construction).
      mode: this.cookiesOnly ? 'cookies' : this.cookieOverflow ? 'overflow' : 'cache', cookieMode: this.cookieMode, halfOpen: this.count, capacity: this.capacity,
      distinctSources: this.distinctSources(), underAttack: this.underAttack, attackStartedAt: this.attackStartedAt,
      counters: { ...this.counters },
    };
  }

  // ---- the listener's segments (RFC 9293 §3.10.7.2, LISTEN) --------------------------------------

  segment(l: Listener, seg: TcpSegment, ip: Ipv4Packet, now: number): void {
    const f = seg.flags;
    if (now >= this.tickAt) this.tick(now);
    if (f & TCP_RST) return this.rst(seg, ip, now);
    if (f & TCP_SYN) {
      if (f & TCP_ACK) {
        // A SYN-ACK to a listener: RFC 9293 §3.10.7.2 second check, answered with RST.
        this.owner.drop('listen-ack');
        return this.owner.resetFor(seg, ip, now);
      }
      return this.syn(l, seg, ip, now);
    }
    if (f & TCP_ACK) return this.ack(l, seg, ip, now);
    this.owner.drop('listen-no-syn');
  }

  private syn(l: Listener, seg: TcpSegment, ip: Ipv4Packet, now: number): void {
    const c = this.counters, src = ip.src;
    c.synsReceived++;
    l.stats.synsReceived++;
    // Distinct sources: one bit per source address for linear counting (distinctSources).
    const bit = this.quotaHasher.pairHash(src, 1) % SOURCE_BITS;
    this.sourceBits[bit >>> 5]! |= 1 << (bit & 31);
    if (this.cookiesOnly) return this.sendCookie(l, seg, ip, now);
    const ports = ((seg.dstPort << 16) | seg.srcPort) >>> 0;
    const b = this.hasher.tupleHash(ip.dst, seg.dstPort, src, seg.srcPort) & this.mask;
    const e = this.find(b, src, ports);
    if (e !== NONE) {
      // A duplicate SYN: the SYN-ACK was lost. Same IRS: send it again. New IRS: the peer started
      // over; take its new ISN (the entry stays, no new one is made).
      c.duplicateSyns++;
      this.irs[e] = seg.seq;
      this.takeOptions(e, seg);
      this.flags[e]! |= FLAG_RESENT;
      this.sendEntrySynAck(e, ip.dst, now);
      return;
    }
    const overflowMode = this.cookieOverflow;
    if (overflowMode && this.overflowing) {
      // Already answering with cookies: keep the attack state alive while SYNs come faster than
      // the cache could have held them (more than its size within one hysteresis period).
      if (now - this.cookieWindowStart >= this.config.hysteresisMs) {
        this.cookieWindowStart = now;
        this.cookieWindowCount = 0;
      }
      if (++this.cookieWindowCount > this.entryLimit) this.overflowed(now);
      return this.sendCookie(l, seg, ip, now);
    }
    // The source prefix's two counters in the quota sketch (count-min: its count is the smaller).
    const h = this.prefixHash(src);
    const q0 = h % QUOTA_COUNTERS, q1 = QUOTA_COUNTERS + ((h >>> 16) % QUOTA_COUNTERS);
    const quota = this.quota;
    if (quota[q0]! >= this.quotaLimit && quota[q1]! >= this.quotaLimit) {
      // One prefix holds its share already: it gets a cookie (cache-only mode: nothing), and the
      // others keep their cache entries. It is an attack sign, but no reason for cookies for all.
      c.quotaHits++;
      this.attackSign(now);
      if (overflowMode) return this.sendCookie(l, seg, ip, now);
      this.owner.drop('listen-overflow');
      return;
    }
    const config = this.config, bucketFull = this.bucketCount[b]! >= config.bucketLimit;
    if (this.count >= this.entryLimit || bucketFull || this.owner.freeBlocks < config.freeBlocksWatermark) {
      // The cache or the bucket is full, or connection blocks run short.
      this.overflowed(now);
      if (overflowMode) {
        this.cookieWindowStart = now;
        this.cookieWindowCount = 1;
        return this.sendCookie(l, seg, ip, now);
      }
    }
    // Into the cache (evicting the oldest of the bucket, or of some bucket, when full).
    if (bucketFull) this.evictOldest(b);
    if (this.freeHead === NONE) {
      if (this.bucketCount[b]! > 0) this.evictOldest(b); // evictSomewhere's first choice, without its call
      else this.evictSomewhere(b);
    }
    const n = this.freeHead;
    this.freeHead = this.next[n]!;
    this.remoteIp[n] = src;
    this.ports[n] = ports;
    this.irs[n] = seg.seq;
    this.iss[n] = this.isn.isn(ip.dst, seg.dstPort, src, seg.srcPort, now);
    this.rtx[n] = 0;
    this.listenerOf[n] = l.index;
    this.takeOptions(n, seg);
    this.next[n] = this.heads[b]!;
    this.heads[b] = n;
    this.bucketCount[b]!++;
    this.count++;
    l.halfOpen++;
    // The prefix's counters, as the sketch's add would (a Uint16Array wraps as it did there).
    quota[q0] = quota[q0]! + 1;
    quota[q1] = quota[q1]! + 1;
    c.cacheInserts++;
    this.sendEntrySynAck(n, ip.dst, now);
  }

  /** The final ACK: a cache entry, else a cookie; else RST as LISTEN would (§3.10.7.2). */
  private ack(l: Listener, seg: TcpSegment, ip: Ipv4Packet, now: number): void {
    const c = this.counters;
    const ports = ((seg.dstPort << 16) | seg.srcPort) >>> 0;
    const b = this.bucketOf(ip.dst, seg.dstPort, ip.src, seg.srcPort);
    const e = this.find(b, ip.src, ports);
    const o = seg.options;
    if (e !== NONE && seg.ack !== seqAdd(this.iss[e]!, 1)) {
      // RFC 9293 §3.10.7.4, SYN-RECEIVED: an unacceptable ACK is answered <SEQ=SEG.ACK><CTL=RST>.
      this.owner.drop('syn-received-bad-ack');
      return this.owner.resetFor(seg, ip, now);
    }
    // Any segment inside the window we offered completes the handshake (the bare ACK may have been
    // lost, or overtaken by the data behind it, which is then held out of order).
    const window = Math.min(this.owner.config.receiveBuffer, 0xffff);
    if (e !== NONE && seqInRange(seg.seq, seqAdd(this.irs[e]!, 1), seqAdd(this.irs[e]!, 1 + window))) {
      if (!this.acceptRoom(l, seg, ip, now)) {
        if (this.config.acceptOverflow === 'reset') this.remove(b, e);
        return;
      }
      const fl = this.flags[e]!;
      // The handshake's RTT: from the echoed timestamp, else from a SYN-ACK sent only once (Karn).
      const sentAt = ((this.deadline[e]! - this.owner.config.initialRtoMs) >>> 0);
      const rtt = o.hasTimestamps && o.tsEcr !== 0 ? ((now >>> 0) - o.tsEcr) >>> 0
        : this.rtx[e] === 0 && !(this.flags[e]! & FLAG_RESENT) ? ((now >>> 0) - sentAt) >>> 0 : -1;
      const conn = this.owner.openEstablished(l, ip.dst, seg.dstPort, ip.src, seg.srcPort, this.iss[e]!, this.irs[e]!,
        this.mss[e]!, fl & FLAG_WS_OFFERED ? fl & FLAG_WS_MASK : -1, (fl & FLAG_SACK) !== 0, (fl & FLAG_TS) !== 0,
        o.hasTimestamps ? o.tsVal : this.tsRecent[e]!, rtt > 3_600_000 ? -1 : rtt, 'syn-cache', now);
      if (conn === null) {
        c.noBlock++;
        return; // the entry stays; the peer's retransmission may find a block
      }
      c.cacheHits++;
      l.stats.cacheHits++;
      this.remove(b, e);
      segmentArrives(this.owner, conn, seg, now);
      return;
    }
    // RFC 9293 §3.10.7.2: an ACK to a listener that matches nothing gets an RST — unless it is a
    // cookie. Checking costs one MAC and allocates nothing.
    const irs = seqAdd(seg.seq, -1);
    const out = this.cookieOut;
    if (this.config.mode !== 'cache' && this.cookies.check(seqAdd(seg.ack, -1), ip.dst, seg.dstPort, ip.src, seg.srcPort, irs, now, out)) {
      if (!this.acceptRoom(l, seg, ip, now)) return;
      const tsOk = this.owner.config.timestamps && o.hasTimestamps;
      const rtt = tsOk && o.tsEcr !== 0 ? ((now >>> 0) - o.tsEcr) >>> 0 : -1;
      const conn = this.owner.openEstablished(l, ip.dst, seg.dstPort, ip.src, seg.srcPort, seqAdd(seg.ack, -1), irs,
        out.mss, out.windowScale, out.sackPermitted, tsOk, o.tsVal, rtt > 3_600_000 ? -1 : rtt, 'syn-cookie', now);
      if (conn === null) {
        c.noBlock++;
        return;
      }
      c.cookiesAccepted++;
      l.stats.cookiesAccepted++;
      this.forgetCookie(ip.src, ports);
      segmentArrives(this.owner, conn, seg, now);
      return;
    }
    if (this.config.mode !== 'cache') c.cookiesRejected++;
    this.owner.drop('listen-ack');
    // While cookies are out, a failed check is dropped without an RST: a later segment of a real
    // cookie handshake whose first ACK was lost cannot be checked (the MAC covers SEG.SEQ − 1), and
    // a flood of forged ACKs should not turn us into an RST reflector.
    if (e === NONE && this.cookieMode) return;
    this.owner.resetFor(seg, ip, now);
  }

  /**
   * An RST for a cached tuple (RFC 9293 §3.10.7.4 in SYN-RECEIVED): at exactly IRS + 1 it removes
   * the entry; elsewhere in the window it gets a challenge ACK (RFC 5961 §3.2) or, in RFC 793
   * mode, removes it too; outside the window it is dropped.
   */
  private rst(seg: TcpSegment, ip: Ipv4Packet, now: number): void {
    const ports = ((seg.dstPort << 16) | seg.srcPort) >>> 0;
    const b = this.bucketOf(ip.dst, seg.dstPort, ip.src, seg.srcPort);
    const e = this.find(b, ip.src, ports);
    if (e === NONE) return this.owner.drop('listen-rst');
    const rcvNxt = seqAdd(this.irs[e]!, 1);
    const window = Math.min(this.owner.config.receiveBuffer, 0xffff);
    if (seg.seq !== rcvNxt && !seqInRange(seg.seq, rcvNxt, seqAdd(rcvNxt, window))) return this.owner.drop('rst-out-of-window');
    if (seg.seq === rcvNxt || !this.owner.config.rfc5961Rst) {
      this.counters.resetsRemoved++;
      this.remove(b, e);
      return;
    }
    this.owner.drop('rst-challenged');
    this.owner.challengeBare(ip.dst, seg.dstPort, ip.src, seg.srcPort, seqAdd(this.iss[e]!, 1), rcvNxt, now);
  }

  /** An ICMP error quoting our SYN-ACK (RFC 5927: with our ISS) removes the entry. */
  icmpError(localIp: number, localPort: number, remoteIp: number, remotePort: number, seq: number): boolean {
    const ports = ((localPort << 16) | remotePort) >>> 0;
    const b = this.bucketOf(localIp, localPort, remoteIp, remotePort);
    const e = this.find(b, remoteIp, ports);
    if (e === NONE || seq !== this.iss[e]) return false;
    this.counters.icmpRemoved++;
    this.remove(b, e);
    return true;
  }

  /** A listener closed: forget its half-open entries and remembered cookies. */
  forgetListener(index: number): void {
    for (let b = 0; b <= this.mask; b++) {
      let prev = NONE;
      for (let e = this.heads[b]!; e !== NONE;) {
        const nextE = this.next[e]!;
        if (this.listenerOf[e] === index) this.unlinkAfter(b, prev, e);
        else prev = e;
        e = nextE;
      }
    }
    const ring = this.ring;
    for (let r = 0; r < this.ringSlots; r++) {
      const meta = ring[r * RING_WORDS + RING_META]!;
      if (meta & RING_USED && ((meta >>> 16) & 0xff) === index) this.ringOff(r);
    }
  }

  private acceptRoom(l: Listener, seg: TcpSegment, ip: Ipv4Packet, now: number): boolean {
    if (l.queued < l.backlog) return true;
    this.counters.acceptQueueOverflows++;
    l.stats.acceptOverflows++;
    if (this.config.acceptOverflow === 'reset') this.owner.resetFor(seg, ip, now);
    return false;
  }

  // ---- cookies ---------------------------------------------------------------------------------

  private sendCookie(l: Listener, seg: TcpSegment, ip: Ipv4Packet, now: number): void {
    const o = seg.options, config = this.owner.config, c = this.counters;
    const mss = o.mss > 0 ? o.mss : 536;
    const ws = config.windowScale >= 0 ? o.windowScale : -1;
    const sack = config.sack && o.sackPermitted;
    const iss = this.cookies.makeForSegment(ip.dst, seg.dstPort, ip.src, seg.srcPort, seg.seq, mss, ws, sack, now);
    const tsOk = config.timestamps && o.hasTimestamps;
    c.cookiesSent++;
    l.stats.cookiesSent++;
    c.synAcksSent++;
    this.owner.sendSynAck(ip.dst, seg.dstPort, ip.src, seg.srcPort, iss, seg.seq, ws, sack, tsOk, o.tsVal, now);
    const slots = this.ringSlots;
    if (slots === 0) return;
    // Remember it, overwriting the oldest, so a lost SYN-ACK or final ACK is not a stall.
    const r = this.ringNext, ring = this.ring, at = r * RING_WORDS;
    this.ringNext = r + 1 < slots ? r + 1 : 0;
    if (!(ring[at + RING_META]! & RING_USED)) this.ringActive++;
    ring[at + RING_REMOTE_IP] = ip.src;
    ring[at + RING_PORTS] = ((seg.dstPort << 16) | seg.srcPort) >>> 0;
    ring[at + RING_ISS] = iss;
    ring[at + RING_IRS] = seg.seq;
    ring[at + RING_TS] = tsOk ? o.tsVal : 0;
    const deadline = now + config.initialRtoMs;
    ring[at + RING_DEADLINE] = deadline >>> 0;
    // No retransmission yet; the listener's index kept to a byte, as the entries keep it.
    ring[at + RING_META] = (ws >= 0 ? FLAG_WS_OFFERED | (ws > 14 ? 14 : ws) : 0) | (sack ? FLAG_SACK : 0) | (tsOk ? FLAG_TS : 0)
      | RING_USED | ((l.index & 0xff) << 16);
    if (deadline < this.earliest) this.earliest = deadline;
  }

  private forgetCookie(remoteIp: number, ports: number): void {
    const ring = this.ring;
    for (let r = 0, at = 0; r < this.ringSlots; r++, at += RING_WORDS) {
      if (ring[at + RING_META]! & RING_USED && ring[at + RING_REMOTE_IP] === remoteIp && ring[at + RING_PORTS] === ports) this.ringOff(r);
    }
  }

  private ringOff(r: number): void {
    this.ring[r * RING_WORDS + RING_META] = 0;
    this.ringActive--;
  }

  // ---- timers ----------------------------------------------------------------------------------

  poll(now: number): void {
    this.tick(now);
    if (this.earliest > now) return;
    let earliest = Infinity;
    const local = this.owner.ip.address;
    for (let b = 0; b <= this.mask; b++) {
      let prev = NONE;
      for (let e = this.heads[b]!; e !== NONE;) {
        const nextE = this.next[e]!;
        if (((this.deadline[e]! - now) | 0) <= 0) {
          if (this.rtx[e]! >= this.config.synAckRetries) {
            this.counters.expiries++;
            this.unlinkAfter(b, prev, e);
            e = nextE;
            continue;
          }
          this.rtx[e]!++;
          this.counters.synAcksRetransmitted++;
          this.sendEntrySynAck(e, local, now);
        }
        earliest = Math.min(earliest, now + ((this.deadline[e]! - now) | 0));
        prev = e;
        e = nextE;
      }
    }
    const ring = this.ring;
    for (let r = 0, at = 0; r < this.ringSlots; r++, at += RING_WORDS) {
      const meta = ring[at + RING_META]!;
      if (!(meta & RING_USED)) continue;
      if (((ring[at + RING_DEADLINE]! - now) | 0) <= 0) {
        if (((meta >>> 8) & 0xff) >= this.config.cookieRetries) {
          this.ringOff(r);
          continue;
        }
        // One more retransmission (a byte: it wraps at 256 as a Uint8Array count would).
        const rtx = (((meta >>> 8) & 0xff) + 1) & 0xff;
        ring[at + RING_META] = (meta & ~0xff00) | (rtx << 8);
        const p = ring[at + RING_PORTS]!;
        this.counters.synAcksRetransmitted++;
        this.counters.synAcksSent++;
        this.owner.sendSynAck(local, p >>> 16, ring[at + RING_REMOTE_IP]!, p & 0xffff, ring[at + RING_ISS]!, ring[at + RING_IRS]!,
          meta & FLAG_WS_OFFERED ? meta & FLAG_WS_MASK : -1, (meta & FLAG_SACK) !== 0, (meta & FLAG_TS) !== 0,
          ring[at + RING_TS]!, now);
        ring[at + RING_DEADLINE] = (now + this.owner.config.initialRtoMs * 2 ** rtx) >>> 0;
      }
      earliest = Math.min(earliest, now + ((ring[at + RING_DEADLINE]! - now) | 0));
    }
    this.earliest = earliest;
  }

  nextDeadline(): number {
    // With nothing held the cached time may be stale; say so rather than cause an empty wake-up.
    if (this.count === 0 && this.ringActive === 0) this.earliest = Infinity;
    return this.earliest;
  }

  // ---- entries ---------------------------------------------------------------------------------

  private bucketOf(localIp: number, localPort: number, remoteIp: number, remotePort: number): number {
    return this.hasher.tupleHash(localIp, localPort, remoteIp, remotePort) & this.mask;
  }

  private find(b: number, remoteIp: number, ports: number): number {
    const next = this.next, p = this.ports, r = this.remoteIp;
    for (let e = this.heads[b]!; e !== NONE; e = next[e]!) {
      if (p[e] === ports && r[e] === remoteIp) return e;
    }
    return NONE;
  }

  private takeOptions(e: number, seg: TcpSegment): void {
    const o = seg.options, config = this.owner.config;
    this.mss[e] = o.mss > 0 ? o.mss : 536;
    let f = 0;
    if (o.windowScale >= 0 && config.windowScale >= 0) f |= FLAG_WS_OFFERED | (o.windowScale > 14 ? 14 : o.windowScale);
    if (o.sackPermitted && config.sack) f |= FLAG_SACK;
    if (o.hasTimestamps && config.timestamps) f |= FLAG_TS;
    this.flags[e] = f;
    this.tsRecent[e] = o.hasTimestamps ? o.tsVal : 0;
  }

  /**
   * (Re)send entry e's SYN-ACK and set its deadline: 1 s, then doubling (RFC 6298 §5.5). The
   * deadline is this cache's own: Tcp.nextDeadline asks for it (nextDeadline below).
   */
  private sendEntrySynAck(e: number, localIp: number, now: number): void {
    const fl = this.flags[e]!, p = this.ports[e]!, rtx = this.rtx[e]!, rto = this.owner.config.initialRtoMs;
    this.counters.synAcksSent++;
    this.owner.sendSynAck(localIp, p >>> 16, this.remoteIp[e]!, p & 0xffff, this.iss[e]!, this.irs[e]!,
      fl & FLAG_WS_OFFERED ? fl & FLAG_WS_MASK : -1, (fl & FLAG_SACK) !== 0, (fl & FLAG_TS) !== 0, this.tsRecent[e]!, now);
    const at = now + (rtx === 0 ? rto : rto * 2 ** rtx);
    this.deadline[e] = at >>> 0;
    if (at < this.earliest) this.earliest = at;
  }

  private remove(b: number, e: number): void {
    let prev = NONE;
    for (let x = this.heads[b]!; x !== NONE; x = this.next[x]!) {
      if (x === e) {
        this.unlinkAfter(b, prev, e);
        return;
      }
      prev = x;
    }
  }

  /** Take entry e (whose predecessor in bucket b is prev) out and onto the free list. */
  private unlinkAfter(b: number, prev: number, e: number): void {
    const next = this.next;
    if (prev === NONE) this.heads[b] = next[e]!;
    else next[prev] = next[e]!;
    this.bucketCount[b]!--;
    this.count--;
    const l = this.listeners[this.listenerOf[e]!];
    if (l !== undefined && l.halfOpen > 0) l.halfOpen--;
    this.quotaRelease(this.remoteIp[e]!);
    next[e] = this.freeHead;
    this.freeHead = e;
  }

  /** Evict the oldest entry (the chain's tail) of bucket b. */
  private evictOldest(b: number): void {
    const next = this.next;
    let prev = NONE, e = this.heads[b]!;
    if (e === NONE) return;
    for (let after = next[e]!; after !== NONE; after = next[e]!) {
      prev = e;
      e = after;
    }
    this.counters.evictions++;
    this.unlinkAfter(b, prev, e);
  }

  /** The table is full: evict the oldest entry of b, or of the next non-empty bucket round the table. */
  private evictSomewhere(b: number): void {
    if (this.bucketCount[b]! > 0) return this.evictOldest(b);
    for (let i = 0; i <= this.mask; i++) {
      const x = (this.sweepBucket + i) & this.mask;
      if (this.bucketCount[x]! > 0) {
        this.sweepBucket = (x + 1) & this.mask;
        return this.evictOldest(x);
      }
    }
  }

  // ---- quota, sources, attack signal -------------------------------------------------------------

  /** The keyed hash of `ip`'s source prefix; its two counters are h % 64 and 64 + (h >>> 16) % 64. */
  private prefixHash(ip: number): number {
    const shift = this.quotaShift;
    return this.quotaHasher.wordHash(shift < 0 ? 0 : (ip >>> shift) >>> 0);
  }

  /** An entry of source `ip` is gone: its prefix's two counters go down (never below 0). */
  private quotaRelease(ip: number): void {
    const h = this.prefixHash(ip);
    const q0 = h % QUOTA_COUNTERS, q1 = QUOTA_COUNTERS + ((h >>> 16) % QUOTA_COUNTERS), quota = this.quota;
    if (quota[q0]! > 0) quota[q0]!--;
    if (quota[q1]! > 0) quota[q1]!--;
  }

  /** Linear counting (Whang et al.) over the current and previous window. */
  distinctSources(): number {
    let zeros = 0;
    for (let w = 0; w < this.sourceBits.length; w++) {
      const v = this.sourceBits[w]! | this.sourceBitsPrevious[w]!;
      zeros += 32 - popcount(v);
    }
    if (zeros === 0) return Math.round(SOURCE_BITS * Math.log(SOURCE_BITS)); // saturated: at least this many
    return Math.round(-SOURCE_BITS * Math.log(zeros / SOURCE_BITS));
  }

  private rollWindow(now: number): void {
    if (now - this.windowStart < this.config.windowMs) return;
    this.windowStart = now;
    this.sourceBitsPrevious.set(this.sourceBits);
    this.sourceBits.fill(0);
  }

  /** The cache or a bucket was full, or blocks ran short: cookies for everyone, for a while. */
  private overflowed(now: number): void {
    this.lastOverflow = now;
    if (!this.overflowing) {
      this.overflowing = true;
      this.tickSoon(now);
    }
    this.attackSign(now);
  }

  /** Something only an attack (or a very busy peer network) causes. */
  private attackSign(now: number): void {
    this.lastAttackSign = now;
    if (!this.underAttack) {
      this.underAttack = true;
      this.attackStartedAt = now;
      this.tickSoon(now);
    }
  }

  /** A state `tick` ends after `hysteresisMs` began now: make sure tick runs by then. */
  private tickSoon(now: number): void {
    const at = now + this.config.hysteresisMs;
    if (at < this.tickAt) this.tickAt = at;
  }

  /**
   * End the attack state after `hysteresisMs` without overflow, and roll the sources window. Each
   * SYN calls it only from `tickAt` on: the earliest of those three moments, as last computed here.
   * Later overflows and attack signs only move their moments later, so it stays a lower bound.
   */
  tick(now: number): void {
    const hysteresis = this.config.hysteresisMs;
    if (this.overflowing && now - this.lastOverflow >= hysteresis) this.overflowing = false;
    if (this.underAttack && now - this.lastAttackSign >= hysteresis) this.underAttack = false;
    this.rollWindow(now);
    let at = this.windowStart + this.config.windowMs;
    if (this.overflowing && this.lastOverflow + hysteresis < at) at = this.lastOverflow + hysteresis;
    if (this.underAttack && this.lastAttackSign + hysteresis < at) at = this.lastAttackSign + hysteresis;
    this.tickAt = at;
  }
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
