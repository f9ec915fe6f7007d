// ReassemblyQueue: which out-of-order ranges beyond RCV.NXT are held, and the SACK blocks
// (src/tcp/reassembly.ts; RFC 9293 §3.10.7.4, RFC 2018).
//
// First the rules one by one with worked examples (RFC 2018 §3's case 3 among them), then a
// randomized model-based test against a plain per-byte model that never wraps (the queue sees the
// same positions modulo 2^32, starting near 0xffffff00 so the sequence space wraps under it), then
// the intended use with a ByteRing: a 20 KB stream cut into segments, delivered shuffled with
// duplicates and overlaps, reassembled byte-exactly.

import { describe, expect, it } from 'vitest';
import { MAX_SPAN, ReassemblyQueue } from '../../src/tcp/reassembly';
import { ByteRing } from '../../src/tcp/ring';
import { seqAdd, seqDiff, seqGt } from '../../src/wire/seq';
import { Prng as Rng } from '../wire/helpers';

/** xorshift32 with a Weyl sequence added to the output; seeded, so a failure reproduces. */
const TWO32 = 2 ** 32;
/** An unwrapped position (a plain non-negative integer) as a sequence number. */
const wrap = (u: number): number => u % TWO32;

/** The ranges the queue holds, in sequence order, as [left, right) pairs. */
function ranges(q: ReassemblyQueue): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < q.count; i++) out.push([q.rangeStart(i), q.rangeEnd(i)]);
  return out;
}

/** The SACK blocks the queue reports, at most `max`, as [left, right) pairs. */
function sack(q: ReassemblyQueue, max: number): Array<[number, number]> {
  const out = new Uint32Array(2 * max).fill(0xdeadbeef);
  const n = q.sackBlocks(out, max);
  const blocks: Array<[number, number]> = [];
  for (let b = 0; b < n; b++) blocks.push([out[2 * b]!, out[2 * b + 1]!]);
  // Nothing beyond the blocks reported is written.
  for (let i = 2 * n; i < out.length; i++) expect(out[i]).toBe(0xdeadbeef);
  return blocks;
}

