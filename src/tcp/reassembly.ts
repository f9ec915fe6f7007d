// The out-of-order bookkeeping of one connection's receive side.
//
// RFC 9293 §3.10.7.4 (segment text): "segments with higher beginning sequence numbers may be
// held for later processing". The held bytes themselves live in the connection's receive ByteRing
// (src/tcp/ring.ts): the caller stores a segment beyond RCV.NXT with `ring.writeAt(seq - rcvNxt,
// ...)`, which places it past the readable end without making it readable. This queue remembers
// only WHICH sequence ranges beyond RCV.NXT are held, tells the caller how many bytes became
// contiguous when RCV.NXT advances (the caller then `commit`s them), and produces the SACK blocks
// of RFC 2018 for the ACKs the receiver sends.
//
// Intended use, with `ring` the receive ring and `q` this queue:
//
//   segment text at seq, len bytes (already trimmed to the window, RFC 9293 §3.10.7.4):
//     if seq is at or before RCV.NXT (in order): trim the old front, n = ring.write(...),
//       rcvNxt += n, then drain:
//         for (let k; (k = q.advance(rcvNxt)) > 0; ) { ring.commit(k); rcvNxt += k; }
//       (advance(rcvNxt) after the last commit returns 0 and drops the range just committed).
//       If q.finSeq === rcvNxt, the FIN held out of order is now in order.
//     else (beyond RCV.NXT): stored = ring.writeAt(seq - rcvNxt, ...);
//       if (stored > 0) q.add(rcvNxt, seq, stored)   // only the bytes the ring really stored
//     then ACK RCV.NXT with q.sackBlocks(...) if SACK was negotiated.
//
// What is accepted: `add` takes only ranges that begin strictly beyond RCV.NXT (an offset > 0 from
// it). Data at or before RCV.NXT is in-order data (or old data) and is the caller's business; a
// range that begins at or before RCV.NXT is refused whole, not trimmed, because the ring could not
// have stored it with `writeAt` at a negative offset either. A range must also end within
// MAX_SPAN (2^30, the largest window RFC 7323 §2.3 allows) of RCV.NXT, so that every comparison
// between held sequence numbers stays within the half of the sequence space where modular order is
// defined (RFC 9293 §3.4).
//
// Invariants (between calls, once advance() has been called with the current RCV.NXT): ranges are
// disjoint, not adjacent (touching ranges are merged), non-empty, sorted in sequence order, and
// each begins strictly after RCV.NXT, so there is always a hole at RCV.NXT before the first one.
// Consequently every SACK block lies above the cumulative ACK, as RFC 2018 §4 requires.
//
// Policy when full (DESIGN.md, "Bounded"): a segment that merges with a held range (overlapping or
// adjacent) is always accepted, since it needs no new slot. A segment that needs a new slot while
// all `maxRanges` are taken is kept only if it lies closer to RCV.NXT than the farthest held range;
// that farthest range is then evicted (counted in `evictions`) and the caller must treat its bytes
// as never received (they stay in the ring, unreferenced, and are overwritten later). Otherwise
// the segment is refused (counted in `refusals`) and `add` returns false. Data nearer RCV.NXT
// closes the hole sooner and is what the sender retransmits first; the farthest range is the least
// useful to hold. Dropping SACKed data is reneging, which RFC 2018 §8 permits: the sender keeps
// SACKed data until it is cumulatively acknowledged, and simply retransmits it.
//
// SACK block order (RFC 2018 §4): the first block is the range containing the segment most
// recently accepted by `add` (the one that triggered this ACK), then the other ranges in order of
// their most recent update, newest first; that repeats the most recently reported blocks first.
// Each range carries a stamp from a counter bumped by every accepted `add`; merging gives the
// merged range the new stamp, and trimming by `advance` keeps the stamp.
//
// Memory: one Float64Array of 5 + 3 x `maxRanges` entries, allocated in the constructor. No method
// allocates. Arguments from the wire never make a method throw: sequence numbers are taken modulo
// 2^32 (`>>> 0`), a length that is not a positive number is refused, fractions are truncated.

import { seqAdd, seqDiff, seqInRange, seqLeq, seqLt } from '../wire/seq';

/** Largest distance from RCV.NXT to the end of a held range: the maximum window, RFC 7323 §2.3. */
export const MAX_SPAN = 0x40000000;

// Indices of the counters in ReassemblyQueue.a. The clock is the last stamp given (a double counts
// 2^53 adds before losing precision).
const HELD = 0, TOTAL = 1, CLOCK = 2, EVICTED = 3, REFUSED = 4, LEFT = 5;

