// The SYN-flood acceptance scenario: does a synstack server keep serving legitimate clients while
// a flood of spoofed SYNs arrives, and does its half-open state stay inside its configured size?
//
//   clients 100.64.N.2/10 ──WAN (1 % loss, 10 ms)── router ──LAN (1 ms)── server 10.0.0.1/24
//   (one /24 each, gateway 100.64.0.1)        100.64.0.1 | 10.0.0.254       flooder (on the LAN)
//
// - The server is a synstack Interface + Tcp with a small table (32 connection blocks, 4 KiB
//   rings) and the `synDefence` configuration under test, listening on port 80 (backlog 16). Each
//   accepted connection reads a 16-byte request, answers with 4,096 bytes derived from it, and
//   closes.
// - 100 client hosts (each its own Interface + Tcp) make 10 connections each at seeded random
//   moments of the run: connect, send the request, read the 4 KiB answer and check it byte for
//   byte, close when the server's FIN arrives. Connect time is connect() → onConnected in
//   simulated ms; a connection completes when all 4,096 bytes arrived intact and the FIN followed.
// - The flooder sends `floodRate` SYN/s to 10.0.0.1:80 for the whole run, from spoofed sources
//   (random in 198.18.0.0/15, or random in the one /24 198.18.7.0/24), random ports and ISNs, with
//   an MSS option. The server's SYN-ACKs go to its gateway, the router, which has no route for
//   198.18.0.0/15 and drops them (counted).
// - Every simulated second the server's half-open figure (synDefenceStatus().halfOpen, or the
//   connection blocks in use where that API does not exist yet) and its blocks in use are sampled;
//   the maxima and whether either ever exceeded its configured capacity are reported.
// - After `durationMs` the flood stops and the run goes on (at most `settleMs`) until every
//   legitimate connection has completed or failed.
//
// The flood path is made cheap: the flooder keeps one 60-byte frame and per SYN rewrites only the
// source address, IP ident, source port and ISN, and both checksums from precomputed partial sums
// (nothing allocated per SYN beyond the copy the simulator makes of every frame sent); the router
// drops SYN-ACKs after a header check and a route lookup.
//
// The result is plain JSON (no Infinity, no undefined; -1 = none) and contains only simulated
// figures, so a run under XS compares with a run under Node by deep equality. Portable: no Node
// modules.

import type { Driven } from '../../src/platform';
import { Interface } from '../../src/iface/interface';
import type { Connection, ConnectionHandler } from '../../src/tcp/connection';
import type { Listener } from '../../src/tcp/listener';
import type { SynDefenceConfig, SynDefenceCounters, SynDefenceStatus } from '../../src/tcp/syndefence';
import { Tcp, type TcpInit } from '../../src/tcp/tcp';
import { ETH_MIN_FRAME, ETHERTYPE_IPV4, emitEthernet } from '../../src/wire/ethernet';
import { IPV4_FLAG_DF, IP_PROTO_TCP, emitIpv4, parseIpv4Address } from '../../src/wire/ipv4';
import { TCPOPT_MSS, TCP_HEADER_LEN, TCP_SYN, emitTcp } from '../../src/wire/tcp';
import type { Random } from '../sim/random';
import { Router, type RouterStats } from '../sim/router';
import { type Port, Simulator } from '../sim/simulator';

export type FloodSource = 'random' | 'prefix24';

export interface SynFloodOptions {
  seed: number;
  /** Length of the run: legitimate connections start and the flood lasts within it (default 60 s). */
  durationMs?: number;
  /** Spoofed SYNs per second (0: no flood, the baseline). */
  floodRate?: number;
  /** Spoofed sources: random in 198.18.0.0/15 (default), or random in 198.18.7.0/24. */
  floodSource?: FloodSource;
  /** Overrides of the server's SYN defence (src/tcp/syndefence.ts). */
  synDefence?: Partial<SynDefenceConfig>;
  /** Frame loss on the WAN link (default 0.01). */
  loss?: number;
  /** Client hosts (default 100) and connections each makes (default 10). */
  clients?: number;
  connectionsPerClient?: number;
  /** One-way delays (default LAN 1 ms, WAN 10 ms). */
  lanDelayMs?: number;
  wanDelayMs?: number;
  /** The server's connection blocks (default 32) and its listener's backlog (default 16). */
  serverConnections?: number;
  backlog?: number;
  /** Longest the run goes on after durationMs for connections to finish (default 200 s). */
  settleMs?: number;
}

