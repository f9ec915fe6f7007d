// Acceptance: the 1,000-connection TCP scenario runs inside XS with exactly the figures Node gets.

import { describe, expect, it } from 'vitest';
import { runEcho } from '../scenarios/tcp-echo';
import { runInXs } from './runner';

describe('TCP echo scenario under XS', () => {
  it('opens, echoes and closes 1,000 connections inside XS, identically to Node', async () => {
    const args = { seed: 1000, connections: 1000, bytes: 1024 };
    const run = await runInXs('hosttest/xs/scenarios/tcp-echo.ts', { args, timeoutMs: 170_000 });
    expect(run.error).toBeUndefined();
    expect(run.ok).toBe(true);
    const node = runEcho(args);
    expect(run.result).toEqual(node);
    expect(node.echoedOk).toBe(1000);
    expect([node.endBlocksA, node.endBlocksB, node.endTimeWaitA, node.endTimeWaitB, node.idle]).toEqual([0, 0, 0, 0, true]);
    console.log(`XS: 1000 connections in ${run.timings.runMs} ms of real time`);
  }, 180_000);
});
