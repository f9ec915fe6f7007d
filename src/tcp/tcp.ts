// The TCP layer: a Transport registered with the interface for protocol 6. It owns the fixed
// table of connection blocks and its 4-tuple index, the TIME-WAIT table, the listeners, the ISN
// and port generators, and the stack-wide limits (RST replies, challenge ACKs). Segments are
// demultiplexed here: to a connection (input.ts), to a TIME-WAIT entry, to a listener
// (listener.ts), or answered as CLOSED (RFC 9293 §3.10.7.1).

import type { Accelerators, Clock, Entropy, Log } from '../platform';
import { silentLog } from '../platform';
import type { Interface } from '../iface/interface';
import type { DropReason } from '../iface/drops';
import { TX_IP_PAYLOAD } from '../iface/ip-layer';
import { ICMP_DEST_UNREACHABLE, UNREACH_FRAG_NEEDED } from '../wire/icmp';
import { IP_PROTO_TCP, type Ipv4Packet, ipv4ToString } from '../wire/ipv4';
import { read32 } from '../wire/bytes';
import { seqAdd, seqDiff, seqGeq, seqGt, seqLeq } from '../wire/seq';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TcpSegment, emitTcp } from '../wire/tcp';
import { type TcpConfig, type TcpCounters, type TcpDropReason, defaultTcpConfig, newTcpCounters } from './config';
import {
  Connection, type ConnectionHandler, type ConnectionOwner, ACK_NOW, CHALLENGE_COUNT,
  CHALLENGE_WINDOW_START, FIN_QUEUED, FIN_RECEIVED, FIN_SENT, FIN_SEQ, HALF_OPEN_COUNTED, HELD,
  INDEXED, IRS, ISS, setFlag, KEEPALIVE, KEEPALIVE_PROBES, LAST_ACK_AT, LAST_ACK_SENT, LISTENER_INDEX,
  LOCAL_IP, LOCAL_PORT, MAX_SND_WND, NO_DELAY, PASSIVE, PEER_OFFERED_SCALE, RCV_MSS, RCV_SCALE,
  RCV_UP, READ_CLOSED, REMOTE_IP, REMOTE_PORT, RTO, RTT_MIN, SACK_OK, SND_SCALE, SND_WL1, SND_WL2,
  SOFT_ERROR, TS_OK, TS_RECENT, URGENT_PENDING,
} from './connection';
import type { TcpContext } from './context';
import { segmentArrives, takeSynOptions } from './input';
import { EphemeralPorts } from './ports';
import { IsnGenerator, TupleHasher } from './isn';
import { BlockPerSyn, type HalfOpenPolicy, Listener, type ListenerHandler, type ListenerOwner } from './listener';
import { output, sendPureAck, sendReset, sendSyn, windowStep, writeOurSynOptions } from './output';
import { connectionDeadline, connectionTimers } from './timers';
import { TupleIndex } from './table';
import { TW_ACK, TW_CHALLENGE, TW_DROP, TW_FIN_AGAIN, TW_REOPEN, TW_RESET, TimeWaitTable } from './timewait';
import { ccInit } from './congestion';
import { rttSample } from './rtt';
import { SynCache, type SynCacheOwner } from './syncache';
import type { SynDefenceConfig, SynDefenceStatus } from './syndefence';
import {
  CLOSED, CLOSE_WAIT, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK, STATE_NAMES, SYN_RECEIVED, SYN_SENT, TIME_WAIT,
  type TcpState, isSynchronized,
} from './state';

/** Configuration as given to `new Tcp`, where every field (and every `synDefence` field) may be left out. */
export type TcpConfigInput = Partial<Omit<TcpConfig, 'synDefence'>> & { synDefence?: Partial<SynDefenceConfig> };

export interface TcpInit {
  entropy: Entropy;
  config?: TcpConfigInput;
  accelerators?: Partial<Accelerators>;
  log?: Log;
  /** For the application's own calls (connect, write, close); else the interface's clock. */
  clock?: Clock;
}

export interface ConnectOptions {
  localPort?: number;
  keepalive?: boolean;
  /** Turn Nagle's algorithm off (also settable later as `connection.noDelay`). */
  noDelay?: boolean;
}

export type ConnectError = 'no-address' | 'no-memory' | 'no-port' | 'in-use';

export interface ListenOptions {
  /** Accept-queue limit: established connections waiting for accept(). */
  backlog?: number;
  handler?: ListenerHandler;
  /**
   * How SYNs become connections: the SYN cache and cookies (default), or a connection block per
   * SYN in SYN-RECEIVED (the classic way, bounded by the backlog; kept for comparison and tests).
   */
  halfOpen?: 'syn-cache' | 'block-per-syn';
}