export interface SynFloodResult {
  seed: number;
  durationMs: number;
  floodRate: number;
  floodSource: FloodSource;
  /** The server has tcp.synDefenceStatus() (the SYN cache has landed). */
  synDefenceApi: boolean;
  /** The SYN defence mode the server reports, or 'none' without the API. */
  mode: string;
  legit: {
    attempted: number;
    completed: number;
    failed: number;
    /** completed / attempted × 100. */
    successPct: number;
    /** connect() returned an error at once. */
    connectErrors: number;
    /** onError before the connection completed, by failure. */
    errors: Record<string, number>;
    /** All bytes arrived, and some differed from what the server was to send. */
    corrupt: number;
    /** The FIN came before 4,096 bytes. */
    short: number;
    /** Still neither completed nor failed at the end of the run. */
    unfinished: number;
    /** Connected at all (whatever happened next). */
    connected: number;
    /** Connections whose connect took longer than 1 s (a SYN or SYN-ACK was retransmitted). */
    slowConnects: number;
  };
  /** connect() → onConnected, simulated ms, over connected connections (-1 when none). */
  connectMs: { p50: number; p99: number; max: number; mean: number };
  flood: { synsSent: number };
  halfOpen: {
    /** Largest sampled figure. */
    max: number;
    capacity: number;
    /** What was sampled: synDefenceStatus().halfOpen, or tcp.activeConnections without the API. */
    source: 'synDefenceStatus' | 'activeConnections';
  };
  blocks: { max: number; capacity: number };
  /** Half-open state or blocks in use ever above their configured capacity at a sample. */
  everExceeded: boolean;
  samples: number;
  /** The server's SYN-defence status at the end (null without the API). */
  synDefence: {
    counters: SynDefenceCounters;
    cookieMode: boolean;
    underAttack: boolean;
    attackStartedAt: number;
    distinctSources: number;
    /** Largest distinctSources sampled. */
    maxDistinctSources: number;
    /** Samples at which underAttack was true. */
    underAttackSamples: number;
  } | null;
  /** The server's TCP counters and its listener's statistics, and the interface's drops. */
  tcp: Record<string, unknown>;
  listener: Record<string, number>;
  serverDrops: Record<string, number>;
  /** SYN-ACKs (and anything else) the router could not forward, by reason. */
  router: RouterStats;
  lan: { transmitted: number; delivered: number };
  wan: { transmitted: number; delivered: number; lost: number };
  /** Simulated ms at the end of the run, and events the simulator processed. */
  virtualMs: number;
  events: number;
}

export const SERVER_ADDR = parseIpv4Address('10.0.0.1');
export const SERVER_PORT = 80;
export const ROUTER_LAN_ADDR = parseIpv4Address('10.0.0.254');
export const ROUTER_WAN_ADDR = parseIpv4Address('100.64.0.1');
/** 198.18.0.0/15 (RFC 2544 benchmarking range) and the single-/24 source prefix. */
export const FLOOD_NET = parseIpv4Address('198.18.0.0');
export const FLOOD_PREFIX24 = parseIpv4Address('198.18.7.0');
export const REQUEST_BYTES = 16;
export const RESPONSE_BYTES = 4096;

const MAC_SERVER = mac(0x00, 0x01);
const MAC_ROUTER_LAN = mac(0xfe, 0x01);
const MAC_ROUTER_WAN = mac(0xfe, 0x02);
const MAC_FLOODER = mac(0xfd, 0x01);

function mac(hi: number, lo: number, group = 0x4e): Uint8Array {
  return new Uint8Array([0x02, 0x53, 0x59, group, hi, lo]);
}

/** Client i's address: 100.64.(i+1).2, so each client is alone in its /24 (i < 16,383). */
export function clientAddress(i: number): number {
  return (parseIpv4Address('100.64.0.2') + (i + 1) * 256) >>> 0;
}