describe('ReassemblyQueue basics', () => {
  it('rejects a maxRanges that is not a non-negative integer; 0 holds nothing', () => {
    expect(() => new ReassemblyQueue(-1)).toThrow(RangeError);
    expect(() => new ReassemblyQueue(1.5)).toThrow(RangeError);
    expect(() => new ReassemblyQueue(Number.NaN)).toThrow(RangeError);
    const q = new ReassemblyQueue(0);
    expect(q.maxRanges).toBe(0);
    expect(q.add(1000, 1100, 10)).toBe(false);
    expect(q.count).toBe(0);
    expect(q.refusals).toBe(1);
    expect(q.sackBlocks(new Uint32Array(8), 4)).toBe(0);
  });

  it('starts empty with no FIN', () => {
    const q = new ReassemblyQueue(8);
    expect(q.maxRanges).toBe(8);
    expect(q.count).toBe(0);
    expect(q.bytes).toBe(0);
    expect(q.finSeq).toBe(-1);
    expect(q.advance(1234)).toBe(0);
    expect(q.holds(1234)).toBe(false);
    expect(q.rangeStart(0)).toBe(-1);
    expect(q.rangeEnd(0)).toBe(-1);
    q.add(0, 10, 5);
    expect(q.rangeStart(0)).toBe(10);
    expect(q.rangeEnd(0)).toBe(15);
    expect(q.rangeStart(0.5)).toBe(-1);
    expect(q.rangeEnd(-1)).toBe(-1);
    expect(q.rangeStart(1)).toBe(-1);
  });

  it('rejects data at or below RCV.NXT, empty or malformed lengths, and ranges beyond MAX_SPAN', () => {
    const q = new ReassemblyQueue(8);
    const nxt = 5000;
    expect(q.add(nxt, nxt, 100)).toBe(false); // in order: the caller's business
    expect(q.add(nxt, nxt - 50, 100)).toBe(false); // straddles RCV.NXT: refused whole
    expect(q.add(nxt, nxt - 100, 100)).toBe(false); // ends exactly at RCV.NXT
    expect(q.add(nxt, nxt - 500, 10)).toBe(false); // old
    expect(q.add(nxt, nxt + 1, 0)).toBe(false);
    expect(q.add(nxt, nxt + 1, -5)).toBe(false);
    expect(q.add(nxt, nxt + 1, 0.5)).toBe(false);
    expect(q.add(nxt, nxt + 1, Number.NaN)).toBe(false);
    expect(q.add(nxt, nxt + 1, Number.POSITIVE_INFINITY)).toBe(false);
    expect(q.add(nxt, nxt + 1, MAX_SPAN)).toBe(false); // would end MAX_SPAN + 1 past RCV.NXT
    expect(q.add(nxt, nxt + 0x80000000, 10)).toBe(false); // half the space away: not "beyond"
    expect(q.add(nxt, nxt - 0x7fffffff, 10)).toBe(false);
    expect(q.count).toBe(0);
    expect(q.bytes).toBe(0);
    expect(q.refusals).toBe(0); // refusals count only the full-queue policy
    // The first byte beyond RCV.NXT, and a range ending exactly MAX_SPAN past it, are accepted.
    expect(q.add(nxt, nxt + 1, 1)).toBe(true);
    expect(q.add(nxt, nxt + MAX_SPAN - 10, 10)).toBe(true);
    expect(ranges(q)).toEqual([[nxt + 1, nxt + 2], [nxt + MAX_SPAN - 10, nxt + MAX_SPAN]]);
    // A fractional length is truncated.
    expect(q.add(nxt, nxt + 100, 2.9)).toBe(true);
    expect(q.holds(nxt + 101)).toBe(true);
    expect(q.holds(nxt + 102)).toBe(false);
  });

  it('merges overlapping and adjacent segments, bridging ranges, and counts bytes', () => {
    const q = new ReassemblyQueue(8);
    const nxt = 1000;
    expect(q.add(nxt, 1100, 100)).toBe(true); // [1100,1200)
    expect(q.add(nxt, 1300, 100)).toBe(true); // [1300,1400)
    expect(q.add(nxt, 1500, 100)).toBe(true); // [1500,1600)
    expect(ranges(q)).toEqual([[1100, 1200], [1300, 1400], [1500, 1600]]);
    expect(q.bytes).toBe(300);
    expect(q.add(nxt, 1200, 50)).toBe(true); // adjacent after the first
    expect(ranges(q)).toEqual([[1100, 1250], [1300, 1400], [1500, 1600]]);
    expect(q.add(nxt, 1450, 50)).toBe(true); // adjacent before the third
    expect(ranges(q)).toEqual([[1100, 1250], [1300, 1400], [1450, 1600]]);
    expect(q.bytes).toBe(400);
    expect(q.add(nxt, 1120, 20)).toBe(true); // duplicate inside the first
    expect(q.bytes).toBe(400);
    expect(q.count).toBe(3);
    expect(q.add(nxt, 1240, 220)).toBe(true); // [1240,1460): bridges all three
    expect(ranges(q)).toEqual([[1100, 1600]]);
    expect(q.bytes).toBe(500);
    expect(q.add(nxt, 1050, 600)).toBe(true); // covers it on both sides
    expect(ranges(q)).toEqual([[1050, 1650]]);
    expect(q.bytes).toBe(600);
    expect(q.holds(1049)).toBe(false);
    expect(q.holds(1050)).toBe(true);
    expect(q.holds(1649)).toBe(true);
    expect(q.holds(1650)).toBe(false);
  });

  it('advance drops ranges below RCV.NXT, trims a straddling one, and reports contiguous bytes', () => {
    const q = new ReassemblyQueue(8);
    q.add(100, 200, 100); // [200,300)
    q.add(100, 400, 100); // [400,500)
    q.add(100, 600, 100); // [600,700)
    expect(q.advance(100)).toBe(0); // hole at 100..199
    expect(q.advance(200)).toBe(100); // in-order data reached the first range
    expect(q.count).toBe(3); // not consumed until RCV.NXT moves past it
    expect(q.advance(300)).toBe(0); // the caller committed it; the next call returns 0
    expect(ranges(q)).toEqual([[400, 500], [600, 700]]);
    expect(q.bytes).toBe(200);
    // An in-order segment that ends inside a held range: the range is trimmed.
    expect(q.advance(450)).toBe(50);
    expect(ranges(q)).toEqual([[450, 500], [600, 700]]);
    expect(q.bytes).toBe(150);
    expect(q.advance(500)).toBe(0);
    // A jump past everything empties the queue.
    expect(q.advance(10_000)).toBe(0);
    expect(q.count).toBe(0);
    expect(q.bytes).toBe(0);
  });

  it('works across the wrap of the sequence space', () => {
    const q = new ReassemblyQueue(4);
    const nxt = 0xffffff00;
    expect(q.add(nxt, 0xfffffff0, 0x20)).toBe(true); // [0xfffffff0, 0x10): straddles 0
    expect(q.add(nxt, 0x20, 0x10)).toBe(true); // [0x20, 0x30)
    expect(q.add(nxt, 0xffffff80, 0x10)).toBe(true); // [0xffffff80, 0xffffff90)
    expect(ranges(q)).toEqual([[0xffffff80, 0xffffff90], [0xfffffff0, 0x10], [0x20, 0x30]]);
    expect(q.bytes).toBe(0x40);
    for (const s of [0xfffffff0, 0xffffffff, 0, 0xf, 0x20, 0x2f, 0xffffff80]) expect(q.holds(s)).toBe(true);
    for (const s of [0xffffffef, 0x10, 0x1f, 0x30, 0xffffff00, 0xffffff90]) expect(q.holds(s)).toBe(false);
    expect(q.add(nxt, 0x10, 0x10)).toBe(true); // fills [0x10,0x20): bridges across 0
    expect(ranges(q)).toEqual([[0xffffff80, 0xffffff90], [0xfffffff0, 0x30]]);
    expect(q.advance(0xffffff80)).toBe(0x10);
    expect(q.advance(0xffffff90)).toBe(0);
    expect(q.advance(0xfffffff8)).toBe(0x38); // trimmed across the wrap: 8 + 0x30
    expect(q.bytes).toBe(0x38);
    expect(q.advance(0x30)).toBe(0);
    expect(q.count).toBe(0);
    expect(q.bytes).toBe(0);
  });

  it('add drops ranges left below RCV.NXT when the caller did not call advance', () => {
    const q = new ReassemblyQueue(2);
    q.add(0, 10, 10); // [10,20)
    q.add(0, 30, 10); // [30,40)
    // RCV.NXT moved to 35 without advance(): the slots below it are reclaimed, not leaked.
    expect(q.add(35, 50, 10)).toBe(true);
    expect(ranges(q)).toEqual([[35, 40], [50, 60]]);
    expect(q.bytes).toBe(15);
    expect(q.evictions).toBe(0);
  });

  it('keeps finSeq for the caller; advance does not consume it; clear resets it', () => {
    const q = new ReassemblyQueue(4);
    q.add(100, 200, 50);
    q.finSeq = 250;
    expect(q.advance(200)).toBe(50);
    expect(q.advance(250)).toBe(0);
    expect(q.finSeq).toBe(250); // the caller sees finSeq === rcvNxt and takes the FIN
    q.finSeq = -1;
    expect(q.finSeq).toBe(-1);
    q.add(300, 400, 10);
    q.finSeq = 410;
    q.clear();
    expect(q.finSeq).toBe(-1);
    expect(q.count).toBe(0);
    expect(q.bytes).toBe(0);
    expect(q.holds(405)).toBe(false);
    expect(q.sackBlocks(new Uint32Array(8), 4)).toBe(0);
  });
});

