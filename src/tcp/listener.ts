// Listeners (passive OPEN, RFC 9293 §3.10.1) and their accept queues. What a listener does with a
// segment that matches no connection (RFC 9293 §3.10.7.2, LISTEN) is delegated to a
// `HalfOpenPolicy`, the one seam the SYN cache and cookie engine plug into. The policy here,
// `BlockPerSyn`, is the classic one: each SYN takes a full connection block in SYN-RECEIVED,
// counted against the backlog.

import type { Ipv4Packet } from '../wire/ipv4';
import { TCP_ACK, TCP_RST, TCP_SYN, type TcpSegment } from '../wire/tcp';
import type { TcpDropReason } from './config';
import type { Connection } from './connection';

export interface ListenerHandler {
  /** A connection completed its handshake and waits in the accept queue (`queued` now waiting). */
  onConnection?(listener: Listener, queued: number): void;
}

/** What a half-open policy needs from the Tcp layer. */
export interface ListenerOwner {
  drop(reason: TcpDropReason): void;
  /** <SEQ=SEG.ACK><CTL=RST> or <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, rate-limited (§3.10.7.1). */
  resetFor(seg: TcpSegment, ip: Ipv4Packet, now: number): void;
  /** A free connection block, or null when every block is in use. */
  allocate(): Connection | null;
  /** Open `c` passively for this SYN: SYN-RECEIVED, SYN-ACK sent. */
  openPassive(c: Connection, listener: Listener, seg: TcpSegment, ip: Ipv4Packet, now: number): void;
}

/** How a listener turns SYNs into connections. */
export interface HalfOpenPolicy {
  segment(listener: Listener, seg: TcpSegment, ip: Ipv4Packet, now: number): void;
}

export class Listener {
  port = 0;
  /** Local address it listens on; 0 = any of ours. */
  address = 0;
  backlog = 0;
  open = false;
  handler: ListenerHandler | null = null;
  /** Passive connections in SYN-RECEIVED belonging to this listener. */
  halfOpen = 0;
  /** Statistics the application can read. */
  readonly stats = {
    synsReceived: 0, established: 0, accepted: 0, backlogDrops: 0, noMemoryDrops: 0, cacheHits: 0,
    cookiesSent: 0, cookiesAccepted: 0, acceptOverflows: 0,
  };

  private readonly queueSlot: Int32Array;
  private readonly queueGeneration: Uint32Array;
  private head = 0;
  private count = 0;

  constructor(readonly index: number, readonly maxBacklog: number, private readonly take: (slot: number, generation: number) => Connection | null) {
    this.queueSlot = new Int32Array(maxBacklog);
    this.queueGeneration = new Uint32Array(maxBacklog);
  }

  /** Connections waiting in the accept queue. */
  get queued(): number {
    return this.count;
  }

  /** The oldest established connection, now owned by the caller, or null. */
  accept(): Connection | null {
    // Entries whose connection failed while queued are skipped (their generation moved on).
    while (this.count > 0) {
      const slot = this.queueSlot[this.head]!, gen = this.queueGeneration[this.head]!;
      this.head = (this.head + 1) % this.queueSlot.length;
      this.count--;
      const c = this.take(slot, gen);
      if (c !== null) {
        this.stats.accepted++;
        return c;
      }
    }
    return null;
  }

  /** @internal Queue an established connection; false when the queue is full. */
  enqueue(c: Connection): boolean {
    if (this.count >= this.backlog) return false;
    const at = (this.head + this.count) % this.queueSlot.length;
    this.queueSlot[at] = c.slot;
    this.queueGeneration[at] = c.generation;
    this.count++;
    return true;
  }

  /** @internal Forget every queued entry (the listener is closing). */
  drain(visit: (slot: number, generation: number) => void): void {
    while (this.count > 0) {
      visit(this.queueSlot[this.head]!, this.queueGeneration[this.head]!);
      this.head = (this.head + 1) % this.queueSlot.length;
      this.count--;
    }
  }
}

/** One connection block per SYN (the behaviour of lwIP and of BSD before the SYN cache). */
export class BlockPerSyn implements HalfOpenPolicy {
  constructor(private readonly owner: ListenerOwner) {}

  segment(l: Listener, seg: TcpSegment, ip: Ipv4Packet, now: number): void {
    const f = seg.flags;
    // RFC 9293 §3.10.7.2: first an RST is ignored, second an ACK is answered with RST.
    if (f & TCP_RST) return this.owner.drop('listen-rst');
    if (f & TCP_ACK) {
      this.owner.drop('listen-ack');
      return this.owner.resetFor(seg, ip, now);
    }
    if (!(f & TCP_SYN)) return this.owner.drop('listen-no-syn');
    l.stats.synsReceived++;
    if (l.halfOpen + l.queued >= l.backlog) {
      l.stats.backlogDrops++;
      return this.owner.drop('listen-overflow');
    }
    const c = this.owner.allocate();
    if (c === null) {
      l.stats.noMemoryDrops++;
      return this.owner.drop('no-memory');
    }
    this.owner.openPassive(c, l, seg, ip, now);
  }
}
