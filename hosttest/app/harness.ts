// The status server (app/status-server.ts) on a simulated LAN: a server host and a client host,
// each a synstack Stack (Interface + Tcp + ECMA-419 socket delivery), the server built on
// synstack's Listener and TCP classes with synstack's stats provider, and its tick() called every
// `tickMs` of simulated time. Portable: used by vitest, the XS scenario and the load run.

import Listener from '../../src/api/listener';
import { Stack } from '../../src/api/stack';
import TCP from '../../src/api/tcp';
import type { TcpConfigInput } from '../../src/tcp/tcp';
import { StatusServer, type StatusServerOptions } from '../../app/status-server';
import { synstackStats } from '../../app/synstack-stats';
import { type LinkOptions, Simulator } from '../sim/simulator';
import { HttpClient, type HttpClientOptions } from './http-client';

export const SERVER_ADDRESS = '192.0.2.80';
export const CLIENT_ADDRESS = '192.0.2.10';
export const HTTP_PORT = 80;

export interface HttpWorldOptions {
  seed: number;
  link?: LinkOptions;
  serverTcp?: TcpConfigInput;
  clientTcp?: TcpConfigInput;
  /** Server options other than the sockets, port, stats and clock. */
  server?: Partial<Omit<StatusServerOptions<TCP>, 'Listener' | 'TCP' | 'stats' | 'now'>>;
  /** Listen backlog (default 16). */
  backlog?: number;
  /** The stats provider (default synstack's, of the server stack). */
  stats?: () => object;
  /** Period of server.tick() (default 100 ms). */
  tickMs?: number;
}

export interface HttpWorld {
  sim: Simulator;
  serverStack: Stack;
  clientStack: Stack;
  server: StatusServer<TCP>;
  /** A client connecting to the server now. */
  client(options?: Partial<Omit<HttpClientOptions, 'stack' | 'address' | 'port' | 'now'>>): HttpClient;
  /** Run while `busy()` holds, at most `maxMs` of simulated time; true if busy() became false. */
  runWhile(busy: () => boolean, maxMs: number): boolean;
}

export function httpWorld(o: HttpWorldOptions): HttpWorld {
  const sim = new Simulator({ seed: o.seed });
  const link = sim.addLink({ delayMs: 1, ...o.link, name: 'lan' });
  const host = (last: number, address: string, tcp: TcpConfigInput | undefined) => {
    const port = sim.attach(link, new Uint8Array([0x02, 0x48, 0x54, 0x54, 0x50, last]));
    const stack = new Stack({ device: port, entropy: sim.entropy(address), clock: sim.clock, address, prefixLength: 24, tcp });
    port.connect(stack);
    return stack;
  };
  const serverStack = host(80, SERVER_ADDRESS, o.serverTcp);
  const clientStack = host(10, CLIENT_ADDRESS, o.clientTcp);
  const server = new StatusServer<TCP>({
    ...o.server,
    Listener, TCP, port: HTTP_PORT, now: sim.clock.now, stats: o.stats ?? synstackStats(serverStack),
    listenerOptions: { stack: serverStack, backlog: o.backlog ?? 16 },
  });
  const tickMs = o.tickMs ?? 100;
  // The host's periodic timer; it keeps the simulator busy, so runs are bounded by conditions.
  const tick = (): void => {
    server.tick();
    sim.after(tickMs, tick);
  };
  sim.after(tickMs, tick);
  return {
    sim, serverStack, clientStack, server,
    client: (options = {}) => new HttpClient({ ...options, stack: clientStack, address: SERVER_ADDRESS, port: HTTP_PORT, now: sim.clock.now }),
    runWhile: (busy, maxMs) => sim.runWhile(busy, maxMs),
  };
}

/** A GET request's text. */
export function get(path: string, headers = '', version = 'HTTP/1.1'): string {
  return `GET ${path} ${version}\r\nHost: ${SERVER_ADDRESS}\r\n${headers}\r\n`;
}
