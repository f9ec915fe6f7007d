// lwIP as a host in synstack's simulator: a `Driven` node whose stack runs in a child process
// (hosttest/peers/lwip/harness.c, built by lwip-build.ts) and is driven synchronously over its
// stdin/stdout, so the simulator's virtual clock is lwIP's clock and a run stays deterministic.
//
//   const port = sim.attach(lan, mac, { name: 'lwip' });
//   const lwip = port.connect(LwipPeer.start(port, { variant: 'espidf', address, prefixLength: 24,
//                                                    gateway, port: 80, mode: 'serve' }));
//   sim.runFor(1000);
//   lwip.stats(sim.now);   // heap in use (mallinfo2), PCBs by state, lwIP's pool counters
//   lwip.close();
//
// Why synchronous pipes: the simulator calls input/poll/nextDeadline and expects the node to have
// acted before it returns. The child's stdin and stdout are FIFOs that this process reads and
// writes with blocking readSync/writeSync (Node's own pipes are non-blocking sockets). Each FIFO
// is opened so that the child holds the only end of its kind: when the child dies, a read here
// sees end-of-file and a write fails, instead of hanging.
//
// Batching: `input` only writes the frame; `nextDeadline()` then reports "now", so the simulator
// polls this node at the same virtual ms, after whatever else is due at that ms (the rest of a
// burst of flood SYNs, typically). `poll` sends 'P' and reads everything lwIP produced since the
// last poll: frames (sent on the port in order, at that ms) and its next timer. One round trip
// per virtual ms with traffic instead of one per frame. Unread input is capped (MAX_UNSYNCED) so
// neither pipe can fill both ways at once.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driven } from '../../src/platform';
import { ipv4ToString } from '../../src/wire/ipv4';
import { formatMac, type Port } from '../sim/simulator';
import { lwipAvailable, type LwipVariant } from './lwip-build';

export type { LwipVariant } from './lwip-build';
export { lwipAvailable } from './lwip-build';

export type LwipMode = 'serve' | 'echo' | 'discard';

export interface LwipPeerOptions {
  variant: LwipVariant;
  /** uint32 IPv4 address, prefix length and gateway of lwIP's netif. */
  address: number;
  prefixLength: number;
  gateway: number;
  /** The TCP port lwIP listens on. */
  port: number;
  /** serve: read `requestBytes`, answer `responseBytes` derived from the first 4, close. */
  mode: LwipMode;
  /** tcp_listen_with_backlog's argument (default 5: esp_http_server's default backlog_conn). */
  backlog?: number;
  /** Seeds lwIP's LWIP_RAND (default 1). */
  seed?: number;
  requestBytes?: number;
  responseBytes?: number;
}

/** What the harness reports (see emit_stats in harness.c). */
export interface LwipStats {
  now: number;
  /** mallinfo2(): bytes in use in the process's malloc heap, arena size, mmap'd chunks. */
  heapInUse: number;
  heapArena: number;
  heapMmap: number;
  /** The child's user + system CPU so far, µs. */
  cpuUs: number;
  maxRssKiB: number;
  pcbs: { active: number; synRcvd: number; established: number; finWait1: number; finWait2: number; closeWait: number; closing: number; lastAck: number; timeWait: number; listen: number };
  /** The listening PCB's backlog and the connections counted against it (null without TCP_LISTEN_BACKLOG). */
  listenBacklog: number | null;
  acceptsPending: number | null;
  app: { accepted: number; refusedNoSlot: number; closed: number; errors: number; bytesReceived: number; bytesSent: number; lastReceiveMs: number };
  framesIn: number;
  framesOut: number;
  options: Record<string, number>;
  /** Bytes of lwIP's static pools (null when pools are malloc'd). */
  staticPoolBytes: number | null;
  /** Per-pool counters when MEMP_STATS is on (the espidf build), else null. */
  memp: Record<string, { used: number; max: number; err: number; avail: number }> | null;
  tcpStats: { recv: number; xmit: number; drop: number; memerr: number; proterr: number } | null;
  version: string;
}

const HEADER = 9;
const MAX_UNSYNCED = 32 * 1024;
const READ_CHUNK = 1 << 16;

/** Every child still running, so an aborted test or benchmark does not leave them behind. */
const live = new Set<LwipPeer>();
let exitHookInstalled = false;

export class LwipPeer implements Driven {
  readonly variant: LwipVariant;
  /** Frames handed to lwIP, frames it sent, round trips made. */
  framesIn = 0;
  framesOut = 0;
  syncs = 0;

  private readonly child: ChildProcess;
  private readonly toChild: number;
  private readonly fromChild: number;
  private readonly stderrPath: string;
  private readonly dir: string;
  private readonly header = new Uint8Array(HEADER);
  private readonly headerView = new DataView(this.header.buffer);
  private buffer = new Uint8Array(READ_CHUNK * 4);
  private start = 0;
  private end = 0;
  private unsynced = 0;
  private pendingAt = -1;
  private deadline = 0;
  private closed = false;
  private lastJson = '';

  /** Build (if needed) and spawn the harness; throws with the reason when lwIP is unavailable. */
  static start(port: Port, options: LwipPeerOptions): LwipPeer {
    const a = lwipAvailable(options.variant);
    if (!a.ok) throw new Error(`lwIP (${options.variant}) unavailable: ${a.reason}`);
    return new LwipPeer(port, options, a.binary);
  }

