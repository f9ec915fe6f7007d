// TIME-WAIT in a compact table (the idea of FreeBSD's tcptw): a connection that has closed both
// ways no longer needs its rings or timers, only what it takes to answer a retransmitted FIN for
// 2 × MSL (RFC 9293 §3.6.1): the 4-tuple, SND.NXT, RCV.NXT, and the window we advertised. The
// table is fixed-size; when it is full the oldest entry is recycled early and counted, which
// trades a tiny risk of an old duplicate for never refusing a close.

import { TupleIndex } from './table';
import type { TupleHasher } from './isn';

export class TimeWaitTable {
  readonly index: TupleIndex;
  readonly localIp: Uint32Array;
  readonly localPort: Uint16Array;
  readonly remoteIp: Uint32Array;
  readonly remotePort: Uint16Array;
  readonly sndNxt: Uint32Array;
  readonly rcvNxt: Uint32Array;
  readonly window: Uint16Array;
  readonly expires: Float64Array;
  readonly entered: Float64Array;
  /** Connection slot still held by the application for this entry (generation-checked), or -1. */
  readonly heldSlot: Int32Array;
  readonly heldGeneration: Uint32Array;
  private readonly used: Uint8Array;
  private earliest = Infinity;
  count = 0;

  constructor(readonly capacity: number, hasher: TupleHasher) {
    this.index = new TupleIndex(capacity, hasher);
    this.localIp = new Uint32Array(capacity);
    this.localPort = new Uint16Array(capacity);
    this.remoteIp = new Uint32Array(capacity);
    this.remotePort = new Uint16Array(capacity);
    this.sndNxt = new Uint32Array(capacity);
    this.rcvNxt = new Uint32Array(capacity);
    this.window = new Uint16Array(capacity);
    this.expires = new Float64Array(capacity);
    this.entered = new Float64Array(capacity);
    this.heldSlot = new Int32Array(capacity).fill(-1);
    this.heldGeneration = new Uint32Array(capacity);
    this.used = new Uint8Array(capacity);
  }

  find(localIp: number, localPort: number, remoteIp: number, remotePort: number): number {
    return this.index.find(localIp, localPort, remoteIp, remotePort);
  }

  /**
   * Take an entry for the tuple; returns its index and whether an older entry had to be recycled
   * (then `recycledSlot`/`recycledGeneration` name the connection it belonged to, if still held).
   */
  add(localIp: number, localPort: number, remoteIp: number, remotePort: number, now: number): { entry: number; recycled: boolean } {
    let e = -1;
    let oldest = -1;
    for (let i = 0; i < this.capacity; i++) {
      if (!this.used[i]) {
        e = i;
        break;
      }
      if (oldest < 0 || this.entered[i]! < this.entered[oldest]!) oldest = i;
    }
    const recycled = e < 0;
    if (recycled) {
      e = oldest;
      this.remove(e);
    }
    this.used[e] = 1;
    this.count++;
    this.localIp[e] = localIp;
    this.localPort[e] = localPort;
    this.remoteIp[e] = remoteIp;
    this.remotePort[e] = remotePort;
    this.entered[e] = now;
    this.heldSlot[e] = -1;
    this.index.insert(e, localIp, localPort, remoteIp, remotePort);
    return { entry: e, recycled };
  }

  /** (Re)start the 2 MSL timer of an entry. */
  arm(e: number, expires: number): void {
    this.expires[e] = expires;
    if (expires < this.earliest) this.earliest = expires;
  }

  remove(e: number): void {
    if (!this.used[e]) return;
    this.used[e] = 0;
    this.count--;
    this.index.remove(e);
  }

  isUsed(e: number): boolean {
    return this.used[e] === 1;
  }

  /** Remove every expired entry, calling `expired(e)` first for each. */
  poll(now: number, expired: (e: number) => void): void {
    if (this.earliest > now) return;
    let earliest = Infinity;
    for (let e = 0; e < this.capacity; e++) {
      if (!this.used[e]) continue;
      if (this.expires[e]! <= now) {
        expired(e);
        this.remove(e);
      } else if (this.expires[e]! < earliest) earliest = this.expires[e]!;
    }
    this.earliest = earliest;
  }

  nextDeadline(): number {
    return this.count === 0 ? Infinity : this.earliest;
  }
}
