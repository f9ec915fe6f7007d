// Header prediction (src/tcp/input.ts, `predicted`) against the general path it short-cuts. Every
// test runs the same traffic through two stacks that differ only in `headerPrediction` and asserts
// that they behave identically: every frame either stack sends (byte for byte, at the same virtual
// ms), every event the application hears (and every byte it reads), and, where a scripted peer
// drives the stack, every variable of the connection block and every counter after each step. It
// also asserts that the prediction ran (the `predictedData` / `predictedAcks` counters), so a
// fast path that never fires cannot pass for an identical one.
//
// Two kinds of traffic:
//   - a scripted peer (hosttest/tcp/peer.ts) that sends seeded random segments around the
//     connection's state: mostly the next data in order and ACKs in [SND.UNA, SND.MAX], and
//     among them old, out-of-order, overlapping, beyond-the-window and far-off segments, ACKs of
//     unsent data and below the window, SYN, FIN, RST, URG, no ACK, zero and changing windows,
//     older timestamps (PAWS) and timestamps that do not cover Last.ACK.sent, SACK blocks; the
//     application writes, reads, and stops reading; the clock moves so timers fire (delayed ACK,
//     retransmission, persist, keepalive); scripted cases add data that acknowledges new data
//     while the application writes, shuts down, closes or aborts from onWritable;
//   - two synstack hosts on a simulated link (hosttest/scenarios/two-stacks.ts), transferring
//     both ways through loss, reordering and duplication, with small writes and a slow reader
//     that closes and opens the window, timestamps and SACK on and off.

import { describe, expect, it } from 'vitest';
import type { Connection, ConnectionHandler } from '../../src/tcp/connection';
import { CLOSED, ESTABLISHED } from '../../src/tcp/state';
import { TS_RECENT } from '../../src/tcp/connection';
import { seqLt } from '../../src/wire/seq';
import type { Listener } from '../../src/tcp/listener';
import type { Tcp, TcpConfigInput } from '../../src/tcp/tcp';
import type { LinkOptions } from '../sim/simulator';
import { Random } from '../sim/random';
import { ADDR_B, twoStacks } from '../scenarios/two-stacks';
import { PEER, type SegmentSpec, type Sent, TcpPeer, describe as describeSent, pattern } from './peer';

/** A short fingerprint of bytes (FNV-1a), so an event line can say what was read. */
function fingerprint(b: Uint8Array, from = 0, to = b.length): string {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h >>> 0).toString(16);
}

/** The TCP counters of a stack without the two that count predictions (they differ by design). */
function countersOf(tcp: Tcp): Record<string, unknown> {
  const { predictedData: _d, predictedAcks: _a, drops, ...rest } = tcp.counters;
  return { ...rest, drops: { ...drops } };
}

/** Every variable of a connection block, and what it holds. */
function blockOf(c: Connection): Record<string, unknown> {
  const q = c.reassembly;
  const ranges: number[] = [];
  for (let i = 0; i < q.count; i++) ranges.push(q.rangeStart(i), q.rangeEnd(i));
  return {
    state: c.state, flags: c.flags, rcvNxt: c.rcvNxt, sndUna: c.sndUna, sndNxt: c.sndNxt, sndMax: c.sndMax,
    sndWnd: c.sndWnd, rcvAdv: c.rcvAdv, cwnd: c.cwnd, sndMss: c.sndMss, rtxAt: c.rtxAt, ackAt: c.ackAt,
    persistAt: c.persistAt, keepaliveAt: c.keepaliveAt, closeAt: c.closeAt, unackedBytes: c.unackedBytes,
    v: Array.from(c.v), sacked: Array.from(c.sacked), generation: c.generation, failure: c.failure,
    readable: c.readable, unacknowledged: c.unacknowledged, ranges, finSeq: q.finSeq, held: q.bytes,
  };
}

// ---- a scripted peer against two twins ------------------------------------------------------------

interface FuzzSetup {
  name: string;
  seed: number;
  /** Peer's SYN options. */
  ts: boolean;
  sack: boolean;
  ws?: number;
  /** Active open (connect) with keepalive on, instead of a passive one. */
  active?: boolean;
  config?: TcpConfigInput;
  /** The application reads (up to this many bytes) inside onReadable; 0: only in its own steps. */
  readInCallback: number;
  steps: number;
}

