// The XS benchmark's scenario (hosttest/bench/xs.ts): one receiving synstack (Interface + Tcp, the
// firmware's configuration: 8 connections with 2 KiB rings, a 128-entry SYN cache in 32 buckets of
// at most 8) fed frames by the peer of hosttest/bench/xs/peer.ts inside the same XS machine. After
// the setup (`segment`: one connection established and warmed up; `syn`: a listener flooded until
// its cache is full) it runs the phases it is given, each a loop of `n` units of one kind, with a
// call to Math.sinh(0) before each phase and after the last: callgrind dumps its counts there
// (--dump-before=fx_Math_sinh), and the host takes differences between phases of n, 2n and 4n
// units, so everything else (XS start, the bundle, the setup, a phase's fixed cost) cancels.
//
// Kinds (each loop iteration is one unit; `now` advances 1 ms per unit):
//   segment         a 1460-byte data segment in; the application reads it; the stack ACKs it.
//   segment-driver  the same loop with only the peer's work (patching the frame), for subtraction.
//   send            the other direction: the application writes 1460 bytes, the stack sends them
//                   as one segment, and the peer's pure ACK of it comes in (on the second
//                   connection, so the receiving kinds' connection is left as it was).
//   send-driver     the same loop with only the peer's work (patching its ACK).
//   syn             a SYN from a new spoofed source (off-link, via the gateway) in, a SYN-ACK out;
//                   args.mode 'cache' or 'cookies'; the cache is full and evicting before the loop.
//   syn-driver      the same loop with only the peer's work.
//   parse           Ethernet + IPv4 + TCP views bound to the data frame, checksums off.
//   lookup          the 4-tuple lookup of the connection table for the connection just found
//                   (the table's last-found hint answers; no hash).
//   lookup-other    lookups that alternate between two connections, so the hint misses and the
//                   keyed hash runs each time (what interleaved traffic costs).
//   ring            1460 bytes copied into a 2 KiB ByteRing and read out into the application's buffer.
//   ack             one pure ACK built and sent for the established connection (sendAck).
//   loop            nothing: the cost of the loop itself, subtracted from the micro kinds.
//   copy-loop       1460 bytes copied frame -> application buffer by an index loop (ring.ts's way).
//   copy-set        the same by Uint8Array.prototype.set of a subarray (a native copy, and one
//                   short-lived view object per copy): the alternative, measured for comparison.
//   field-first     ten reads of the Connection's first property (state), field-last ten of a
//   field-last      variable in its Float64Array (c.v[RTT_MIN]), field-small ten of a field of a three-field
//   field-small     object: what a property read costs by its place in XS's property list.
//   floor           the same segment through FloorReceiver (floor.ts): the least an
//                   interpreted receive path does, for reading the stack's figure against;
//                   accelerated configurations only (it calls the stand-ins).
//   syn-floor       the same SYNs through FloorListener (floor.ts): the least a listener does
//                   to answer one with a cookie; accelerated only.
// The `heap` setup has no phases: `establish` connections established (and held by the
// application), then `synFill` spoofed SYNs; the stack is kept alive and the host snapshots the heap.
//
// Accelerators (args.accel): 'checksum' replaces the RFC 1071 sum with a function that returns
// 0xffff without reading the bytes (what every valid packet sums to, so verification passes; the
// checksums the stack writes come out 0, which nobody checks here); 'mac' replaces HalfSipHash with
// a function that mixes three bytes of its input (deterministic, so table lookups still work, and
// spread like a keyed hash over the varying bytes of spoofed tuples); 'copy' gives the rings a copy
// that moves nothing (the application then reads stale bytes, which nobody checks here). They
// stand in for the call into the ESP32's native C functions; the C work itself is not counted
// (checksum and HalfSipHash are measured apart; the copy is a memmove of the payload).