export class Tcp implements TcpContext, ConnectionOwner, ListenerOwner, SynCacheOwner {
  readonly config: TcpConfig;
  readonly counters: TcpCounters = newTcpCounters();
  readonly ip: Interface;
  readonly log: Log;
  readonly connections: readonly Connection[];
  readonly index: TupleIndex;
  readonly timeWait: TimeWaitTable;
  readonly listeners: Listener[] = [];

  private readonly used: Uint8Array;
  private readonly freeSlots: Int32Array;
  private freeCount: number;
  private readonly policies: HalfOpenPolicy[] = [];
  readonly synCache: SynCache;
  private readonly isn: IsnGenerator;
  private readonly ports: EphemeralPorts;
  private readonly seg = new TcpSegment();
  private readonly clock: Clock | null;
  private lastNow = 0;
  private earliest = Infinity;
  private resetTokens: number;
  private resetRefill = -Infinity;
  private challengeWindowStart = -Infinity;
  private challengeCount = 0;
  private readonly blockPerSyn: BlockPerSyn;
  /** Our window-scale shift (RFC 7323 §2.3), and the unscaled window of segments sent without a block (SYN-ACKs from the cache or a cookie, challenge ACKs): both follow from the ring size, fixed at construction. */
  private readonly scale: number;
  private readonly bareWindow: number;

  constructor(iface: Interface, init: TcpInit) {
    this.config = {
      ...defaultTcpConfig, ...init.config,
      synDefence: { ...defaultTcpConfig.synDefence, ...init.config?.synDefence },
    };
    this.scale = Math.max(this.config.windowScale, scaleFor(this.config.receiveBuffer));
    this.bareWindow = Math.min(this.config.receiveBuffer, 0xffff);
    this.ip = iface;
    this.log = init.log ?? silentLog;
    this.clock = init.clock ?? iface.clock;
    const mac = init.accelerators?.mac;
    const n = this.config.connections;
    const blocks: Connection[] = [];
    for (let i = 0; i < n; i++) {
      const cfg = this.config;
      blocks.push(new Connection(this, i, cfg.sendBuffer, cfg.receiveBuffer, cfg.reassemblyRanges, init.accelerators?.copy));
    }
    this.connections = blocks;
    this.used = new Uint8Array(n);
    this.freeSlots = new Int32Array(n);
    for (let i = 0; i < n; i++) this.freeSlots[i] = n - 1 - i;
    this.freeCount = n;
    this.index = new TupleIndex(n, TupleHasher.fromEntropy(init.entropy, mac));
    this.timeWait = new TimeWaitTable(this.config.timeWaitEntries, TupleHasher.fromEntropy(init.entropy, mac));
    this.isn = new IsnGenerator(init.entropy, mac);
    this.ports = new EphemeralPorts(init.entropy, mac);
    this.resetTokens = this.config.resetsPerSecond;
    this.blockPerSyn = new BlockPerSyn(this);
    this.synCache = new SynCache(this.config.synDefence, this, this.listeners, init.entropy, mac);
    iface.registerTransport(IP_PROTO_TCP, this);
  }

  // ---- the application's entry points ----------------------------------------------------------

  /** Active OPEN (RFC 9293 §3.10.1): a block in SYN-SENT with the SYN sent. */
  connect(remoteIp: number, remotePort: number, handler: ConnectionHandler | null = null, options: ConnectOptions = {}): Connection | ConnectError {
    const now = this.now();
    const local = this.ip.address;
    if (local === 0) return 'no-address';
    let port = options.localPort ?? 0;
    if (port !== 0 && this.tupleInUse(local, port, remoteIp, remotePort)) return 'in-use';
    if (port === 0) port = this.ports.pick(local, remoteIp, remotePort, (p) => this.tupleInUse(local, p, remoteIp, remotePort) || this.listenerOn(p) !== null);
    if (port < 0) return 'no-port';
    const c = this.allocate();
    if (c === null) return 'no-memory';
    c.flags |= HELD;
    c.handler = handler;
    setFlag(c, KEEPALIVE, options.keepalive ?? false);
    setFlag(c, NO_DELAY, options.noDelay ?? false);
    this.initBlock(c, local, port, remoteIp, remotePort, now);
    this.setState(c, SYN_SENT, 'connect');
    this.counters.activeOpens++;
    sendSyn(this, c, now);
    c.sndNxt = seqAdd(c.v[ISS], 1);
    return c;
  }

  /** Passive OPEN on `port` (all our addresses). */
  listen(port: number, options: ListenOptions = {}): Listener | 'in-use' | 'no-room' {
    if (this.listenerOn(port) !== null) return 'in-use';
    let l = this.listeners.find((x) => !x.open);
    if (l === undefined) {
      if (this.listeners.length >= this.config.listeners) return 'no-room';
      l = new Listener(this.listeners.length, this.config.connections, (slot, gen) => this.takeAccepted(slot, gen));
      this.listeners.push(l);
      this.policies.push(this.synCache);
    }
    l.port = port;
    l.backlog = Math.max(1, Math.min(options.backlog ?? this.config.defaultBacklog, this.config.connections));
    l.handler = options.handler ?? null;
    l.halfOpen = 0;
    l.open = true;
    this.policies[l.index] = options.halfOpen === 'block-per-syn' ? this.blockPerSyn : this.synCache;
    return l;
  }