  private constructor(private readonly port: Port, options: LwipPeerOptions, binary: string) {
    this.variant = options.variant;
    this.dir = mkdtempSync(join(tmpdir(), 'synstack-lwip-'));
    const inPath = join(this.dir, 'in'), outPath = join(this.dir, 'out');
    execFileSync('mkfifo', [inPath, outPath]);
    // Open each FIFO read-write first (never blocks on Linux), then the two single-direction ends,
    // then drop the read-write one: the child's end is then the only one of its kind.
    const rwIn = openSync(inPath, 'r+');
    const childIn = openSync(inPath, 'r');
    this.toChild = openSync(inPath, 'w');
    closeSync(rwIn);
    const rwOut = openSync(outPath, 'r+');
    const childOut = openSync(outPath, 'w');
    this.fromChild = openSync(outPath, 'r');
    closeSync(rwOut);
    this.stderrPath = join(this.dir, 'stderr');
    const childErr = openSync(this.stderrPath, 'w');
    const args = [
      formatMac(port.mac), ipv4ToString(options.address), String(options.prefixLength), ipv4ToString(options.gateway),
      String(options.port), options.mode, String(options.backlog ?? 5), String(options.seed ?? 1),
      String(options.requestBytes ?? 16), String(options.responseBytes ?? 4096),
    ];
    this.child = spawn(binary, args, { stdio: [childIn, childOut, childErr] });
    closeSync(childIn);
    closeSync(childOut);
    closeSync(childErr);
    unlinkSync(inPath);
    unlinkSync(outPath);
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const p of live) p.close();
      });
    }
    this.sync('P', 0); // lwIP's start-up output (a gratuitous ARP) and its first deadline
  }

  input(frame: Uint8Array, now: number): void {
    if (this.closed) return;
    this.framesIn++;
    if (this.unsynced + frame.length + HEADER > MAX_UNSYNCED) this.sync('P', now);
    this.send('F', now, frame);
    this.unsynced += frame.length + HEADER;
    this.pendingAt = now;
  }

  poll(now: number): void {
    if (this.closed) return;
    this.sync('P', now);
  }

  nextDeadline(): number {
    return this.pendingAt >= 0 ? this.pendingAt : this.deadline;
  }

  /** lwIP's memory and counters at virtual time `now` (also flushes its pending output). */
  stats(now: number): LwipStats {
    if (this.closed) throw new Error('lwIP peer is closed');
    this.sync('S', now);
    return JSON.parse(this.lastJson) as LwipStats;
  }

  /** Stop the child and release its pipes; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    try {
      this.send('Q', 0, null);
    } catch {
      // already gone
    }
    closeSync(this.toChild);
    closeSync(this.fromChild);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  // -----------------------------------------------------------------------------------------------

  private send(type: string, now: number, payload: Uint8Array | null): void {
    const length = payload === null ? 0 : payload.length;
    this.header[0] = type.charCodeAt(0);
    this.headerView.setUint32(1, now >>> 0, true);
    this.headerView.setUint32(5, length, true);
    this.writeAll(this.header);
    if (payload !== null && length > 0) this.writeAll(payload);
  }

  private writeAll(bytes: Uint8Array): void {
    // Bounded: each turn writes at least one byte or throws.
    for (let at = 0; at < bytes.length;) at += writeSync(this.toChild, bytes, at, bytes.length - at);
  }

  /** Send `type` ('P' or 'S') and consume records up to the 'D' that answers it. */
  private sync(type: 'P' | 'S', now: number): void {
    this.send(type, now, null);
    this.unsynced = 0;
    this.pendingAt = -1;
    this.syncs++;
    // Bounded: the child answers every 'P'/'S' with one 'D'; end-of-file throws.
    for (;;) {
      const kind = this.byteAt(0);
      const length = this.u32At(1);
      this.need(5 + length);
      const body = this.buffer.subarray(this.start + 5, this.start + 5 + length);
      if (kind === 0x46 /* F */) {
        this.framesOut++;
        this.port.send(body);
      } else if (kind === 0x4a /* J */) {
        this.lastJson = new TextDecoder().decode(body);
      } else if (kind === 0x44 /* D */) {
        const sleep = new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true);
        this.deadline = sleep === 0xffffffff ? Infinity : now + sleep;
        this.start += 5 + length;
        return;
      } else {
        throw new Error(`lwIP harness sent an unknown record 0x${kind.toString(16)}${this.diagnosis()}`);
      }
      this.start += 5 + length;
    }
  }

  private byteAt(offset: number): number {
    this.need(offset + 1);
    return this.buffer[this.start + offset]!;
  }

  private u32At(offset: number): number {
    this.need(offset + 4);
    const b = this.buffer, i = this.start + offset;
    return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
  }

  /** Make sure `count` bytes from `start` are buffered, reading (blocking) as needed. */
  private need(count: number): void {
    if (this.end - this.start >= count) return;
    if (this.start > 0) {
      this.buffer.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (count > this.buffer.length) {
      const bigger = new Uint8Array(Math.max(count, this.buffer.length * 2));
      bigger.set(this.buffer.subarray(0, this.end));
      this.buffer = bigger;
    }
    // Bounded: each read returns at least one byte, or end-of-file throws.
    while (this.end < count) {
      const n = readSync(this.fromChild, this.buffer, this.end, Math.min(READ_CHUNK, this.buffer.length - this.end), null);
      if (n === 0) {
        this.closed = true;
        live.delete(this);
        throw new Error(`lwIP harness (${this.variant}) exited${this.diagnosis()}`);
      }
      this.end += n;
    }
  }

  private diagnosis(): string {
    let err = '';
    try {
      err = readFileSync(this.stderrPath, 'utf8').trim();
    } catch {
      // no stderr file
    }
    return err ? `; its stderr: ${err.slice(-1000)}` : '';
  }
}