import { Interface } from '../../../src/iface/interface';
import type { Accelerators } from '../../../src/platform';
import type { Connection } from '../../../src/tcp/connection';
import { sendAck } from '../../../src/tcp/output';
import { ByteRing } from '../../../src/tcp/ring';
import { Tcp } from '../../../src/tcp/tcp';
import type { SynDefenceMode } from '../../../src/tcp/syndefence';
import { EthernetFrame } from '../../../src/wire/ethernet';
import { Ipv4Packet } from '../../../src/wire/ipv4';
import { TCP_ACK, TCP_PSH, TCP_SYN, TcpSegment } from '../../../src/wire/tcp';
import {
  CLIENT_IP, GATEWAY_IP, PAYLOAD_AT, SERVER_PORT, STACK_IP, STACK_MAC, gatewayArpRequest, patchAck, patchSeq, patchSource,
  sentTcp, tcpFrame,
} from '../../bench/xs/peer';
import { args, scenario } from '../scenario-api';
import { RTT_MIN } from '../../../src/tcp/connection';
import { FloorListener, FloorReceiver } from './floor';

export type BenchKind =
  | 'segment' | 'segment-driver' | 'syn' | 'syn-driver' | 'parse' | 'lookup' | 'ring' | 'ack' | 'loop' | 'copy-loop' | 'copy-set'
  | 'field-first' | 'field-last' | 'field-small' | 'floor' | 'syn-floor' | 'lookup-other' | 'send' | 'send-driver';

export interface BenchArgs {
  /** What is built before the phases: an established connection, a flooded listener, or (heap) both. */
  setup: 'segment' | 'syn' | 'heap';
  /** Loops run one after the other, each between two phase markers. */
  phases?: Array<{ kind: BenchKind; n: number }>;
  accel?: { checksum?: boolean; mac?: boolean; copy?: boolean };
  mode?: SynDefenceMode;
  /** Connection blocks and their ring size (heap: all of them established and held). */
  connections?: number;
  buffer?: number;
  /** heap: connections to establish (default: all of them). */
  establish?: number;
  /** SYN-cache entries, and (heap) how many spoofed SYNs to send to fill it. */
  synEntries?: number;
  synFill?: number;
  /** Entries a bucket may hold (default: the firmware's 8, or entries / 32 if more). */
  synBucketLimit?: number;
}

/** What one phase did, so a run that did not do its work is caught. */
export interface PhaseResult {
  kind: BenchKind;
  n: number;
  framesOut: number;
  framesDropped: number;
  bytesRead: number;
  arpMisses: number;
  synAcks: number;
  cookies: number;
  evictions: number;
  /** XS's meter over the phase (xsnap counts one per bytecode executed, a few ops count more); -1 without xsnap. */
  meter: number;
}

export interface BenchResult {
  setup: BenchArgs['setup'];
  phases: PhaseResult[];
  /** Connections the application holds, and half-open entries in the SYN cache, at the end. */
  established: number;
  halfOpen: number;
}

const SEGMENT = 1460;
const WARMUP_SEGMENTS = 16;