  /** Stop listening: queued and half-open connections are reset. */
  closeListener(l: Listener): void {
    if (!l.open) return;
    l.open = false;
    const now = this.now();
    l.drain((slot, gen) => {
      const c = this.connections[slot]!;
      if (c.generation === gen && this.used[slot]) this.fail(c, 'aborted', true, now);
    });
    for (const c of this.connections) {
      if (this.used[c.slot] && (c.flags & PASSIVE) !== 0 && c.v[LISTENER_INDEX] === l.index && c.state === SYN_RECEIVED) this.fail(c, 'aborted', true, now);
    }
    this.synCache.forgetListener(l.index);
  }

  /** The SYN defence as the application sees it. */
  synDefenceStatus(): SynDefenceStatus {
    return this.synCache.status(this.now());
  }

  synCacheBytes(): { perEntry: number; total: number } {
    return { perEntry: this.synCache.perEntryBytes, total: this.synCache.totalBytes };
  }

  /** Free connection blocks. */
  get freeBlocks(): number {
    return this.freeCount;
  }

  get isnGenerator(): IsnGenerator {
    return this.isn;
  }

  /** Connection blocks in use (any state, TIME-WAIT entries excluded). */
  get activeConnections(): number {
    return this.config.connections - this.freeCount;
  }

  // ---- ConnectionOwner: calls made by the application on a Connection -------------------------

  userSend(c: Connection): void {
    output(this, c, this.now());
  }

  userRead(c: Connection, _n: number): void {
    // The urgent mark is behind us once everything before RCV.UP has been read.
    if ((c.flags & URGENT_PENDING) !== 0 && !seqGt(c.v[RCV_UP], seqAdd(c.rcvNxt, -c.receiveBuffer.length))) c.flags &= ~URGENT_PENDING;
    // Announce a window the reads opened, at once (a window update, RFC 9293 §3.8.6.2.2), when the
    // sender could be waiting for it: in a small ring (up to 8 full segments, which holds too few
    // in flight to wait for the next ACK) once it opened by the silly-window step; in a large one
    // once it opened by two steps and either by a quarter of the ring or from a window down to an
    // eighth of it (BSD's rule). A reader that keeps up with a large ring sends no updates: the
    // ACKs of RFC 1122 §4.2.3.2 carry the window.
    if (c.state < ESTABLISHED || (c.flags & FIN_RECEIVED) !== 0) return; // not synchronized, or no more data to come
    const ring = c.receiveBuffer;
    const opened = seqDiff(seqAdd(c.rcvNxt, ring.free), c.rcvAdv);
    const step = windowStep(c);
    const capacity = ring.capacity;
    const update = capacity <= 8 * step
      ? opened >= step
      : opened >= 2 * step && (opened >= capacity >> 2 || seqDiff(c.rcvAdv, c.rcvNxt) <= capacity >> 3);
    if (update) {
      c.flags |= ACK_NOW;
      output(this, c, this.now());
    }
  }

  userShutdown(c: Connection): void {
    if (!this.used[c.slot]) return;
    const now = this.now();
    switch (c.state) {
      case SYN_SENT:
        // RFC 9293 §3.10.4 CLOSE in SYN-SENT: nothing was synchronized; delete the block.
        this.setState(c, CLOSED, 'close');
        this.unlink(c);
        if ((c.flags & HELD) === 0) this.release(c);
        return;
      case SYN_RECEIVED:
        c.flags |= FIN_QUEUED; // FIN-WAIT-1 once the handshake completes
        return;
      case ESTABLISHED:
        c.flags |= FIN_QUEUED;
        this.setState(c, FIN_WAIT_1, 'close');
        break;
      case CLOSE_WAIT:
        c.flags |= FIN_QUEUED;
        this.setState(c, LAST_ACK, 'close');
        break;
      default:
        return;
    }
    output(this, c, now);
  }

  userClose(c: Connection): void {
    if (!this.used[c.slot] || (c.flags & HELD) === 0) return;
    c.flags &= ~HELD;
    c.flags |= READ_CLOSED;
    c.handler = null;
    const now = this.now();
    if (c.state === CLOSED || c.state === TIME_WAIT) {
      if (c.state === CLOSED || (c.flags & INDEXED) === 0) this.release(c);
      return;
    }
    // RFC 1122 §4.2.2.13: closing with unread data means it will never be read: reset.
    if (c.receiveBuffer.length > 0 && isSynchronized(c.state)) {
      this.fail(c, 'aborted', true, now);
      return;
    }
    this.userShutdown(c);
    if (!this.used[c.slot]) return;
    if (c.state === FIN_WAIT_2) {
      c.closeAt = now + this.config.finWait2TimeoutMs;
      this.armed(c.closeAt);
    }
  }

