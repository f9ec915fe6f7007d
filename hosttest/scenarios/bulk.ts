// Bulk transfer between two synstack hosts: A connects to B, and both send `bytes` of seeded
// pseudo-random content at the same time, each writing as its send buffer frees (after the
// handshake and in onWritable), each reading what the other sends and hashing it incrementally
// with SHA-256. A side that has written everything shuts its sending side down (FIN) and goes on
// reading. The run stops when both directions are complete (every byte in, FIN seen), when both
// sides have failed, or at the virtual time limit; then it lets the closing handshake finish
// (bounded by the same limit) and reports.
//
// What it reports is what the transfer tests assert and what a reader of a failing run needs:
// bytes and SHA-256 of what was written and of what arrived, per direction; whether each side saw
// the peer's FIN; the failures the application heard (onError); virtual times; TCP counters and
// the state of each connection block at the end; the interfaces' drops; the link's statistics.
// Every field is JSON-safe (no Infinity, no undefined: "not reached" is -1), so a run under XS
// compares with a run under Node by deep equality.
//
// Portable (Node and XS): no Node modules; content comes from the simulator's seeded streams.

import type { TcpConfigInput } from '../../src/tcp/tcp';
import type { Connection, ConnectionHandler } from '../../src/tcp/connection';
import type { Listener } from '../../src/tcp/listener';
import type { LinkOptions, LinkStats } from '../sim/simulator';
import { Random } from '../sim/random';
import { Sha256 } from './sha256';
import { ADDR_B, type Host, type TwoStacks, twoStacks } from './two-stacks';
import { RTO, SRTT, SSTHRESH } from '../../src/tcp/connection';

export interface BulkOptions {
  seed: number;
  /** Bytes each side sends (default 1 MiB); `bytesAToB` / `bytesBToA` override per direction. */
  bytes?: number;
  bytesAToB?: number;
  bytesBToA?: number;
  /** Link impairments (two-stacks defaults to delayMs 1). */
  link?: LinkOptions;
  /** TCP configuration overrides for both stacks. */
  tcp?: TcpConfigInput;
  /** Stop and report incomplete at this virtual time (ms, default 600,000). */
  timeLimitMs?: number;
  /** Hash and compare the content (default true; the benchmark turns it off to time the stack). */
  verify?: boolean;
  /** Diagnostics (Node only; functions are not JSON): called with the stacks before the run (to tap
   * the link, say), and at the end with the stacks and both connections. */
  setup?: (t: TwoStacks) => void;
  inspect?: (t: TwoStacks, a: Connection | null, b: Connection | null) => void;
}

export interface DirectionResult {
  /** Bytes the sender was to send. */
  bytes: number;
  /** Bytes write() accepted. */
  sent: number;
  /** Bytes the receiver read. */
  received: number;
  /** SHA-256 (hex) of what was written, and of what was read ('' when verify is off). */
  sentSha256: string;
  receivedSha256: string;
  /** Offset of the first byte read that differs from what was written, or -1. */
  firstMismatch: number;
  /** The receiver heard onPeerClosed (the sender's FIN, after all its data). */
  finSeen: boolean;
  /** Virtual ms: the sender's connection established, the last byte read, the FIN seen (-1: never). */
  startMs: number;
  lastByteMs: number;
  finMs: number;
  /** Payload bits per second of simulated time from startMs to lastByteMs (0 if incomplete). */
  goodputBps: number;
}

export interface HostResult {
  /** Failures the application heard (ConnectionHandler.onError), in order; 'connect:<error>' if connect() refused. */
  failures: string[];
  /** onClosed heard: both directions closed in order. */
  closed: boolean;
  /** The connection block at the end ('' if there never was one). */
  state: string;
  rto: number;
  srtt: number;
  cwnd: number;
  ssthresh: number;
  /** Counters of the Tcp layer. */
  retransmits: number;
  synRetransmits: number;
  timeouts: number;
  segmentsIn: number;
  segmentsOut: number;
  bytesIn: number;
  bytesOut: number;
  challengeAcks: number;
  tcpDrops: Record<string, number>;
  /** Frames the interface dropped, by reason (checksum failures land here). */
  ifaceDrops: Record<string, number>;
}

