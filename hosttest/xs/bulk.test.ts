// Acceptance: a 1 MiB transfer each way at once over a link losing 5 % of frames runs inside XS
// and gives exactly the figures Node gives for the same seed (bytes, SHA-256 digests, virtual
// times, TCP counters, link statistics: the whole result, compared by deep equality).

import { describe, expect, it } from 'vitest';
import { type BulkOptions, MiB, describeBulk, runBulk } from '../scenarios/bulk';
import { runInXs } from './runner';

describe('bulk transfer under XS', () => {
  it('moves 1 MiB each way through 5 % loss inside XS, identically to Node', async () => {
    const args: BulkOptions = {
      seed: 105, bytes: MiB, link: { delayMs: 1, loss: 0.05 },
      tcp: { sendBuffer: 64 * 1024, receiveBuffer: 64 * 1024 }, timeLimitMs: 600_000,
    };
    const run = await runInXs('hosttest/xs/scenarios/bulk.ts', { args, timeoutMs: 170_000 });
    expect(run.error).toBeUndefined();
    expect(run.ok).toBe(true);
    const node = runBulk(args);
    console.log(`[xs bulk] Node: ${describeBulk(node)}`);
    console.log(`[xs bulk] XS run took ${Math.round(run.timings.runMs)} ms of real time`);
    expect(run.result).toEqual(node);
    // The figures compared are those of a real transfer through real losses, delivered intact.
    expect(node.link.lost).toBeGreaterThan(0);
    expect(node.complete, describeBulk(node)).toBe(true);
    expect(node.aToB.receivedSha256).toBe(node.aToB.sentSha256);
    expect(node.bToA.receivedSha256).toBe(node.bToA.sentSha256);
  }, 180_000);
});
