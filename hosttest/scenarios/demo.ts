// The world `npm start` shows: synstack serving the status page (app/status-server.ts) at
// 10.0.0.1 on a LAN, a router to a WAN with loss where client hosts fetch /bytes/4096 at random
// moments, and optionally a SYN flood from spoofed sources on the LAN. Portable; stepped by the
// caller one slice at a time so a CLI can show live figures.

import Listener from '../../src/api/listener';
import { Stack } from '../../src/api/stack';
import TCP from '../../src/api/tcp';
import type { SynDefenceConfig } from '../../src/tcp/syndefence';
import { parseIpv4Address } from '../../src/wire/ipv4';
import { StatusServer } from '../../app/status-server';
import { synstackStats } from '../../app/synstack-stats';
import { HttpClient } from '../app/http-client';
import { Router } from '../sim/router';
import { Simulator, type FrameRecorder } from '../sim/simulator';
import { SynFlooder, SynTemplate } from './synflood';

export interface DemoOptions {
  seed: number;
  /** Spoofed SYNs per second from the LAN (0: none). */
  floodRate: number;
  /** Frame loss on the WAN. */
  loss: number;
  clients: number;
  /** Fetches per second, all clients together. */
  fetchRate: number;
  /** How long the flood lasts (ms); fetches go on as long as the caller steps. */
  floodMs: number;
  synDefence?: Partial<SynDefenceConfig>;
  recorder?: FrameRecorder;
}

export interface DemoFigures {
  virtualMs: number;
  fetches: { started: number; ok: number; failed: number; pending: number; bytes: number; p50Ms: number; p99Ms: number };
  server: ReturnType<ReturnType<typeof synstackStats>>;
  floodSyns: number;
  /** Cookie mode seen at any moment so far. */
  cookieModeSeen: boolean;
}

const SERVER = '10.0.0.1';
const PATH_BYTES = 4096;
const FETCH_TIMEOUT_MS = 30_000;

const mac = (a: number, b: number, c: number) => new Uint8Array([0x02, 0x44, 0x45, a, b, c]);

export function createDemo(o: DemoOptions) {
  const sim = new Simulator({ seed: o.seed });
  const lan = sim.addLink({ delayMs: 1, name: 'lan' });
  const wan = sim.addLink({ delayMs: 10, loss: o.loss, name: 'wan' });
  if (o.recorder) lan.capture(o.recorder);
  const routerLan = parseIpv4Address('10.0.0.254'), routerWan = parseIpv4Address('100.64.0.1');
  const router = new Router(sim, [
    { link: lan, mac: mac(0, 0, 0xfe), address: routerLan, prefixLength: 24, name: 'router-lan' },
    { link: wan, mac: mac(1, 0, 0xfe), address: routerWan, prefixLength: 10, name: 'router-wan' },
  ]);

  const serverMac = mac(0, 0, 1);
  const serverPort = sim.attach(lan, serverMac, { name: 'synstack' });
  const server = new Stack({
    device: serverPort, entropy: sim.entropy('server'), clock: sim.clock, address: SERVER, gateway: '10.0.0.254',
    tcp: { connections: 16, sendBuffer: 4096, receiveBuffer: 2048, synDefence: o.synDefence },
  });
  serverPort.connect(server);
  router.addNeighbor(parseIpv4Address(SERVER), serverMac);
  const stats = synstackStats(server);
  const status = new StatusServer<TCP>({
    Listener, TCP, port: 80, now: sim.clock.now, stats, maxConnections: 12,
    listenerOptions: { stack: server, backlog: 8 },
  });
  const tick = (): void => {
    status.tick();
    sim.after(100, tick);
  };
  sim.after(100, tick);

  // Spoofed SYNs, if asked for.
  const flooderMac = mac(0, 0, 0x66);
  const flooderPort = sim.attach(lan, flooderMac, { name: 'flooder' });
  const template = new SynTemplate(flooderMac, serverMac, parseIpv4Address(SERVER), 80, sim.stream('flood'), 'random');
  const flooder = flooderPort.connect(new SynFlooder(flooderPort, template, o.floodRate, 0, o.floodMs));

  // Client hosts, each in its own /24 of 100.64.0.0/10.
  const clients: Stack[] = [];
  for (let i = 0; i < o.clients; i++) {
    const address = `100.64.${i + 1}.2`;
    const m = mac(1, i + 1, 2);
    const port = sim.attach(wan, m, { name: `client${i}` });
    const stack = new Stack({
      device: port, entropy: sim.entropy(`client${i}`), clock: sim.clock, address, prefixLength: 10, gateway: '100.64.0.1',
      tcp: { connections: 8, sendBuffer: 1024, receiveBuffer: 8192 },
    });
    port.connect(stack);
    router.addNeighbor(parseIpv4Address(address), m);
    clients.push(stack);
  }

  const random = sim.stream('fetches');
  const times: number[] = [];
  const fetches = { started: 0, ok: 0, failed: 0, pending: 0, bytes: 0 };
  const fetch = (stack: Stack): void => {
    const start = sim.now;
    fetches.started++;
    fetches.pending++;
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      fetches.pending--;
      if (ok) {
        fetches.ok++;
        times.push(sim.now - start);
      } else fetches.failed++;
    };
    let client: HttpClient;
    try {
      client = new HttpClient({
        stack, address: SERVER, port: 80, now: sim.clock.now,
        onResponse: (r) => {
          const ok = r.status === 200 && r.received === PATH_BYTES && r.mismatches === 0;
          if (ok) fetches.bytes += r.received;
          finish(ok);
        },
        onClose: () => finish(false),
      });
    } catch {
      finish(false);
      return;
    }
    client.send(`GET /bytes/${PATH_BYTES} HTTP/1.1\r\nHost: ${SERVER}\r\nConnection: close\r\n\r\n`);
    sim.after(FETCH_TIMEOUT_MS, () => {
      if (!done) {
        finish(false);
        client.close();
      }
    });
  };
  // Fetches at exponentially distributed gaps (a Poisson process), each from a random client.
  const next = (): void => {
    fetch(clients[random.int(clients.length)]!);
    const gap = Math.max(1, Math.round((-Math.log(1 - random.float()) * 1000) / o.fetchRate));
    sim.after(gap, next);
  };
  sim.after(10, next);

  let cookieModeSeen = false;
  return {
    sim,
    /** Run `ms` of virtual time in 100 ms slices (noting cookie mode as it happens). */
    step(ms: number): void {
      for (let t = 0; t < ms; t += 100) {
        sim.runFor(Math.min(100, ms - t));
        if (server.tcp.synDefenceStatus().cookieMode) cookieModeSeen = true;
      }
    },
    figures(): DemoFigures {
      const sorted = times.slice().sort((a, b) => a - b);
      const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0);
      return {
        virtualMs: sim.now,
        fetches: { ...fetches, p50Ms: q(0.5), p99Ms: q(0.99) },
        server: stats(),
        floodSyns: flooder.sent,
        cookieModeSeen,
      };
    },
    routerDrops: () => router.stats,
  };
}