export interface BulkResult {
  /** Both directions: every byte read, contents equal (when verified), FIN seen; no failure. */
  complete: boolean;
  /** Virtual ms at which the transfer completed, or -1. */
  completeMs: number;
  /** Both sides heard onClosed, and when (-1: not within the limit). */
  closed: boolean;
  closedMs: number;
  /** Virtual ms when the run stopped (completion + closing, failure, or the limit). */
  virtualMs: number;
  timeLimitMs: number;
  aToB: DirectionResult;
  bToA: DirectionResult;
  a: HostResult;
  b: HostResult;
  link: LinkStats;
  /** TCP segments that reached the link (both directions). */
  segments: number;
}

export const MiB = 1 << 20;
const PORT = 5001;
/** Content is generated and compared in chunks of this size (a multiple of 4, see Random.bytes). */
const CHUNK = 16384;

/** A seeded byte stream produced CHUNK bytes at a time; sender and checker draw identical streams. */
class Content {
  readonly chunk = new Uint8Array(CHUNK);
  /** Bytes of `chunk` that are valid, and how many of them are used. */
  length = 0;
  used = 0;
  private produced = 0;

  constructor(private readonly random: Random, private readonly total: number) {}

  /** Make sure unused bytes are available (false at the end of the stream). */
  ensure(): boolean {
    if (this.used < this.length) return true;
    if (this.produced >= this.total) return false;
    this.length = Math.min(CHUNK, this.total - this.produced);
    this.random.bytes(this.length === CHUNK ? this.chunk : this.chunk.subarray(0, this.length));
    this.produced += this.length;
    this.used = 0;
    return true;
  }
}

type DirectionLabel = 'A->B' | 'B->A';

/** The seeded stream a direction's content is drawn from (independent of the simulator's streams). */
function contentRandom(seed: number, label: DirectionLabel): Random {
  return Random.derive(seed, `bulk/${label}`);
}

/** The whole content a run with this seed sends in one direction (for checks outside the run). */
export function bulkContent(seed: number, label: DirectionLabel, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const c = new Content(contentRandom(seed, label), bytes);
  for (let at = 0; c.ensure(); at += c.length) {
    out.set(c.chunk.subarray(0, c.length), at);
    c.used = c.length;
  }
  return out;
}

interface Direction {
  bytes: number;
  sent: number;
  received: number;
  source: Content;
  /** The receiver's copy of the sender's stream, to find the first differing byte. */
  check: Content;
  sentHash: Sha256 | null;
  receivedHash: Sha256 | null;
  firstMismatch: number;
  finSeen: boolean;
  startMs: number;
  lastByteMs: number;
  finMs: number;
  shutdown: boolean;
}

interface Side {
  host: Host;
  conn: Connection | null;
  /** What this side sends, and what it receives. */
  out: Direction;
  in: Direction;
  failures: string[];
  closed: boolean;
  scratch: Uint8Array;
}