describe('ReassemblyQueue policy when full', () => {
  it('a range closer to RCV.NXT evicts the farthest range; a farther one is refused', () => {
    const q = new ReassemblyQueue(2);
    const nxt = 0;
    expect(q.add(nxt, 100, 10)).toBe(true); // [100,110)
    expect(q.add(nxt, 300, 10)).toBe(true); // [300,310)
    // Farther than everything held: refused, nothing recorded.
    expect(q.add(nxt, 500, 10)).toBe(false);
    expect(q.refusals).toBe(1);
    expect(ranges(q)).toEqual([[100, 110], [300, 310]]);
    expect(q.holds(505)).toBe(false);
    // Between the two: the farthest ([300,310)) is evicted.
    expect(q.add(nxt, 200, 10)).toBe(true);
    expect(q.evictions).toBe(1);
    expect(ranges(q)).toEqual([[100, 110], [200, 210]]);
    expect(q.holds(305)).toBe(false);
    expect(q.bytes).toBe(20);
    // Before both: [200,210) goes.
    expect(q.add(nxt, 10, 5)).toBe(true);
    expect(q.evictions).toBe(2);
    expect(ranges(q)).toEqual([[10, 15], [100, 110]]);
    // Merging needs no slot: always accepted, even when full and far away.
    expect(q.add(nxt, 110, 1000)).toBe(true);
    expect(ranges(q)).toEqual([[10, 15], [100, 1110]]);
    expect(q.evictions).toBe(2);
    expect(q.refusals).toBe(1);
    // The most recent segment's block is first even after an eviction.
    expect(q.add(nxt, 50, 5)).toBe(true);
    expect(sack(q, 4)).toEqual([[50, 55], [10, 15]]);
    // clear() keeps the counters.
    q.clear();
    expect(q.evictions).toBe(3);
    expect(q.refusals).toBe(1);
  });

  it('with one range, only the nearest range is kept', () => {
    const q = new ReassemblyQueue(1);
    expect(q.add(0, 1000, 10)).toBe(true);
    expect(q.add(0, 2000, 10)).toBe(false);
    expect(q.add(0, 500, 10)).toBe(true);
    expect(ranges(q)).toEqual([[500, 510]]);
    expect(q.add(0, 510, 490)).toBe(true);
    expect(ranges(q)).toEqual([[500, 1000]]);
    expect(q.evictions).toBe(1);
    expect(q.refusals).toBe(1);
  });
});

