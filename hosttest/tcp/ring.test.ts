// ByteRing: the fixed-capacity send/receive buffer of a TCP connection (src/tcp/ring.ts).
// A randomized model-based test against a plain-array model, then the edge cases one by one.

import { describe, expect, it } from 'vitest';
import { ByteRing } from '../../src/tcp/ring';

/** xorshift32, seeded; deterministic so a failure reproduces from its seed. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

const SENTINEL = 0xa5;
const UNKNOWN = -1; // a byte made readable by commit() without ever being staged: any value will do

/**
 * The model: the readable bytes as an array, and the staged bytes past the end (writeAt) as a
 * sparse array indexed by distance from the end. Nothing physical (no head, no wrap) is modelled.
 */
class Model {
  readable: number[] = [];
  ahead: number[] = [];
  constructor(readonly capacity: number) {}
  get free(): number {
    return this.capacity - this.readable.length;
  }
  stage(off: number, bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.ahead[off + i] = bytes[i]!;
  }
  /** Move k staged bytes (holes become UNKNOWN) to the readable end. */
  commit(k: number): void {
    for (let i = 0; i < k; i++) {
      const v = this.ahead[i];
      this.readable.push(v === undefined ? UNKNOWN : v);
    }
    this.ahead = this.ahead.slice(k);
  }
}

/** Bytes a copy will move: the request clipped to each limit, and 0 for a bad request. */
function expectedCount(length: number, ...limits: number[]): number {
  if (!(length > 0)) return 0;
  let n = Math.floor(length);
  for (const l of limits) n = Math.min(n, Math.max(0, l));
  return n;
}

function room(size: number, offset: number): number {
  return offset >= 0 && offset < size ? size - offset : 0;
}

/**
 * Every readable byte of the ring equals the model (UNKNOWN bytes are skipped). Compares in plain
 * code and asserts once: an `expect` per byte would make thousands of steps slow.
 */
function checkContents(ring: ByteRing, model: Model): void {
  expect(ring.length).toBe(model.readable.length);
  expect(ring.free).toBe(model.free);
  expect(ring.capacity).toBe(model.capacity);
  const all = new Uint8Array(ring.capacity + 3).fill(SENTINEL);
  expect(ring.peek(0, all, 1, ring.capacity + 2)).toBe(model.readable.length);
  checkCopied(all, 1, model.readable.length, model.readable, 0);
}

/** dst[dstOffset, dstOffset + n) holds model bytes from `from`; everything else is SENTINEL. */
function checkCopied(dst: Uint8Array, dstOffset: number, n: number, expected: number[], from: number): void {
  let bad = -1;
  for (let i = 0; i < dst.length && bad < 0; i++) {
    if (i >= dstOffset && i < dstOffset + n) {
      const v = expected[from + i - dstOffset]!;
      if (v !== UNKNOWN && dst[i] !== v) bad = i;
    } else if (dst[i] !== SENTINEL) {
      bad = i;
    }
  }
  expect(bad, `first wrong byte in dst (copied [${dstOffset}, ${dstOffset + n}))`).toBe(-1);
}

/** A size for an operation: biased towards 0, 1, exactly `limit`, and just past it. */
function pickSize(rng: Rng, limit: number, capacity: number): number {
  switch (rng.below(10)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return limit;
    case 3: return limit + 1 + rng.below(capacity + 1);
    case 4: return rng.below(3) === 0 ? -1 - rng.below(5) : capacity;
    default: return rng.below(limit + 2);
  }
}

