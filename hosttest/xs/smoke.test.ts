// The XS runner itself: a scenario really runs in XS and computes what Node computes, and every way
// a scenario can go wrong comes back as ok=false with a useful error.

import { describe, expect, it } from 'vitest';
import { silentLog } from '../../src/platform';
import { runInXs } from './runner';

// Node's side of the smoke scenario, written independently of scenarios/smoke.ts.
function nodeBytes(seed: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

function nodeSum(bytes: Buffer, offset: number, length: number, initial: number): number {
  const padded = Buffer.concat([bytes.subarray(offset, offset + length), Buffer.alloc(length % 2)]);
  let sum = initial;
  for (let i = 0; i < padded.length; i += 2) {
    sum += padded.readUInt16BE(i);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return sum;
}

describe('XS runner', () => {
  for (const { seed, length } of [
    { seed: 7, length: 1501 },
    { seed: 0xdeadbeef, length: 64 },
  ]) {
    it(`runs the smoke scenario in XS with the answers Node gets (seed ${seed}, ${length} bytes)`, async () => {
      const run = await runInXs('hosttest/xs/scenarios/smoke.ts', { args: { seed, length }, timeoutMs: 4000 });
      expect(run.error).toBeUndefined();
      expect(run.ok).toBe(true);
      const data = nodeBytes(seed, length);
      expect(run.result).toEqual({
        // Only XS has print and issueCommand without process or Buffer, and says "undefined
        // variable" where V8 says "is not defined": this did not run in Node.
        engine: { print: 'function', issueCommand: 'function', process: 'undefined', buffer: 'undefined' },
        undeclared: expect.stringMatching(/^ReferenceError: .*undeclaredInBothEngines: undefined variable$/),
        silentLogEnabled: silentLog.enabled('error'),
        example: 0xddf2, // RFC 1071 §3
        whole: nodeSum(data, 0, length, 0),
        oddTail: nodeSum(data, 1, length - 2, 0),
        chained: nodeSum(data, 0, length, 0),
        u32be: data.readUInt32BE(3),
        u32le: data.readUInt32LE(7),
      });
      expect(run.output).toEqual([`checksummed ${length} bytes`, 'and 2 words via print']);
    });
  }

  it('reports a throwing scenario as failed, with its message and a stack into the .ts file', async () => {
    const run = await runInXs('hosttest/xs/fixtures/throws.ts', { timeoutMs: 4000 });
    expect(run.ok).toBe(false);
    expect(run.result).toBeUndefined();
    expect(run.output).toEqual(['before the throw']);
    expect(run.error).toContain('RangeError: fixture exploded: on purpose');
    expect(run.error).toContain('at explode (hosttest/xs/fixtures/throws.ts:6)');
  });

  it('kills a scenario that exceeds its time limit and says so', async () => {
    const run = await runInXs('hosttest/xs/fixtures/loops.ts', { timeoutMs: 300 });
    expect(run.ok).toBe(false);
    expect(run.error).toMatch(/^timed out after 300 ms; xsnap-worker killed/);
    expect(run.timings.runMs).toBeGreaterThanOrEqual(300);
  });

  it('fails a scenario that never reports a result', async () => {
    const run = await runInXs('hosttest/xs/fixtures/silent.ts', { timeoutMs: 4000 });
    expect(run.ok).toBe(false);
    expect(run.output).toEqual(['I ran but forgot to report']);
    expect(run.error).toBe('the scenario finished without reporting a result');
  });

  it('fails a scenario that reports twice', async () => {
    const run = await runInXs('hosttest/xs/fixtures/twice.ts', { timeoutMs: 4000 });
    expect(run.ok).toBe(false);
    expect(run.error).toBe('report() called more than once');
  });

  it('refuses to bundle a scenario that imports a Node built-in', async () => {
    const run = await runInXs('hosttest/xs/fixtures/imports-node.ts', { timeoutMs: 4000 });
    expect(run.ok).toBe(false);
    expect(run.error).toMatch(/^bundle failed: .*Could not resolve "node:fs"/);
  });

  it('fails a scenario that uses a Node global, because XS does not have it', async () => {
    const run = await runInXs('hosttest/xs/fixtures/node-global.ts', { timeoutMs: 4000 });
    expect(run.ok).toBe(false);
    expect(run.error).toMatch(/^ReferenceError: .*process/);
    expect(run.error).toContain('hosttest/xs/fixtures/node-global.ts:5');
  });

  it('runs promise jobs: an async scenario reports after awaiting', async () => {
    const run = await runInXs('hosttest/xs/fixtures/async.ts', { args: { mode: 'resolve' }, timeoutMs: 4000 });
    expect(run.error).toBeUndefined();
    expect(run).toMatchObject({ ok: true, result: 42, output: ['after await: 21'] });
  });

  it('fails an async scenario whose promise rejects', async () => {
    const run = await runInXs('hosttest/xs/fixtures/async.ts', { args: { mode: 'reject' }, timeoutMs: 4000 });
    expect(run.ok).toBe(false);
    expect(run.error).toContain('Error: rejected after 21');
  });

  it('fails a scenario that leaves a promise rejection unhandled, even after reporting', async () => {
    const run = await runInXs('hosttest/xs/fixtures/async.ts', { args: { mode: 'unhandled' }, timeoutMs: 4000 });
    expect(run.result).toBe(42);
    expect(run.ok).toBe(false);
    expect(run.error).toContain('nobody handles this');
  });
});