/** One of the two stacks and its application: a connection, and what the application heard. */
interface Twin {
  p: TcpPeer;
  c: Connection;
  events: string[];
}

function twin(s: FuzzSetup, headerPrediction: boolean): Twin {
  const p = new TcpPeer({ ...s.config, headerPrediction });
  const events: string[] = [];
  const scratch = new Uint8Array(4096);
  const read = (c: Connection, n: number): void => {
    const k = c.read(scratch, 0, n);
    events.push(`read ${k} ${fingerprint(scratch, 0, k)}`);
  };
  const handler: ConnectionHandler = {
    onConnected: () => events.push('connected'),
    onReadable: (c, n) => {
      events.push(`readable ${n}`);
      if (s.readInCallback > 0) read(c, Math.min(n, s.readInCallback));
    },
    onWritable: (_c, n) => events.push(`writable ${n}`),
    onPeerClosed: () => events.push('peer-closed'),
    onClosed: () => events.push('closed'),
    onError: (_c, f) => events.push(`error ${f}`),
    onUrgent: (_c, ahead) => events.push(`urgent ${ahead}`),
  };
  const ts = (value: number, echo: number): [number, number] | undefined => (s.ts ? [value, echo] : undefined);
  let c: Connection;
  if (s.active) {
    c = p.tcp.connect(PEER, 5000, handler, { keepalive: true }) as Connection;
    const [syn] = p.take();
    p.usPort = syn!.srcPort;
    p.peerPort = 5000;
    p.send({ flags: 'SA', seq: 1000, ack: syn!.seq + 1, mss: 1460, ws: s.ws, ts: ts(100, syn!.ts?.[0] ?? 0), sackOk: s.sack });
  } else {
    const l = p.tcp.listen(80) as Listener;
    p.send({ flags: 'S', seq: 1000, mss: 1460, ws: s.ws, ts: ts(100, 0), sackOk: s.sack });
    const [sa] = p.take();
    p.send({ flags: 'A', seq: 1001, ack: sa!.seq + 1, ts: ts(101, sa!.ts?.[0] ?? 0) });
    c = l.accept()!;
    c.handler = handler;
  }
  return { p, c, events };
}

/** What the peer remembers of its side: its timestamp clock, its window, our last TSval. */
interface PeerState {
  tsVal: number;
  ourTs: number;
  win: number;
}

/** A segment from the peer, drawn around the connection's state (see the file's comment). */
function peerSegment(r: Random, c: Connection, st: PeerState, s: FuzzSetup): SegmentSpec {
  const free = c.receiveBuffer.free;
  const x = r.float();
  const seq = x < 0.8 ? c.rcvNxt
    : x < 0.85 ? c.rcvNxt + r.range(1, 4) * 700
    : x < 0.93 ? c.rcvNxt - r.range(1, 2000)
    : x < 0.97 ? c.rcvNxt + free + r.range(-1, 2)
    : r.int(2 ** 32);
  const y = r.float();
  // 700 bytes now and then: out-of-order segments start at multiples of 700 past RCV.NXT, so
  // in-order data sometimes ends exactly where a FIN or a range is held.
  const len = y < 0.35 ? 0 : y < 0.6 ? r.range(1, 1460) : y < 0.7 ? 700 : y < 0.92 ? 1460 : r.range(1461, 3000);
  const z = r.float();
  // Mostly ACK and PSH; a few of the kinds that end a connection (RST, SYN), so that each lives
  // for some hundreds of steps.
  const flags = z < 0.6 ? 'A' : z < 0.88 ? 'PA' : z < 0.91 ? 'FA' : z < 0.914 ? 'R' : z < 0.917 ? 'RA'
    : z < 0.92 ? 'SA' : z < 0.923 ? 'S' : z < 0.93 ? '' : 'PA';
  const urg = z >= 0.97 ? r.range(1, 3000) : undefined;
  const una = c.sndUna, inFlight = (c.sndMax - una) >>> 0;
  const w = r.float();
  const ack = w < 0.5 ? una : w < 0.75 ? una + r.int(inFlight + 1) : w < 0.85 ? c.sndMax
    : w < 0.9 ? c.sndMax + r.range(1, 1000) : w < 0.95 ? una - r.range(1, 3000) : r.int(2 ** 32);
  const v = r.float();
  if (v < 0.05) st.win = 0;
  else if (v < 0.2) st.win = r.int(65536);
  let ts: [number, number] | undefined;
  if (s.ts || r.chance(0.05)) {
    const t = r.float();
    // A random TSval at or above TS.Recent poisons PAWS for what follows; then the peer's clock
    // jumps to TS.Recent (as if it had sent that), so the connection stays usable.
    if (seqLt(st.tsVal, c.v[TS_RECENT]) && r.chance(0.5)) st.tsVal = c.v[TS_RECENT];
    if (t < 0.88) st.tsVal = (st.tsVal + r.int(3)) >>> 0;
    const value = t < 0.88 ? st.tsVal : t < 0.98 ? (st.tsVal - r.range(1, 5)) >>> 0 : r.int(2 ** 32);
    ts = [value, r.chance(0.9) ? st.ourTs : r.int(2 ** 32)];
  }
  let sack: [number, number][] | undefined;
  if (s.sack && r.chance(0.15)) {
    sack = [];
    for (let i = r.range(1, 3); i > 0; i--) {
      const left = una + r.int(inFlight + 1);
      sack.push([left >>> 0, (left + r.range(1, 3000)) >>> 0]);
    }
  }
  return { flags, seq: seq >>> 0, ack: ack >>> 0, win: st.win, data: pattern(len, seq & 0xff), ts, sack, urg };
}

