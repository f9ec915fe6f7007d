// N connections between two synstack hosts: A connects to B's echo service, writes `bytes`
// bytes, reads them back and checks them; then half of the connections are closed by the client
// first and half by the server first. The scenario runs until both stacks are idle and reports
// what an acceptance test checks: every connection echoed and ended, both tables empty, no timer
// left. Portable (vitest and XS).

import type { Connection } from '../../src/tcp/connection';
import type { Listener } from '../../src/tcp/listener';
import { ADDR_B, type Host, twoStacks } from './two-stacks';

export interface EchoOptions {
  seed: number;
  connections: number;
  bytes: number;
  /** Gap between successive connects (ms). */
  spacingMs?: number;
  loss?: number;
}

export interface EchoResult {
  opened: number;
  echoedOk: number;
  echoedBad: number;
  failures: number;
  closedByClient: number;
  closedByServer: number;
  /** Blocks in use and TIME-WAIT entries at the end, per host. */
  endBlocksA: number;
  endBlocksB: number;
  endTimeWaitA: number;
  endTimeWaitB: number;
  /** Both interfaces report no pending timer, and the simulator went idle. */
  idle: boolean;
  timeWaitEnteredA: number;
  timeWaitEnteredB: number;
  virtualMs: number;
  segments: number;
  /** Most blocks in use at once on each side (sanity: bounded by the table). */
  peakBlocksA: number;
  peakBlocksB: number;
}

const PORT = 7;

function content(i: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let k = 0; k < n; k++) b[k] = (k * 13 + i * 7) & 0xff;
  return b;
}

export function runEcho(o: EchoOptions): EchoResult {
  const n = o.connections;
  const t = twoStacks({
    seed: o.seed,
    link: { loss: o.loss ?? 0, delayMs: 1 },
    tcp: { connections: n, timeWaitEntries: n, sendBuffer: Math.max(2048, o.bytes), receiveBuffer: Math.max(2048, o.bytes), listeners: 1 },
  });
  const { sim, a, b } = t;
  const r: EchoResult = {
    opened: 0, echoedOk: 0, echoedBad: 0, failures: 0, closedByClient: 0, closedByServer: 0,
    endBlocksA: 0, endBlocksB: 0, endTimeWaitA: 0, endTimeWaitB: 0, idle: false,
    timeWaitEnteredA: 0, timeWaitEnteredB: 0, virtualMs: 0, segments: 0, peakBlocksA: 0, peakBlocksB: 0,
  };

  // Server: echo everything; close first on the odd-numbered connections (the client says which
  // in its first byte's low bit, so both sides agree without shared state).
  const serve = (c: Connection) => {
    let seen = 0;
    let closesFirst = false;
    let closed = false;
    const close = (conn: Connection) => {
      if (!closed) {
        closed = true;
        conn.close();
      }
    };
    c.handler = {
      onReadable: (conn) => {
        const buf = new Uint8Array(conn.readable);
        conn.read(buf);
        if (seen === 0 && buf.length > 0) closesFirst = (buf[0]! & 1) === 1;
        seen += buf.length;
        conn.write(buf);
        if (seen >= o.bytes && closesFirst) {
          r.closedByServer++;
          close(conn);
        }
      },
      onPeerClosed: (conn) => close(conn),
      onError: () => { r.failures++; },
    };
  };
  const listener = b.tcp.listen(PORT, {
    backlog: n,
    handler: {
      onConnection: (l: Listener) => {
        for (let c = l.accept(); c !== null; c = l.accept()) serve(c);
      },
    },
  });
  if (typeof listener === 'string') throw new Error(`listen: ${listener}`);

  const client = (i: number) => {
    const data = content(i, o.bytes);
    // The first byte's low bit says who closes first: even i → client, odd i → server.
    data[0] = (data[0]! & 0xfe) | (i & 1);
    let got = 0;
    let bad = false;
    const conn = a.tcp.connect(ADDR_B, PORT, {
      onConnected: (c) => {
        r.opened++;
        c.write(data);
      },
      onReadable: (c) => {
        const buf = new Uint8Array(c.readable);
        c.read(buf);
        for (let k = 0; k < buf.length; k++) if (buf[k] !== data[got + k]) bad = true;
        got += buf.length;
        if (got >= o.bytes) {
          if (bad) r.echoedBad++;
          else r.echoedOk++;
          if ((i & 1) === 0) {
            r.closedByClient++;
            c.close();
          }
        }
      },
      onPeerClosed: (c) => {
        if ((i & 1) === 1) c.close();
      },
      onError: () => { r.failures++; },
    });
    if (typeof conn === 'string') r.failures++;
  };
  const spacing = o.spacingMs ?? 1;
  for (let i = 0; i < n; i++) sim.at(i * spacing, () => client(i));

  const track = (h: Host, key: 'peakBlocksA' | 'peakBlocksB') => { r[key] = Math.max(r[key], h.tcp.activeConnections); };
  // Run in slices so the peaks are sampled; bounded by the slice count.
  for (let s = 0; s < 10_000; s++) {
    if (sim.runUntilIdle(1000)) {
      r.idle = true;
      break;
    }
    track(a, 'peakBlocksA');
    track(b, 'peakBlocksB');
  }
  r.endBlocksA = a.tcp.activeConnections;
  r.endBlocksB = b.tcp.activeConnections;
  r.endTimeWaitA = a.tcp.timeWait.count;
  r.endTimeWaitB = b.tcp.timeWait.count;
  r.idle = r.idle && a.iface.nextDeadline() === Infinity && b.iface.nextDeadline() === Infinity;
  r.timeWaitEnteredA = a.tcp.counters.timeWaitEntered;
  r.timeWaitEnteredB = b.tcp.counters.timeWaitEntered;
  r.virtualMs = sim.now;
  r.segments = t.trace.length;
  return r;
}