/** Runs `ops` random operations on a ring and the model side by side; returns op counts. */
function runModel(capacity: number, seed: number, ops: number): Record<string, number> {
  const rng = new Rng(seed);
  const ring = new ByteRing(capacity);
  const model = new Model(capacity);
  const counts: Record<string, number> = {};
  for (let step = 0; step < ops; step++) {
    const op = rng.below(100);
    let name: string;
    if (op < 22) {
      name = 'write';
      const length = pickSize(rng, model.free, capacity);
      const src = rng.bytes(rng.below(capacity + 4));
      const srcOffset = rng.below(8) === 0 ? src.length + rng.below(3) : rng.below(Math.min(src.length, 3) + 1);
      const n = expectedCount(length, model.free, room(src.length, srcOffset));
      expect(ring.write(src, srcOffset, length)).toBe(n);
      const bytes = Array.from(src.subarray(srcOffset, srcOffset + n));
      model.stage(0, bytes);
      model.commit(n);
    } else if (op < 34) {
      name = 'writeAt';
      const off = rng.below(4) === 0 ? model.free + rng.below(3) : rng.below(model.free + 1);
      const length = pickSize(rng, Math.max(0, model.free - off), capacity);
      const src = rng.bytes(rng.below(capacity + 4));
      const srcOffset = rng.below(Math.min(src.length, 3) + 1);
      const n = off >= model.free ? 0 : expectedCount(length, model.free - off, room(src.length, srcOffset));
      expect(ring.writeAt(off, src, srcOffset, length)).toBe(n);
      model.stage(off, Array.from(src.subarray(srcOffset, srcOffset + n)));
    } else if (op < 44) {
      name = 'commit';
      const k = pickSize(rng, model.ahead.length, capacity);
      const n = expectedCount(k, model.free);
      expect(ring.commit(k)).toBe(n);
      model.commit(n);
    } else if (op < 62) {
      name = 'peek';
      const off = rng.below(4) === 0 ? model.readable.length + rng.below(3) : rng.below(model.readable.length + 1);
      const length = pickSize(rng, Math.max(0, model.readable.length - off), capacity);
      const dst = new Uint8Array(rng.below(capacity + 4)).fill(SENTINEL);
      const dstOffset = rng.below(8) === 0 ? dst.length + rng.below(2) : rng.below(Math.min(dst.length, 3) + 1);
      const n = off >= model.readable.length
        ? 0
        : expectedCount(length, model.readable.length - off, room(dst.length, dstOffset));
      expect(ring.peek(off, dst, dstOffset, length)).toBe(n);
      checkCopied(dst, dstOffset, n, model.readable, off);
    } else if (op < 80) {
      name = 'consume';
      const k = pickSize(rng, model.readable.length, capacity);
      const n = expectedCount(k, model.readable.length);
      expect(ring.consume(k)).toBe(n);
      model.readable.splice(0, n);
    } else if (op < 99) {
      name = 'read';
      const length = pickSize(rng, model.readable.length, capacity);
      const dst = new Uint8Array(rng.below(capacity + 4)).fill(SENTINEL);
      const dstOffset = rng.below(Math.min(dst.length, 3) + 1);
      const n = expectedCount(length, model.readable.length, room(dst.length, dstOffset));
      expect(ring.read(dst, dstOffset, length)).toBe(n);
      checkCopied(dst, dstOffset, n, model.readable, 0);
      model.readable.splice(0, n);
    } else {
      name = 'clear';
      ring.clear();
      model.readable = [];
      model.ahead = [];
    }
    counts[name] = (counts[name] ?? 0) + 1;
    checkContents(ring, model);
  }
  return counts;
}

describe('ByteRing against an array model (randomized, seeded)', () => {
  // Powers of two and not; 1460 is an Ethernet MSS, 1 and 2 make every operation wrap.
  const capacities = [1, 2, 3, 5, 7, 8, 13, 16, 64, 100, 255, 256, 1000, 1024, 1460];
  for (const capacity of capacities) {
    for (const seed of [1, 0xdecafbad]) {
      it(`capacity ${capacity}, seed ${seed}: 3000 mixed operations agree with the model`, () => {
        const counts = runModel(capacity, seed ^ capacity, 3000);
        // Every kind of operation actually ran.
        for (const name of ['write', 'writeAt', 'commit', 'peek', 'consume', 'read']) {
          expect(counts[name] ?? 0).toBeGreaterThan(50);
        }
      });
    }
  }

  it('the random sizes reach full, empty and wrapped states (the model test is not vacuous)', () => {
    // Drive a small ring the way the model test does and watch for the states that matter.
    const rng = new Rng(77);
    const ring = new ByteRing(7);
    let sawFull = 0;
    let sawWrappedPeek = 0;
    let written = 0;
    let consumed = 0;
    for (let i = 0; i < 2000; i++) {
      written += ring.write(rng.bytes(7), 0, rng.below(9));
      if (ring.free === 0) sawFull++;
      // The physical start is consumed % 7; a peek of everything wraps when start + length > 7.
      if ((consumed % 7) + ring.length > 7) sawWrappedPeek++;
      consumed += ring.consume(rng.below(9));
    }
    expect(written - consumed).toBe(ring.length);
    expect(sawFull).toBeGreaterThan(100);
    expect(sawWrappedPeek).toBeGreaterThan(100);
  });
});