  userAbort(c: Connection): void {
    if (!this.used[c.slot]) return;
    c.flags &= ~HELD;
    c.handler = null;
    this.fail(c, 'aborted', c.state >= SYN_RECEIVED && c.state !== TIME_WAIT, this.now());
  }

  // ---- Transport ---------------------------------------------------------------------------------

  input(ip: Ipv4Packet, now: number): DropReason | null {
    this.lastNow = now;
    const seg = this.seg;
    const err = seg.parse(ip.bytes, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst, this.ip.checksum);
    if (err !== null) return err;
    this.counters.segmentsIn++;
    const f = seg.flags;
    if (seg.srcPort === 0 || seg.dstPort === 0) {
      this.drop('bad-port');
      return null;
    }
    if ((f & (TCP_SYN | TCP_RST)) === (TCP_SYN | TCP_RST)) {
      this.drop('syn-rst');
      return null;
    }
    // dropSynFin keeps SYN+FIN away from connections and listeners; a TIME-WAIT entry answers it as
    // the SYN it is (a challenge ACK) and never lets it reopen the tuple (TimeWaitTable.verdict).
    const synFin = (f & (TCP_SYN | TCP_FIN)) === (TCP_SYN | TCP_FIN) && this.config.dropSynFin;
    const slot = this.index.find(ip.dst, seg.dstPort, ip.src, seg.srcPort);
    if (slot >= 0) {
      if (synFin) this.drop('syn-fin');
      else segmentArrives(this, this.connections[slot]!, seg, now);
      return null;
    }
    const tw = this.timeWait.find(ip.dst, seg.dstPort, ip.src, seg.srcPort);
    if (tw >= 0 && this.timeWaitSegment(tw, seg, now)) return null;
    if (synFin) this.drop('syn-fin');
    else {
      const l = this.listenerOn(seg.dstPort);
      if (l !== null) this.policies[l.index]!.segment(l, seg, ip, now);
      else this.closedSegment(seg, ip, now);
    }
    return null;
  }

  /** RFC 9293 §3.10.7.1: a segment for no connection and no listener. */
  private closedSegment(seg: TcpSegment, ip: Ipv4Packet, now: number): void {
    if (seg.flags & TCP_RST) {
      this.drop('no-connection');
      return;
    }
    this.drop('no-connection');
    this.resetFor(seg, ip, now);
  }

  resetFor(seg: TcpSegment, ip: Ipv4Packet, now: number): void {
    if (seg.flags & TCP_RST) return;
    if (!this.takeResetToken(now)) {
      this.drop('rst-rate-limited');
      return;
    }
    if (seg.flags & TCP_ACK) this.sendBare(ip.dst, seg.dstPort, ip.src, seg.srcPort, seg.ack, 0, TCP_RST, 0, now);
    else this.sendBare(ip.dst, seg.dstPort, ip.src, seg.srcPort, 0, seqAdd(seg.seq, seg.segmentLength), TCP_RST | TCP_ACK, 0, now);
  }

  /**
   * A segment for a tuple in TIME-WAIT (the rules are in TimeWaitTable.verdict). Returns false when
   * it is the SYN of a new incarnation and a listener wants it: the entry is gone and the caller
   * hands the SYN to the listener.
   */
  private timeWaitSegment(e: number, seg: TcpSegment, now: number): boolean {
    const tw = this.timeWait;
    let v = tw.verdict(e, seg, this.config);
    if (v === TW_REOPEN) {
      if (this.listenerOn(seg.dstPort) !== null) {
        this.counters.timeWaitReused++;
        this.timeWaitGone(e);
        tw.remove(e);
        return false;
      }
      v = this.config.rfc5961Syn ? TW_CHALLENGE : TW_ACK;
    }
    const ack = (): void => {
      this.sendBare(tw.localIp[e]!, tw.localPort[e]!, tw.remoteIp[e]!, tw.remotePort[e]!, tw.sndNxt[e]!, tw.rcvNxt[e]!, TCP_ACK, tw.window[e]!, now);
    };
    switch (v) {
      case TW_DROP:
        this.drop(seg.flags & TCP_RST ? 'time-wait-rst' : 'time-wait-segment');
        break;
      case TW_FIN_AGAIN:
        // Our ACK of the peer's FIN was lost: ACK it and restart 2 MSL (RFC 9293 §3.10.7.4 eighth).
        this.drop('time-wait-segment');
        tw.arm(e, now + 2 * this.config.mslMs);
        ack();
        break;
      case TW_ACK:
        this.drop(seg.flags & TCP_SYN ? 'time-wait-syn' : 'time-wait-segment');
        ack();
        break;
      case TW_CHALLENGE:
        this.drop('syn-challenged');
        if (this.challengeAllowed(now)) ack();
        else this.counters.challengeAcksLimited++;
        break;
      case TW_RESET:
        // RFC 793: an in-window SYN is an error; reset, in the form input.ts uses, and close.
        this.drop('time-wait-syn');
        this.sendBare(tw.localIp[e]!, tw.localPort[e]!, tw.remoteIp[e]!, tw.remotePort[e]!, tw.sndNxt[e]!, tw.rcvNxt[e]!, TCP_RST | TCP_ACK, 0, now);
        this.timeWaitGone(e);
        tw.remove(e);
        break;
    }
    return true;
  }