export class ReassemblyQueue {
  /** Number of disjoint ranges that can be held, fixed at construction. */
  readonly maxRanges: number;
  /**
   * The sequence number of a FIN seen beyond RCV.NXT (the FIN's own sequence number), or -1.
   * Set and cleared by the caller; `advance` does not consume it: the caller checks
   * `finSeq === rcvNxt` after draining. `clear()` resets it to -1.
   */
  finSeq = -1;

  /**
   * All other state in one array (one XS object instead of four; DESIGN.md "Memory"): the
   * counters at HELD..REFUSED, then the left edges (first byte) of the ranges in sequence order
   * from LEFT, their right edges (one past the last byte) from `rightAt`, and their recency stamps
   * (larger = more recently updated; unique among held ranges) from `stampAt`. Sequence numbers
   * are exact in a double.
   */
  private readonly a: Float64Array;
  private readonly rightAt: number;
  private readonly stampAt: number;

  /** `maxRanges` must be a non-negative integer (0 holds nothing); throws RangeError otherwise. */
  constructor(maxRanges: number) {
    if (!Number.isInteger(maxRanges) || maxRanges < 0) {
      throw new RangeError(`ReassemblyQueue maxRanges must be a non-negative integer, got ${maxRanges}`);
    }
    this.maxRanges = maxRanges;
    this.rightAt = LEFT + maxRanges;
    this.stampAt = LEFT + 2 * maxRanges;
    this.a = new Float64Array(LEFT + 3 * maxRanges);
  }

  /** Ranges held. */
  get count(): number {
    return this.a[HELD];
  }

  /** Bytes held in all ranges. */
  get bytes(): number {
    return this.a[TOTAL];
  }

  /** Ranges evicted to make room for a range closer to RCV.NXT, since construction. */
  get evictions(): number {
    return this.a[EVICTED];
  }

  /** Segments refused because every slot was taken by a range closer to RCV.NXT, since construction. */
  get refusals(): number {
    return this.a[REFUSED];
  }

  /** Forget every range and the FIN (for a new connection). The counters are kept. */
  clear(): void {
    this.a[HELD] = 0;
    this.a[TOTAL] = 0;
    this.finSeq = -1;
  }

  /** Left edge of the `index`-th range in sequence order, or -1 when there is no such range. */
  rangeStart(index: number): number {
    return Number.isInteger(index) && index >= 0 && index < this.a[HELD] ? this.a[LEFT + index] : -1;
  }

  /** Right edge (one past the last byte) of the `index`-th range in sequence order, or -1. */
  rangeEnd(index: number): number {
    return Number.isInteger(index) && index >= 0 && index < this.a[HELD] ? this.a[this.rightAt + index] : -1;
  }

  /**
   * Bytes [seq, seq+len) beyond `rcvNxt` were stored in the ring. Merges with overlapping or
   * adjacent ranges. Returns false and records nothing when the range does not begin strictly
   * after `rcvNxt`, is empty, ends more than MAX_SPAN past `rcvNxt`, or needs a new slot while all
   * are taken by ranges closer to `rcvNxt` (see the policy above). On success the range holding
   * this segment becomes the most recent one (first SACK block). Ranges wholly below `rcvNxt` are
   * dropped first, as `advance` would (so a caller that forgot to call it stays consistent).
   */
  add(rcvNxt: number, seq: number, len: number): boolean {
    const nxt = rcvNxt >>> 0;
    const s = seq >>> 0;
    if (!(len >= 1)) return false; // also NaN
    const offset = seqDiff(s, nxt);
    // RFC 9293 §3.10.7.4: only data beyond RCV.NXT is held; in-order data is the caller's.
    if (offset <= 0 || len > MAX_SPAN - offset) return false;
    const n = Math.floor(len);
    const e = seqAdd(s, n);
    this.dropBelow(nxt);

    // First range that ends at or after s (overlaps or touches the new range from the right).
    let i = 0;
    while (i < this.a[HELD] && seqLt(this.a[this.rightAt + i], s)) i++;
    // Ranges i..j-1 begin at or before e, so they overlap or touch [s, e).
    let j = i;
    while (j < this.a[HELD] && seqLeq(this.a[LEFT + j], e)) j++;

    if (j > i) {
      // Merge [s, e) with ranges i..j-1 into slot i.
      const newLeft = seqLt(s, this.a[LEFT + i]) ? s : this.a[LEFT + i];
      const newRight = seqLt(this.a[this.rightAt + j - 1], e) ? e : this.a[this.rightAt + j - 1];
      for (let k = i; k < j; k++) this.a[TOTAL] -= this.size(k);
      this.a[LEFT + i] = newLeft;
      this.a[this.rightAt + i] = newRight;
      this.a[TOTAL] += (newRight - newLeft) >>> 0;
      this.removeSlots(i + 1, j - i - 1);
      this.a[this.stampAt + i] = ++this.a[CLOCK];
      return true;
    }

    // A new range, to go in slot i (every range from i on begins after e).
    if (this.a[HELD] === this.maxRanges) {
      if (i >= this.a[HELD]) {
        // Farther from RCV.NXT than everything held (or no slots at all): refuse.
        this.a[REFUSED]++;
        return false;
      }
      // Closer than the farthest range: evict that one (the last in sequence order).
      this.a[HELD]--;
      this.a[TOTAL] -= this.size(this.a[HELD]);
      this.a[EVICTED]++;
    }
    for (let k = this.a[HELD]; k > i; k--) {
      this.a[LEFT + k] = this.a[LEFT + k - 1];
      this.a[this.rightAt + k] = this.a[this.rightAt + k - 1];
      this.a[this.stampAt + k] = this.a[this.stampAt + k - 1];
    }
    this.a[LEFT + i] = s;
    this.a[this.rightAt + i] = e;
    this.a[this.stampAt + i] = ++this.a[CLOCK];
    this.a[HELD]++;
    this.a[TOTAL] += n;
    return true;
  }