function filled(n: number, first = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (first + i) & 0xff;
  return b;
}

function peekAll(ring: ByteRing): number[] {
  const out = new Uint8Array(ring.length);
  expect(ring.peek(0, out, 0, ring.length)).toBe(ring.length);
  return Array.from(out);
}

describe('ByteRing construction', () => {
  it('rejects a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new ByteRing(bad)).toThrow(RangeError);
    }
  });

  it('starts empty with all of its capacity free', () => {
    const ring = new ByteRing(10);
    expect(ring.capacity).toBe(10);
    expect(ring.length).toBe(0);
    expect(ring.free).toBe(10);
  });

  it("moves every byte through the platform's copy when given one (Accelerators.copy), in at most two spans", () => {
    const calls: number[] = [];
    const ring = new ByteRing(10, (src, so, dst, d, n) => {
      calls.push(n);
      for (let i = 0; i < n; i++) dst[d + i] = src[so + i]!;
    });
    expect(ring.write(Uint8Array.of(1, 2, 3, 4, 5, 6, 7), 0, 7)).toBe(7);
    const out = new Uint8Array(5);
    expect(ring.read(out, 0, 5)).toBe(5);
    expect(ring.write(Uint8Array.of(8, 9, 10, 11, 12, 13), 0, 6)).toBe(6); // wraps
    const all = new Uint8Array(8);
    expect(ring.read(all, 0, 8)).toBe(8);
    expect([...out, ...all]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(calls).toEqual([7, 5, 3, 3, 5, 3]);
  });
});