  icmpError(type: number, code: number, nextHopMtu: number, quoted: Ipv4Packet, now: number): boolean {
    const b = quoted.bytes, o = quoted.payloadOffset;
    const localPort = (b[o]! << 8) | b[o + 1]!, remotePort = (b[o + 2]! << 8) | b[o + 3]!;
    const slot = this.index.find(quoted.src, localPort, quoted.dst, remotePort);
    const seq = read32(b, o + 4);
    if (slot < 0) return this.synCache.icmpError(quoted.src, localPort, quoted.dst, remotePort, seq);
    const c = this.connections[slot]!;
    // RFC 5927 §4.1: believe the error only if it quotes a sequence number we have in flight.
    if (!(seqGeq(seq, c.sndUna) && seqLeq(seq, c.sndMax))) return true;
    this.counters.icmpErrors++;
    if (type === ICMP_DEST_UNREACHABLE && code === UNREACH_FRAG_NEEDED) {
      // RFC 1191 §6.3: shrink the segment size to the path MTU and send again.
      const mss = nextHopMtu - 40;
      if (mss >= 64 && mss < c.sndMss) {
        c.sndMss = mss;
        c.sndNxt = c.sndUna;
        if ((c.flags & FIN_SENT) !== 0 && !seqGt(c.sndUna, c.v[FIN_SEQ])) c.flags &= ~FIN_SENT;
        output(this, c, now);
      }
      return true;
    }
    // RFC 1122 §4.2.3.9: hard in SYN-SENT (the connect fails), soft otherwise.
    if (c.state === SYN_SENT && type === ICMP_DEST_UNREACHABLE) this.fail(c, 'unreachable', false, now);
    else c.flags |= SOFT_ERROR;
    return true;
  }

  poll(now: number): void {
    this.lastNow = now;
    if (this.earliest <= now) {
      let earliest = Infinity;
      const blocks = this.connections;
      for (let i = 0; i < blocks.length; i++) {
        if (!this.used[i]) continue;
        const c = blocks[i]!;
        if (connectionDeadline(c) <= now) connectionTimers(this, c, now);
        if (this.used[i]) {
          const d = connectionDeadline(c);
          if (d < earliest) earliest = d;
        }
      }
      // Timers armed while firing others were recorded in this.earliest; keep the smaller.
      this.earliest = earliest;
    }
    this.timeWait.poll(now, this.timeWaitExpired);
    this.synCache.poll(now);
  }

  // Made once: a closure per poll would be an allocation per poll under XS.
  private readonly timeWaitExpired = (e: number): void => this.timeWaitGone(e);

  nextDeadline(): number {
    // Comparisons, not Math.min: asked after every frame, and a call costs under XS.
    let at = this.earliest;
    const tw = this.timeWait.nextDeadline(), syn = this.synCache.nextDeadline();
    if (tw < at) at = tw;
    return syn < at ? syn : at;
  }

  // ---- TcpContext ----------------------------------------------------------------------------------

  drop(reason: TcpDropReason): void {
    const d = this.counters.drops;
    d[reason] = (d[reason] ?? 0) + 1;
  }

  setState(c: Connection, to: TcpState, cause: string): void {
    const from = c.state;
    c.state = to;
    if (this.log.enabled('info')) {
      this.log.log('info', 'tcp-state', {
        conn: c.slot, gen: c.generation, from: STATE_NAMES[from]!, to: STATE_NAMES[to]!, cause,
        remote: `${ipv4ToString(c.v[REMOTE_IP])}:${c.v[REMOTE_PORT]}`,
      });
    }
  }

  established(c: Connection, now: number): void {
    this.counters.established++;
    this.touchKeepalive(c, now);
    if ((c.flags & FIN_QUEUED) !== 0) this.setState(c, FIN_WAIT_1, 'close');
    if ((c.flags & PASSIVE) !== 0) {
      const l = this.listeners[c.v[LISTENER_INDEX]]!;
      if ((c.flags & HALF_OPEN_COUNTED) !== 0) l.halfOpen--;
      c.flags &= ~HALF_OPEN_COUNTED;
      l.stats.established++;
      if (!l.open || !l.enqueue(c)) {
        this.fail(c, 'aborted', true, now);
        return;
      }
      l.handler?.onConnection?.(l, l.queued);
    } else c.handler?.onConnected?.(c);
  }

