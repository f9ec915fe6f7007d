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
// Memory: four typed arrays of `maxRanges` entries, allocated in the constructor. No method
// allocates. Arguments from the wire never make a method throw: sequence numbers are taken modulo
// 2^32 (`>>> 0`), a length that is not a positive number is refused, fractions are truncated.

import { seqAdd, seqDiff, seqInRange, seqLeq, seqLt } from '../wire/seq';

/** Largest distance from RCV.NXT to the end of a held range: the maximum window, RFC 7323 §2.3. */
export const MAX_SPAN = 0x40000000;

export class ReassemblyQueue {
  /** Number of disjoint ranges that can be held, fixed at construction. */
  readonly maxRanges: number;
  /**
   * The sequence number of a FIN seen beyond RCV.NXT (the FIN's own sequence number), or -1.
   * Set and cleared by the caller; `advance` does not consume it: the caller checks
   * `finSeq === rcvNxt` after draining. `clear()` resets it to -1.
   */
  finSeq = -1;

  /** Left edge (first byte) of each range, in sequence order in slots [0, count). */
  private readonly left: Uint32Array;
  /** Right edge (one past the last byte) of each range. */
  private readonly right: Uint32Array;
  /** Recency stamp of each range (larger = more recently updated); unique among held ranges. */
  private readonly stamp: Float64Array;
  private held = 0;
  private total = 0;
  /** Last stamp given; a double counts 2^53 adds before losing precision. */
  private clock = 0;
  private evicted = 0;
  private refused = 0;

  /** `maxRanges` must be a non-negative integer (0 holds nothing); throws RangeError otherwise. */
  constructor(maxRanges: number) {
    if (!Number.isInteger(maxRanges) || maxRanges < 0) {
      throw new RangeError(`ReassemblyQueue maxRanges must be a non-negative integer, got ${maxRanges}`);
    }
    this.maxRanges = maxRanges;
    this.left = new Uint32Array(maxRanges);
    this.right = new Uint32Array(maxRanges);
    this.stamp = new Float64Array(maxRanges);
  }

  /** Ranges held. */
  get count(): number {
    return this.held;
  }

  /** Bytes held in all ranges. */
  get bytes(): number {
    return this.total;
  }

  /** Ranges evicted to make room for a range closer to RCV.NXT, since construction. */
  get evictions(): number {
    return this.evicted;
  }

  /** Segments refused because every slot was taken by a range closer to RCV.NXT, since construction. */
  get refusals(): number {
    return this.refused;
  }

  /** Forget every range and the FIN (for a new connection). The counters are kept. */
  clear(): void {
    this.held = 0;
    this.total = 0;
    this.finSeq = -1;
  }

  /** Left edge of the `index`-th range in sequence order, or -1 when there is no such range. */
  rangeStart(index: number): number {
    return Number.isInteger(index) && index >= 0 && index < this.held ? this.left[index]! : -1;
  }

  /** Right edge (one past the last byte) of the `index`-th range in sequence order, or -1. */
  rangeEnd(index: number): number {
    return Number.isInteger(index) && index >= 0 && index < this.held ? this.right[index]! : -1;
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
    while (i < this.held && seqLt(this.right[i]!, s)) i++;
    // Ranges i..j-1 begin at or before e, so they overlap or touch [s, e).
    let j = i;
    while (j < this.held && seqLeq(this.left[j]!, e)) j++;

    if (j > i) {
      // Merge [s, e) with ranges i..j-1 into slot i.
      const newLeft = seqLt(s, this.left[i]!) ? s : this.left[i]!;
      const newRight = seqLt(this.right[j - 1]!, e) ? e : this.right[j - 1]!;
      for (let k = i; k < j; k++) this.total -= this.size(k);
      this.left[i] = newLeft;
      this.right[i] = newRight;
      this.total += (newRight - newLeft) >>> 0;
      this.removeSlots(i + 1, j - i - 1);
      this.stamp[i] = ++this.clock;
      return true;
    }

    // A new range, to go in slot i (every range from i on begins after e).
    if (this.held === this.maxRanges) {
      if (i >= this.held) {
        // Farther from RCV.NXT than everything held (or no slots at all): refuse.
        this.refused++;
        return false;
      }
      // Closer than the farthest range: evict that one (the last in sequence order).
      this.held--;
      this.total -= this.size(this.held);
      this.evicted++;
    }
    for (let k = this.held; k > i; k--) {
      this.left[k] = this.left[k - 1]!;
      this.right[k] = this.right[k - 1]!;
      this.stamp[k] = this.stamp[k - 1]!;
    }
    this.left[i] = s;
    this.right[i] = e;
    this.stamp[i] = ++this.clock;
    this.held++;
    this.total += n;
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
    return this.held > 0 && this.left[0] === nxt ? this.size(0) : 0;
  }

  /** Whether byte `seq` is held. */
  holds(seq: number): boolean {
    const s = seq >>> 0;
    for (let k = 0; k < this.held; k++) {
      if (seqInRange(s, this.left[k]!, this.right[k]!)) return true;
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
    const limit = Math.min(this.held, Math.floor(out.length / 2), want);
    // Stamps are unique: pick the largest one below the previous pick, `limit` times.
    let previous = Infinity;
    for (let b = 0; b < limit; b++) {
      let best = -1;
      for (let k = 0; k < this.held; k++) {
        const t = this.stamp[k]!;
        if (t < previous && (best < 0 || t > this.stamp[best]!)) best = k;
      }
      if (best < 0) return b;
      out[2 * b] = this.left[best]!;
      out[2 * b + 1] = this.right[best]!;
      previous = this.stamp[best]!;
    }
    return limit;
  }

  /** Bytes in range slot k. */
  private size(k: number): number {
    return (this.right[k]! - this.left[k]!) >>> 0;
  }

  /** Drop the ranges wholly at or below `nxt` and trim the one that straddles it. */
  private dropBelow(nxt: number): void {
    let dead = 0;
    while (dead < this.held && seqLeq(this.right[dead]!, nxt)) {
      this.total -= this.size(dead);
      dead++;
    }
    this.removeSlots(0, dead);
    // Ranges are disjoint and sorted, so only the first can straddle RCV.NXT.
    if (this.held > 0 && seqLt(this.left[0]!, nxt)) {
      this.total -= seqDiff(nxt, this.left[0]!);
      this.left[0] = nxt;
    }
  }

  /** Remove `n` slots starting at `from`, shifting the later ones down. */
  private removeSlots(from: number, n: number): void {
    if (n <= 0) return;
    for (let k = from; k + n < this.held; k++) {
      this.left[k] = this.left[k + n]!;
      this.right[k] = this.right[k + n]!;
      this.stamp[k] = this.stamp[k + n]!;
    }
    this.held -= n;
  }
}