describe('SACK blocks (RFC 2018)', () => {
  it('RFC 2018 §3 case 3: the 2nd, 4th, 6th and 8th of eight 500-byte segments are lost', () => {
    const q = new ReassemblyQueue(8);
    let rcvNxt = 5000;
    const receive = (seq: number): Array<[number, number]> => {
      if (seq === rcvNxt) {
        rcvNxt += 500;
        for (let k; (k = q.advance(rcvNxt)) > 0; ) rcvNxt += k;
      } else {
        expect(q.add(rcvNxt, seq, 500)).toBe(true);
      }
      return sack(q, 3); // three blocks fit next to timestamps (RFC 2018 §3)
    };
    expect(receive(5000)).toEqual([]);
    expect(rcvNxt).toBe(5500);
    expect(receive(6000)).toEqual([[6000, 6500]]);
    expect(receive(7000)).toEqual([[7000, 7500], [6000, 6500]]);
    expect(receive(8000)).toEqual([[8000, 8500], [7000, 7500], [6000, 6500]]);
    expect(rcvNxt).toBe(5500);
    // The 4th segment arrives out of order: two blocks, the one containing it first.
    expect(receive(6500)).toEqual([[6000, 7500], [8000, 8500]]);
    // Then the 2nd: the ACK moves to 7500 and one block remains.
    expect(receive(5500)).toEqual([[8000, 8500]]);
    expect(rcvNxt).toBe(7500);
  });

  it('orders blocks by most recent update, not by sequence', () => {
    const q = new ReassemblyQueue(8);
    const nxt = 0;
    q.add(nxt, 100, 10); // A
    q.add(nxt, 300, 10); // B
    q.add(nxt, 200, 10); // C
    q.add(nxt, 400, 10); // D
    expect(sack(q, 4)).toEqual([[400, 410], [200, 210], [300, 310], [100, 110]]);
    // A duplicate inside A makes A the most recent (the segment that triggers the ACK).
    q.add(nxt, 102, 3);
    expect(sack(q, 4)).toEqual([[100, 110], [400, 410], [200, 210], [300, 310]]);
    // Extending B.
    q.add(nxt, 310, 5);
    expect(sack(q, 4)).toEqual([[300, 315], [100, 110], [400, 410], [200, 210]]);
    // Bridging C and B: the merged range is the newest.
    q.add(nxt, 210, 90);
    expect(sack(q, 4)).toEqual([[200, 315], [100, 110], [400, 410]]);
    // Trimming by advance keeps a range's place.
    expect(q.advance(105)).toBe(5);
    expect(sack(q, 4)).toEqual([[200, 315], [105, 110], [400, 410]]);
    // A refused segment is not "most recent".
    const full = new ReassemblyQueue(1);
    full.add(0, 10, 5);
    expect(full.add(0, 100, 5)).toBe(false);
    expect(sack(full, 2)).toEqual([[10, 15]]);
  });

  it('limits the blocks to max and to the room in out', () => {
    const q = new ReassemblyQueue(8);
    for (let i = 0; i < 6; i++) q.add(0, 100 * (i + 1), 10);
    expect(sack(q, 3)).toEqual([[600, 610], [500, 510], [400, 410]]);
    expect(sack(q, 8).length).toBe(6);
    const small = new Uint32Array(5); // room for two blocks
    expect(q.sackBlocks(small, 4)).toBe(2);
    expect([...small]).toEqual([600, 610, 500, 510, 0]);
    expect(q.sackBlocks(new Uint32Array(8), 0)).toBe(0);
    expect(q.sackBlocks(new Uint32Array(8), -1)).toBe(0);
    expect(q.sackBlocks(new Uint32Array(8), Number.NaN)).toBe(0);
    expect(q.sackBlocks(new Uint32Array(8), 2.7)).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Model-based: every byte position is a plain integer that never wraps; the queue sees it modulo
// 2^32. The model holds a stamp per byte (0 = not held); an accepted add stamps its whole run, so
// a run's stamp is the time it was last updated, and the policy is restated in terms of runs.

interface Run {
  start: number;
  end: number;
  stamp: number;
}

class Model {
  private readonly stamps = new Map<number, number>();
  private clock = 0;
  private hi: number;
  evictions = 0;
  refusals = 0;

  constructor(
    public nxt: number,
    private readonly max: number,
  ) {
    this.hi = nxt;
  }

  has(u: number): boolean {
    return this.stamps.has(u);
  }

  bytes(): number {
    return this.stamps.size;
  }

  runs(): Run[] {
    const out: Run[] = [];
    let u = this.nxt;
    while (u < this.hi) {
      if (!this.stamps.has(u)) {
        u++;
        continue;
      }
      const start = u;
      const stamp = this.stamps.get(u)!;
      while (this.stamps.has(u)) {
        // A run is stamped as a whole (a check of the model itself).
        if (this.stamps.get(u) !== stamp) throw new Error(`model: run at ${start} has mixed stamps`);
        u++;
      }
      out.push({ start, end: u, stamp });
    }
    return out;
  }

  add(u: number, len: number): boolean {
    if (!(len >= 1) || u <= this.nxt) return false;
    const added: number[] = [];
    for (let x = u; x < u + len; x++) {
      if (!this.stamps.has(x)) {
        this.stamps.set(x, -1);
        added.push(x);
      }
    }
    this.hi = Math.max(this.hi, u + len);
    const runs = this.runs0();
    const mine = runs.findIndex((r) => r.start <= u && u < r.end);
    if (runs.length > this.max) {
      if (mine === runs.length - 1) {
        for (const x of added) this.stamps.delete(x);
        this.refusals++;
        return false;
      }
      const last = runs[runs.length - 1]!;
      for (let x = last.start; x < last.end; x++) this.stamps.delete(x);
      this.evictions++;
    }
    const t = ++this.clock;
    for (let x = runs[mine]!.start; x < runs[mine]!.end; x++) this.stamps.set(x, t);
    return true;
  }

  /** Runs without the stamp check (mid-update, the new bytes are not stamped yet). */
  private runs0(): Array<{ start: number; end: number }> {
    const out: Array<{ start: number; end: number }> = [];
    let u = this.nxt;
    while (u < this.hi) {
      if (!this.stamps.has(u)) {
        u++;
        continue;
      }
      const start = u;
      while (this.stamps.has(u)) u++;
      out.push({ start, end: u });
    }
    return out;
  }

  advanceTo(nxt: number): void {
    for (let x = this.nxt; x < nxt; x++) this.stamps.delete(x);
    this.nxt = Math.max(this.nxt, nxt);
    this.hi = Math.max(this.hi, this.nxt);
  }

  contiguous(): number {
    let n = 0;
    while (this.stamps.has(this.nxt + n)) n++;
    return n;
  }

  sack(max: number): Array<[number, number]> {
    return this.runs()
      .sort((a, b) => b.stamp - a.stamp)
      .slice(0, max)
      .map((r): [number, number] => [wrap(r.start), wrap(r.end)]);
  }
}

function checkAgainstModel(q: ReassemblyQueue, m: Model, rng: Rng): void {
  const runs = m.runs();
  expect(q.count).toBe(runs.length);
  expect(q.count).toBeLessThanOrEqual(q.maxRanges);
  expect(q.bytes).toBe(m.bytes());
  expect(ranges(q)).toEqual(runs.map((r) => [wrap(r.start), wrap(r.end)]));
  expect(q.evictions).toBe(m.evictions);
  expect(q.refusals).toBe(m.refusals);
  for (let i = 0; i < 12; i++) {
    const u = m.nxt - 5 + rng.below(1400);
    expect(q.holds(wrap(u))).toBe(m.has(u));
  }
  for (const r of runs) {
    for (const u of [r.start - 1, r.start, r.end - 1, r.end]) expect(q.holds(wrap(u))).toBe(m.has(u));
  }
  const max = 1 + rng.below(5);
  const blocks = sack(q, max);
  expect(blocks).toEqual(m.sack(max));
  // RFC 2018 §4 independently of the model: every block lies above the cumulative ACK.
  for (const [left, right] of blocks) {
    expect(seqGt(left, wrap(m.nxt))).toBe(true);
    expect(seqGt(right, left)).toBe(true);
  }
  expect(q.advance(wrap(m.nxt))).toBe(0); // at rest there is a hole at RCV.NXT
}

/** In-order data moved RCV.NXT to `nxt`: drain the queue as the connection will. */
function drain(q: ReassemblyQueue, m: Model, nxt: number): void {
  let u = nxt;
  m.advanceTo(u);
  for (;;) {
    const k = q.advance(wrap(u));
    expect(k).toBe(m.contiguous());
    if (k === 0) break;
    u += k;
    m.advanceTo(u);
    expect(q.advance(wrap(u))).toBe(0); // runs are maximal: nothing adjoins
  }
}

const WINDOW = 1200;

function runModel(seed: number, maxRanges: number, start: number, steps: number): void {
  const rng = new Rng(seed);
  const q = new ReassemblyQueue(maxRanges);
  const m = new Model(start, maxRanges);
  let accepted = 0;
  let rejectedInOrder = 0;
  for (let step = 0; step < steps; step++) {
    const r = rng.below(100);
    const nxt = m.nxt;
    if (r < 12) {
      // In-order or straddling data: refused by the queue, then RCV.NXT moves past it.
      const s = nxt - rng.below(40);
      const len = 1 + rng.below(rng.bool() ? 60 : 500);
      expect(q.add(wrap(nxt), wrap(s), len)).toBe(false);
      rejectedInOrder++;
      if (s + len > nxt) drain(q, m, s + len);
    } else if (r < 16) {
      // Old data, wholly below RCV.NXT.
      const len = 1 + rng.below(50);
      const s = nxt - len - rng.below(100);
      expect(q.add(wrap(nxt), wrap(s), len)).toBe(false);
    } else {
      let s: number;
      let len: number;
      const runs = m.runs();
      if (r < 40 && runs.length > 0) {
        // Relative to a held range: duplicate, inside, adjacent, overlapping, bridging.
        const run = runs[rng.below(runs.length)]!;
        const size = run.end - run.start;
        switch (rng.below(6)) {
          case 0:
            s = run.start;
            len = size;
            break;
          case 1:
            s = run.start + rng.below(size);
            len = 1 + rng.below(run.end - s);
            break;
          case 2:
            s = run.end;
            len = 1 + rng.below(60);
            break;
          case 3:
            len = 1 + rng.below(60);
            s = run.start - len;
            break;
          case 4:
            s = run.start - 1 - rng.below(30);
            len = run.end - s + 1 + rng.below(30);
            break;
          default: {
            const other = runs[rng.below(runs.length)]!;
            s = Math.min(run.start, other.start) + rng.below(20);
            len = Math.max(run.end, other.end) - s + rng.below(20);
          }
        }
      } else {
        s = nxt + 1 + rng.below(WINDOW);
        len = 1 + rng.below(rng.bool() ? 40 : 200);
      }
      if (len < 1) len = 1;
      const expected = m.add(s, len);
      expect(q.add(wrap(nxt), wrap(s), len)).toBe(expected);
      if (expected) {
        accepted++;
        // RFC 2018 §4: the first block contains the segment that triggered the ACK.
        const first = sack(q, 1)[0]!;
        expect(seqDiff(wrap(s), first[0])).toBeGreaterThanOrEqual(0);
        expect(seqDiff(first[1], wrap(s + len))).toBeGreaterThanOrEqual(0);
      }
    }
    checkAgainstModel(q, m, rng);
  }
  // The run exercised what it was meant to.
  expect(accepted).toBeGreaterThan(steps / 3);
  expect(rejectedInOrder).toBeGreaterThan(0);
  if (maxRanges <= 3) expect(q.evictions + q.refusals).toBeGreaterThan(0);
}

describe('ReassemblyQueue against a model', () => {
  const configs: Array<[number, number, number]> = [];
  const starts = [0xffffff00, 0xfffffc00, 0, 0x7fffff80, 0x12345678];
  const maxes = [1, 2, 3, 4, 8];
  for (let i = 0; i < 25; i++) configs.push([1000 + i, maxes[i % maxes.length]!, starts[i % starts.length]!]);

  it.each(configs)('seed %i, maxRanges %i, RCV.NXT from %i', (seed, maxRanges, start) => {
    runModel(seed, maxRanges, start, 300);
  });

  it('wraps the sequence space during a run', () => {
    // Sanity check of the harness: RCV.NXT starting at 0xffffff00 crosses 0 within 300 steps.
    const rng = new Rng(7);
    const q = new ReassemblyQueue(4);
    const m = new Model(0xffffff00, 4);
    let crossed = false;
    for (let step = 0; step < 300 && !crossed; step++) {
      const s = m.nxt + 1 + rng.below(300);
      expect(q.add(wrap(m.nxt), wrap(s), 50)).toBe(m.add(s, 50));
      drain(q, m, m.nxt + 100);
      checkAgainstModel(q, m, rng);
      crossed = m.nxt >= TWO32;
    }
    expect(crossed).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// The intended use: the receive side of a connection, a ByteRing driven by this queue.

interface Segment {
  start: number; // offset in the stream
  end: number;
  fin: boolean;
}

/** A receiver as the connection will be: ring + queue, RCV.NXT, FIN handling. */
class Receiver {
  readonly ring: ByteRing;
  readonly queue: ReassemblyQueue;
  rcvNxt: number;
  finReceived = false;
  readonly out: number[] = [];

  constructor(
    readonly irs: number,
    capacity: number,
    maxRanges: number,
  ) {
    this.ring = new ByteRing(capacity);
    this.queue = new ReassemblyQueue(maxRanges);
    this.rcvNxt = irs;
  }

  /** Segment text at `seq` (RFC 9293 §3.10.7.4), FIN after it when `fin`. */
  segment(seq: number, data: Uint8Array, fin: boolean): void {
    if (this.finReceived) return;
    const offset = seqDiff(seq, this.rcvNxt);
    const len = data.length;
    if (offset <= 0) {
      const trim = -offset;
      if (trim >= len && !(fin && trim === len)) return; // old duplicate
      const n = trim < len ? this.ring.write(data, trim, len - trim) : 0;
      this.rcvNxt = seqAdd(this.rcvNxt, n);
      if (fin && trim + n === len) this.queue.finSeq = this.rcvNxt;
      this.drain();
    } else {
      const stored = this.ring.writeAt(offset, data, 0, len);
      if (stored > 0) this.queue.add(this.rcvNxt, seq, stored);
      if (fin && stored === len) this.queue.finSeq = seqAdd(seq, len);
    }
  }

  private drain(): void {
    for (let k; (k = this.queue.advance(this.rcvNxt)) > 0; ) {
      expect(this.ring.commit(k)).toBe(k);
      this.rcvNxt = seqAdd(this.rcvNxt, k);
    }
    if (this.queue.finSeq === this.rcvNxt) {
      this.finReceived = true;
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
      this.queue.finSeq = -1;
    }
  }

  read(max: number): void {
    const buf = new Uint8Array(max);
    const n = this.ring.read(buf, 0, max);
    for (let i = 0; i < n; i++) this.out.push(buf[i]!);
  }
}

function reassemble(
  seed: number,
  capacity: number,
  maxRanges: number,
  irs: number,
  mss: number,
): { evictions: number; refusals: number } {
  const rng = new Rng(seed);
  const total = 20 * 1024;
  const stream = new Uint8Array(total);
  for (let i = 0; i < total; i++) stream[i] = rng.u32() & 0xff;

  // Cut into segments of 1..mss bytes, plus resegmented overlapping ranges.
  const segments: Segment[] = [];
  for (let at = 0; at < total; ) {
    const end = Math.min(total, at + 1 + rng.below(mss));
    segments.push({ start: at, end, fin: end === total });
    at = end;
  }
  for (let i = 0; i < 30; i++) {
    const start = rng.below(total);
    const end = Math.min(total, start + 1 + rng.below(2 * mss));
    segments.push({ start, end, fin: end === total });
  }

  const rx = new Receiver(irs, capacity, maxRanges);
  let delivered = 0;
  let rounds = 0;
  let violations = 0;
  while (!rx.finReceived) {
    expect(rounds++).toBeLessThan(2000);
    // The sender (re)sends what is not acknowledged yet, shuffled, with duplicates.
    const acked = seqDiff(rx.rcvNxt, irs);
    const batch = segments.filter((s) => s.end > acked || (s.fin && !rx.finReceived));
    const dups = batch.length === 0 ? 0 : rng.below(batch.length);
    for (let i = 0; i < dups; i++) batch.push(batch[rng.below(batch.length)]!);
    rng.shuffle(batch);
    for (const s of batch) {
      rx.segment(seqAdd(irs, s.start), stream.subarray(s.start, s.end), s.fin);
      delivered++;
      // Invariants the connection relies on: bounded, every range beyond RCV.NXT and inside the
      // ring's free area (counted here, asserted once at the end: expect() per segment is slow).
      if (rx.queue.count > maxRanges) violations++;
      for (let i = 0; i < rx.queue.count; i++) {
        if (!seqGt(rx.queue.rangeStart(i), rx.rcvNxt)) violations++;
        if (seqDiff(rx.queue.rangeEnd(i), rx.rcvNxt) > rx.ring.free) violations++;
      }
      // The application reads now and then.
      if (rng.below(4) === 0) rx.read(1 + rng.below(3000));
    }
    rx.read(capacity);
  }
  rx.read(capacity);
  expect(violations).toBe(0);
  expect(rx.rcvNxt).toBe(seqAdd(irs, total + 1)); // the data and the FIN
  expect(rx.out.length).toBe(total);
  expect(Uint8Array.from(rx.out)).toEqual(stream);
  expect(rx.queue.count).toBe(0);
  expect(rx.queue.bytes).toBe(0);
  expect(delivered).toBeGreaterThan(segments.length);
  return { evictions: rx.queue.evictions, refusals: rx.queue.refusals };
}

describe('ReassemblyQueue with a ByteRing', () => {
  const cases: Array<[number, number, number, number, number]> = [
    [1, 32768, 8, 0xfffffc00, 1460], // window larger than the stream; wraps mid-stream
    [2, 8192, 8, 0xffffff00, 1460],
    [3, 4096, 4, 0x7ffff000, 1460],
    [4, 2048, 2, 0xffffe000, 1460],
    [5, 8192, 1, 0, 1460],
    [6, 3000, 3, 0xfffff800, 1460], // capacity not a power of two
    [7, 32768, 4, 0xffffc000, 100], // many small segments: the queue fills
    [8, 8192, 2, 0xfffff000, 50],
    [9, 16384, 8, 0xffffd000, 200],
  ];
  let pressure = 0;
  it.each(cases)(
    'seed %i: ring %i bytes, %i ranges, IRS %i, segments up to %i bytes: a 20 KB stream reassembles byte-exactly',
    (seed, capacity, maxRanges, irs, mss) => {
      const { evictions, refusals } = reassemble(seed, capacity, maxRanges, irs, mss);
      pressure += evictions + refusals;
    },
  );
  it('the runs above exercised the policy when full', () => {
    expect(pressure).toBeGreaterThan(0);
  });

  it('a segment whose bytes were evicted is not committed from stale ring contents', () => {
    // One slot. The bytes of an evicted range stay in the ring but must not be used.
    const rx = new Receiver(1000, 4096, 1);
    const data = (fill: number, n: number): Uint8Array => new Uint8Array(n).fill(fill);
    rx.segment(1300, data(3, 100), false); // held [1300,1400)
    rx.segment(1100, data(2, 100), false); // closer: evicts [1300,1400)
    expect(rx.queue.holds(1350)).toBe(false);
    rx.segment(1000, data(1, 100), false); // in order: 1000..1200 now readable
    expect(rx.rcvNxt).toBe(1200);
    expect(rx.ring.length).toBe(200);
    // The hole [1200,1300) filled: the evicted bytes are not counted as received.
    rx.segment(1200, data(9, 100), false);
    expect(rx.rcvNxt).toBe(1300);
    rx.read(4096);
    expect(rx.out).toEqual([...data(1, 100), ...data(2, 100), ...data(9, 100)]);
  });
});
