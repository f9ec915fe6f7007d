import { describe, expect, it } from 'vitest';
import { RecorderNode, buildFrame, frameNumber, numberedFrame, testMac } from './fakes.js';
import { Simulator, type LinkOptions } from './simulator.js';

const A = testMac(1);
const B = testMac(2);

/** |observed - n p| within k standard deviations of a binomial(n, p). */
function expectBinomial(observed: number, n: number, p: number, k = 5): void {
  const sigma = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p), `observed ${observed}, expected ${n * p} ± ${k * sigma}`).toBeLessThanOrEqual(k * sigma);
}

/** A sends `count` numbered frames to B, one every `spacingMs` (0: all at t=0). */
function stream(options: LinkOptions, count: number, spacingMs: number, seed = 1, size = 64) {
  const sim = new Simulator({ seed });
  const link = sim.addLink(options);
  const a = sim.attach(link, A);
  const b = sim.attach(link, B);
  a.connect(new RecorderNode());
  const rx = b.connect(new RecorderNode());
  for (let i = 0; i < count; i++) {
    if (spacingMs === 0) a.send(numberedFrame(B, A, i, size));
    else sim.at(i * spacingMs, () => a.send(numberedFrame(B, A, i, size)));
  }
  return { sim, link, rx };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Everything observable about a run with every impairment on, two senders both ways. */
function trace(seed: number, chunkMs: number): string[] {
  const sim = new Simulator({ seed });
  const link = sim.addLink({
    delayMs: 3, jitterMs: 4, loss: 0.1, duplicate: 0.1, reorder: 0.1, reorderMs: 15, corrupt: 0.1,
    bandwidthBps: 2_000_000, queueFrames: 8,
  });
  const a = sim.attach(link, A);
  const b = sim.attach(link, B);
  a.connect(new RecorderNode());
  b.connect(new RecorderNode());
  const lines: string[] = [];
  link.tap((e) => {
    if (e.kind === 'deliver') lines.push(`${e.time} ${e.from.name}>${e.to?.name} ${hex(e.frame)}`);
    else lines.push(`${e.time} ${e.kind} ${e.from.name}`);
  });
  const r = sim.stream('traffic');
  for (let i = 0; i < 300; i++) {
    const from = r.chance(0.5) ? a : b;
    sim.at(r.int(1000), () => from.send(numberedFrame(from === a ? B : A, from.mac, i, 60 + r.int(400))));
  }
  for (let t = 0; t < 1200; t += chunkMs) sim.runFor(chunkMs);
  lines.push(JSON.stringify(link.stats));
  return lines;
}

describe('Link impairments', () => {
  it('is reproducible bit for bit from the seed, whatever the run chunking', () => {
    const first = trace(1234, 1200);
    expect(first.length).toBeGreaterThan(300);
    expect(trace(1234, 1200)).toEqual(first);
    expect(trace(1234, 7)).toEqual(first);
    expect(trace(1235, 1200)).not.toEqual(first);
  });

  it.each([0.05, 0.3])('loses frames at the configured rate %s (20,000 frames)', (loss) => {
    const n = 20_000;
    const { sim, link, rx } = stream({ loss, delayMs: 1 }, n, 0);
    sim.runFor(10);
    expectBinomial(link.stats.lost, n, loss);
    expect(link.stats.sent).toBe(n);
    expect(link.stats.transmitted).toBe(n);
    expect(rx.received.length).toBe(n - link.stats.lost);
    expect(link.stats.delivered).toBe(rx.received.length);
  });

  it('loses nothing at loss 0 and everything at loss 1', () => {
    const none = stream({}, 1000, 0);
    none.sim.runFor(1);
    expect(none.rx.received.length).toBe(1000);
    const all = stream({ loss: 1 }, 1000, 0);
    all.sim.runFor(1);
    expect(all.rx.received.length).toBe(0);
    expect(all.link.stats.lost).toBe(1000);
  });

  it('duplicates frames at the configured rate, and both copies arrive', () => {
    const n = 20_000;
    const { sim, link, rx } = stream({ duplicate: 0.1 }, n, 0);
    sim.runFor(1);
    expectBinomial(link.stats.duplicated, n, 0.1);
    expect(rx.received.length).toBe(n + link.stats.duplicated);
    const seen = new Map<number, number>();
    for (const r of rx.received) seen.set(frameNumber(r.frame), (seen.get(frameNumber(r.frame)) ?? 0) + 1);
    expect(seen.size).toBe(n);
    expect([...seen.values()].filter((c) => c === 2).length).toBe(link.stats.duplicated);
  });

  it('corrupts 1..8 bits after the Ethernet header, at the configured rate, and marks them', () => {
    const n = 20_000;
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink({ corrupt: 0.05 });
    const a = sim.attach(link, A);
    const rx = sim.attach(link, B).connect(new RecorderNode());
    // Every frame has the same content, so any difference is corruption.
    const payload = new Uint8Array(86);
    sim.stream('payload').bytes(payload);
    const pristine = buildFrame(B, A, payload);
    let marked = 0;
    let markedButPristine = 0;
    link.tap((e) => {
      if (e.kind !== 'deliver' || !e.corrupted) return;
      marked++;
      if (Buffer.compare(Buffer.from(pristine), Buffer.from(e.frame)) === 0) markedButPristine++;
    });
    for (let i = 0; i < n; i++) a.send(pristine);
    sim.runFor(1);
    expectBinomial(link.stats.corrupted, n, 0.05);
    let damaged = 0;
    let headerTouched = 0;
    const histogram = new Map<number, number>();
    for (const r of rx.received) {
      let bits = 0;
      for (let i = 0; i < pristine.length; i++) {
        let x = r.frame[i]! ^ pristine[i]!;
        if (x !== 0 && i < 14) headerTouched++;
        for (let k = 0; k < 8 && x !== 0; k++, x &= x - 1) bits++;
      }
      if (bits > 0) {
        damaged++;
        histogram.set(bits, (histogram.get(bits) ?? 0) + 1);
      }
    }
    expect(rx.received.length).toBe(n);
    expect(damaged).toBe(link.stats.corrupted);
    expect(marked).toBe(damaged);
    expect(markedButPristine).toBe(0);
    expect(headerTouched).toBe(0);
    // Flips are distinct bits, 1 to 8, about half of them single.
    expect(Math.max(...histogram.keys())).toBeLessThanOrEqual(8);
    expectBinomial(histogram.get(1) ?? 0, damaged, 0.5);
    expect(histogram.size).toBeGreaterThan(3);
  });

  it('reorders: held-back frames arrive after later ones', () => {
    const n = 2000;
    const { sim, link, rx } = stream({ delayMs: 5, reorder: 0.2, reorderMs: 20 }, n, 1);
    sim.runFor(n + 100);
    expect(rx.received.length).toBe(n);
    expectBinomial(link.stats.reordered, n, 0.2);
    const order = rx.received.map((r) => frameNumber(r.frame));
    let inversions = 0;
    for (let i = 1; i < order.length; i++) if (order[i]! < order[i - 1]!) inversions++;
    expect(inversions).toBeGreaterThan(100);
    // Held back at most reorderMs, so nothing arrives later than 5 + 20 ms after sending.
    for (const r of rx.received) {
      const lateness = r.time - frameNumber(r.frame);
      expect(lateness).toBeGreaterThanOrEqual(5);
      expect(lateness).toBeLessThanOrEqual(25);
    }
  });

  it('does not reorder without reorder or jitter (control)', () => {
    const { sim, rx } = stream({ delayMs: 5 }, 2000, 1);
    sim.runFor(2100);
    const order = rx.received.map((r) => frameNumber(r.frame));
    expect(order).toEqual([...order].sort((x, y) => x - y));
  });

  it('keeps jittered delays within [delay, delay + jitter] and spreads them', () => {
    const n = 2000;
    const { sim, rx } = stream({ delayMs: 10, jitterMs: 5 }, n, 10);
    sim.runFor(n * 10 + 100);
    const delays = new Set<number>();
    for (const r of rx.received) {
      const d = r.time - frameNumber(r.frame) * 10;
      expect(d).toBeGreaterThanOrEqual(10);
      expect(d).toBeLessThanOrEqual(15);
      delays.add(d);
    }
    expect(delays.size).toBeGreaterThanOrEqual(5);
  });

  it('turning on one impairment does not change another one’s choices', () => {
    const base = lostFrames({ loss: 0.1 });
    expect(base.length).toBeGreaterThan(100);
    expect(lostFrames({ loss: 0.1, corrupt: 0.3, duplicate: 0.2, jitterMs: 3, reorder: 0.3 })).toEqual(base);
    expect(lostFrames({ loss: 0.1 }, 78)).not.toEqual(base);
  });

  it('can be reconfigured mid-run (a partition)', () => {
    const { sim, link, rx } = stream({ delayMs: 1 }, 100, 1);
    sim.runFor(49); // frames 0..49 sent (runFor includes events at its end time)
    link.configure({ loss: 1 });
    sim.runFor(100);
    expect(rx.received.map((r) => frameNumber(r.frame))).toEqual([...Array(50).keys()]);
    expect(link.stats.lost).toBe(50);
    expect(link.impairments.loss).toBe(1);
    expect(() => link.configure({ loss: 2 })).toThrow(RangeError);
  });
});

/** Frame numbers lost on a link with `options`, tapping before any frame is sent. */
function lostFrames(options: LinkOptions, seed = 77): number[] {
  const sim = new Simulator({ seed });
  const link = sim.addLink(options);
  const a = sim.attach(link, A);
  sim.attach(link, B).connect(new RecorderNode());
  const lost: number[] = [];
  link.tap((e) => {
    if (e.kind === 'lost') lost.push(frameNumber(e.frame));
  });
  for (let i = 0; i < 2000; i++) a.send(numberedFrame(B, A, i));
  sim.runFor(100);
  return lost;
}

describe('Link bandwidth', () => {
  it('serialises frames back to back: 1250 B at 1 Mb/s take 10 ms each', () => {
    const { sim, rx } = stream({ bandwidthBps: 1_000_000, delayMs: 2 }, 10, 0, 1, 1250);
    sim.runFor(1000);
    expect(rx.received.map((r) => r.time)).toEqual([12, 22, 32, 42, 52, 62, 72, 82, 92, 102]);
  });

  it('accumulates no drift at a rate that does not divide evenly (1000-bit frames at 3 Mb/s)', () => {
    const n = 300;
    const { sim, rx } = stream({ bandwidthBps: 3_000_000 }, n, 0, 1, 125);
    sim.runFor(1000);
    // Frame k (1-based) finishes at k/3 ms and is delivered at the next integer ms.
    expect(rx.received.map((r) => r.time)).toEqual(Array.from({ length: n }, (_, i) => Math.ceil((i + 1) / 3)));
  });

  it('starts a new busy period when the port was idle', () => {
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink({ bandwidthBps: 1_000_000 });
    const a = sim.attach(link, A);
    const rx = sim.attach(link, B).connect(new RecorderNode());
    a.send(numberedFrame(B, A, 0, 1250));
    sim.at(50, () => a.send(numberedFrame(B, A, 1, 1250)));
    sim.at(55, () => a.send(numberedFrame(B, A, 2, 1250)));
    sim.runFor(200);
    expect(rx.received.map((r) => r.time)).toEqual([10, 60, 70]);
  });

  it('serialises each sending port independently', () => {
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink({ bandwidthBps: 1_000_000 });
    const a = sim.attach(link, A);
    const b = sim.attach(link, B);
    const rxA = a.connect(new RecorderNode());
    const rxB = b.connect(new RecorderNode());
    for (let i = 0; i < 3; i++) {
      a.send(numberedFrame(B, A, i, 1250));
      b.send(numberedFrame(A, B, i, 1250));
    }
    sim.runFor(100);
    expect(rxB.received.map((r) => r.time)).toEqual([10, 20, 30]);
    expect(rxA.received.map((r) => r.time)).toEqual([10, 20, 30]);
  });

  it('tail-drops beyond queueFrames and accepts again once the queue drains', () => {
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink({ bandwidthBps: 1_000_000, queueFrames: 5 });
    const a = sim.attach(link, A);
    const rx = sim.attach(link, B).connect(new RecorderNode());
    for (let i = 0; i < 8; i++) a.send(numberedFrame(B, A, i, 1250));
    expect(link.stats.queueDrops).toBe(3);
    expect(link.queuedFrames).toBe(5);
    sim.runFor(20); // two frames done
    expect(link.queuedFrames).toBe(3);
    a.send(numberedFrame(B, A, 100, 1250));
    a.send(numberedFrame(B, A, 101, 1250));
    a.send(numberedFrame(B, A, 102, 1250));
    expect(link.stats.queueDrops).toBe(4);
    sim.runFor(200);
    expect(rx.received.map((r) => frameNumber(r.frame))).toEqual([0, 1, 2, 3, 4, 100, 101]);
    expect(link.stats.transmitted).toBe(7);
    expect(link.stats.sent).toBe(11);
  });

  it('tail-drops beyond queueBytes', () => {
    const { sim, link, rx } = stream({ bandwidthBps: 1_000_000, queueBytes: 3000 }, 5, 0, 1, 1000);
    sim.runFor(100);
    expect(link.stats.queueDrops).toBe(2);
    expect(rx.received.length).toBe(3);
  });

  it('applies a new bandwidth to frames sent after the change', () => {
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink({ bandwidthBps: 1_000_000 });
    const a = sim.attach(link, A);
    const rx = sim.attach(link, B).connect(new RecorderNode());
    a.send(numberedFrame(B, A, 0, 1250)); // 0..10 at 1 Mb/s
    link.configure({ bandwidthBps: 2_000_000 });
    a.send(numberedFrame(B, A, 1, 1250)); // 10..15 at 2 Mb/s
    sim.runFor(100);
    expect(rx.received.map((r) => r.time)).toEqual([10, 15]);
  });
});