export function runBulk(o: BulkOptions): BulkResult {
  const bytesAToB = o.bytesAToB ?? o.bytes ?? MiB;
  const bytesBToA = o.bytesBToA ?? o.bytes ?? MiB;
  const timeLimitMs = o.timeLimitMs ?? 600_000;
  const verify = o.verify ?? true;
  const t = twoStacks({ seed: o.seed, link: o.link, tcp: { connections: 2, ...o.tcp } });
  const { sim } = t;
  o.setup?.(t);

  const direction = (label: DirectionLabel, bytes: number): Direction => ({
    bytes, sent: 0, received: 0,
    source: new Content(contentRandom(o.seed, label), bytes),
    check: new Content(contentRandom(o.seed, label), bytes),
    sentHash: verify ? new Sha256() : null,
    receivedHash: verify ? new Sha256() : null,
    firstMismatch: -1, finSeen: false, startMs: -1, lastByteMs: -1, finMs: -1, shutdown: false,
  });
  const ab = direction('A->B', bytesAToB);
  const ba = direction('B->A', bytesBToA);
  const scratchBytes = Math.max(CHUNK, t.a.tcp.config.receiveBuffer);
  const sideA: Side = { host: t.a, conn: null, out: ab, in: ba, failures: [], closed: false, scratch: new Uint8Array(scratchBytes) };
  const sideB: Side = { host: t.b, conn: null, out: ba, in: ab, failures: [], closed: false, scratch: new Uint8Array(scratchBytes) };

  /** Write as much as the send buffer takes; shut down once everything is written. */
  const pump = (s: Side, c: Connection): void => {
    const d = s.out;
    // Bounded: each turn writes at least one byte or stops.
    while (d.sent < d.bytes && d.source.ensure()) {
      const src = d.source;
      const want = src.length - src.used;
      const n = c.write(src.chunk, src.used, want);
      if (n > 0) {
        d.sentHash?.update(src.chunk, src.used, n);
        src.used += n;
        d.sent += n;
      }
      if (n < want) break;
    }
    if (d.sent === d.bytes && !d.shutdown) {
      d.shutdown = true;
      c.shutdown();
    }
  };

  /** Read everything available, hashing and comparing it. */
  const drain = (s: Side, c: Connection): void => {
    const d = s.in;
    const buf = s.scratch;
    // Bounded: each turn reads at least one byte (the receive ring is finite) or stops.
    for (;;) {
      const n = c.read(buf);
      if (n === 0) break;
      if (verify) {
        d.receivedHash!.update(buf, 0, n);
        if (d.firstMismatch < 0) compare(d, buf, n);
      }
      d.received += n;
      d.lastByteMs = sim.now;
    }
  };

  const compare = (d: Direction, buf: Uint8Array, n: number): void => {
    const ch = d.check;
    let i = 0;
    while (i < n) {
      if (!ch.ensure()) {
        // More bytes than were ever sent.
        d.firstMismatch = d.received + i;
        return;
      }
      const k = Math.min(n - i, ch.length - ch.used);
      for (let j = 0; j < k; j++) {
        if (buf[i + j] !== ch.chunk[ch.used + j]) {
          d.firstMismatch = d.received + i + j;
          return;
        }
      }
      ch.used += k;
      i += k;
    }
  };

  const handler = (s: Side): ConnectionHandler => ({
    onConnected: (c) => start(s, c),
    onReadable: (c) => drain(s, c),
    onWritable: (c) => pump(s, c),
    onPeerClosed: (c) => {
      drain(s, c);
      s.in.finSeen = true;
      s.in.finMs = sim.now;
    },
    onClosed: () => { s.closed = true; },
    onError: (_c, failure) => { s.failures.push(failure); },
  });

  const start = (s: Side, c: Connection): void => {
    s.conn = c;
    s.out.startMs = sim.now;
    pump(s, c);
  };

  const listener = t.b.tcp.listen(PORT, {
    backlog: 1,
    handler: {
      onConnection: (l: Listener) => {
        for (let c = l.accept(); c !== null; c = l.accept()) {
          if (sideB.conn !== null) {
            c.abort(); // only one transfer per run
            continue;
          }
          c.handler = handler(sideB);
          start(sideB, c);
        }
      },
    },
  });
  if (typeof listener === 'string') throw new Error(`listen: ${listener}`);
  const conn = t.a.tcp.connect(ADDR_B, PORT, handler(sideA));
  if (typeof conn === 'string') sideA.failures.push(`connect:${conn}`);

  const received = (d: Direction) => d.received === d.bytes && d.finSeen;
  const settled = (s: Side) => s.failures.length > 0 || received(s.in);
  const transferred = () => received(ab) && received(ba);

  // Bounded by the virtual time limit (and the simulator's runaway guard).
  sim.runWhile(() => !(settled(sideA) && settled(sideB)), timeLimitMs);
  // hex() finishes a hash; take the digests once, here.
  const sentSha = (d: Direction) => (d.sentHash === null ? '' : d.sentHash.hex());
  const receivedSha = (d: Direction) => (d.receivedHash === null ? '' : d.receivedHash.hex());
  const digests = {
    ab: { sent: sentSha(ab), received: receivedSha(ab) },
    ba: { sent: sentSha(ba), received: receivedSha(ba) },
  };
  const noFailure = sideA.failures.length === 0 && sideB.failures.length === 0;
  const complete = transferred() && noFailure && ab.firstMismatch < 0 && ba.firstMismatch < 0 &&
    digests.ab.sent === digests.ab.received && digests.ba.sent === digests.ba.received;
  const completeMs = complete ? sim.now : -1;

  // Let the closing handshake finish within what is left of the limit.
  let closedMs = -1;
  if (complete) {
    const left = Math.max(0, timeLimitMs - sim.now);
    if (sim.runWhile(() => !(sideA.closed && sideB.closed) && sideA.failures.length === 0 && sideB.failures.length === 0, left) && sideA.closed && sideB.closed) {
      closedMs = sim.now;
    }
  }

  o.inspect?.(t, sideA.conn, sideB.conn);

  const dirResult = (d: Direction, sha: { sent: string; received: string }): DirectionResult => {
    const elapsed = d.lastByteMs - d.startMs;
    const done = d.received === d.bytes && d.startMs >= 0 && elapsed > 0;
    return {
      bytes: d.bytes, sent: d.sent, received: d.received, sentSha256: sha.sent, receivedSha256: sha.received,
      firstMismatch: d.firstMismatch, finSeen: d.finSeen, startMs: d.startMs, lastByteMs: d.lastByteMs, finMs: d.finMs,
      goodputBps: done ? Math.round((d.bytes * 8 * 1000) / elapsed) : 0,
    };
  };
  return {
    complete,
    completeMs,
    closed: closedMs >= 0,
    closedMs,
    virtualMs: sim.now,
    timeLimitMs,
    aToB: dirResult(ab, digests.ab),
    bToA: dirResult(ba, digests.ba),
    a: hostResult(sideA),
    b: hostResult(sideB),
    link: { ...t.link.stats },
    segments: t.trace.length,
  };
}

