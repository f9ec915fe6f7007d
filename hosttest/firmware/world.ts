// The board's network for the firmware tests: one simulated LAN (192.0.2.0/24) with
//   - the board (XsFirmware: firmware/main.ts under XS),
//   - a DHCP server at 192.0.2.1, which is also the gateway: it answers ARP for its address and
//     silently drops whatever is routed to it (SYN-ACKs to spoofed off-link sources end there),
//   - a client host at 192.0.2.10 (a synstack Stack in Node) for HTTP requests,
//   - optionally a SYN flooder (hosttest/scenarios/synflood.ts) sending spoofed SYNs from
//     198.18.0.0/15 to the board's port 80.

import { Stack } from '../../src/api/stack';
import { parseIpv4Address } from '../../src/wire/ipv4';
import { HttpClient, type ClientResponse } from '../app/http-client';
import { DhcpServer } from '../iface/dhcp-server';
import { SynFlooder, SynTemplate } from '../scenarios/synflood';
import { Random } from '../sim/random';
import { type Link, type Port, Simulator } from '../sim/simulator';
import type { FirmwareBundle } from './bundle';
import { XsFirmware } from './cosim';

export const BOARD_MAC = new Uint8Array([0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]);
export const GATEWAY = '192.0.2.1';
export const CLIENT = '192.0.2.10';
export const STATIC_ADDRESS = '192.0.2.80';
export const POOL_START = '192.0.2.100';

export interface FirmwareWorldOptions {
  seed: number;
  /** mc/config for the board (address absent: DHCP). */
  config: Record<string, unknown>;
  kind?: string;
  ringBytes?: number;
  echo?: boolean;
  /** The xsnap-worker binary (see XsFirmwareOptions.worker). */
  worker?: string;
  /** The bundle (see XsFirmwareOptions.bundle). */
  bundle?: () => Promise<FirmwareBundle>;
}

export interface FirmwareWorld {
  sim: Simulator;
  lan: Link;
  board: XsFirmware;
  dhcp: DhcpServer;
  client: Stack;
  /** The board's address: the static one, or the one its trace says DHCP bound (null before). */
  boardAddress(): string | null;
  /** Start a SYN flood at the board: `rate` SYN/s for `durationMs`, from now. */
  flood(rate: number, durationMs: number): SynFlooder;
  /** One HTTP/1.1 GET on a new connection; resolves with the response (or null on failure). */
  get(path: string, maxMs?: number): Promise<ClientResponse | null>;
  /** Several GETs on as many connections at once; resolves when all are done or failed. */
  getAll(paths: string[], maxMs?: number): Promise<(ClientResponse | null)[]>;
  /** Start GETs without running the simulation (run it with board.runFor / runWhile). */
  request(paths: string[]): { done(): boolean; responses(): (ClientResponse | null)[] };
  close(): Promise<void>;
}

function ip(text: string): number {
  return parseIpv4Address(text);
}

export async function firmwareWorld(o: FirmwareWorldOptions): Promise<FirmwareWorld> {
  const sim = new Simulator({ seed: o.seed });
  const lan = sim.addLink({ delayMs: 1, name: 'lan' });
  const dhcpMac = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
  const dhcpPort = sim.attach(lan, dhcpMac, { name: 'gateway' });
  const dhcp = new DhcpServer(dhcpPort, {
    mac: dhcpMac, ip: ip(GATEWAY), poolStart: ip(POOL_START), poolSize: 10, subnetMask: ip('255.255.255.0'),
    router: ip(GATEWAY), leaseSeconds: 3600,
  });
  dhcpPort.connect(dhcp);
  const clientPort: Port = sim.attach(lan, new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x10]), { name: 'client' });
  const client = new Stack({
    device: clientPort, entropy: sim.entropy('client'), clock: sim.clock, address: CLIENT, prefixLength: 24,
    tcp: { connections: 16, sendBuffer: 4096, receiveBuffer: 65535 },
  });
  clientPort.connect(client);
  const board = await XsFirmware.load({
    sim, link: lan, mac: BOARD_MAC, config: o.config, kind: o.kind, ringBytes: o.ringBytes, seed: o.seed, echo: o.echo, worker: o.worker, bundle: o.bundle,
  });

  const boardAddress = (): string | null => {
    if (typeof o.config.address === 'string' && o.config.address !== '') return o.config.address;
    for (let i = board.trace.length - 1; i >= 0; i--) {
      const m = /^synstack: dhcp-bound address=([0-9.]+)/.exec(board.trace[i]!);
      if (m) return m[1]!;
    }
    return null;
  };

  const request = (paths: string[]) => {
    const address = boardAddress();
    if (address === null) throw new Error('the board has no address yet');
    const clients = paths.map((p) => {
      const c = new HttpClient({
        stack: client, address, port: Number(o.config.port ?? 80), now: sim.clock.now,
        onResponse: (_r, self) => self.close(),
      });
      c.send(`GET ${p} HTTP/1.1\r\nHost: ${address}\r\nConnection: close\r\n\r\n`);
      return c;
    });
    clientPort.wake();
    return {
      done: () => clients.every((c) => c.closed),
      responses: () => clients.map((c) => c.responses[0] ?? null),
    };
  };

  const getAll = async (paths: string[], maxMs = 30_000): Promise<(ClientResponse | null)[]> => {
    const r = request(paths);
    await board.runWhile(() => !r.done(), maxMs);
    return r.responses();
  };

  return {
    sim, lan, board, dhcp, client, boardAddress,
    flood(rate, durationMs) {
      const address = boardAddress();
      if (address === null) throw new Error('the board has no address yet');
      const port = sim.attach(lan, new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x66]), { name: 'flooder' });
      const template = new SynTemplate(port.mac, BOARD_MAC, ip(address), Number(o.config.port ?? 80), new Random(o.seed ^ 0x5eed), 'random');
      const flooder = new SynFlooder(port, template, rate, sim.now, sim.now + durationMs);
      port.connect(flooder);
      return flooder;
    },
    get: async (p, maxMs) => (await getAll([p], maxMs))[0]!,
    getAll,
    request,
    close: () => board.close(),
  };
}