/** Both twins sent the same segments (whole IP datagrams, at the same virtual ms); returns them. */
function sameOutput(a: Twin, b: Twin, step: string): Sent[] {
  const sa = a.p.take(), sb = b.p.take();
  expect(sb.map(describeSent), `segments sent at ${step}`).toEqual(sa.map(describeSent));
  for (let i = 0; i < sa.length; i++) {
    expect(sb[i]!.time, `time of segment ${i} at ${step}`).toBe(sa[i]!.time);
    expect(sb[i]!.datagram, `bytes of segment ${i} (${describeSent(sa[i]!)}) at ${step}`).toEqual(sa[i]!.datagram);
  }
  return sa;
}

function sameState(a: Twin, b: Twin, step: string): void {
  expect(b.events, `events at ${step}`).toEqual(a.events);
  expect(blockOf(b.c), `connection block at ${step}`).toEqual(blockOf(a.c));
  expect(countersOf(b.p.tcp), `counters at ${step}`).toEqual(countersOf(a.p.tcp));
  expect(b.p.iface.nextDeadline(), `next deadline at ${step}`).toBe(a.p.iface.nextDeadline());
}

/**
 * Runs `s` on both twins in lockstep for `s.steps` steps; when the connection ends (reset, closed)
 * a new pair of twins starts over. Returns the prediction counters of the twins with it on, and
 * the sum of those with it off.
 */
