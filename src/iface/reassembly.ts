// IPv4 fragment reassembly (RFC 791 §3.2, RFC 815 for the hole bookkeeping, here a bitmap of
// 8-byte blocks) with fixed limits: `slots` datagrams in progress, `maxBytes` of payload each, and
// a `timeoutMs` lifetime from the first fragment (RFC 1122 §3.3.2). Overlaps that change data already
// held discard the datagram (the defence against overlap attacks, as RFC 5722 does for IPv6);
// exact retransmissions are ignored. When every slot is busy the oldest datagram is evicted.

import type { Ipv4Packet } from '../wire/ipv4';
import { IPV4_MAX_HEADER_LEN } from '../wire/ipv4';
import type { DropReason } from './drops';

export interface ReassemblyConfig {
  slots: number;
  /** Largest payload a reassembled datagram may carry (bytes). */
  maxBytes: number;
  timeoutMs: number;
}

export const defaultReassemblyConfig: ReassemblyConfig = Object.freeze({
  slots: 2,
  maxBytes: 4096,
  timeoutMs: 30_000,
});

export interface ReassemblyCounters {
  fragmentsIn: number;
  reassembled: number;
  timedOut: number;
  evicted: number;
  discarded: number;
}

export function newReassemblyCounters(): ReassemblyCounters {
  return { fragmentsIn: 0, reassembled: 0, timedOut: 0, evicted: 0, discarded: 0 };
}

const SLOT_FREE = 0;
const SLOT_BUSY = 1;

export class Reassembler {
  readonly config: ReassemblyConfig;
  readonly counters = newReassemblyCounters();
  private readonly state: Uint8Array;
  private readonly src: Uint32Array;
  private readonly dst: Uint32Array;
  private readonly protocol: Uint8Array;
  private readonly ident: Uint16Array;
  private readonly deadline: Float64Array;
  private readonly started: Float64Array;
  /** Payload length once the final fragment (MF clear) has arrived; -1 before. */
  private readonly totalPayload: Int32Array;
  private readonly received: Int32Array;
  /** Header of the offset-0 fragment has been stored (needed to deliver, and for ICMP time exceeded). */
  private readonly haveFirst: Uint8Array;
  private readonly headerLength: Uint8Array;
  /** Per slot: [IPV4_MAX_HEADER_LEN bytes of header][maxBytes of payload]. */
  readonly buffers: Uint8Array[];
  private readonly bitmaps: Uint8Array[];

  constructor(config: ReassemblyConfig) {
    this.config = config;
    const n = config.slots;
    this.state = new Uint8Array(n);
    this.src = new Uint32Array(n);
    this.dst = new Uint32Array(n);
    this.protocol = new Uint8Array(n);
    this.ident = new Uint16Array(n);
    this.deadline = new Float64Array(n);
    this.started = new Float64Array(n);
    this.totalPayload = new Int32Array(n);
    this.received = new Int32Array(n);
    this.haveFirst = new Uint8Array(n);
    this.headerLength = new Uint8Array(n);
    this.buffers = [];
    this.bitmaps = [];
    const blocks = Math.ceil(config.maxBytes / 8);
    for (let i = 0; i < n; i++) {
      this.buffers.push(new Uint8Array(IPV4_MAX_HEADER_LEN + config.maxBytes));
      this.bitmaps.push(new Uint8Array(Math.ceil(blocks / 8)));
    }
  }