  fail(c: Connection, failure: TcpFailureOrAbort, sendRst: boolean, now: number): void {
    if (!this.used[c.slot]) return;
    if (sendRst && c.state !== CLOSED) sendReset(this, c, now);
    if ((c.flags & HALF_OPEN_COUNTED) !== 0) this.listeners[c.v[LISTENER_INDEX]]!.halfOpen--;
    c.flags &= ~HALF_OPEN_COUNTED;
    if (c.failure === null) c.failure = failure;
    this.setState(c, CLOSED, failure);
    this.unlink(c);
    if ((c.flags & HELD) !== 0) c.handler?.onError?.(c, failure);
    else this.release(c);
  }

  finish(c: Connection, now: number): void {
    this.setState(c, CLOSED, 'closed');
    this.unlink(c);
    if ((c.flags & HELD) !== 0) c.handler?.onClosed?.(c);
    else this.release(c);
    void now;
  }

  enterTimeWait(c: Connection, now: number): void {
    this.setState(c, TIME_WAIT, 'closed');
    this.counters.timeWaitEntered++;
    const tw = this.timeWait;
    const { entry, recycled } = tw.add(c.v[LOCAL_IP], c.v[LOCAL_PORT], c.v[REMOTE_IP], c.v[REMOTE_PORT], now);
    if (recycled) this.counters.timeWaitRecycled++;
    tw.fill(entry, c.sndNxt, c.rcvNxt, Math.min(0xffff, c.receiveBuffer.free >>> c.v[RCV_SCALE]), c.v[RCV_SCALE], (c.flags & TS_OK) !== 0, c.v[TS_RECENT]);
    tw.arm(entry, now + 2 * this.config.mslMs);
    this.unlink(c);
    if ((c.flags & HELD) !== 0) {
      tw.heldSlot[entry] = c.slot;
      tw.heldGeneration[entry] = c.generation;
      c.handler?.onClosed?.(c);
    } else this.release(c);
  }

  forgetHalfOpen(c: Connection, cause: string): void {
    if ((c.flags & HALF_OPEN_COUNTED) !== 0) this.listeners[c.v[LISTENER_INDEX]]!.halfOpen--;
    c.flags &= ~HALF_OPEN_COUNTED;
    this.setState(c, CLOSED, cause);
    this.unlink(c);
    this.release(c);
  }

  challengeAck(c: Connection, now: number): void {
    if (now - c.v[CHALLENGE_WINDOW_START] >= 1000) {
      c.v[CHALLENGE_WINDOW_START] = now;
      c.v[CHALLENGE_COUNT] = 0;
    }
    if (c.v[CHALLENGE_COUNT] >= this.config.challengeAcksPerConnection || !this.challengeAllowed(now)) {
      this.counters.challengeAcksLimited++;
      return;
    }
    c.v[CHALLENGE_COUNT]++;
    // RFC 5961: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, at once and bare (never a FIN again, see sendAck).
    sendPureAck(this, c, now);
  }

  challengeBare(localIp: number, localPort: number, remoteIp: number, remotePort: number, seq: number, ack: number, now: number): void {
    if (!this.challengeAllowed(now)) {
      this.counters.challengeAcksLimited++;
      return;
    }
    this.sendBare(localIp, localPort, remoteIp, remotePort, seq, ack, TCP_ACK, this.bareWindow, now);
  }

  /** The stack-wide challenge ACK budget (RFC 5961 §7); counts the ACK when allowed. */
  private challengeAllowed(now: number): boolean {
    if (now - this.challengeWindowStart >= 1000) {
      this.challengeWindowStart = now;
      this.challengeCount = 0;
    }
    if (this.challengeCount >= this.config.challengeAcksPerSecond) return false;
    this.challengeCount++;
    this.counters.challengeAcks++;
    return true;
  }

  notifyReadable(c: Connection): void {
    if ((c.flags & HELD) !== 0) c.handler?.onReadable?.(c, c.receiveBuffer.length);
  }

  notifyWritable(c: Connection): void {
    if ((c.flags & HELD) !== 0 && c.writable > 0) c.handler?.onWritable?.(c, c.writable);
  }

  notifyPeerClosed(c: Connection): void {
    if ((c.flags & HELD) !== 0) c.handler?.onPeerClosed?.(c);
  }

  notifyUrgent(c: Connection): void {
    // Bytes from the next one read() returns to the end of the urgent data.
    const ahead = seqDiff(c.v[RCV_UP], seqAdd(c.rcvNxt, -c.receiveBuffer.length));
    if ((c.flags & HELD) !== 0 && ahead > 0) c.handler?.onUrgent?.(c, ahead);
  }

  touchKeepalive(c: Connection, now: number): void {
    if ((c.flags & KEEPALIVE) === 0) return;
    c.v[KEEPALIVE_PROBES] = 0;
    c.keepaliveAt = now + this.config.keepalive.idleMs;
    this.armed(c.keepaliveAt);
  }