function fuzz(s: FuzzSetup): { data: number; acks: number; off: number; episodes: number } {
  const r = new Random(s.seed);
  const buf = new Uint8Array(4096);
  const got = { data: 0, acks: 0, off: 0, episodes: 0 };
  for (let i = 0; i < s.steps;) {
    got.episodes++;
    const on = twin(s, true), off = twin(s, false);
    const both = (f: (t: Twin) => void): void => {
      f(on);
      f(off);
    };
    const st: PeerState = { tsVal: 101, ourTs: 0, win: 65535 };
    const note = (sent: Sent[]): void => {
      for (const x of sent) if (x.ts !== null) st.ourTs = x.ts[0];
    };
    note(sameOutput(on, off, 'handshake'));
    sameState(on, off, 'handshake');
    // An episode ends when the connection does, or 200 steps after it left ESTABLISHED (where
    // nothing is predicted: a FIN from the peer is common here).
    for (let closing = 0; i < s.steps && on.c.state !== CLOSED && closing < 200; i++) {
      if (on.c.state !== ESTABLISHED) closing++;
      const k = r.float();
      let step: string;
      if (k < 0.6) {
        const seg = peerSegment(r, on.c, st, s);
        const gap = r.int(4);
        step = `step ${i}: +${gap} ms, ${seg.flags} seq=${seg.seq} ack=${seg.ack} win=${seg.win} len=${(seg.data as Uint8Array).length}` +
          `${seg.ts ? ` ts=${seg.ts}` : ''}${seg.sack ? ` sack=${JSON.stringify(seg.sack)}` : ''}${seg.urg !== undefined ? ` urg=${seg.urg}` : ''}`;
        both((t) => {
          t.p.advance(gap);
          t.p.send(seg);
        });
      } else if (k < 0.72) {
        const n = r.range(1, 3000), from = r.int(256);
        step = `step ${i}: write ${n}`;
        both((t) => {
          t.events.push(`wrote ${t.c.write(pattern(n, from))}`);
        });
      } else if (k < 0.82) {
        const n = r.range(1, 4096);
        step = `step ${i}: read ${n}`;
        both((t) => {
          const n2 = t.c.read(buf, 0, n);
          t.events.push(`read ${n2} ${fingerprint(buf, 0, n2)}`);
        });
      } else if (k < 0.999) {
        const ms = r.chance(0.8) ? r.range(1, 60) : r.range(60, 3000);
        step = `step ${i}: advance ${ms} ms`;
        both((t) => t.p.advance(ms));
      } else if (k < 0.9995) {
        step = `step ${i}: shutdown`;
        both((t) => t.c.shutdown());
      } else {
        // The application lets go: later data draws an RST (RFC 1122 §4.2.2.13).
        step = `step ${i}: close`;
        both((t) => t.c.close());
      }
      note(sameOutput(on, off, step));
      sameState(on, off, step);
    }
    const k = on.p.tcp.counters, o = off.p.tcp.counters;
    got.data += k.predictedData;
    got.acks += k.predictedAcks;
    got.off += o.predictedData + o.predictedAcks;
  }
  return got;
}

const FUZZ: FuzzSetup[] = [
  { name: 'timestamps and SACK, window scale 2, reader in the callback', seed: 1, ts: true, sack: true, ws: 2, readInCallback: 4096, steps: 4000 },
  { name: 'timestamps and SACK, a 4 KiB ring read only by the application steps', seed: 2, ts: true, sack: true, config: { receiveBuffer: 4096, sendBuffer: 4096 }, readInCallback: 0, steps: 4000 },
  { name: 'no options, reader takes 500 bytes a callback', seed: 3, ts: false, sack: false, readInCallback: 500, steps: 4000 },
  { name: 'SACK without timestamps, no delayed ACK, RFC 793 ACK checks', seed: 4, ts: false, sack: true, config: { delayedAckMs: 0, rfc5961Ack: false }, readInCallback: 4096, steps: 4000 },
  { name: 'timestamps without SACK, active open with keepalive every 300 ms', seed: 5, ts: true, sack: false, active: true, config: { keepalive: { idleMs: 300, intervalMs: 100, count: 3 } }, readInCallback: 1460, steps: 4000 },
  { name: 'timestamps and SACK, BSD trimming of old segments, 2 KiB rings (the firmware\'s)', seed: 6, ts: true, sack: true, config: { trimOldSegments: true, receiveBuffer: 2048, sendBuffer: 2048 }, readInCallback: 2048, steps: 4000 },
];

describe('header prediction against the general path, a scripted peer (every frame, event, variable and counter after each step)', () => {
  let data = 0, acks = 0;
  for (const s of FUZZ) {
    it(s.name, () => {
      const got = fuzz(s);
      console.log(`[fastpath] ${s.name}: ${got.episodes} connections, ${got.data} data and ${got.acks} ACK segments predicted`);
      expect(got.off, 'predictions with headerPrediction off').toBe(0);
      expect(got.data + got.acks, 'predictions with headerPrediction on').toBeGreaterThan(0);
      data += got.data;
      acks += got.acks;
    });
  }
  it('predicted both kinds of segment across the runs', () => {
    expect(data, 'in-order data predicted').toBeGreaterThan(100);
    expect(acks, 'pure ACKs predicted').toBeGreaterThan(100);
  });
});

