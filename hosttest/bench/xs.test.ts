// Keeps `npm run bench -- xs` working (hosttest/bench/xs.ts) with a tiny run: one configuration
// under callgrind with 1, 2 and 4 segments, and two heap snapshots. No figures are judged here
// beyond sanity (counts positive, more work costs more); the benchmark prints and records them.
// Without valgrind the callgrind test is skipped, loudly, and counts as skipped, not passed.

import { describe, expect, it } from 'vitest';
import { ensureXsnap32 } from '../firmware/xsnap32';
import { xsnapWorkerPath } from '../xs/runner';
import { measureConfig, measureHeap } from './xs/measure';
import { callgrindMissing, parseCallgrind } from './xs/xs-run';

const missing = callgrindMissing();
if (missing !== null) console.warn(`[bench xs] skipping the callgrind measurement: ${missing}`);

function worker(): string {
  return ensureXsnap32().path ?? xsnapWorkerPath();
}

describe('bench xs', () => {
  it('reads self costs from callgrind output, leaving out the inclusive cost of calls', () => {
    const text = [
      'events: Ir',
      'fn=(1) fxRunID',
      '10 100',
      '+1 50',
      'cfn=(2) fxOrdinaryGetProperty',
      'calls=3 20',
      '11 999',
      "fn=(3) fxRunID'2",
      '12 7',
      'fn=(2)',
      '20 30',
      'summary: 187',
    ].join('\n');
    const r = parseCallgrind(text);
    expect(r.total).toBe(187);
    expect(r.selfByFunction.get('fxRunID')).toBe(157);
    expect(r.selfByFunction.get('fxOrdinaryGetProperty')).toBe(30);
    expect(r.callsByFunction.get('fxOrdinaryGetProperty')).toBe(3);
  });

  (missing === null ? it : it.skip)(
    missing === null ? 'counts instructions per segment inside XS, more segments costing more' : `skipped: ${missing}`,
    async () => {
      const r = await measureConfig(worker(), 'test', { setup: 'segment' }, [['segment', 1], ['segment-driver', 1]]);
      const seg = r.kinds.get('segment')!;
      expect(r.setupInstructions).toBeGreaterThan(0);
      expect(seg.phaseInstructions.every((x) => x > 0)).toBe(true);
      // 1, 2, 4 segments: each phase costs more than the one before.
      expect(seg.phaseInstructions[1]!).toBeGreaterThan(seg.phaseInstructions[0]!);
      expect(seg.phaseInstructions[2]!).toBeGreaterThan(seg.phaseInstructions[1]!);
      expect(seg.value).toBeGreaterThan(r.kinds.get('segment-driver')!.value);
      // The segments were received, read and ACKed (else a cheap figure would mean nothing).
      for (const p of seg.phases) {
        expect(p.bytesRead).toBe(1460 * p.n);
        expect(p.framesOut).toBe(p.n);
        expect(p.framesDropped).toBe(0);
      }
      expect(seg.byFunction.size).toBeGreaterThan(0);
    },
    120_000,
  );

  (missing === null ? it : it.skip)(
    missing === null ? 'runs the floor models on the accelerator stand-ins, each unit doing its work' : `skipped: ${missing}`,
    async () => {
      const both = { checksum: true, mac: true, copy: true };
      const seg = await measureConfig(worker(), 'floor', { setup: 'segment', accel: both }, [['floor', 2], ['segment-driver', 2]]);
      const floor = seg.kinds.get('floor')!;
      expect(floor.value).toBeGreaterThan(seg.kinds.get('segment-driver')!.value);
      for (const p of floor.phases) {
        expect(p.bytesRead).toBe(1460 * p.n);
        expect(p.framesOut).toBe(p.n / 2); // an ACK every second segment
      }
      const syn = await measureConfig(worker(), 'syn-floor', { setup: 'syn', mode: 'cookies', accel: both, synFill: 4 }, [['syn-floor', 2], ['syn-driver', 2]]);
      const synFloor = syn.kinds.get('syn-floor')!;
      expect(synFloor.value).toBeGreaterThan(syn.kinds.get('syn-driver')!.value);
      for (const p of synFloor.phases) expect(p.framesOut).toBe(p.n);
    },
    120_000,
  );

  it('measures more XS heap for more established connections', async () => {
    const small = await measureHeap(worker(), { connections: 1, buffer: 64, mode: 'cache' });
    const large = await measureHeap(worker(), { connections: 2, buffer: 64, mode: 'cache' });
    expect(small.result.established).toBe(1);
    expect(large.result.established).toBe(2);
    expect(small.bytes).toBeGreaterThan(0);
    expect(large.bytes).toBeGreaterThan(small.bytes);
  }, 60_000);
});