  armed(at: number): void {
    if (at < this.earliest) this.earliest = at;
  }

  // ---- ListenerOwner -------------------------------------------------------------------------------

  allocate(): Connection | null {
    if (this.freeCount === 0) {
      this.counters.connectionsFull++;
      return null;
    }
    const slot = this.freeSlots[--this.freeCount]!;
    this.used[slot] = 1;
    return this.connections[slot]!;
  }

  openPassive(c: Connection, l: Listener, seg: TcpSegment, ip: Ipv4Packet, now: number): void {
    c.flags |= PASSIVE;
    c.v[LISTENER_INDEX] = l.index;
    c.flags &= ~HELD;
    this.initBlock(c, ip.dst, seg.dstPort, ip.src, seg.srcPort, now);
    c.v[IRS] = seg.seq;
    c.rcvNxt = seqAdd(seg.seq, 1);
    c.rcvAdv = c.rcvNxt;
    takeSynOptions(this, c, seg);
    c.sndWnd = seg.window; // unscaled in a SYN (RFC 7323 §2.2)
    c.v[MAX_SND_WND] = c.sndWnd;
    c.v[SND_WL1] = seg.seq;
    c.v[SND_WL2] = c.v[ISS];
    l.halfOpen++;
    c.flags |= HALF_OPEN_COUNTED;
    this.counters.passiveOpens++;
    this.setState(c, SYN_RECEIVED, 'syn');
    sendSyn(this, c, now);
    c.sndNxt = seqAdd(c.v[ISS], 1);
  }

  openEstablished(
    l: Listener, localIp: number, localPort: number, remoteIp: number, remotePort: number, iss: number, irs: number,
    mss: number, windowScale: number, sackOk: boolean, tsOk: boolean, tsRecent: number, rtt: number, cause: string,
    now: number,
  ): Connection | null {
    const c = this.allocate();
    if (c === null) return null;
    c.flags |= PASSIVE;
    c.v[LISTENER_INDEX] = l.index;
    c.flags &= ~HELD;
    this.initBlock(c, localIp, localPort, remoteIp, remotePort, now);
    c.v[ISS] = iss;
    c.sndUna = c.sndNxt = c.sndMax = seqAdd(iss, 1);
    c.v[IRS] = irs;
    c.rcvNxt = seqAdd(irs, 1);
    // The window our SYN-ACK advertised (the SYN cache's, unscaled as in any SYN).
    c.rcvAdv = seqAdd(c.rcvNxt, Math.min(c.receiveBuffer.free, 0xffff));
    c.sndMss = Math.max(64, Math.min(mss, this.ip.maxPayload - 20));
    setFlag(c, PEER_OFFERED_SCALE, windowScale >= 0 && this.config.windowScale >= 0);
    c.v[SND_SCALE] = (c.flags & PEER_OFFERED_SCALE) !== 0 ? Math.min(windowScale, 14) : 0;
    if ((c.flags & PEER_OFFERED_SCALE) === 0) c.v[RCV_SCALE] = 0;
    setFlag(c, SACK_OK, sackOk && this.config.sack);
    setFlag(c, TS_OK, tsOk && this.config.timestamps);
    c.v[TS_RECENT] = tsRecent;
    c.v[LAST_ACK_SENT] = c.rcvNxt; // our SYN-ACK acknowledged the SYN
    if (rtt >= 0) {
      rttSample(c, rtt, this.config);
      c.v[RTT_MIN] = rtt;
    }
    // The final ACK's window update must be taken (RFC 9293 §3.10.7.4: SND.WL1 < SEG.SEQ).
    c.v[SND_WL1] = irs;
    c.v[SND_WL2] = c.sndUna;
    c.v[LAST_ACK_AT] = now;
    ccInit(c, this.config.initialWindowSegments);
    this.counters.passiveOpens++;
    this.setState(c, ESTABLISHED, cause);
    this.established(c, now);
    return this.used[c.slot] ? c : null;
  }

  sendSynAck(
    localIp: number, localPort: number, remoteIp: number, remotePort: number, iss: number, irs: number,
    windowScale: number, sackOk: boolean, tsOk: boolean, tsEcr: number, now: number,
  ): void {
    const ip = this.ip;
    const optLen = writeOurSynOptions(ip.txView, TX_IP_PAYLOAD + 20, this.config, ip.maxPayload - 20, this.scale, windowScale >= 0, tsOk, sackOk, tsEcr, now);
    this.sendBare(localIp, localPort, remoteIp, remotePort, iss, seqAdd(irs, 1), TCP_SYN | TCP_ACK, this.bareWindow, now, optLen);
  }

  // ---- blocks --------------------------------------------------------------------------------------