/** Runs the peer's `segments` (their seq and ack relative to RCV.NXT and SND.UNA) on both twins. */
function scripted(s: FuzzSetup, segments: Array<SegmentSpec & { ahead?: number }>): { on: Twin; off: Twin } {
  const on = twin(s, true), off = twin(s, false);
  sameOutput(on, off, 'handshake');
  segments.forEach((seg, i) => {
    const spec = { ...seg, seq: (on.c.rcvNxt + (seg.ahead ?? 0)) >>> 0, ack: on.c.sndUna };
    on.p.send(spec);
    off.p.send(spec);
    sameOutput(on, off, `segment ${i}`);
    sameState(on, off, `segment ${i}`);
  });
  return { on, off };
}

describe('header prediction against the general path, scripted cases', () => {
  const plain: FuzzSetup = { name: 'plain', seed: 0, ts: false, sack: true, readInCallback: 4096, steps: 0 };

  it('a FIN held beyond a hole is taken when in-order data fills the hole exactly (not predicted)', () => {
    const { on } = scripted(plain, [{ flags: 'FA', ahead: 700 }, { flags: 'PA', data: 700 }]);
    expect(on.c.stateName).toBe('CLOSE-WAIT');
    expect(on.events).toContain('peer-closed');
    expect(on.p.tcp.counters.predictedData).toBe(0);
  });

  it('in-order data after a hole was filled is predicted again', () => {
    const { on } = scripted(plain, [{ flags: 'PA', data: 500, ahead: 500 }, { flags: 'PA', data: 500 }, { flags: 'PA', data: 500 }]);
    expect(on.p.tcp.counters.predictedData).toBe(1);
  });

  /**
   * The application has written 1000 bytes; the peer's next data in order acknowledges all of it
   * (both sides sending), and in onWritable the application does `then`. When it closes or aborts
   * there, the prediction must give the segment's text to the general path (which resets: nobody
   * will read it), as synchronizedOrReceived would.
   */
  function dataAckingNew(s: FuzzSetup, then: 'nothing' | 'write' | 'close' | 'abort' | 'shutdown'): { on: Twin; off: Twin } {
    const on = twin(s, true), off = twin(s, false);
    sameOutput(on, off, 'handshake');
    for (const t of [on, off]) {
      t.events.push(`wrote ${t.c.write(pattern(1000, 1))}`);
      const h = t.c.handler!;
      t.c.handler = {
        ...h,
        onWritable: (c, n) => {
          h.onWritable!(c, n);
          if (then === 'write') t.events.push(`wrote ${c.write(pattern(300, 2))}`);
          else if (then === 'close') c.close();
          else if (then === 'abort') c.abort();
          else if (then === 'shutdown') c.shutdown();
        },
      };
    }
    const sent = sameOutput(on, off, 'write');
    sameState(on, off, 'write');
    const spec: SegmentSpec = { flags: 'PA', seq: on.c.rcvNxt, ack: on.c.sndMax, data: pattern(500, 3), ts: s.ts ? [102, sent[0]!.ts![0]] : undefined };
    for (const t of [on, off]) t.p.send(spec);
    sameOutput(on, off, 'data acknowledging ours');
    sameState(on, off, 'data acknowledging ours');
    expect(on.p.tcp.counters.predictedData, 'predicted').toBe(1);
    return { on, off };
  }

  it('data that also acknowledges new data is predicted (both sides sending)', () => {
    for (const s of [plain, { ...plain, ts: true }]) {
      const { on } = dataAckingNew(s, 'nothing');
      expect(on.c.unacknowledged).toBe(0);
      expect(on.c.readable).toBe(0);
      expect(on.events.filter((e) => e.startsWith('read '))).toHaveLength(1);
    }
  });

  it('data that acknowledges new data, the application writes or shuts down in onWritable', () => {
    expect(dataAckingNew(plain, 'write').on.c.unacknowledged).toBe(300);
    expect(dataAckingNew(plain, 'shutdown').on.c.stateName).toBe('FIN-WAIT-1');
  });

  it('data that acknowledges new data, the application closes or aborts in onWritable (the text goes to the general path)', () => {
    const closed = dataAckingNew(plain, 'close').on;
    // After close() the application no longer hears of the connection; the stack resets it.
    expect(closed.p.tcp.counters.drops['data-after-close']).toBe(1);
    expect(closed.p.tcp.counters.resetsOut).toBe(1);
    const aborted = dataAckingNew(plain, 'abort').on;
    expect(aborted.c.stateName).toBe('CLOSED');
  });
});