  /**
   * Take one fragment. Returns the slot index of a now complete datagram (its header, with the
   * fragment fields cleared, ends at IPV4_MAX_HEADER_LEN in `buffers[slot]`; see `headerOffset`),
   * -1 when the fragment was stored, or a drop reason.
   */
  add(ip: Ipv4Packet, now: number): number | DropReason {
    this.counters.fragmentsIn++;
    const off = ip.fragmentOffset;
    const len = ip.payloadLength;
    if (ip.moreFragments && (len & 7) !== 0) return 'frag-bad-length';
    if (ip.moreFragments && len === 0) return 'frag-bad-length';
    const end = off + len;
    let s = this.find(ip);
    if (end > this.config.maxBytes) {
      if (s >= 0) this.free(s, 'discarded');
      return 'frag-too-big';
    }
    if (s < 0) s = this.open(ip, now);
    const total = this.totalPayload[s]!;
    if (total >= 0 && (end > total || (!ip.moreFragments && end !== total))) {
      this.free(s, 'discarded');
      return 'frag-after-end';
    }
    const buf = this.buffers[s]!;
    const map = this.bitmaps[s]!;
    const base = IPV4_MAX_HEADER_LEN;
    // Bytes already held must match exactly; count the new ones.
    let fresh = 0;
    for (let b = off >> 3; b << 3 < end; b++) {
      const bs = b << 3;
      const be = Math.min(bs + 8, end);
      if ((map[b >> 3]! >> (b & 7)) & 1) {
        for (let k = bs; k < be; k++) {
          if (buf[base + k] !== ip.bytes[ip.payloadOffset + k - off]) {
            this.free(s, 'discarded');
            return 'frag-overlap';
          }
        }
      } else fresh += be - bs;
    }
    // Nothing new: a retransmission (a zero-length final fragment still tells us the end).
    if (fresh === 0 && (ip.moreFragments || total >= 0)) return 'frag-duplicate';
    buf.set(ip.bytes.subarray(ip.payloadOffset, ip.payloadOffset + len), base + off);
    for (let b = off >> 3; b << 3 < end; b++) map[b >> 3]! |= 1 << (b & 7);
    this.received[s]! += fresh;
    if (!ip.moreFragments) this.totalPayload[s] = end;
    if (off === 0) {
      // Keep the first fragment's header, right-aligned against the payload.
      const hl = ip.headerLength;
      buf.set(ip.bytes.subarray(ip.offset, ip.offset + hl), base - hl);
      this.headerLength[s] = hl;
      this.haveFirst[s] = 1;
    }
    if (this.totalPayload[s]! >= 0 && this.received[s] === this.totalPayload[s] && this.haveFirst[s]) {
      this.counters.reassembled++;
      this.state[s] = SLOT_FREE;
      return s;
    }
    return -1;
  }

  /** Offset in buffers[slot] of the stored header (the payload starts at IPV4_MAX_HEADER_LEN). */
  headerOffset(slot: number): number {
    return IPV4_MAX_HEADER_LEN - this.headerLength[slot]!;
  }

  payloadLength(slot: number): number {
    return this.totalPayload[slot]!;
  }

  /**
   * Expire datagrams whose time is up. For each one whose first fragment arrived, `onTimeout` may
   * send ICMP time exceeded (RFC 792, RFC 1122 §3.3.2) quoting buffers[slot] from headerOffset.
   */
  poll(now: number, onTimeout: (slot: number) => void): void {
    for (let s = 0; s < this.config.slots; s++) {
      if (this.state[s] === SLOT_BUSY && this.deadline[s]! <= now) {
        if (this.haveFirst[s]) onTimeout(s);
        this.free(s, 'timedOut');
      }
    }
  }

  nextDeadline(): number {
    let t = Infinity;
    for (let s = 0; s < this.config.slots; s++) {
      if (this.state[s] === SLOT_BUSY && this.deadline[s]! < t) t = this.deadline[s]!;
    }
    return t;
  }

  /** Datagrams in progress. */
  get inProgress(): number {
    let n = 0;
    for (let s = 0; s < this.config.slots; s++) n += this.state[s]!;
    return n;
  }

  private find(ip: Ipv4Packet): number {
    for (let s = 0; s < this.config.slots; s++) {
      if (this.state[s] === SLOT_BUSY && this.ident[s] === ip.ident && this.src[s] === ip.src &&
          this.dst[s] === ip.dst && this.protocol[s] === ip.protocol) return s;
    }
    return -1;
  }

  private open(ip: Ipv4Packet, now: number): number {
    let s = -1;
    for (let i = 0; i < this.config.slots; i++) {
      if (this.state[i] === SLOT_FREE) {
        s = i;
        break;
      }
      if (s < 0 || this.started[i]! < this.started[s]!) s = i;
    }
    if (this.state[s] === SLOT_BUSY) this.free(s, 'evicted');
    this.state[s] = SLOT_BUSY;
    this.src[s] = ip.src;
    this.dst[s] = ip.dst;
    this.protocol[s] = ip.protocol;
    this.ident[s] = ip.ident;
    this.started[s] = now;
    this.deadline[s] = now + this.config.timeoutMs;
    this.totalPayload[s] = -1;
    this.received[s] = 0;
    this.haveFirst[s] = 0;
    this.bitmaps[s]!.fill(0);
    return s;
  }

  private free(s: number, why: 'timedOut' | 'evicted' | 'discarded'): void {
    this.state[s] = SLOT_FREE;
    this.counters[why]++;
  }
}
