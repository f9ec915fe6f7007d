// Acceptance: a reduced SYN flood (10 clients × 10 legitimate connections, 2,000 spoofed SYN/s for
// 10 s) runs inside XS and gives exactly the figures Node gives for the same seed: the whole
// result (legitimate outcomes, connect-time percentiles, half-open samples, SYN-defence and TCP
// counters, router drops, virtual time, event count), compared by deep equality. Once with the
// default defence (SYN cache, cookies on overflow) and once cookies-only, so both the cache and
// the cookie engine (HalfSipHash, the cookie encoding) are checked in the engine the ESP32 runs.

import { describe, expect, it } from 'vitest';
import { type SynFloodOptions, describeSynFlood, runSynFlood } from '../scenarios/synflood';
import { runInXs } from './runner';

const BASE: SynFloodOptions = { seed: 2_000, durationMs: 10_000, floodRate: 2_000, clients: 10, connectionsPerClient: 10 };

async function compare(args: SynFloodOptions, label: string): Promise<void> {
  const run = await runInXs('hosttest/xs/scenarios/synflood.ts', { args, timeoutMs: 170_000 });
  expect(run.error).toBeUndefined();
  expect(run.ok).toBe(true);
  const node = runSynFlood(args);
  console.log(`[xs synflood] ${label}: ${describeSynFlood(node)}; XS run ${Math.round(run.timings.runMs)} ms of real time`);
  expect(run.result).toEqual(node);
  // The figures compared are those of a real flood and real traffic.
  expect(node.flood.synsSent).toBe(20_000);
  expect(node.legit.attempted).toBe(100);
  expect(node.legit.completed).toBeGreaterThan(0);
}

describe('SYN flood under XS', () => {
  it('default SYN defence: identical to Node', async () => {
    await compare(BASE, 'default defence');
  }, 180_000);

  it('cookies only: identical to Node', async () => {
    await compare({ ...BASE, synDefence: { mode: 'cookies' } }, 'cookies only');
  }, 180_000);
});
