// Acceptance: the HTTP status server (app/status-server.ts) runs inside XS and gives exactly the
// figures Node gives for the same seed: one client's fetch of / and /bytes/4096 (statuses,
// headers, the HTML page, bytes, times, counters), and the 200-client keep-alive load.

import { describe, expect, it } from 'vitest';
import { runFetch } from '../app/fetch';
import { runLoad } from '../app/load';
import { runInXs } from './runner';

describe('status server under XS', () => {
  it('serves / and /bytes/4096 to one client inside XS, identically to Node', async () => {
    const args = { seed: 419, bytes: 4096 };
    const run = await runInXs('hosttest/xs/scenarios/status-server.ts', { args: { kind: 'fetch', ...args }, timeoutMs: 20_000 });
    expect(run.error).toBeUndefined();
    expect(run.ok).toBe(true);
    const node = runFetch(args);
    expect(run.result).toEqual(node);
    // What was compared is a real exchange: a page of figures, then 4,096 bytes checked one by one.
    expect(node.responses.map((r) => [r.status, r.received, r.mismatches])).toEqual([
      [200, node.responses[0]!.received, -1], [200, 4096, 0],
    ]);
    expect(node.responses[0]!.received).toBeGreaterThan(500);
    expect(node.responses[0]!.body).toContain('<h2>synCache</h2>');
    expect(node.responses[0]!.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(node.server).toMatchObject({ accepted: 1, requests: 2, responses2xx: 2, connections: 0 });
    console.log(`[xs status-server] fetch: XS run ${Math.round(run.timings.runMs)} ms real, ${node.virtualMs} ms simulated`);
  }, 30_000);

  it('serves 200 concurrent keep-alive clients (3 x /bytes/65536 each) inside XS, identically to Node', async () => {
    const args = { seed: 200, clients: 200, bytes: 65536 };
    const run = await runInXs('hosttest/xs/scenarios/status-server.ts', { args: { kind: 'load', ...args }, timeoutMs: 170_000 });
    expect(run.error).toBeUndefined();
    expect(run.ok).toBe(true);
    const node = runLoad(args);
    expect(run.result).toEqual(node);
    expect(node).toMatchObject({ responses: 600, verified: 600, mismatchedBytes: 0, completed: 200, failed: 0, peakServerConnections: 200 });
    console.log(`[xs status-server] load: XS run ${Math.round(run.timings.runMs)} ms real, ${node.virtualMs} ms simulated`);
  }, 180_000);
});