function run(a: BenchArgs): BenchResult {
  let framesOut = 0;
  let capture: ((f: Uint8Array) => void) | null = null;
  const device = {
    mac: STACK_MAC, mtu: 1500,
    send: (f: Uint8Array) => {
      framesOut++;
      if (capture !== null) capture(f);
    },
  };
  // Deterministic entropy: the secrets do not matter here, only that runs repeat exactly.
  let state = 0x2545f491;
  const entropy = {
    fill: (b: Uint8Array) => {
      for (let i = 0; i < b.length; i++) {
        state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
        b[i] = state & 0xff;
      }
    },
  };
  const accelerators: Partial<Accelerators> = {};
  if (a.accel?.checksum) accelerators.checksum = () => 0xffff;
  if (a.accel?.copy) accelerators.copy = () => {};
  if (a.accel?.mac) {
    accelerators.mac = (_key, d, o, l) => Math.imul((d[o]! << 16) ^ (d[o + (l >> 1)]! << 8) ^ d[o + l - 1]!, 0x9e3779b1) >>> 0;
  }
  const connections = a.connections ?? 8;
  const buffer = a.buffer ?? 2048;
  const mode: SynDefenceMode = a.mode ?? 'overflow';
  const entries = a.synEntries ?? 128;
  const iface = new Interface({ device, entropy, address: STACK_IP, prefixLength: 24, gateway: GATEWAY_IP, accelerators });
  const tcp = new Tcp(iface, {
    entropy, accelerators,
    config: {
      connections, sendBuffer: buffer, receiveBuffer: buffer, listeners: 1,
      synDefence: { mode, entries, buckets: 32, bucketLimit: a.synBucketLimit ?? Math.max(8, Math.ceil(entries / 32)) },
    },
  });
  let bytesRead = 0;
  // The application's read buffer: one 2 KiB array whatever the rings (so heap runs that differ
  // in ring size differ only in the rings).
  const appBuffer = new Uint8Array(2048);
  const held: Connection[] = [];
  const appHandler = { onReadable: (c: Connection) => { bytesRead += c.read(appBuffer); } };
  tcp.listen(SERVER_PORT, {
    backlog: connections,
    handler: {
      onConnection: (l) => {
        for (let c = l.accept(); c !== null; c = l.accept()) {
          c.handler = appHandler;
          held.push(c);
        }
      },
    },
  });

  let now = 1;
  iface.poll(now);
  iface.input(gatewayArpRequest(), now);

  /** A full handshake from CLIENT_IP:port; returns the stack's ISS and our next sequence number. */
  const handshake = (port: number): { iss: number; seq: number } => {
    let synAck: { seq: number; ack: number; flags: number; dstPort: number } | null = null;
    capture = (f) => {
      const s = sentTcp(f);
      if (s !== null && s.flags === (TCP_SYN | TCP_ACK) && s.dstPort === port) synAck = s;
    };
    const isn = (port * 7919) >>> 0;
    iface.input(tcpFrame(CLIENT_IP, port, isn, 0, TCP_SYN, 0, true), ++now);
    capture = null;
    const got = synAck as { seq: number } | null;
    if (got === null) throw new Error(`no SYN-ACK for port ${port}`);
    const seq = (isn + 1) >>> 0;
    iface.input(tcpFrame(CLIENT_IP, port, seq, (got.seq + 1) >>> 0, TCP_ACK, 0), ++now);
    return { iss: got.seq, seq };
  };

  // Spoofed SYN sources: a xorshift walk over 198.18.0.0/15 (RFC 2544's benchmark range), new
  // ports and ISNs each time.
  let walk = 0x1234567;
  const synFrame = tcpFrame(0xc6120001, 1024, 1, 0, TCP_SYN, 0, true);
  const nextSyn = (): void => {
    walk ^= walk << 13; walk ^= walk >>> 17; walk ^= walk << 5;
    patchSource(synFrame, (0xc6120000 | (walk & 0x1ffff)) >>> 0, 1024 + ((walk >>> 17) & 0x7fff), walk >>> 0);
  };

  const before = { frames: 0, dropped: 0, arp: 0, synAcks: 0, cookies: 0, evictions: 0 };
  const counting = (): void => {
    before.frames = framesOut;
    before.dropped = iface.counters.framesDropped;
    before.arp = iface.arpCounters.misses;
    const s = tcp.synCache.counters;
    before.synAcks = s.synAcksSent;
    before.cookies = s.cookiesSent;
    before.evictions = s.evictions;
    bytesRead = 0;
  };
  const counted = (kind: BenchKind, n: number, meter: number): PhaseResult => {
    const s = tcp.synCache.counters;
    return {
      meter,
      kind, n,
      framesOut: framesOut - before.frames,
      framesDropped: iface.counters.framesDropped - before.dropped,
      bytesRead,
      arpMisses: iface.arpCounters.misses - before.arp,
      synAcks: s.synAcksSent - before.synAcks,
      cookies: s.cookiesSent - before.cookies,
      evictions: s.evictions - before.evictions,
    };
  };
  const sinkMarker = (): void => {
    // The phase boundary callgrind dumps at (--dump-before=fx_Math_sinh); nothing else calls it.
    if (Math.sinh(0) !== 0) throw new Error('Math.sinh');
  };

  const result: BenchResult = { setup: a.setup, phases: [], established: 0, halfOpen: 0 };
  let phase: (kind: BenchKind, n: number) => void;

  if (a.setup === 'heap') {
    for (let i = 0; i < (a.establish ?? connections); i++) handshake(40000 + i);
    for (let i = 0; i < (a.synFill ?? 0); i++) {
      nextSyn();
      iface.input(synFrame, ++now);
    }
    // Keep the stack alive after the scenario returns: the host snapshots the heap next.
    (globalThis as unknown as { benchKeep?: unknown }).benchKeep = { iface, tcp, held };
    phase = () => {
      throw new Error('no phases in the heap setup');
    };
  } else if (a.setup === 'syn') {
    // Fill the cache (and let cookie mode settle) before the loop: the steady state of a flood.
    for (let i = 0; i < (a.synFill ?? 2 * entries); i++) {
      nextSyn();
      iface.input(synFrame, ++now);
      if (iface.nextDeadline() <= now) iface.poll(now);
    }
    const floor = accelerators.checksum !== undefined && accelerators.mac !== undefined
      ? new FloorListener(STACK_IP, SERVER_PORT, accelerators.checksum, accelerators.mac, new Uint8Array(8), device.send, synFrame)
      : null;
    phase = (kind, n) => {
      if (kind === 'syn-floor') {
        if (floor === null) throw new Error('syn-floor: needs the checksum and mac stand-ins');
        for (let i = 0; i < n; i++) {
          nextSyn();
          if (floor.input(synFrame, ++now) < 0) throw new Error('syn-floor: the SYN was not answered');
        }
      } else if (kind === 'syn') {
        for (let i = 0; i < n; i++) {
          nextSyn();
          iface.input(synFrame, ++now);
          if (iface.nextDeadline() <= now) iface.poll(now);
        }
      } else if (kind === 'syn-driver') {
        for (let i = 0; i < n; i++) {
          nextSyn();
          ++now;
        }
      } else throw new Error(`kind ${kind} needs the segment setup`);
    };
  } else {
    const port = 40000;
    const h = handshake(port);
    const c = held[0];
    if (c === undefined) throw new Error('the handshake did not give the application a connection');
    // A second connection, for lookups that alternate between two tuples.
    const otherPort = port + 1;
    const h2 = handshake(otherPort);
    const sender = held[1];
    if (sender === undefined) throw new Error('the second handshake did not give the application a connection');
    // The peer's ACKs to what the second connection sends; the stack's next sequence number follows.
    const ackFrame = tcpFrame(CLIENT_IP, otherPort, h2.seq, (h2.iss + 1) >>> 0, TCP_ACK, 0);
    let sent = (h2.iss + 1) >>> 0;
    const frame = tcpFrame(CLIENT_IP, port, h.seq, (h.iss + 1) >>> 0, TCP_ACK | TCP_PSH, SEGMENT);
    let seq = h.seq;
    const payload = frame.subarray(PAYLOAD_AT, PAYLOAD_AT + SEGMENT);
    const eth = new EthernetFrame(), ip = new Ipv4Packet(), seg = new TcpSegment();
    const ring = new ByteRing(buffer);
    const small = { x: 1, y: 2, z: 3 };
    // The floor model gets the same frames on its own sequence space (it shares nothing with the stack).
    let floor: FloorReceiver | null = null;
    let floorSeq = 0x10000000;
    if (accelerators.checksum !== undefined && accelerators.mac !== undefined && accelerators.copy !== undefined) {
      floor = new FloorReceiver(STACK_IP, accelerators.checksum, accelerators.mac, accelerators.copy, new Uint8Array(8), device.send);
      patchSeq(frame, floorSeq);
      floor.open(frame);
    }
    let fieldSink = 0;
    phase = (kind, n) => {
      switch (kind) {
        case 'segment':
          for (let i = 0; i < n; i++) {
            patchSeq(frame, seq);
            seq = (seq + SEGMENT) >>> 0;
            iface.input(frame, ++now);
            if (iface.nextDeadline() <= now) iface.poll(now);
          }
          break;
        case 'floor':
          if (floor === null) throw new Error('floor: needs the checksum, mac and copy stand-ins');
          for (let i = 0; i < n; i++) {
            patchSeq(frame, floorSeq);
            floorSeq = (floorSeq + SEGMENT) >>> 0;
            const got = floor.input(frame, appBuffer);
            if (got !== SEGMENT) throw new Error('floor: the segment left the fast path');
            bytesRead += got;
            ++now;
          }
          break;
        case 'send':
          for (let i = 0; i < n; i++) {
            if (sender.write(payload) !== SEGMENT) throw new Error('send: the send ring did not take the segment');
            sent = (sent + SEGMENT) >>> 0;
            patchAck(ackFrame, sent);
            iface.input(ackFrame, ++now);
            if (iface.nextDeadline() <= now) iface.poll(now);
          }
          if (sender.unacknowledged !== 0) throw new Error('send: data left unacknowledged');
          break;
        case 'send-driver': {
          // The same patching, on numbers of its own: nothing was sent.
          let ack = sent;
          for (let i = 0; i < n; i++) {
            ack = (ack + SEGMENT) >>> 0;
            patchAck(ackFrame, ack);
            ++now;
          }
          break;
        }
        case 'segment-driver':
          for (let i = 0; i < n; i++) {
            patchSeq(frame, seq);
            seq = (seq + SEGMENT) >>> 0;
            ++now;
          }
          break;
        case 'parse':
          for (let i = 0; i < n; i++) {
            ++now;
            eth.parse(frame, 0, frame.length);
            ip.parse(frame, eth.payloadOffset, eth.payloadLength, null);
            seg.parse(frame, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst, null);
          }
          if (seg.payloadLength !== SEGMENT) throw new Error('parse: wrong payload length');
          break;
        case 'lookup':
          for (let i = 0; i < n; i++) {
            ++now;
            if (tcp.index.find(STACK_IP, SERVER_PORT, CLIENT_IP, port) < 0) throw new Error('lookup: connection not found');
          }
          break;
        case 'lookup-other':
          for (let i = 0; i < n; i++) {
            ++now;
            if (tcp.index.find(STACK_IP, SERVER_PORT, CLIENT_IP, (i & 1) === 0 ? port : otherPort) < 0) throw new Error('lookup-other: connection not found');
          }
          break;
        case 'ring':
          for (let i = 0; i < n; i++) {
            ++now;
            ring.write(frame, PAYLOAD_AT, SEGMENT);
            bytesRead += ring.read(appBuffer, 0, SEGMENT);
          }
          break;
        case 'ack':
          for (let i = 0; i < n; i++) sendAck(tcp, c, ++now);
          break;
        case 'loop':
          for (let i = 0; i < n; i++) ++now;
          break;
        // Three literal loops on purpose: a shared helper would measure a call or a computed key
        // (o[name]) rather than the plain property read the stack's code does.
        case 'field-first':
          for (let i = 0; i < n; i++) {
            ++now;
            fieldSink += c.state + c.state + c.state + c.state + c.state + c.state + c.state + c.state + c.state + c.state;
          }
          break;
        case 'field-last':
          for (let i = 0; i < n; i++) {
            ++now;
            fieldSink += c.v[RTT_MIN] + c.v[RTT_MIN] + c.v[RTT_MIN] + c.v[RTT_MIN] + c.v[RTT_MIN] + c.v[RTT_MIN] + c.v[RTT_MIN] + c.v[RTT_MIN] + c.v[RTT_MIN] + c.v[RTT_MIN];
          }
          break;
        case 'field-small':
          for (let i = 0; i < n; i++) {
            ++now;
            fieldSink += small.z + small.z + small.z + small.z + small.z + small.z + small.z + small.z + small.z + small.z;
          }
          break;
        case 'copy-loop':
          for (let i = 0; i < n; i++) {
            ++now;
            for (let k = 0; k < SEGMENT; k++) appBuffer[k] = frame[PAYLOAD_AT + k]!;
          }
          break;
        case 'copy-set':
          for (let i = 0; i < n; i++) {
            ++now;
            appBuffer.set(frame.subarray(PAYLOAD_AT, PAYLOAD_AT + SEGMENT), 0);
          }
          break;
        default:
          throw new Error(`kind ${kind} needs the syn setup`);
      }
    };
    // (Read back so the field loops are not dead code to anyone.)
    (globalThis as unknown as { benchFieldSink?: () => number }).benchFieldSink = () => fieldSink;
    // Warm up: the first segments after the handshake take paths the steady state does not.
    phase('send', WARMUP_SEGMENTS);
    phase('segment', WARMUP_SEGMENTS);
  }
  // xsnap-worker's meter: resetMeter(limit, index) returns the count so far and restarts it.
  const xs = globalThis as unknown as { resetMeter?: (limit: number, index: number) => number; currentMeterLimit?: () => number };
  const meter = (): number => (xs.resetMeter !== undefined && xs.currentMeterLimit !== undefined ? xs.resetMeter(xs.currentMeterLimit(), 0) : -1);
  for (const p of a.phases ?? []) {
    sinkMarker();
    counting();
    meter();
    phase(p.kind, p.n);
    const m = meter();
    result.phases.push(counted(p.kind, p.n, m));
  }
  sinkMarker();
  result.established = held.length;
  result.halfOpen = tcp.synCache.count;
  return result;
}

scenario(() => run(args<BenchArgs>()));