  /**
   * RCV.NXT has advanced to `rcvNxt`. Drops the ranges now wholly below it, trims one that
   * straddles it, and returns how many bytes starting exactly at `rcvNxt` are held contiguously
   * (0 when there is a hole at `rcvNxt`). The caller commits that many bytes of the ring, advances
   * RCV.NXT by the same amount and calls `advance` again, which then returns 0 and drops the
   * committed range.
   */
  advance(rcvNxt: number): number {
    const nxt = rcvNxt >>> 0;
    this.dropBelow(nxt);
    return this.a[HELD] > 0 && this.a[LEFT] === nxt ? this.size(0) : 0;
  }

  /** Whether byte `seq` is held. */
  holds(seq: number): boolean {
    const s = seq >>> 0;
    for (let k = 0; k < this.a[HELD]; k++) {
      if (seqInRange(s, this.a[LEFT + k], this.a[this.rightAt + k])) return true;
    }
    return false;
  }

  /**
   * SACK blocks for an ACK (RFC 2018 §4): the range holding the most recently received segment
   * first, then the other ranges, most recently updated first; at most `max` blocks (and no more
   * than `out` has room for). Writes [left0, right0, left1, right1, ...] into `out` (right = one
   * past the last byte) and returns the number of blocks written.
   */
  sackBlocks(out: Uint32Array, max: number): number {
    const want = max > 0 ? Math.floor(max) : 0; // NaN and negatives give 0
    const limit = Math.min(this.a[HELD], Math.floor(out.length / 2), want);
    // Stamps are unique: pick the largest one below the previous pick, `limit` times.
    let previous = Infinity;
    for (let b = 0; b < limit; b++) {
      let best = -1;
      for (let k = 0; k < this.a[HELD]; k++) {
        const t = this.a[this.stampAt + k];
        if (t < previous && (best < 0 || t > this.a[this.stampAt + best])) best = k;
      }
      if (best < 0) return b;
      out[2 * b] = this.a[LEFT + best];
      out[2 * b + 1] = this.a[this.rightAt + best];
      previous = this.a[this.stampAt + best];
    }
    return limit;
  }

  /** Bytes in range slot k. */
  private size(k: number): number {
    return (this.a[this.rightAt + k] - this.a[LEFT + k]) >>> 0;
  }

  /** Drop the ranges wholly at or below `nxt` and trim the one that straddles it. */
  private dropBelow(nxt: number): void {
    let dead = 0;
    while (dead < this.a[HELD] && seqLeq(this.a[this.rightAt + dead], nxt)) {
      this.a[TOTAL] -= this.size(dead);
      dead++;
    }
    this.removeSlots(0, dead);
    // Ranges are disjoint and sorted, so only the first can straddle RCV.NXT.
    if (this.a[HELD] > 0 && seqLt(this.a[LEFT], nxt)) {
      this.a[TOTAL] -= seqDiff(nxt, this.a[LEFT]);
      this.a[LEFT] = nxt;
    }
  }

  /** Remove `n` slots starting at `from`, shifting the later ones down. */
  private removeSlots(from: number, n: number): void {
    if (n <= 0) return;
    for (let k = from; k + n < this.a[HELD]; k++) {
      this.a[LEFT + k] = this.a[LEFT + k + n];
      this.a[this.rightAt + k] = this.a[this.rightAt + k + n];
      this.a[this.stampAt + k] = this.a[this.stampAt + k + n];
    }
    this.a[HELD] -= n;
  }
}
