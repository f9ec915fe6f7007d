// Acceptance: the ping scenario (ARP + 100 pings each way over 20 % loss) runs inside XS and gives
// exactly the figures Node gives for the same seed.

import { describe, expect, it } from 'vitest';
import { pingSummary, runPingScenario } from '../scenarios/ping';
import { runInXs } from './runner';

describe('ping scenario under XS', () => {
  it('completes inside XS with the same figures as under Node', async () => {
    const args = { seed: 20, loss: 0.2, pings: 100 };
    const run = await runInXs('hosttest/xs/scenarios/ping.ts', { args, timeoutMs: 50_000 });
    expect(run.error).toBeUndefined();
    expect(run.ok).toBe(true);
    const n = runPingScenario(args);
    expect(run.result).toEqual(pingSummary(n));
    expect(n.completed).toBe(true);
    expect(n.a.repliesReceived).toBe(100);
  }, 60_000);
});
