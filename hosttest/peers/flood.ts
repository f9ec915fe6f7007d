// The SYN-flood scenario with the server pluggable: lwIP (Debian's build or ESP-IDF's defaults) or
// synstack (any SYN-defence mode) at 10.0.0.1, same topology, same flood, same clients, same seed.
//
//   clients 100.64.N.2/10 ──WAN (1 % loss, 10 ms)── router ──LAN (1 ms)── server 10.0.0.1/24
//                                                                          flooder (on the LAN)
//
// It follows hosttest/scenarios/synflood.ts (whose flooder, addresses and application it reuses)
// with one difference: every legitimate connection has `giveUpMs` to complete (connect, send the
// 16-byte request, receive the 4,096-byte answer intact and the FIN), after which it is aborted
// and counted failed, and the flood lasts until the last connection's time is up. So every
// attempt is made under the flood: a server whose half-open slots free only when the flood stops
// cannot pass by being retried after it.
//
// Memory is sampled every `sampleMs` (what is measured depends on the server, see servers.ts):
// at the start, at the end of the flood, and the largest sample.

import { Interface } from '../../src/iface/interface';
import type { ConnectionHandler } from '../../src/tcp/connection';
import { Tcp } from '../../src/tcp/tcp';
import { Router } from '../sim/router';
import { Simulator } from '../sim/simulator';
import {
  REQUEST_BYTES, RESPONSE_BYTES, ROUTER_LAN_ADDR, ROUTER_WAN_ADDR, SERVER_ADDR, SERVER_PORT, type ResponseCheck, SynFlooder, SynTemplate, clientAddress, readResponse, writeRequest,
} from '../scenarios/synflood';
import { type ServerKind, type ServerMemory, attachServer, serverName } from './servers';

export interface PeerFloodOptions {
  seed: number;
  server: ServerKind;
  /** Spoofed SYNs per second (0: baseline). */
  floodRate: number;
  /** Legitimate connections start at seeded random moments in [0, windowMs). */
  windowMs: number;
  /** Each legitimate connection is aborted and counted failed after this long (default 10 s). */
  giveUpMs?: number;
  clients?: number;
  connectionsPerClient?: number;
  loss?: number;
  sampleMs?: number;
}

export interface MemorySample {
  t: number;
  bytes: number;
  halfOpen: number;
  blocks: number;
}

export interface PeerFloodResult {
  server: string;
  floodRate: number;
  windowMs: number;
  giveUpMs: number;
  /** How long the flood lasted (windowMs + giveUpMs). */
  floodMs: number;
  legit: {
    attempted: number;
    completed: number;
    successPct: number;
    connected: number;
    /** Failures by cause: 'gave-up' (time ran out), 'short', 'corrupt', or the stack's failure. */
    failures: Record<string, number>;
  };
  /** connect() → onConnected, virtual ms, sorted ascending (for a CDF). */
  connectSamples: number[];
  connectMs: { p50: number; p99: number; max: number };
  flood: { synsSent: number; synAcksFromServer: number };
  memory: {
    measure: ServerMemory['measure'];
    start: number;
    endOfFlood: number;
    max: number;
    /** endOfFlood − start. */
    growth: number;
    halfOpenMax: number;
    blocksMax: number;
    samples: MemorySample[];
  };
  /** lwIP only: the child's CPU over the run (µs), its PCB census and pools at the end of the flood. */
  lwip: { cpuUs: number; pcbsAtEndOfFlood: unknown; acceptsPending: number | null; listenBacklog: number | null; memp: unknown } | null;
  virtualMs: number;
  events: number;
  realMs: number;
}

const mac = (group: number, hi: number, lo: number) => new Uint8Array([0x02, 0x53, 0x59, group, hi, lo]);
const MAC_SERVER = mac(0x4e, 0x00, 0x01);
const MAC_ROUTER_LAN = mac(0x4e, 0xfe, 0x01);
const MAC_ROUTER_WAN = mac(0x4e, 0xfe, 0x02);
const MAC_FLOODER = mac(0x4e, 0xfd, 0x01);

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return -1;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