// ---- two stacks on a simulated link ---------------------------------------------------------------

interface TransferSetup {
  name: string;
  seed: number;
  link?: LinkOptions;
  tcp?: TcpConfigInput;
  /** Bytes each side sends, in writes of at most `chunk`. */
  bytes: number;
  chunk: number;
  /** Read everything in onReadable, or only `slowRead` bytes every `slowEveryMs`. */
  slowRead?: number;
  slowEveryMs?: number;
}

interface TransferRun {
  frames: Array<{ time: number; bytes: Uint8Array }>;
  events: string[];
  done: boolean;
  predicted: { data: number; acks: number };
  end: Record<string, unknown>;
}

function transfer(s: TransferSetup, headerPrediction: boolean): TransferRun {
  const t = twoStacks({ seed: s.seed, link: s.link, tcp: { connections: 2, ...s.tcp, headerPrediction } });
  const { sim } = t;
  const frames: TransferRun['frames'] = [];
  t.link.capture({ record: (time, f) => frames.push({ time, bytes: f.slice() }) });
  const events: string[] = [];
  interface App { name: string; c: Connection | null; sent: number; received: number; fin: boolean; closed: boolean; failed: boolean }
  const apps: App[] = [];
  const scratch = new Uint8Array(65536);
  const data = pattern(s.chunk, s.seed);
  const log = (a: App, what: string): void => {
    events.push(`${sim.now} ${a.name} ${what}`);
  };
  const pump = (a: App, c: Connection): void => {
    // Bounded: each turn writes at least one byte or stops.
    while (a.sent < s.bytes) {
      const n = c.write(data, 0, Math.min(s.chunk, s.bytes - a.sent));
      if (n === 0) break;
      a.sent += n;
      log(a, `wrote ${n}`);
    }
    if (a.sent === s.bytes && c.writable > 0) {
      a.sent++; // once
      c.shutdown();
      log(a, 'shutdown');
    }
  };
  const drain = (a: App, c: Connection, most: number): void => {
    const n = c.read(scratch, 0, Math.min(most, scratch.length));
    if (n > 0) {
      a.received += n;
      log(a, `read ${n} ${fingerprint(scratch, 0, n)}`);
    }
  };
  const handler = (a: App): ConnectionHandler => ({
    onConnected: (c) => {
      log(a, 'connected');
      a.c = c;
      pump(a, c);
    },
    onReadable: (c, n) => {
      log(a, `readable ${n}`);
      if (s.slowRead === undefined) drain(a, c, n);
    },
    onWritable: (c, n) => {
      log(a, `writable ${n}`);
      pump(a, c);
    },
    onPeerClosed: (c) => {
      log(a, 'peer-closed');
      a.fin = true;
      drain(a, c, c.readable);
    },
    onClosed: () => {
      log(a, 'closed');
      a.closed = true;
    },
    onError: (_c, f) => {
      log(a, `error ${f}`);
      a.failed = true;
    },
  });
  const A: App = { name: 'A', c: null, sent: 0, received: 0, fin: false, closed: false, failed: false };
  const B: App = { name: 'B', c: null, sent: 0, received: 0, fin: false, closed: false, failed: false };
  apps.push(A, B);
  const l = t.b.tcp.listen(5001, {
    handler: {
      onConnection: (li: Listener) => {
        for (let c = li.accept(); c !== null; c = li.accept()) {
          c.handler = handler(B);
          log(B, 'accepted');
          B.c = c;
          pump(B, c);
        }
      },
    },
  });
  expect(typeof l).toBe('object');
  const c = t.a.tcp.connect(ADDR_B, 5001, handler(A));
  expect(typeof c).toBe('object');
  if (s.slowRead !== undefined) {
    const every = s.slowEveryMs ?? 10;
    const tick = (): void => {
      for (const a of apps) if (a.c !== null && a.c.readable > 0) drain(a, a.c, s.slowRead!);
      if (!(A.closed && B.closed)) sim.after(every, tick);
    };
    sim.after(every, tick);
  }
  const settled = (a: App): boolean => a.failed || a.closed;
  sim.runWhile(() => !(settled(A) && settled(B)), 600_000);
  const done = A.closed && B.closed && A.received === s.bytes && B.received === s.bytes && !A.failed && !B.failed;
  const end = {
    a: countersOf(t.a.tcp), b: countersOf(t.b.tcp), aBlock: A.c === null ? null : blockOf(A.c), bBlock: B.c === null ? null : blockOf(B.c),
    now: sim.now, link: { ...t.link.stats },
  };
  const k = [t.a.tcp.counters, t.b.tcp.counters];
  return { frames, events, done, predicted: { data: k[0]!.predictedData + k[1]!.predictedData, acks: k[0]!.predictedAcks + k[1]!.predictedAcks }, end };
}

