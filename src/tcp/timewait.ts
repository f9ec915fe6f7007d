// TIME-WAIT in a compact table (the idea of FreeBSD's tcptw): a connection that has closed both
// ways no longer needs its rings or timers, only what it takes to answer a retransmitted FIN for
// 2 × MSL (RFC 9293 §3.6.1): the 4-tuple, SND.NXT, RCV.NXT, the window we advertised and its
// scale, and TS.Recent (to tell a new incarnation's SYN by its timestamp, RFC 6191). The table is
// fixed-size; when it is full the oldest entry is recycled early and counted, which trades a tiny
// risk of an old duplicate for never refusing a close. `verdict` says what a segment for an entry
// calls for; tcp.ts carries it out.

import { seqAdd, seqGt, seqInRange } from '../wire/seq';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from '../wire/tcp';
import type { TcpConfig } from './config';
import { TupleIndex } from './table';
import type { TupleHasher } from './isn';

/** What a segment for a TIME-WAIT entry calls for. */
export const TW_DROP = 0;        // nothing (an RST, RFC 1337; an ACK at RCV.NXT; ...)
export const TW_ACK = 1;         // an ACK <SEQ=SND.NXT><ACK=RCV.NXT> (first check)
export const TW_FIN_AGAIN = 2;   // the peer's FIN again: ACK it and restart 2 MSL
export const TW_CHALLENGE = 3;   // a SYN: challenge ACK (RFC 5961 §4.2), under the limits
export const TW_RESET = 4;       // a SYN in the window, RFC 793 mode: RST,ACK and forget the entry
export const TW_REOPEN = 5;      // a SYN of a new incarnation: forget the entry, hand it to a listener
export type TimeWaitVerdict = 0 | 1 | 2 | 3 | 4 | 5;

const TS_OK = 1;

export class TimeWaitTable {
  readonly index: TupleIndex;
  readonly localIp: Uint32Array;
  readonly localPort: Uint16Array;
  readonly remoteIp: Uint32Array;
  readonly remotePort: Uint16Array;
  readonly sndNxt: Uint32Array;
  readonly rcvNxt: Uint32Array;
  /** The window field we last advertised, and its scale (RFC 7323 §2.3): RCV.WND = window << scale. */
  readonly window: Uint16Array;
  readonly scale: Uint8Array;
  /** TS.Recent of the connection, valid when `flags` has TS_OK (the connection used timestamps). */
  readonly tsRecent: Uint32Array;
  readonly flags: Uint8Array;
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
    this.scale = new Uint8Array(capacity);
    this.tsRecent = new Uint32Array(capacity);
    this.flags = new Uint8Array(capacity);
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

  /** What the connection was when it entered TIME-WAIT, beyond the tuple. */
  fill(e: number, sndNxt: number, rcvNxt: number, window: number, scale: number, tsOk: boolean, tsRecent: number): void {
    this.sndNxt[e] = sndNxt;
    this.rcvNxt[e] = rcvNxt;
    this.window[e] = window;
    this.scale[e] = scale;
    this.flags[e] = tsOk ? TS_OK : 0;
    this.tsRecent[e] = tsRecent;
  }

  /**
   * RFC 9293 §3.10.7.4 for TIME-WAIT. An RST is ignored (RFC 1337). A SYN is a new connection if
   * its timestamp says so (`isNewIncarnation`), else it draws a challenge ACK (RFC 5961 §4.2), or
   * in RFC 793 mode a reset when it is in the window and an ACK when not; with `dropSynFin` a
   * SYN+FIN never opens a connection. Otherwise the only thing expected is the peer's FIN again
   * (ACK it, restart 2 MSL); an acceptable segment without ACK is dropped (fifth check) and an
   * unacceptable one is ACKed (first check), unless `timeWaitIgnoresNoAck` (BSD) drops those too.
   */
  verdict(e: number, seg: TcpSegment, config: TcpConfig): TimeWaitVerdict {
    const f = seg.flags, rcvNxt = this.rcvNxt[e]!;
    const wnd = this.window[e]! << this.scale[e]!;
    if (f & TCP_RST) return TW_DROP;
    if (f & TCP_SYN) {
      if (!(f & TCP_ACK) && !(f & TCP_FIN && config.dropSynFin) && this.isNewIncarnation(e, seg, config)) return TW_REOPEN;
      if (config.rfc5961Syn) return TW_CHALLENGE;
      return seqInRange(seg.seq, rcvNxt, seqAdd(rcvNxt, wnd)) ? TW_RESET : TW_ACK;
    }
    if (!(f & TCP_ACK)) {
      // The zero-length right-edge leniency of input.ts applies here too.
      if (config.timeWaitIgnoresNoAck || seqInRange(seg.seq, rcvNxt, seqAdd(rcvNxt, wnd + 1))) return TW_DROP;
    }
    if (f & TCP_FIN && seqAdd(seg.seq, seg.segmentLength) === rcvNxt) return TW_FIN_AGAIN;
    if (seg.segmentLength === 0 && seg.seq === rcvNxt) return TW_DROP;
    return TW_ACK;
  }

  /**
   * May this SYN open a new incarnation of the entry's connection? RFC 9293 §3.10.7.4: when the
   * timestamp option is used and meets expectations, as RFC 6191 §2 spells out: both incarnations
   * use timestamps and the SYN's TSval is above TS.Recent (or equal, with a sequence number above
   * RCV.NXT). `timeWaitReopenBySequence` adds RFC 6191's rules for when timestamps are not on
   * both sides (RFC 1122 §4.2.2.13's test, SEG.SEQ > RCV.NXT, as BSD applies it).
   */
  isNewIncarnation(e: number, seg: TcpSegment, config: TcpConfig): boolean {
    const o = seg.options, rcvNxt = this.rcvNxt[e]!;
    const hadTs = (this.flags[e]! & TS_OK) !== 0, hasTs = config.timestamps && o.hasTimestamps;
    if (hadTs && hasTs) {
      return seqGt(o.tsVal, this.tsRecent[e]!) || (o.tsVal === this.tsRecent[e] && seqGt(seg.seq, rcvNxt));
    }
    if (!config.timeWaitReopenBySequence) return false;
    return (!hadTs && hasTs) || seqGt(seg.seq, rcvNxt);
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
