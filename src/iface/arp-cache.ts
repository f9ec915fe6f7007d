// The ARP cache (RFC 826, timing after RFC 1122 §2.3.2.1) and the packets waiting on resolution.
// Both are fixed-size tables allocated once: `entries` addresses, `queueSlots` frames. A full cache
// evicts its least recently confirmed entry; a full queue refuses the new packet. An entry being
// resolved is retried `retries` times, `retryMs` apart, then dropped with whatever waited on it.

import { copyMac } from '../wire/bytes';

export const ARP_FREE = 0;
export const ARP_INCOMPLETE = 1;
export const ARP_REACHABLE = 2;

export interface ArpConfig {
  /** Cache entries. */
  entries: number;
  /** Frames that may wait on resolution, across all addresses. */
  queueSlots: number;
  /** How long a learned entry is trusted (ms). */
  reachableMs: number;
  /** Gap between requests for an unresolved address (ms). */
  retryMs: number;
  /** Requests sent before giving up on an address. */
  retries: number;
}

export const defaultArpConfig: ArpConfig = Object.freeze({
  entries: 16,
  queueSlots: 4,
  reachableMs: 60_000,
  retryMs: 1_000,
  retries: 3,
});

export interface ArpCounters {
  requestsIn: number;
  repliesIn: number;
  requestsOut: number;
  repliesOut: number;
  announcementsOut: number;
  hits: number;
  misses: number;
  evictions: number;
  expired: number;
  unresolved: number;
  queued: number;
  queueFull: number;
  queueDropped: number;
  conflicts: number;
}

export function newArpCounters(): ArpCounters {
  return {
    requestsIn: 0, repliesIn: 0, requestsOut: 0, repliesOut: 0, announcementsOut: 0, hits: 0,
    misses: 0, evictions: 0, expired: 0, unresolved: 0, queued: 0, queueFull: 0, queueDropped: 0,
    conflicts: 0,
  };
}

export class ArpCache {
  readonly config: ArpConfig;
  readonly ip: Uint32Array;
  readonly mac: Uint8Array;
  /** `state`, `deadline` and `tries` change only through the methods below (see nextDeadline). */
  readonly state: Uint8Array;
  /** REACHABLE: when it expires. INCOMPLETE: when the next request is due. */
  readonly deadline: Float64Array;
  /** INCOMPLETE: requests sent so far. */
  readonly tries: Uint8Array;
  /** When the entry was last confirmed (for eviction order). */
  readonly confirmed: Float64Array;

  /** Waiting frames: complete Ethernet frames with the destination MAC left to fill in. */
  readonly queueFrame: Uint8Array[];
  readonly queueLength: Uint16Array;
  /** Next-hop address each slot waits for; 0 = free slot. */
  readonly queueIp: Uint32Array;
  /** The entry `find` returned last (a hint, checked before use). */
  private lastFound = 0;
  /** nextDeadline's answer, recomputed after any entry's state or deadline changed. */
  private earliest = Infinity;
  private changed = false;
  /** How many times `learn` has run: a MAC copied out of the table is current while this stays. */
  learned = 0;

  constructor(config: ArpConfig, frameCapacity: number) {
    this.config = config;
    const n = config.entries;
    this.ip = new Uint32Array(n);
    this.mac = new Uint8Array(n * 6);
    this.state = new Uint8Array(n);
    this.deadline = new Float64Array(n);
    this.tries = new Uint8Array(n);
    this.confirmed = new Float64Array(n);
    this.queueFrame = [];
    for (let i = 0; i < config.queueSlots; i++) this.queueFrame.push(new Uint8Array(frameCapacity));
    this.queueLength = new Uint16Array(config.queueSlots);
    this.queueIp = new Uint32Array(config.queueSlots);
  }

  /**
   * Index of the entry for `ip` in any live state, or -1. A live address has one entry at most, so
   * the entry found last is tried first: a stream of frames to one next hop skips the scan.
   */
  find(ip: number): number {
    const last = this.lastFound;
    if (this.state[last] !== ARP_FREE && this.ip[last] === ip) return last;
    const n = this.config.entries;
    for (let i = 0; i < n; i++) {
      if (this.state[i] !== ARP_FREE && this.ip[i] === ip) {
        this.lastFound = i;
        return i;
      }
    }
    return -1;
  }

  /** A free entry, else the least recently confirmed one (evicted, its waiting frames dropped). */
  allocate(ip: number, counters: ArpCounters): number {
    const n = this.config.entries;
    let victim = -1;
    for (let i = 0; i < n; i++) {
      if (this.state[i] === ARP_FREE) {
        victim = i;
        break;
      }
      if (victim < 0 || this.confirmed[i]! < this.confirmed[victim]!) victim = i;
    }
    if (this.state[victim] !== ARP_FREE) {
      counters.evictions++;
      this.dropQueued(this.ip[victim]!, counters);
    }
    this.ip[victim] = ip;
    this.free(victim);
    return victim;
  }

  /** Entry `i` is free again (new, expired, or given up on). */
  free(i: number): void {
    this.state[i] = ARP_FREE;
    this.changed = true;
  }

  /** Start resolving entry `i`: no request sent yet, the first one due `now`. */
  resolve(i: number, now: number): void {
    this.state[i] = ARP_INCOMPLETE;
    this.tries[i] = 0;
    this.deadline[i] = now;
    this.changed = true;
  }

  /** A request for unresolved entry `i` went out; the next is due at `at`. */
  requested(i: number, at: number): void {
    this.tries[i]!++;
    this.deadline[i] = at;
    this.changed = true;
  }

  /** Record ip → mac as confirmed now. Returns the entry index. */
  learn(i: number, mac: Uint8Array, macOffset: number, now: number): void {
    copyMac(mac, macOffset, this.mac, i * 6);
    this.learned++;
    this.state[i] = ARP_REACHABLE;
    this.deadline[i] = now + this.config.reachableMs;
    this.changed = true;
    this.confirmed[i] = now;
    this.tries[i] = 0;
  }

  /** Put a frame in a free queue slot; false when every slot is taken. */
  enqueue(nextHop: number, frame: Uint8Array, length: number): boolean {
    for (let s = 0; s < this.queueIp.length; s++) {
      if (this.queueIp[s] === 0) {
        this.queueFrame[s]!.set(frame.subarray(0, length));
        this.queueLength[s] = length;
        this.queueIp[s] = nextHop;
        return true;
      }
    }
    return false;
  }

  dropQueued(nextHop: number, counters: ArpCounters): void {
    for (let s = 0; s < this.queueIp.length; s++) {
      if (this.queueIp[s] === nextHop) {
        this.queueIp[s] = 0;
        counters.queueDropped++;
      }
    }
  }

  /**
   * Earliest deadline of any live entry, or Infinity. Asked after every batch of frames, and the
   * table rarely changes: the walk is made only after a change.
   */
  nextDeadline(): number {
    if (this.changed) {
      let t = Infinity;
      for (let i = 0; i < this.config.entries; i++) {
        if (this.state[i] !== ARP_FREE && this.deadline[i]! < t) t = this.deadline[i]!;
      }
      this.earliest = t;
      this.changed = false;
    }
    return this.earliest;
  }
}