const TRANSFERS: TransferSetup[] = [
  { name: 'clean link, 64 KiB buffers, window scaling', seed: 11, tcp: { sendBuffer: 65536, receiveBuffer: 65536 }, bytes: 300_000, chunk: 16384 },
  { name: 'loss 2 %, reordering 3 % by up to 10 ms, duplication 2 %', seed: 12, link: { loss: 0.02, reorder: 0.03, reorderMs: 10, duplicate: 0.02 }, tcp: { sendBuffer: 16384, receiveBuffer: 16384 }, bytes: 200_000, chunk: 4000 },
  { name: 'the same impairments without timestamps and SACK', seed: 13, link: { loss: 0.02, reorder: 0.03, reorderMs: 10, duplicate: 0.02 }, tcp: { sendBuffer: 16384, receiveBuffer: 16384, timestamps: false, sack: false }, bytes: 200_000, chunk: 4000 },
  { name: 'timestamps without SACK, loss 3 %', seed: 14, link: { loss: 0.03 }, tcp: { sack: false }, bytes: 100_000, chunk: 2048 },
  { name: 'small writes (100 bytes) both ways', seed: 15, link: { loss: 0.01 }, tcp: { sendBuffer: 4096, receiveBuffer: 4096 }, bytes: 60_000, chunk: 100 },
  { name: 'a slow reader closes and opens a 4 KiB window (zero windows, probes, updates)', seed: 16, tcp: { sendBuffer: 8192, receiveBuffer: 4096 }, bytes: 60_000, chunk: 3000, slowRead: 700, slowEveryMs: 25 },
  { name: 'a slow reader, 2 KiB rings, loss 2 %, no delayed ACK', seed: 17, link: { loss: 0.02 }, tcp: { sendBuffer: 2048, receiveBuffer: 2048, delayedAckMs: 0 }, bytes: 40_000, chunk: 1000, slowRead: 1460, slowEveryMs: 5 },
];

describe('header prediction against the general path, two stacks on a simulated link (every frame and event)', () => {
  for (const s of TRANSFERS) {
    it(s.name, () => {
      const on = transfer(s, true), off = transfer(s, false);
      console.log(`[fastpath] ${s.name}: ${on.frames.length} frames, ${on.predicted.data} data and ${on.predicted.acks} ACK segments predicted`);
      expect(off.done, 'the transfer completed (prediction off)').toBe(true);
      expect(off.predicted, 'no predictions with headerPrediction off').toEqual({ data: 0, acks: 0 });
      expect(on.predicted.data, 'in-order data predicted').toBeGreaterThan(0);
      expect(on.predicted.acks, 'pure ACKs predicted').toBeGreaterThan(0);
      // Frame for frame: report the first difference rather than two arrays of thousands.
      const n = Math.min(on.frames.length, off.frames.length);
      for (let i = 0; i < n; i++) {
        const a = on.frames[i]!, b = off.frames[i]!;
        if (a.time !== b.time || fingerprint(a.bytes) !== fingerprint(b.bytes) || a.bytes.length !== b.bytes.length) {
          expect({ time: a.time, bytes: a.bytes }, `frame ${i} of ${off.frames.length}`).toEqual({ time: b.time, bytes: b.bytes });
        }
      }
      expect(on.frames.length, 'frames on the link').toBe(off.frames.length);
      const m = on.events.findIndex((e, i) => e !== off.events[i]);
      expect(m < 0 ? null : on.events.slice(m, m + 5), 'application events (from the first difference)').toEqual(m < 0 ? null : off.events.slice(m, m + 5));
      expect(on.events.length).toBe(off.events.length);
      expect(on.end).toEqual(off.end);
    });
  }
});
