// A bulk transfer from a synstack client into a server under test (lwIP or synstack, servers.ts),
// both on one simulated link: the client connects, writes `bytes` of seeded content as its send
// buffer frees, shuts down; the server's application (discard) reads and counts, then closes
// after the FIN. The transfer is done when the server's FIN reaches the client, which proves the
// server read everything (its count is checked too).
//
// Figures: goodput in virtual time (payload bits / (server's FIN seen − connection established)),
// and the real cost: wall time, this process's CPU (client stack, simulator, and for synstack the
// server), and for lwIP the child's CPU.

import { Interface } from '../../src/iface/interface';
import type { Connection } from '../../src/tcp/connection';
import { parseIpv4Address } from '../../src/wire/ipv4';
import { Tcp } from '../../src/tcp/tcp';
import { Simulator, type LinkOptions } from '../sim/simulator';
import { type ServerKind, attachServer, serverName } from './servers';

export interface PeerBulkOptions {
  seed: number;
  server: ServerKind;
  bytes: number;
  link: LinkOptions;
  /** synstack server's rings (lwIP: its build's window). */
  serverBufferBytes: number;
  clientBufferBytes: number;
  timeLimitMs?: number;
}

export interface PeerBulkResult {
  server: string;
  complete: boolean;
  bytes: number;
  /** Bytes the server's application read. */
  serverRead: number;
  goodputMbps: number;
  virtualMs: number;
  wallMs: number;
  cpuMsThisProcess: number;
  /** The lwIP child's CPU (null for synstack, whose cost is in cpuMsThisProcess). */
  cpuMsLwip: number | null;
  frames: number;
  failures: string[];
}

const SERVER = parseIpv4Address('10.9.0.1');
const CLIENT = parseIpv4Address('10.9.0.2');
const PORT = 5001;

export function runPeerBulk(o: PeerBulkOptions): PeerBulkResult {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const sim = new Simulator({ seed: o.seed });
  const link = sim.addLink({ ...o.link, name: 'lan' });
  const server = attachServer(sim, { link, mac: new Uint8Array([2, 0x53, 0x59, 0x50, 0, 1]), address: SERVER, prefixLength: 24, gateway: 0 },
    o.server, { mode: 'discard', port: PORT, bufferBytes: o.serverBufferBytes }, o.seed);
  try {
    const port = sim.attach(link, new Uint8Array([2, 0x53, 0x59, 0x50, 0, 2]), { name: 'client' });
    const iface = new Interface({ device: port, clock: sim.clock, entropy: sim.entropy('client'), address: CLIENT, prefixLength: 24 });
    const tcp = new Tcp(iface, {
      entropy: sim.entropy('tcp-client'),
      config: { connections: 2, sendBuffer: o.clientBufferBytes, receiveBuffer: o.clientBufferBytes },
    });
    port.connect(iface);
    const lwipCpu0 = server.memory(sim.now).lwip?.cpuUs ?? null;

    const content = sim.stream('bulk-content');
    const chunk = new Uint8Array(16384);
    let chunkUsed = chunk.length;
    let sent = 0, connectedAt = -1, finAt = -1, shut = false;
    const failures: string[] = [];
    const pump = (c: Connection): void => {
      // Bounded: each turn writes at least one byte or stops.
      while (sent < o.bytes) {
        if (chunkUsed === chunk.length) {
          content.bytes(chunk);
          chunkUsed = 0;
        }
        const want = Math.min(chunk.length - chunkUsed, o.bytes - sent);
        const n = c.write(chunk, chunkUsed, want);
        chunkUsed += n;
        sent += n;
        if (n < want) break;
      }
      if (sent === o.bytes && !shut) {
        shut = true;
        c.shutdown();
      }
    };
    const conn = tcp.connect(SERVER, PORT, {
      onConnected: (c) => {
        connectedAt = sim.now;
        pump(c);
      },
      onWritable: (c) => pump(c),
      onPeerClosed: (c) => {
        finAt = sim.now;
        c.close();
      },
      onError: (_c, failure) => failures.push(failure),
    });
    if (typeof conn === 'string') failures.push(`connect:${conn}`);
    sim.runWhile(() => finAt < 0 && failures.length === 0, o.timeLimitMs ?? 600_000);
    const serverRead = server.bytesReceived(sim.now);
    const lwipCpu1 = server.memory(sim.now).lwip?.cpuUs ?? null;
    const cpu = process.cpuUsage(cpu0);
    const complete = finAt >= 0 && failures.length === 0 && serverRead === o.bytes;
    return {
      server: serverName(o.server),
      complete,
      bytes: o.bytes,
      serverRead,
      goodputMbps: complete && finAt > connectedAt ? Math.round(((o.bytes * 8) / ((finAt - connectedAt) / 1000) / 1e6) * 100) / 100 : 0,
      virtualMs: sim.now,
      wallMs: Math.round(performance.now() - wall0),
      cpuMsThisProcess: Math.round((cpu.user + cpu.system) / 1000),
      cpuMsLwip: lwipCpu0 === null || lwipCpu1 === null ? null : Math.round((lwipCpu1 - lwipCpu0) / 1000),
      frames: link.stats.transmitted,
      failures,
    };
  } finally {
    server.close();
  }
}
