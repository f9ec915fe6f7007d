// One client fetch from the status server, as a scenario both Node and XS run: the client asks
// for / and then, on the same keep-alive connection, /bytes/N, and closes. The result is plain
// JSON of simulated figures only (statuses, headers, the whole HTML page, the byte check, the
// times, the server's and the stacks' counters), so a run inside XS compares with a run under
// Node by deep equality. Portable: no Node modules.

import { get, httpWorld } from './harness';
import type { ClientResponse } from './http-client';

export interface FetchOptions {
  seed: number;
  /** N of /bytes/N (default 4096). */
  bytes?: number;
}

export interface FetchResult {
  responses: {
    status: number;
    headers: Record<string, string>;
    received: number;
    /** The body (for /), or '' for /bytes content, which is checked instead. */
    body: string;
    mismatches: number;
    headAt: number;
    doneAt: number;
  }[];
  clientClosed: boolean;
  server: Record<string, number>;
  serverSegmentsOut: number;
  clientSegmentsOut: number;
  virtualMs: number;
}

export function runFetch(o: FetchOptions): FetchResult {
  const bytes = o.bytes ?? 4096;
  const w = httpWorld({
    seed: o.seed,
    serverTcp: { connections: 4, sendBuffer: 4096, receiveBuffer: 2048 },
    clientTcp: { connections: 4, sendBuffer: 2048, receiveBuffer: 4096 },
    server: { maxConnections: 4 },
  });
  const c = w.client({
    onResponse: (_r, client) => {
      if (client.responses.length === 1) client.send(get(`/bytes/${bytes}`));
      else client.close();
    },
  });
  c.send(get('/'));
  w.runWhile(() => !c.closed, 10_000);
  const virtualMs = w.sim.now;
  // Let the server see the close.
  w.sim.runFor(500);
  const pick = (r: ClientResponse) => ({
    status: r.status, headers: r.headers, received: r.received, body: r.body, mismatches: r.mismatches,
    headAt: r.headAt, doneAt: r.doneAt,
  });
  return {
    responses: c.responses.map(pick),
    clientClosed: c.closed,
    server: { ...w.server.stats },
    serverSegmentsOut: w.serverStack.tcp.counters.segmentsOut,
    clientSegmentsOut: w.clientStack.tcp.counters.segmentsOut,
    virtualMs,
  };
}