describe('ByteRing edge cases', () => {
  it('zero-length operations move nothing and change nothing', () => {
    const ring = new ByteRing(8);
    ring.write(filled(5), 0, 5);
    ring.consume(3); // head at 3, two bytes held
    const dst = new Uint8Array(4).fill(SENTINEL);
    expect(ring.write(filled(4), 0, 0)).toBe(0);
    expect(ring.writeAt(1, filled(4), 0, 0)).toBe(0);
    expect(ring.commit(0)).toBe(0);
    expect(ring.peek(0, dst, 0, 0)).toBe(0);
    expect(ring.read(dst, 0, 0)).toBe(0);
    expect(ring.consume(0)).toBe(0);
    expect(Array.from(dst)).toEqual([SENTINEL, SENTINEL, SENTINEL, SENTINEL]);
    expect(ring.length).toBe(2);
    expect(peekAll(ring)).toEqual([4, 5]);
  });

  it('operations on an empty ring move nothing', () => {
    const ring = new ByteRing(4);
    const dst = new Uint8Array(4).fill(SENTINEL);
    expect(ring.peek(0, dst, 0, 4)).toBe(0);
    expect(ring.read(dst, 0, 4)).toBe(0);
    expect(ring.consume(4)).toBe(0);
    expect(Array.from(dst)).toEqual([SENTINEL, SENTINEL, SENTINEL, SENTINEL]);
    expect(ring.length).toBe(0);
  });

  it('a full ring accepts nothing more, from write, writeAt or commit', () => {
    const ring = new ByteRing(6);
    expect(ring.write(filled(6), 0, 6)).toBe(6);
    expect(ring.free).toBe(0);
    expect(ring.write(filled(1, 99), 0, 1)).toBe(0);
    expect(ring.writeAt(0, filled(1, 99), 0, 1)).toBe(0);
    expect(ring.commit(1)).toBe(0);
    expect(ring.length).toBe(6);
    expect(peekAll(ring)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('write of more than free accepts only the free bytes, the first ones', () => {
    const ring = new ByteRing(10);
    ring.write(filled(7), 0, 7);
    ring.consume(4); // 3 held, 7 free, the free area wraps
    expect(ring.write(filled(12, 50), 0, 12)).toBe(7);
    expect(ring.free).toBe(0);
    expect(peekAll(ring)).toEqual([5, 6, 7, 50, 51, 52, 53, 54, 55, 56]);
  });

  it('write is also limited by the bytes the source has from its offset', () => {
    const ring = new ByteRing(10);
    const src = filled(5);
    expect(ring.write(src, 2, 8)).toBe(3);
    expect(ring.write(src, 5, 1)).toBe(0); // offset at the end
    expect(ring.write(src, 9, 1)).toBe(0); // offset past the end
    expect(peekAll(ring)).toEqual([3, 4, 5]);
  });

  it('peek beyond the held bytes copies only what is there, from the offset', () => {
    const ring = new ByteRing(8);
    ring.write(filled(8), 0, 8);
    ring.consume(5);
    ring.write(filled(3, 20), 0, 3); // held: 6 7 8 20 21 22, wrapping at physical index 8
    const dst = new Uint8Array(10).fill(SENTINEL);
    expect(ring.peek(2, dst, 1, 9)).toBe(4);
    expect(Array.from(dst)).toEqual([SENTINEL, 8, 20, 21, 22, SENTINEL, SENTINEL, SENTINEL, SENTINEL, SENTINEL]);
    expect(ring.peek(6, dst, 0, 1)).toBe(0); // offset == length
    expect(ring.peek(7, dst, 0, 1)).toBe(0); // offset > length
    expect(ring.length).toBe(6); // peek consumes nothing
  });

  it('peek and read are limited by the room in the destination and never write outside it', () => {
    const ring = new ByteRing(8);
    ring.write(filled(6), 0, 6);
    const dst = new Uint8Array(5).fill(SENTINEL);
    expect(ring.peek(1, dst, 3, 6)).toBe(2);
    expect(Array.from(dst)).toEqual([SENTINEL, SENTINEL, SENTINEL, 2, 3]);
    expect(ring.peek(0, dst, 5, 1)).toBe(0);
    expect(ring.read(dst, 9, 1)).toBe(0);
    expect(ring.read(dst, 0, 6)).toBe(5);
    expect(ring.length).toBe(1);
    expect(peekAll(ring)).toEqual([6]);
  });

  it('consume of more than is held is clamped: it discards everything and says how much', () => {
    const ring = new ByteRing(5);
    ring.write(filled(3), 0, 3);
    expect(ring.consume(10)).toBe(3);
    expect(ring.length).toBe(0);
    expect(ring.free).toBe(5);
    // The ring still works after being emptied at an odd position.
    expect(ring.write(filled(5, 40), 0, 5)).toBe(5);
    expect(peekAll(ring)).toEqual([40, 41, 42, 43, 44]);
  });

  it('negative, NaN and fractional arguments never throw and never move bytes they should not', () => {
    const ring = new ByteRing(6);
    const src = filled(6);
    const dst = new Uint8Array(6).fill(SENTINEL);
    expect(ring.write(src, 0, -3)).toBe(0);
    expect(ring.write(src, -1, 3)).toBe(0);
    expect(ring.write(src, 0, Number.NaN)).toBe(0);
    expect(ring.writeAt(-1, src, 0, 2)).toBe(0);
    expect(ring.writeAt(Number.NaN, src, 0, 2)).toBe(0);
    expect(ring.commit(-2)).toBe(0);
    expect(ring.length).toBe(0);
    expect(ring.write(src, 0, 2.7)).toBe(2);
    expect(ring.peek(-1, dst, 0, 2)).toBe(0);
    expect(ring.peek(0, dst, -1, 2)).toBe(0);
    expect(ring.peek(0, dst, 0, Number.NaN)).toBe(0);
    expect(ring.consume(-1)).toBe(0);
    expect(ring.consume(Number.NaN)).toBe(0);
    expect(ring.read(dst, 0, -5)).toBe(0);
    expect(Array.from(dst)).toEqual(new Array(6).fill(SENTINEL));
    expect(ring.consume(1.9)).toBe(1);
    expect(peekAll(ring)).toEqual([2]);
  });

  it('capacity 1 holds one byte at a time through many wraps', () => {
    const ring = new ByteRing(1);
    const dst = new Uint8Array(1);
    for (let i = 0; i < 10; i++) {
      expect(ring.write(Uint8Array.of(i, 99), 0, 2)).toBe(1);
      expect(ring.write(Uint8Array.of(99), 0, 1)).toBe(0);
      expect(ring.free).toBe(0);
      expect(ring.peek(0, dst, 0, 1)).toBe(1);
      expect(dst[0]).toBe(i);
      expect(ring.read(dst, 0, 1)).toBe(1);
      expect(dst[0]).toBe(i);
      expect(ring.length).toBe(0);
    }
    // writeAt at distance 0 then commit, and distance 1 is outside the free area.
    expect(ring.writeAt(1, Uint8Array.of(7), 0, 1)).toBe(0);
    expect(ring.writeAt(0, Uint8Array.of(7, 8), 0, 2)).toBe(1);
    expect(ring.length).toBe(0);
    expect(ring.commit(2)).toBe(1);
    expect(peekAll(ring)).toEqual([7]);
  });

  it('a write that ends exactly at the physical end, then one that starts at index 0', () => {
    const ring = new ByteRing(5);
    ring.write(filled(3), 0, 3);
    ring.consume(3); // head and tail at index 3
    expect(ring.write(filled(2, 10), 0, 2)).toBe(2); // fills indexes 3, 4
    expect(ring.write(filled(3, 20), 0, 3)).toBe(3); // fills 0, 1, 2
    expect(peekAll(ring)).toEqual([10, 11, 20, 21, 22]);
    const dst = new Uint8Array(5);
    expect(ring.read(dst, 0, 5)).toBe(5);
    expect(Array.from(dst)).toEqual([10, 11, 20, 21, 22]);
  });
});

describe('ByteRing staging past the end (writeAt + commit, for reassembly)', () => {
  it('staged bytes are not readable until committed', () => {
    const ring = new ByteRing(10);
    expect(ring.writeAt(3, filled(2, 30), 0, 2)).toBe(2);
    expect(ring.length).toBe(0);
    expect(ring.free).toBe(10);
    const dst = new Uint8Array(5).fill(SENTINEL);
    expect(ring.peek(0, dst, 0, 5)).toBe(0);
    // Fill the gap in order, then commit the staged part.
    expect(ring.write(filled(3, 1), 0, 3)).toBe(3);
    expect(ring.commit(2)).toBe(2);
    expect(peekAll(ring)).toEqual([1, 2, 3, 30, 31]);
  });

  it('writeAt is bounded by the free area: the part at or past `free` is not stored', () => {
    const ring = new ByteRing(8);
    ring.write(filled(3), 0, 3); // 5 free
    expect(ring.writeAt(5, filled(1), 0, 1)).toBe(0);
    expect(ring.writeAt(9, filled(1), 0, 1)).toBe(0);
    expect(ring.writeAt(2, filled(6, 60), 0, 6)).toBe(3);
    // The readable bytes were not overwritten by the clipped part.
    expect(peekAll(ring)).toEqual([1, 2, 3]);
    expect(ring.commit(10)).toBe(5); // clipped to free; offsets 0, 1 were never staged
    expect(peekAll(ring).slice(0, 3)).toEqual([1, 2, 3]);
    expect(peekAll(ring).slice(5)).toEqual([60, 61, 62]);
  });

  it('writeAt and commit across the wrap point', () => {
    const ring = new ByteRing(10);
    ring.write(filled(8), 0, 8);
    ring.consume(7); // head at 7, one byte (8) held, tail at 8
    // Stage 6 bytes at distance 1: physical 9, 0, 1, 2, 3, 4 (wraps after the first).
    expect(ring.writeAt(1, filled(6, 100), 0, 6)).toBe(6);
    // Stage 2 bytes at distance 7: physical 5, 6, the last of the free area.
    expect(ring.writeAt(7, filled(2, 200), 0, 2)).toBe(2);
    expect(ring.writeAt(9, filled(1), 0, 1)).toBe(0); // free is 9: distance 9 is outside
    // The gap at distance 0 (physical 8) is filled in order; that write lands exactly there.
    expect(ring.write(Uint8Array.of(50), 0, 1)).toBe(1);
    // Staged offsets shifted down by one: the staged run is now at distances 0..7.
    expect(ring.commit(8)).toBe(8);
    expect(ring.free).toBe(0);
    expect(peekAll(ring)).toEqual([8, 50, 100, 101, 102, 103, 104, 105, 200, 201]);
    const dst = new Uint8Array(10);
    expect(ring.read(dst, 0, 10)).toBe(10);
    expect(Array.from(dst)).toEqual([8, 50, 100, 101, 102, 103, 104, 105, 200, 201]);
  });

  it('staged bytes survive consume and read (offsets are relative to the end)', () => {
    const ring = new ByteRing(6);
    ring.write(filled(4), 0, 4); // 2 free
    expect(ring.writeAt(1, Uint8Array.of(77), 0, 1)).toBe(1);
    const dst = new Uint8Array(3);
    expect(ring.read(dst, 0, 3)).toBe(3);
    ring.consume(1); // empty now; the end did not move
    expect(ring.writeAt(4, Uint8Array.of(88), 0, 1)).toBe(1); // free is 6 now: room further out
    expect(ring.write(Uint8Array.of(66), 0, 1)).toBe(1);
    expect(ring.commit(4)).toBe(4);
    const all = peekAll(ring);
    expect(all[0]).toBe(66);
    expect(all[1]).toBe(77);
    expect(all[4]).toBe(88);
  });

  it('write overwrites staged bytes at the start of the free area (write == writeAt(0) + commit)', () => {
    const ring = new ByteRing(4);
    expect(ring.writeAt(0, Uint8Array.of(1, 2, 3), 0, 3)).toBe(3);
    expect(ring.write(Uint8Array.of(9), 0, 1)).toBe(1);
    expect(ring.commit(2)).toBe(2);
    expect(peekAll(ring)).toEqual([9, 2, 3]);
  });

  it('clear empties the ring', () => {
    const ring = new ByteRing(4);
    ring.write(filled(3), 0, 3);
    ring.consume(2);
    ring.clear();
    expect(ring.length).toBe(0);
    expect(ring.free).toBe(4);
    expect(ring.write(filled(4, 10), 0, 4)).toBe(4);
    expect(peekAll(ring)).toEqual([10, 11, 12, 13]);
  });
});

describe('ByteRing as the TCP engine uses it', () => {
  it('send buffer: append, transmit by offset, retransmit from SND.UNA, discard on ACK', () => {
    const ring = new ByteRing(1000); // not a power of two
    const app = new Rng(5).bytes(5000);
    let appSent = 0; // bytes of `app` accepted by the ring
    let sndUna = 0; // stream offset of the first unacknowledged byte (stands in for SND.UNA)
    let sndNxt = 0;
    const rng = new Rng(6);
    const seg = new Uint8Array(1460 + 54);
    while (sndUna < app.length) {
      appSent += ring.write(app, appSent, rng.below(700));
      // Transmit up to two segments of at most 536 bytes from SND.NXT.
      for (let k = 0; k < 2; k++) {
        const n = ring.peek(sndNxt - sndUna, seg, 54, 1 + rng.below(536));
        for (let i = 0; i < n; i++) expect(seg[54 + i]).toBe(app[sndNxt + i]);
        sndNxt += n;
      }
      if (rng.below(5) === 0) sndNxt = sndUna; // timeout: go back to SND.UNA (RFC 6298 §5.4)
      const acked = rng.below(sndNxt - sndUna + 1);
      expect(ring.consume(acked)).toBe(acked);
      sndUna += acked;
      expect(ring.length).toBe(appSent - sndUna);
    }
    expect(appSent).toBe(app.length);
    expect(ring.length).toBe(0);
  });

  it('receive buffer: in-order and out-of-order segments, read by the application', () => {
    const ring = new ByteRing(700);
    const stream = new Rng(8).bytes(20000);
    const rng = new Rng(9);
    const frame = new Uint8Array(2000);
    let rcvNxt = 0; // stream offset of the next in-order byte
    // Staged ranges past rcvNxt, as stream offsets [start, end); kept sorted and merged.
    let staged: Array<[number, number]> = [];
    const got: number[] = [];
    let guard = 0;
    while (got.length < stream.length && guard++ < 100000) {
      // A segment somewhere in the window (the window is `free`), copied into a frame at offset 40.
      const start = rcvNxt + rng.below(ring.free + 1);
      const len = Math.min(1 + rng.below(300), stream.length - start);
      if (len > 0) {
        frame.set(stream.subarray(start, start + len), 40);
        if (start === rcvNxt) {
          const n = ring.write(frame, 40, len);
          rcvNxt += n;
        } else {
          const n = ring.writeAt(start - rcvNxt, frame, 40, len);
          if (n > 0) staged.push([start, start + n]);
        }
        // Commit staged ranges the in-order edge has reached.
        staged.sort((a, b) => a[0] - b[0]);
        for (const [s, e] of staged) {
          if (s <= rcvNxt && e > rcvNxt) rcvNxt += ring.commit(e - rcvNxt);
        }
        staged = staged.filter(([, e]) => e > rcvNxt);
      }
      const dst = new Uint8Array(1 + rng.below(400));
      const n = ring.read(dst, 0, dst.length);
      for (let i = 0; i < n; i++) got.push(dst[i]!);
      expect(ring.length).toBe(rcvNxt - got.length);
    }
    expect(got.length).toBe(stream.length);
    expect(Buffer.from(got).equals(Buffer.from(stream))).toBe(true);
  });
});