function hostResult(s: Side): HostResult {
  const k = s.host.tcp.counters;
  const c = s.conn;
  return {
    failures: s.failures.slice(),
    closed: s.closed,
    state: c === null ? '' : c.stateName,
    rto: c === null ? -1 : c.v[RTO],
    srtt: c === null ? -1 : c.v[SRTT],
    cwnd: c === null ? -1 : c.cwnd,
    ssthresh: c === null ? -1 : c.v[SSTHRESH],
    retransmits: k.retransmits,
    synRetransmits: k.synRetransmits,
    timeouts: k.timeouts,
    segmentsIn: k.segmentsIn,
    segmentsOut: k.segmentsOut,
    bytesIn: k.bytesIn,
    bytesOut: k.bytesOut,
    challengeAcks: k.challengeAcks,
    tcpDrops: sorted(k.drops as Record<string, number>),
    ifaceDrops: sorted(s.host.iface.counters.drops as Record<string, number>),
  };
}

/** A copy with keys in a stable order (JSON from XS and Node then reads the same). */
function sorted(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(r).sort()) out[key] = r[key]!;
  return out;
}

/** Sum of an interface's drops for the reasons a corrupted frame is caught by (checksums, header checks). */
export function checksumDrops(r: HostResult): number {
  let n = 0;
  for (const [reason, count] of Object.entries(r.ifaceDrops)) {
    if (reason.startsWith('ipv4-') || reason.startsWith('tcp-')) n += count;
  }
  return n;
}

/** One line for a test log or a report. */
export function describeBulk(r: BulkResult): string {
  const dir = (d: DirectionResult) => `${d.received}/${d.bytes} B${d.finSeen ? ' +FIN' : ''}${d.goodputBps > 0 ? ` ${(d.goodputBps / 1e6).toFixed(2)} Mbit/s` : ''}`;
  const host = (h: HostResult) =>
    `${h.state}${h.failures.length ? ` failed ${h.failures.join(',')}` : ''} rtx ${h.retransmits} rto ${h.rto} ms drops ${JSON.stringify(h.tcpDrops)}`;
  return `${r.complete ? `complete at ${r.completeMs} ms` : `INCOMPLETE at ${r.virtualMs} ms`}; A→B ${dir(r.aToB)}; B→A ${dir(r.bToA)}; ` +
    `A: ${host(r.a)}; B: ${host(r.b)}; iface drops A ${JSON.stringify(r.a.ifaceDrops)} B ${JSON.stringify(r.b.ifaceDrops)}; link sent ${r.link.sent} lost ${r.link.lost} dup ${r.link.duplicated} corrupt ${r.link.corrupted} reord ${r.link.reordered} qdrop ${r.link.queueDrops}`;
}
