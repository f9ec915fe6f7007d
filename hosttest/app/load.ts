// The status server's acceptance load: N concurrent keep-alive clients on one client host, each
// pipelining two GET /bytes/B in one write, then (once both are in) a third with
// `Connection: close`, every body checked byte for byte as it arrives. The clients start
// `spacingMs` apart, and the link is rate-limited, so all of them are connected and transferring
// at once. Reports plain JSON of simulated figures only (portable: vitest and XS).

import { type HttpWorldOptions, get, httpWorld } from './harness';
import type { ClientResponse, HttpClient } from './http-client';

export interface LoadOptions {
  seed: number;
  clients: number;
  /** Bytes per /bytes response. */
  bytes: number;
  spacingMs?: number;
  /** Link bit rate (default 100 Mb/s) and transmit queue (default 1000 frames). */
  bandwidthBps?: number;
  queueFrames?: number;
  serverSendBuffer?: number;
  clientReceiveBuffer?: number;
  timeLimitMs?: number;
  /** Server options (e.g. chunk, socketOptions). */
  server?: HttpWorldOptions['server'];
}

export interface LoadResult {
  clients: number;
  responses: number;
  /** Responses that were 200 with Content-Length = bytes, complete, and matched byte for byte. */
  verified: number;
  bodyBytes: number;
  mismatchedBytes: number;
  /** Clients that got all three responses and then saw the server close. */
  completed: number;
  /** Clients whose connection ended some other way. */
  failed: number;
  /** Most HTTP connections open at the server at once (sampled every simulated 10 ms). */
  peakServerConnections: number;
  virtualMs: number;
  server: { accepted: number; refused: number; requests: number; timedOut: number; peerClosed: number };
  serverTcp: { segmentsOut: number; retransmits: number; fastRetransmits: number; timeouts: number };
  clientTcp: { segmentsOut: number; retransmits: number };
  synDefence: { cacheHits: number; cookiesAccepted: number; acceptQueueOverflows: number };
  linkQueueDrops: number;
  endServerBlocks: number;
  endClientBlocks: number;
}

export function loadWorldOptions(o: LoadOptions): HttpWorldOptions {
  const n = o.clients;
  return {
    seed: o.seed,
    link: { delayMs: 1, bandwidthBps: o.bandwidthBps ?? 100e6, queueFrames: o.queueFrames ?? 1000 },
    // Blocks for every client plus room for stragglers; TIME-WAIT for every server-closed connection.
    serverTcp: {
      connections: n + 8, sendBuffer: o.serverSendBuffer ?? 16 * 1024, receiveBuffer: 2048, timeWaitEntries: n + 8,
      synDefence: { entries: 2 * n, buckets: 64 },
    },
    clientTcp: { connections: n + 8, sendBuffer: 2048, receiveBuffer: o.clientReceiveBuffer ?? 16 * 1024, timeWaitEntries: n + 8 },
    server: { maxConnections: n + 8, ...o.server },
    backlog: 64,
  };
}

export function runLoad(o: LoadOptions): LoadResult {
  const w = httpWorld(loadWorldOptions(o));
  const { sim, server } = w;
  const clients: HttpClient[] = [];
  let completed = 0;
  let failed = 0;
  let verified = 0;
  let responses = 0;
  let bodyBytes = 0;
  let mismatchedBytes = 0;
  const request = get(`/bytes/${o.bytes}`);
  const check = (r: ClientResponse) => {
    responses++;
    bodyBytes += r.received;
    if (r.mismatches > 0) mismatchedBytes += r.mismatches;
    if (r.status === 200 && r.contentLength === o.bytes && r.received === o.bytes && r.mismatches === 0) verified++;
  };
  const spacing = o.spacingMs ?? 1;
  for (let i = 0; i < o.clients; i++) {
    sim.at(i * spacing, () => {
      const c = w.client({
        onResponse: (r, client) => {
          check(r);
          if (client.responses.length === 2) client.send(get(`/bytes/${o.bytes}`, 'Connection: close\r\n'));
        },
        onClose: (client) => {
          if (client.responses.length === 3 && client.pendingBytes === 0 && client.failure === null) completed++;
          else failed++;
        },
      });
      c.send(request + request);
      clients.push(c);
    });
  }
  let peak = 0;
  const sample = (): void => {
    peak = Math.max(peak, server.stats.connections);
    if (completed + failed < o.clients) sim.after(10, sample);
  };
  sim.after(10, sample);
  w.runWhile(() => completed + failed < o.clients, o.timeLimitMs ?? 600_000);
  const virtualMs = sim.now;
  // Let the last FINs and ACKs settle (no TIME-WAIT wait: blocks are freed on entering it).
  sim.runFor(1000);
  const st = server.stats;
  const stc = w.serverStack.tcp.counters;
  const ctc = w.clientStack.tcp.counters;
  const sd = w.serverStack.tcp.synDefenceStatus().counters;
  return {
    clients: o.clients, responses, verified, bodyBytes, mismatchedBytes, completed, failed,
    peakServerConnections: peak, virtualMs,
    server: { accepted: st.accepted, refused: st.refused, requests: st.requests, timedOut: st.timedOut, peerClosed: st.peerClosed },
    serverTcp: { segmentsOut: stc.segmentsOut, retransmits: stc.retransmits, fastRetransmits: stc.fastRetransmits, timeouts: stc.timeouts },
    clientTcp: { segmentsOut: ctc.segmentsOut, retransmits: ctc.retransmits },
    synDefence: { cacheHits: sd.cacheHits, cookiesAccepted: sd.cookiesAccepted, acceptQueueOverflows: sd.acceptQueueOverflows },
    linkQueueDrops: sim.links[0]!.stats.queueDrops,
    endServerBlocks: w.serverStack.tcp.activeConnections,
    endClientBlocks: w.clientStack.tcp.activeConnections,
  };
}