/** The Tcp layer's SYN-defence API, when it exists (it is being written alongside this file). */
interface SynDefenceApi {
  synDefenceStatus?: () => SynDefenceStatus;
  synCacheBytes?: () => { perEntry: number; total: number };
}

export function synDefenceStatusOf(tcp: Tcp): SynDefenceStatus | null {
  const api = tcp as unknown as SynDefenceApi;
  return typeof api.synDefenceStatus === 'function' ? api.synDefenceStatus() : null;
}

export function synCacheBytesOf(tcp: Tcp): { perEntry: number; total: number } | null {
  const api = tcp as unknown as SynDefenceApi;
  return typeof api.synCacheBytes === 'function' ? api.synCacheBytes() : null;
}

/** A Tcp config with a (partial) synDefence block, typed so it compiles with or without that key. */
export function tcpConfigWith(base: Record<string, unknown>, synDefence: Partial<SynDefenceConfig> | undefined): TcpInit['config'] {
  return (synDefence === undefined ? { ...base } : { ...base, synDefence: { ...synDefence } }) as TcpInit['config'];
}

// ---- the flooder --------------------------------------------------------------------------------

const IP_AT = 14;
const TCP_AT = IP_AT + 20;
const SYN_TCP_LEN = TCP_HEADER_LEN + 4; // with the MSS option