/** True for an IPv4/TCP frame (20-byte IP header) with SYN and ACK set. */
function isSynAck(f: Uint8Array): boolean {
  return f.length >= 48 && f[12] === 0x08 && f[13] === 0x00 && f[14] === 0x45 && f[23] === 6 && (f[47]! & 0x12) === 0x12;
}

export function runPeerFlood(o: PeerFloodOptions): PeerFloodResult {
  const started = performance.now();
  const giveUpMs = o.giveUpMs ?? 10_000;
  const clients = o.clients ?? 100;
  const perClient = o.connectionsPerClient ?? 10;
  const sampleMs = o.sampleMs ?? 1000;
  const floodMs = o.windowMs + giveUpMs;

  const sim = new Simulator({ seed: o.seed });
  const lan = sim.addLink({ delayMs: 1, name: 'lan' });
  const wan = sim.addLink({ delayMs: 10, loss: o.loss ?? 0.01, name: 'wan' });
  const router = new Router(sim, [
    { link: lan, mac: MAC_ROUTER_LAN, address: ROUTER_LAN_ADDR, prefixLength: 24, name: 'router-lan' },
    { link: wan, mac: MAC_ROUTER_WAN, address: ROUTER_WAN_ADDR, prefixLength: 10, name: 'router-wan' },
  ]);
  router.addNeighbor(SERVER_ADDR, MAC_SERVER);
  const server = attachServer(sim, { link: lan, mac: MAC_SERVER, address: SERVER_ADDR, prefixLength: 24, gateway: ROUTER_LAN_ADDR },
    o.server, { mode: 'serve', port: SERVER_PORT, requestBytes: REQUEST_BYTES, responseBytes: RESPONSE_BYTES }, o.seed);
  try {
    let synAcks = 0;
    lan.tap((e) => {
      if (e.kind === 'send' && e.from === server.port && isSynAck(e.frame)) synAcks++;
    });

    const flooderPort = sim.attach(lan, MAC_FLOODER, { name: 'flooder' });
    const template = new SynTemplate(MAC_FLOODER, MAC_SERVER, SERVER_ADDR, SERVER_PORT, sim.stream('flood'), 'random');
    const flooder = flooderPort.connect(new SynFlooder(flooderPort, template, o.floodRate, 0, floodMs));

    const hosts: Tcp[] = [];
    for (let i = 0; i < clients; i++) {
      const address = clientAddress(i);
      const m = mac(0x4f, i >>> 8, i & 0xff);
      const port = sim.attach(wan, m, { name: `client${i}` });
      const iface = new Interface({ device: port, clock: sim.clock, entropy: sim.entropy(`client-${i}`), address, prefixLength: 10, gateway: ROUTER_WAN_ADDR });
      hosts.push(new Tcp(iface, {
        entropy: sim.entropy(`tcp-client-${i}`),
        config: { connections: perClient, sendBuffer: 1024, receiveBuffer: RESPONSE_BYTES, timeWaitEntries: perClient, listeners: 1 },
      }));
      port.connect(iface);
      router.addNeighbor(address, m);
    }

    let attempted = 0, completed = 0, connected = 0;
    const failures: Record<string, number> = {};
    const connectTimes: number[] = [];
    const scratch = new Uint8Array(RESPONSE_BYTES);
    const request = new Uint8Array(REQUEST_BYTES);
    const start = (client: number, index: number): void => {
      attempted++;
      const key = writeRequest(request, client, index);
      const startedAt = sim.now;
      const r: ResponseCheck = { got: 0, bad: false };
      let done = false;
      const finish = (failure: string | null): void => {
        if (done) return;
        done = true;
        if (failure === null) completed++;
        else failures[failure] = (failures[failure] ?? 0) + 1;
      };
      const handler: ConnectionHandler = {
        onConnected: (c) => {
          connected++;
          connectTimes.push(sim.now - startedAt);
          writeRequest(request, client, index);
          c.write(request);
        },
        onReadable: (c) => readResponse(c, scratch, key, r),
        onPeerClosed: (c) => {
          finish(r.got < RESPONSE_BYTES ? 'short' : r.bad ? 'corrupt' : null);
          c.close();
        },
        onError: (_c, failure) => finish(failure),
      };
      const c = hosts[client]!.connect(SERVER_ADDR, SERVER_PORT, handler);
      if (typeof c === 'string') {
        finish(`connect-${c}`);
        return;
      }
      sim.after(giveUpMs, () => {
        if (done) return;
        finish('gave-up');
        c.abort();
      });
    };
    const when = sim.stream('legit');
    for (let i = 0; i < clients; i++) {
      for (let j = 0; j < perClient; j++) sim.at(when.int(o.windowMs), () => start(i, j));
    }

    const samples: MemorySample[] = [];
    let lastLwip: ServerMemory['lwip'] = null;
    const sample = (): ServerMemory => {
      const m = server.memory(sim.now);
      samples.push({ t: sim.now, bytes: m.bytes, halfOpen: m.halfOpen, blocks: m.blocks });
      if (m.lwip !== null) lastLwip = m.lwip;
      return m;
    };
    const first = sample();
    const cpuAtStart = first.lwip?.cpuUs ?? 0;
    // Bounded: floodMs / sampleMs slices, then a last one for connections still closing.
    while (sim.now < floodMs) {
      sim.runUntil(Math.min(floodMs, sim.now + sampleMs));
      sample();
    }
    const endOfFlood = samples[samples.length - 1]!;
    const atEndOfFlood = lastLwip as ServerMemory['lwip'];
    sim.runFor(2000); // FINs and ACKs in flight when the flood stopped
    const times = connectTimes.slice().sort((a, b) => a - b);
    const cpuEnd = server.memory(sim.now).lwip?.cpuUs ?? 0;
    return {
      server: serverName(o.server),
      floodRate: o.floodRate,
      windowMs: o.windowMs,
      giveUpMs,
      floodMs,
      legit: { attempted, completed, successPct: attempted === 0 ? 0 : (completed * 100) / attempted, connected, failures },
      connectSamples: times,
      connectMs: { p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: times.length ? times[times.length - 1]! : -1 },
      flood: { synsSent: flooder.sent, synAcksFromServer: synAcks },
      memory: {
        measure: first.measure,
        start: first.bytes,
        endOfFlood: endOfFlood.bytes,
        max: Math.max(...samples.map((s) => s.bytes)),
        growth: endOfFlood.bytes - first.bytes,
        halfOpenMax: Math.max(...samples.map((s) => s.halfOpen)),
        blocksMax: Math.max(...samples.map((s) => s.blocks)),
        samples,
      },
      lwip: atEndOfFlood === null ? null : {
        cpuUs: cpuEnd - cpuAtStart,
        pcbsAtEndOfFlood: atEndOfFlood.pcbs,
        acceptsPending: atEndOfFlood.acceptsPending,
        listenBacklog: atEndOfFlood.listenBacklog,
        memp: atEndOfFlood.memp === null ? null : { TCP_PCB: atEndOfFlood.memp['TCP_PCB'] ?? null, TCP_SEG: atEndOfFlood.memp['TCP_SEG'] ?? null },
      },
      virtualMs: sim.now,
      events: sim.eventsProcessed,
      realMs: Math.round(performance.now() - started),
    };
  } finally {
    server.close();
  }
}

/** One line for a table or a test log. */
export function describePeerFlood(r: PeerFloodResult): string {
  const l = r.legit;
  return `${r.server} @ ${r.floodRate} SYN/s: legit ${l.completed}/${l.attempted} (${l.successPct.toFixed(1)} %) ${JSON.stringify(l.failures)}, ` +
    `connect p50 ${r.connectMs.p50} p99 ${r.connectMs.p99} ms, SYN-ACKs ${r.flood.synAcksFromServer}/${r.flood.synsSent} SYNs, ` +
    `${r.memory.measure} ${r.memory.start} → ${r.memory.endOfFlood} B (max ${r.memory.max}), half-open max ${r.memory.halfOpenMax}, ` +
    `real ${(r.realMs / 1000).toFixed(1)} s`;
}