  /** Fill a fresh block for the tuple and put it in the index. */
  private initBlock(c: Connection, localIp: number, localPort: number, remoteIp: number, remotePort: number, now: number): void {
    c.v[LOCAL_IP] = localIp;
    c.v[LOCAL_PORT] = localPort;
    c.v[REMOTE_IP] = remoteIp;
    c.v[REMOTE_PORT] = remotePort;
    c.v[ISS] = this.isn.isn(localIp, localPort, remoteIp, remotePort, now);
    c.sndUna = c.v[ISS];
    c.sndNxt = c.v[ISS];
    c.sndMax = c.v[ISS];
    c.v[RCV_MSS] = this.ip.maxPayload - 20;
    c.sndMss = 536;
    c.v[RCV_SCALE] = this.config.windowScale < 0 ? 0 : this.scale;
    c.v[RTO] = this.config.initialRtoMs;
    this.index.insert(c.slot, localIp, localPort, remoteIp, remotePort);
    c.flags |= INDEXED;
  }

  /** Take the block out of the index and stop its timers. */
  private unlink(c: Connection): void {
    if ((c.flags & INDEXED) !== 0) this.index.remove(c.slot);
    c.flags &= ~INDEXED;
    c.rtxAt = c.closeAt = c.keepaliveAt = c.ackAt = c.persistAt = Infinity;
  }

  /** Return a block to the free list; the next user gets a new generation. */
  private release(c: Connection): void {
    if (!this.used[c.slot]) return;
    this.unlink(c);
    resetBlock(c);
    this.used[c.slot] = 0;
    this.freeSlots[this.freeCount++] = c.slot;
  }

  /** A TIME-WAIT entry ends (expired or reopened): a block still held by the application closes. */
  private timeWaitGone(e: number): void {
    const slot = this.timeWait.heldSlot[e]!;
    if (slot < 0) return;
    const c = this.connections[slot]!;
    if (this.used[slot] && c.generation === this.timeWait.heldGeneration[e] && c.state === TIME_WAIT) {
      this.setState(c, CLOSED, 'time-wait-expired');
    }
  }

  private takeAccepted(slot: number, generation: number): Connection | null {
    const c = this.connections[slot]!;
    if (!this.used[slot] || c.generation !== generation || (c.flags & HELD) !== 0) return null;
    c.flags |= HELD;
    return c;
  }

  private tupleInUse(localIp: number, localPort: number, remoteIp: number, remotePort: number): boolean {
    return this.index.find(localIp, localPort, remoteIp, remotePort) >= 0 || this.timeWait.find(localIp, localPort, remoteIp, remotePort) >= 0;
  }

  private listenerOn(port: number): Listener | null {
    // An index loop: for-of builds an iterator per call, and every SYN asks.
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i]!;
      if (l.port === port && l.open) return l;
    }
    return null;
  }

  /** Time for the application's calls: the platform clock, or the last time a frame or timer brought. */
  private now(): number {
    return this.clock !== null ? this.clock.now() : this.lastNow;
  }

  private takeResetToken(now: number): boolean {
    const rate = this.config.resetsPerSecond;
    if (this.resetRefill === -Infinity) this.resetRefill = now;
    this.resetTokens = Math.min(rate, this.resetTokens + ((now - this.resetRefill) * rate) / 1000);
    this.resetRefill = now;
    if (this.resetTokens < 1) return false;
    this.resetTokens -= 1;
    return true;
  }

  /** A segment from no connection block (RST replies, TIME-WAIT ACKs). */
  /** A segment from no connection block; `optionsLength` bytes of options are already in place. */
  private sendBare(
    localIp: number, localPort: number, remoteIp: number, remotePort: number, seq: number, ack: number, flags: number,
    window: number, now: number, optionsLength = 0,
  ): void {
    const ip = this.ip;
    emitTcp(ip.tx, TX_IP_PAYLOAD, localPort, remotePort, seq, ack, flags, window, 0, optionsLength, 0, localIp, remoteIp, ip.checksum, ip.txView);
    ip.sendIpv4(remoteIp, IP_PROTO_TCP, 20 + optionsLength, now, true);
    this.counters.segmentsOut++;
    if (flags & TCP_RST) this.counters.resetsOut++;
  }
}

type TcpFailureOrAbort = Parameters<TcpContext['fail']>[1];

/** Smallest window-scale shift that lets `capacity` be advertised in 16 bits (RFC 7323 §2.3). */
function scaleFor(capacity: number): number {
  let s = 0;
  while (s < 14 && capacity >>> s > 0xffff) s++;
  return s;
}

/** Put a released block back to its initial values (the rings are emptied, not reallocated). */
function resetBlock(c: Connection): void {
  c.generation = (c.generation + 1) >>> 0;
  c.resetVariables();
  c.failure = null;
  c.handler = null;
  c.reassembly.clear();
  c.sendBuffer.clear();
  c.receiveBuffer.clear();
}

export { Listener, type ListenerHandler };
export type { Connection, ConnectionHandler };