/** Fold a sum of 16-bit words (below 2^31) to 16 bits with end-around carry. */
function fold16(sum: number): number {
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Sum of the 16-bit big-endian words of bytes[from, to), unfolded. */
function wordSum(bytes: Uint8Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  return s;
}

/**
 * SYN frames for a flood, built from one template. `next()` rewrites the changing fields (source
 * address, IP ident, source port, ISN) and both checksums from partial sums of the fixed fields;
 * the returned frame is the same buffer every time (valid until the next call).
 */
export class SynTemplate {
  readonly frame = new Uint8Array(ETH_MIN_FRAME);
  /** IPv4 header sum without ident, source address and checksum. */
  private readonly ipFixed: number;
  /** TCP sum (pseudo-header without the source address) without source port, ISN and checksum. */
  private readonly tcpFixed: number;

  constructor(srcMac: Uint8Array, dstMac: Uint8Array, dst: number, dstPort: number, private readonly random: Random, private readonly source: FloodSource) {
    const f = this.frame;
    emitEthernet(f, 0, dstMac, srcMac, ETHERTYPE_IPV4);
    f[TCP_AT + 20] = TCPOPT_MSS;
    f[TCP_AT + 21] = 4;
    f[TCP_AT + 22] = 1460 >> 8;
    f[TCP_AT + 23] = 1460 & 0xff;
    emitTcp(f, TCP_AT, 0, dstPort, 0, 0, TCP_SYN, 64240, 0, 4, 0, 0, dst);
    emitIpv4(f, IP_AT, SYN_TCP_LEN, IP_PROTO_TCP, 0, dst, 64, 0, IPV4_FLAG_DF);
    // Zero the fields that change, then sum what stays.
    f[IP_AT + 4] = f[IP_AT + 5] = 0;
    f[IP_AT + 10] = f[IP_AT + 11] = 0;
    f[TCP_AT + 16] = f[TCP_AT + 17] = 0;
    this.ipFixed = wordSum(f, IP_AT, IP_AT + 20);
    // Pseudo-header: source (added per SYN), destination, protocol, TCP length (RFC 9293 §3.1).
    this.tcpFixed = (dst >>> 16) + (dst & 0xffff) + IP_PROTO_TCP + SYN_TCP_LEN + wordSum(f, TCP_AT, TCP_AT + SYN_TCP_LEN);
  }

  next(): Uint8Array {
    const f = this.frame, r = this.random;
    const a = r.next(), b = r.next(), isn = r.next();
    const src = this.source === 'random'
      ? (FLOOD_NET | (a & 0x1ffff)) >>> 0
      : (FLOOD_PREFIX24 | (1 + (a % 254))) >>> 0;
    const srcHi = src >>> 16, srcLo = src & 0xffff;
    const ident = b >>> 16;
    const port = 1024 + ((b & 0xffff) % 64512);
    const isnHi = isn >>> 16, isnLo = isn & 0xffff;
    f[IP_AT + 4] = ident >>> 8;
    f[IP_AT + 5] = ident & 0xff;
    f[IP_AT + 12] = srcHi >>> 8;
    f[IP_AT + 13] = srcHi & 0xff;
    f[IP_AT + 14] = srcLo >>> 8;
    f[IP_AT + 15] = srcLo & 0xff;
    const ipSum = ~fold16(this.ipFixed + ident + srcHi + srcLo) & 0xffff;
    f[IP_AT + 10] = ipSum >>> 8;
    f[IP_AT + 11] = ipSum & 0xff;
    f[TCP_AT] = port >>> 8;
    f[TCP_AT + 1] = port & 0xff;
    f[TCP_AT + 4] = isnHi >>> 8;
    f[TCP_AT + 5] = isnHi & 0xff;
    f[TCP_AT + 6] = isnLo >>> 8;
    f[TCP_AT + 7] = isnLo & 0xff;
    const tcpSum = ~fold16(this.tcpFixed + srcHi + srcLo + port + isnHi + isnLo) & 0xffff;
    f[TCP_AT + 16] = tcpSum >>> 8;
    f[TCP_AT + 17] = tcpSum & 0xff;
    return f;
  }
}

/**
 * A Driven node that sends `rate` SYN/s from `startMs` until `endMs`: at each ms it sends the
 * SYNs due by the end of that ms (floor(rate × elapsed / 1000) in all), so 15,000/s is 15 per ms
 * and 2,500/s alternates 2 and 3.
 */
export class SynFlooder implements Driven {
  sent = 0;
  private nextAt: number;

  constructor(private readonly port: Port, private readonly template: SynTemplate, private readonly rate: number, private readonly startMs: number, private readonly endMs: number) {
    this.nextAt = rate > 0 && endMs > startMs ? startMs : Infinity;
  }

  input(): void {}

  poll(now: number): void {
    if (now < this.nextAt) return;
    if (now >= this.endMs) {
      this.nextAt = Infinity;
      return;
    }
    const due = Math.floor((this.rate * (now + 1 - this.startMs)) / 1000);
    // Bounded: at most rate/1000 + 1 SYNs per call.
    for (let n = due - this.sent; n > 0; n--) this.port.send(this.template.next());
    this.sent = due;
    this.nextAt = now + 1;
  }

  nextDeadline(): number {
    return this.nextAt;
  }
}

// ---- the application ------------------------------------------------------------------------------

/** Byte k of the response to a request whose key is `key` (also lwIP's harness.c, hosttest/peers). */
export function responseByte(key: number, k: number): number {
  return (key * 151 + k * 7 + (k >>> 8) * 13 + 1) & 0xff;
}

/** A legitimate client's response so far: bytes read, and whether any was wrong or too many. */
export interface ResponseCheck {
  got: number;
  bad: boolean;
}

/** Read what `c` has into `scratch` and check it against the response for `key`. */
export function readResponse(c: Connection, scratch: Uint8Array, key: number, r: ResponseCheck): void {
  for (let guard = 0; guard < 64 && c.readable > 0; guard++) {
    const n = c.read(scratch, 0, Math.min(scratch.length, c.readable));
    for (let k = 0; k < n; k++) if (r.got + k >= RESPONSE_BYTES || scratch[k] !== responseByte(key, r.got + k)) r.bad = true;
    r.got += n;
  }
}

/** The 16-byte request of connection `conn` of client `client`; its key is in bytes 0..3, returned. */
export function writeRequest(out: Uint8Array, client: number, conn: number): number {
  const key = ((client * 64 + conn) * 2654435761) >>> 0;
  out[0] = key >>> 24;
  out[1] = (key >>> 16) & 0xff;
  out[2] = (key >>> 8) & 0xff;
  out[3] = key & 0xff;
  for (let i = 4; i < REQUEST_BYTES; i++) out[i] = (key + i * 29) & 0xff;
  return key;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return -1;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

interface LegitState {
  attempted: number;
  completed: number;
  failed: number;
  connectErrors: number;
  errors: Record<string, number>;
  corrupt: number;
  short: number;
  connected: number;
  connectTimes: number[];
}

// ---- the scenario -----------------------------------------------------------------------------------

/** Run the scenario to its end (synchronously). */
export function runSynFlood(o: SynFloodOptions): SynFloodResult {
  const steps = synFloodSteps(o);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The scenario one simulated second at a time (it yields the virtual time), so a host can let its
 * event loop run between seconds: a 200,000 SYN/s run is tens of seconds of real time.
 */
export function* synFloodSteps(o: SynFloodOptions): Generator<number, SynFloodResult, void> {
  const durationMs = o.durationMs ?? 60_000;
  const floodRate = o.floodRate ?? 0;
  const floodSource = o.floodSource ?? 'random';
  const clients = o.clients ?? 100;
  const perClient = o.connectionsPerClient ?? 10;
  const serverConnections = o.serverConnections ?? 32;
  const settleMs = o.settleMs ?? 200_000;
  if (!(Number.isInteger(durationMs) && durationMs > 0)) throw new RangeError(`durationMs must be a positive integer, got ${durationMs}`);
  if (!(floodRate >= 0 && Number.isFinite(floodRate))) throw new RangeError(`floodRate must be >= 0, got ${floodRate}`);
  if (!(Number.isInteger(clients) && clients >= 1 && clients < 16_000)) throw new RangeError(`clients must be 1..15999, got ${clients}`);
  if (!(Number.isInteger(perClient) && perClient >= 1 && perClient <= 64)) throw new RangeError(`connectionsPerClient must be 1..64, got ${perClient}`);

  const sim = new Simulator({ seed: o.seed });
  const lan = sim.addLink({ delayMs: o.lanDelayMs ?? 1, name: 'lan' });
  const wan = sim.addLink({ delayMs: o.wanDelayMs ?? 10, loss: o.loss ?? 0.01, name: 'wan' });
  const router = new Router(sim, [
    { link: lan, mac: MAC_ROUTER_LAN, address: ROUTER_LAN_ADDR, prefixLength: 24, name: 'router-lan' },
    { link: wan, mac: MAC_ROUTER_WAN, address: ROUTER_WAN_ADDR, prefixLength: 10, name: 'router-wan' },
  ]);
  router.addNeighbor(SERVER_ADDR, MAC_SERVER);

  // The server.
  const serverPort = sim.attach(lan, MAC_SERVER, { name: 'server' });
  const serverIface = new Interface({
    device: serverPort, clock: sim.clock, entropy: sim.entropy('server'),
    address: SERVER_ADDR, prefixLength: 24, gateway: ROUTER_LAN_ADDR,
  });
  const server = new Tcp(serverIface, {
    entropy: sim.entropy('tcp-server'),
    config: tcpConfigWith({ connections: serverConnections, sendBuffer: RESPONSE_BYTES, receiveBuffer: RESPONSE_BYTES, timeWaitEntries: 64, listeners: 1 }, o.synDefence),
  });
  serverPort.connect(serverIface);

  const response = new Uint8Array(RESPONSE_BYTES);
  const scratch = new Uint8Array(RESPONSE_BYTES);
  let serverErrors = 0;
  const serve = (c: Connection) => {
    const request = new Uint8Array(REQUEST_BYTES);
    let have = 0;
    let key = 0;
    let toWrite = -1; // bytes of the response still to write once the request is in
    let closed = false;
    const pump = (conn: Connection) => {
      if (toWrite <= 0 || closed) return;
      const offset = RESPONSE_BYTES - toWrite;
      // `response` is shared by all connections: fill it for this one before each write.
      for (let k = offset; k < RESPONSE_BYTES; k++) response[k] = responseByte(key, k);
      toWrite -= conn.write(response, offset, toWrite);
      if (toWrite === 0) {
        closed = true;
        conn.close();
      }
    };
    c.handler = {
      onReadable: (conn) => {
        // Bounded: each pass reads at least one byte or stops.
        for (let guard = 0; guard < 64 && conn.readable > 0; guard++) {
          if (have < REQUEST_BYTES) {
            have += conn.read(request, have, REQUEST_BYTES - have);
          } else {
            conn.read(scratch, 0, Math.min(scratch.length, conn.readable)); // more than a request: ignore it
          }
        }
        if (have === REQUEST_BYTES && toWrite < 0) {
          key = ((request[0]! << 24) | (request[1]! << 16) | (request[2]! << 8) | request[3]!) >>> 0;
          toWrite = RESPONSE_BYTES;
          pump(conn);
        }
      },
      onWritable: (conn) => pump(conn),
      onPeerClosed: (conn) => {
        if (!closed && toWrite < 0) {
          closed = true;
          conn.close();
        }
      },
      onError: () => { serverErrors++; },
    };
  };
  const listening = server.listen(SERVER_PORT, {
    backlog: o.backlog ?? 16,
    handler: {
      onConnection: (l: Listener) => {
        // Bounded by the accept queue.
        for (let c = l.accept(); c !== null; c = l.accept()) serve(c);
      },
    },
  });
  if (typeof listening === 'string') throw new Error(`listen: ${listening}`);

  // The flooder.
  const flooderPort = sim.attach(lan, MAC_FLOODER, { name: 'flooder' });
  const template = new SynTemplate(MAC_FLOODER, MAC_SERVER, SERVER_ADDR, SERVER_PORT, sim.stream('flood'), floodSource);
  const flooder = flooderPort.connect(new SynFlooder(flooderPort, template, floodRate, 0, durationMs));

  // The clients.
  const legit: LegitState = {
    attempted: 0, completed: 0, failed: 0, connectErrors: 0, errors: {}, corrupt: 0, short: 0, connected: 0, connectTimes: [],
  };
  let resolved = 0;
  const hosts: Tcp[] = [];
  for (let i = 0; i < clients; i++) {
    const address = clientAddress(i);
    const m = mac(i >>> 8, i & 0xff, 0x4f);
    const port = sim.attach(wan, m, { name: `client${i}` });
    const iface = new Interface({ device: port, clock: sim.clock, entropy: sim.entropy(`client-${i}`), address, prefixLength: 10, gateway: ROUTER_WAN_ADDR });
    const tcp = new Tcp(iface, {
      entropy: sim.entropy(`tcp-client-${i}`),
      config: { connections: perClient, sendBuffer: 1024, receiveBuffer: RESPONSE_BYTES, timeWaitEntries: perClient, listeners: 1 },
    });
    port.connect(iface);
    router.addNeighbor(address, m);
    hosts.push(tcp);
  }

  const request = new Uint8Array(REQUEST_BYTES);
  const startConnection = (client: number, index: number) => {
    legit.attempted++;
    const key = writeRequest(request, client, index);
    const startedAt = sim.now;
    const r: ResponseCheck = { got: 0, bad: false };
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      resolved++;
      if (ok) legit.completed++;
      else legit.failed++;
    };
    const handler: ConnectionHandler = {
      onConnected: (c) => {
        legit.connected++;
        legit.connectTimes.push(sim.now - startedAt);
        writeRequest(request, client, index);
        c.write(request);
      },
      onReadable: (c) => readResponse(c, scratch, key, r),
      onPeerClosed: (c) => {
        if (r.got < RESPONSE_BYTES) legit.short++;
        else if (r.bad) legit.corrupt++;
        finish(r.got === RESPONSE_BYTES && !r.bad);
        c.close();
      },
      onError: (_c, failure) => {
        if (done) return;
        legit.errors[failure] = (legit.errors[failure] ?? 0) + 1;
        finish(false);
      },
    };
    const c = hosts[client]!.connect(SERVER_ADDR, SERVER_PORT, handler);
    if (typeof c === 'string') {
      legit.connectErrors++;
      finish(false);
    }
  };
  const when = sim.stream('legit');
  const total = clients * perClient;
  for (let i = 0; i < clients; i++) {
    for (let j = 0; j < perClient; j++) sim.at(when.int(durationMs), () => startConnection(i, j));
  }

  // Run in one-second slices, sampling the server between them.
  let halfOpenMax = 0, blocksMax = 0, samples = 0, everExceeded = false;
  let halfOpenCapacity = serverConnections;
  let maxDistinct = 0, underAttackSamples = 0;
  const api = synDefenceStatusOf(server) !== null;
  const sample = () => {
    samples++;
    const status = synDefenceStatusOf(server);
    const blocks = server.activeConnections;
    const halfOpen = status !== null ? status.halfOpen : blocks;
    if (status !== null) {
      halfOpenCapacity = status.capacity;
      maxDistinct = Math.max(maxDistinct, status.distinctSources);
      if (status.underAttack) underAttackSamples++;
    }
    halfOpenMax = Math.max(halfOpenMax, halfOpen);
    blocksMax = Math.max(blocksMax, blocks);
    if (halfOpen > halfOpenCapacity || blocks > serverConnections) everExceeded = true;
  };
  const seconds = Math.ceil((durationMs + settleMs) / 1000);
  for (let s = 0; s < seconds; s++) {
    sim.runFor(1000);
    sample();
    if (sim.now >= durationMs && resolved >= total) break;
    yield sim.now;
  }

  const times = legit.connectTimes.slice().sort((a, b) => a - b);
  let sum = 0;
  for (const t of times) sum += t;
  const status = synDefenceStatusOf(server);
  const tcpCounters = server.counters as unknown as Record<string, unknown>;
  const listenerStats = (listening as Listener).stats as unknown as Record<string, number>;
  return {
    seed: o.seed,
    durationMs,
    floodRate,
    floodSource,
    synDefenceApi: api,
    mode: status !== null ? status.mode : 'none',
    legit: {
      attempted: legit.attempted,
      completed: legit.completed,
      failed: legit.failed,
      successPct: legit.attempted === 0 ? 0 : (legit.completed * 100) / legit.attempted,
      connectErrors: legit.connectErrors,
      errors: { ...legit.errors },
      corrupt: legit.corrupt,
      short: legit.short,
      unfinished: legit.attempted - resolved,
      connected: legit.connected,
      slowConnects: times.filter((t) => t > 1000).length,
    },
    connectMs: {
      p50: percentile(times, 0.5),
      p99: percentile(times, 0.99),
      max: times.length === 0 ? -1 : times[times.length - 1]!,
      mean: times.length === 0 ? -1 : Math.round((sum / times.length) * 100) / 100,
    },
    flood: { synsSent: flooder.sent },
    halfOpen: { max: halfOpenMax, capacity: halfOpenCapacity, source: api ? 'synDefenceStatus' : 'activeConnections' },
    blocks: { max: blocksMax, capacity: serverConnections },
    everExceeded,
    samples,
    synDefence: status === null ? null : {
      counters: { ...status.counters },
      cookieMode: status.cookieMode,
      underAttack: status.underAttack,
      attackStartedAt: status.attackStartedAt,
      distinctSources: status.distinctSources,
      maxDistinctSources: maxDistinct,
      underAttackSamples,
    },
    tcp: { ...tcpCounters, drops: { ...(tcpCounters.drops as object) }, serverAppErrors: serverErrors },
    listener: { ...listenerStats },
    serverDrops: { ...(serverIface.counters.drops as Record<string, number>) },
    router: { ...router.stats, drops: { ...router.stats.drops } },
    lan: { transmitted: lan.stats.transmitted, delivered: lan.stats.delivered },
    wan: { transmitted: wan.stats.transmitted, delivered: wan.stats.delivered, lost: wan.stats.lost },
    virtualMs: sim.now,
    events: sim.eventsProcessed,
  };
}

/** One line with the figures a report quotes. */
export function describeSynFlood(r: SynFloodResult): string {
  const l = r.legit;
  return `${r.floodRate} SYN/s ${r.floodSource} (${r.mode}): legit ${l.completed}/${l.attempted} ` +
    `(${l.successPct.toFixed(1)} %, failed ${l.failed}: ${JSON.stringify(l.errors)} unfinished ${l.unfinished} short ${l.short} corrupt ${l.corrupt}), ` +
    `connect p50 ${r.connectMs.p50} p99 ${r.connectMs.p99} max ${r.connectMs.max} ms, ` +
    `half-open max ${r.halfOpen.max}/${r.halfOpen.capacity} (${r.halfOpen.source}), blocks max ${r.blocks.max}/${r.blocks.capacity}` +
    `${r.everExceeded ? ' EXCEEDED' : ''}, flood ${r.flood.synsSent} SYNs, router drops ${r.router.dropped}, ` +
    `virtual ${r.virtualMs} ms, ${r.events} events`;
}
