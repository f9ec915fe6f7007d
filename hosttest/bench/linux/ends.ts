// The two ends of the linux benchmark's bulk transfers, and one transfer in each arrangement:
//
//   synstack end     Node: a Stack on the TAP bridge (hosttest/linux/tap.ts), namespace `sbl-<hex>`,
//                    kernel 10.77.0.1 on the TAP `sbl<hex>`, synstack 10.77.0.2; the Stack and
//                    its Device wrapped so the time spent in them is measured.
//   veth pair        namespaces `sbl-<hex>` A (10.78.0.1) and B (10.78.0.2) joined by the veth
//                    pair `sbl<hex>a` / `sbl<hex>b`: the kernel at both ends.
//
// The kernel's end of every transfer is bulk.py (this folder) inside the namespace, the same
// program on both sides of the veth pair. Each transfer is one connection, one direction, bounded
// by a byte count and a deadline; the receiver's figure is the goodput (payload bytes from the
// connection's start to EOF, over that time). With `hash`, both ends SHA-256 what they moved.

import { createHash, type Hash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import TCP from '../../../src/api/tcp.js';
import { Stack } from '../../../src/api/stack.js';
import type { Device, Driven } from '../../../src/platform.js';
import { Netns, type Proc, hasCommand } from '../../linux/netns.js';
import { RealtimeRuntime } from '../../linux/runtime.js';
import { TapBridge } from '../../linux/tap.js';
import { KERNEL_ADDRESS, lastJson, linuxWorld, waitForOutput } from '../../linux/world.js';
import { cpuSecondsOf, machineBusy, machineJiffies, udpDropsOf } from './proc.js';

export const BULK_PY = fileURLToPath(new URL('./bulk.py', import.meta.url));
/** Debian's python3 (what `ip netns exec` finds first may be a pyenv shim, slow to start). */
export const PYTHON = hasCommand('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
/** Prefix of every namespace and device this benchmark makes. */
export const NAME_PREFIX = 'sbl';
export const VETH_A = '10.78.0.1';
export const VETH_B = '10.78.0.2';
/** The sender's content: a random block repeated (what bulk.py does with its seeded block). */
const BLOCK = 1 << 20;
/** Slack on top of a transfer's own deadline before it counts as stuck (ms). */
const STUCK_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// Time spent inside synstack

/** Wall time (≈ CPU: nothing in there blocks) spent inside the stack and inside its Device's send. */
export interface StackTiming {
  /** In Stack.input and Stack.poll: the core, the socket API and the app's callbacks, and sends. */
  stackMs: number;
  /** In the bridge's send (a copy of the frame and a UDP send to socat), part of stackMs. */
  sendMs: number;
  framesIn: number;
  framesOut: number;
}

class TimedStack implements Driven {
  constructor(private readonly inner: Stack, private readonly t: StackTiming) {}
  input(frame: Uint8Array, now: number): void {
    const t0 = performance.now();
    this.inner.input(frame, now);
    this.t.stackMs += performance.now() - t0;
    this.t.framesIn++;
  }
  poll(now: number): void {
    const t0 = performance.now();
    this.inner.poll(now);
    this.t.stackMs += performance.now() - t0;
  }
  nextDeadline(): number {
    return this.inner.nextDeadline();
  }
}

class TimedDevice implements Device {
  readonly mac: Uint8Array;
  readonly mtu: number;
  constructor(private readonly inner: TapBridge, private readonly t: StackTiming) {
    this.mac = inner.mac;
    this.mtu = inner.mtu;
  }
  send(frame: Uint8Array): void {
    const t0 = performance.now();
    this.inner.send(frame);
    this.t.sendMs += performance.now() - t0;
    this.t.framesOut++;
  }
}

// ---------------------------------------------------------------------------------------------
// The synstack end

export interface SynstackEnd {
  ns: Netns;
  bridge: TapBridge;
  stack: Stack;
  rt: RealtimeRuntime;
  timing: StackTiming;
  destroy(): void;
}

/** synstack on a TAP bridge into a new namespace (linuxWorld); send and receive buffers of `bufferBytes`. */
export async function openSynstackEnd(bufferBytes: number): Promise<SynstackEnd> {
  const timing: StackTiming = { stackMs: 0, sendMs: 0, framesIn: 0, framesOut: 0 };
  const w = await linuxWorld({
    namePrefix: NAME_PREFIX,
    tcp: { connections: 4, sendBuffer: bufferBytes, receiveBuffer: bufferBytes, timeWaitEntries: 16 },
    wrapDevice: (bridge) => new TimedDevice(bridge, timing),
    wrapDriven: (stack) => new TimedStack(stack, timing),
  });
  return { ...w, timing };
}

// ---------------------------------------------------------------------------------------------
// The veth pair

export interface VethPair {
  a: Netns;
  b: Netns;
  devA: string;
  devB: string;
  destroy(): void;
}

/** Two new namespaces joined by a veth pair (MTU 1500, the TAP's), A = 10.78.0.1, B = 10.78.0.2. */
export function openVethPair(): VethPair {
  const a = Netns.create(NAME_PREFIX);
  let b: Netns | null = null;
  const destroy = () => {
    a.destroy();
    b?.destroy();
  };
  try {
    b = Netns.create(NAME_PREFIX);
    const id = randomBytes(4).toString('hex');
    const devA = `${NAME_PREFIX}${id}a`;
    const devB = `${NAME_PREFIX}${id}b`;
    // Made inside A with its peer put straight into B: the pair never appears in the root namespace.
    a.must(['ip', 'link', 'add', devA, 'mtu', '1500', 'type', 'veth', 'peer', 'name', devB, 'mtu', '1500', 'netns', b.name]);
    a.must(['ip', 'addr', 'add', `${VETH_A}/24`, 'dev', devA]);
    b.must(['ip', 'addr', 'add', `${VETH_B}/24`, 'dev', devB]);
    a.must(['ip', 'link', 'set', devA, 'up']);
    b.must(['ip', 'link', 'set', devB, 'up']);
    return { a, b, devA, devB, destroy };
  } catch (e) {
    destroy();
    throw e;
  }
}

/** Turn the pair's segmentation and receive offloads off (or back on): one TCP segment per frame. */
export function setVethOffloads(pair: VethPair, on: boolean): void {
  const v = on ? 'on' : 'off';
  pair.a.must(['ethtool', '-K', pair.devA, 'tso', v, 'gso', v, 'gro', v]);
  pair.b.must(['ethtool', '-K', pair.devB, 'tso', v, 'gso', v, 'gro', v]);
}

// ---------------------------------------------------------------------------------------------
// Transfers

export interface TransferOptions {
  /** Most bytes to send. */
  bytes: number;
  /** The sender stops at this many seconds even when bytes are left. */
  seconds: number;
  /** SHA-256 at both ends (then `sha256Sent` and `sha256Received` are set). */
  hash?: boolean;
  port: number;
}

/** What any transfer delivered. */
export interface Delivered {
  /** Payload bytes the receiver got, and over how long (connection start to EOF). */
  bytes: number;
  seconds: number;
  /** Goodput: bytes × 8 / seconds / 10^6. */
  mbps: number;
  bytesSent: number;
  sha256Sent?: string;
  sha256Received?: string;
}

export interface TransferResult extends Delivered {
  /** CPU seconds during the transfer: Node (whole process), socat, and bulk.py (self-reported). */
  nodeCpuS: number;
  socatCpuS: number;
  peerCpuS: number;
  /** Wall seconds from the start of the connection to both ends being done. */
  wallS: number;
  /** Fraction of the whole machine's CPU (every core, every process) busy over wallS. */
  machineBusy: number;
  /** Datagrams dropped by full UDP receive buffers: socat's (towards the kernel) and Node's. */
  udpDropsAtSocat: number;
  udpDropsAtNode: number;
  /** synstack's timing and TCP counters over the transfer. */
  stackMs: number;
  sendMs: number;
  framesIn: number;
  framesOut: number;
  retransmits: number;
}

function peerArgs(role: 'send' | 'recv', endpoint: string[], o: TransferOptions): string[] {
  return [PYTHON, BULK_PY, role, ...endpoint,
    ...(role === 'send' ? ['--bytes', String(o.bytes), '--seconds', String(o.seconds)] : []),
    ...(o.hash ? ['--hash'] : [])];
}

function peerResult(r: { code: number | null; stdout: string; stderr: string; timedOut: boolean }, what: string) {
  if (r.code !== 0) throw new Error(`${what}: bulk.py failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr.slice(-1000)}`);
  return lastJson(r.stdout) as { bytes: number; seconds: number; cpu_s: number; sha256?: string };
}

async function listening(p: Proc, what: string): Promise<void> {
  if (!(await waitForOutput(p, /listening/, 10_000))) {
    await p.stop('SIGKILL');
    throw new Error(`${what}: bulk.py did not listen: ${p.stderr.slice(-1000)}`);
  }
}

/** Snapshot of the counters a synstack transfer reports as differences. */
function snapshot(end: SynstackEnd) {
  const cpu = process.cpuUsage();
  return {
    node: (cpu.user + cpu.system) / 1e6,
    socat: cpuSecondsOf(end.bridge.socatPid),
    dropsSocat: udpDropsOf(end.bridge.socatPid),
    dropsNode: udpDropsOf(process.pid),
    t: { ...end.timing },
    retransmits: end.stack.tcp.counters.retransmits,
    machine: machineJiffies(),
    wall: performance.now(),
  };
}

function synstackFigures(end: SynstackEnd, s0: ReturnType<typeof snapshot>, bytes: number, seconds: number, bytesSent: number, peerCpuS: number): TransferResult {
  const s1 = snapshot(end);
  return {
    bytes, seconds, mbps: (bytes * 8) / seconds / 1e6, bytesSent,
    nodeCpuS: s1.node - s0.node, socatCpuS: s1.socat - s0.socat, peerCpuS, wallS: (s1.wall - s0.wall) / 1000,
    machineBusy: machineBusy(s0.machine, s1.machine),
    udpDropsAtSocat: s1.dropsSocat - s0.dropsSocat, udpDropsAtNode: s1.dropsNode - s0.dropsNode,
    stackMs: s1.t.stackMs - s0.t.stackMs, sendMs: s1.t.sendMs - s0.t.sendMs,
    framesIn: s1.t.framesIn - s0.t.framesIn, framesOut: s1.t.framesOut - s0.t.framesOut,
    retransmits: s1.retransmits - s0.retransmits,
  };
}

/** synstack connects to bulk.py `recv` in the namespace and sends; the kernel measures. */
export async function synstackToKernel(end: SynstackEnd, o: TransferOptions): Promise<TransferResult> {
  const what = 'synstack → kernel';
  const sink = end.ns.start(peerArgs('recv', ['--listen', `${KERNEL_ADDRESS}:${o.port}`], o), { timeoutMs: o.seconds * 1000 + STUCK_MS });
  await listening(sink, what);
  const content = new Uint8Array(randomBytes(BLOCK));
  const hash: Hash | null = o.hash ? createHash('sha256') : null;
  let sent = 0;
  let closed = false;
  const s0 = snapshot(end);
  const deadline = performance.now() + o.seconds * 1000;
  const socket = end.rt.run(() => new TCP({
    stack: end.stack, address: KERNEL_ADDRESS, port: o.port,
    onWritable(room: number) {
      if (closed) return;
      while (room > 0 && sent < o.bytes && performance.now() < deadline) {
        const off = sent % BLOCK;
        const n = Math.min(room, BLOCK - off, o.bytes - sent);
        const piece = content.subarray(off, off + n);
        this.write(piece);
        hash?.update(piece);
        sent += n;
        room -= n;
      }
      if (sent >= o.bytes || performance.now() >= deadline) {
        closed = true;
        this.close(); // FIN after the queued bytes
      }
    },
    onError() {
      if (!closed) {
        closed = true;
        this.close();
      }
    },
  }));
  const r = await sink.done;
  if (!closed) {
    closed = true;
    end.rt.run(() => socket.close());
  }
  const got = peerResult(r, what);
  const out = synstackFigures(end, s0, got.bytes, got.seconds, sent, got.cpu_s);
  if (hash !== null) {
    out.sha256Sent = hash.digest('hex');
    out.sha256Received = got.sha256;
  }
  return out;
}

/** synstack connects to bulk.py `send` in the namespace and receives; synstack measures. */
export async function kernelToSynstack(end: SynstackEnd, o: TransferOptions): Promise<TransferResult> {
  const what = 'kernel → synstack';
  const source = end.ns.start(peerArgs('send', ['--listen', `${KERNEL_ADDRESS}:${o.port}`], o), { timeoutMs: o.seconds * 1000 + STUCK_MS });
  await listening(source, what);
  const into = new Uint8Array(256 * 1024);
  const hash: Hash | null = o.hash ? createHash('sha256') : null;
  let received = 0;
  let endedAt = 0;
  const s0 = snapshot(end);
  const t0 = performance.now();
  const socket = end.rt.run(() => new TCP({
    stack: end.stack, address: KERNEL_ADDRESS, port: o.port,
    onReadable(bytes: number) {
      while (bytes > 0) {
        const n = Math.min(bytes, into.length);
        const view = into.subarray(0, n);
        this.read(view);
        hash?.update(view);
        received += n;
        bytes -= n;
      }
    },
    // ECMA-419: after the peer's FIN, once everything is read (or on a failure).
    onError() {
      if (endedAt === 0) endedAt = performance.now();
      this.close();
    },
  }));
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), o.seconds * 1000 + STUCK_MS)));
  const r = await Promise.race([source.done, stuck]);
  clearTimeout(timer);
  if (r === null) {
    end.rt.run(() => socket.close());
    await source.stop('SIGKILL');
    throw new Error(`${what}: stuck after ${received} bytes`);
  }
  const got = peerResult(r, what);
  if (endedAt === 0) throw new Error(`${what}: the kernel finished but synstack saw no EOF (${received} of ${got.bytes} bytes)`);
  const out = synstackFigures(end, s0, received, (endedAt - t0) / 1000, got.bytes, got.cpu_s);
  if (hash !== null) {
    out.sha256Sent = got.sha256;
    out.sha256Received = hash.digest('hex');
  }
  return out;
}

export interface KernelTransferResult extends Delivered {
  /** CPU seconds of the sending and the receiving bulk.py (their system time holds the kernel's TCP work). */
  senderCpuS: number;
  receiverCpuS: number;
}

/** bulk.py sends from A to bulk.py receiving in B over the veth pair. */
export async function kernelToKernel(pair: VethPair, o: TransferOptions): Promise<KernelTransferResult> {
  const what = 'kernel → kernel (veth)';
  const timeoutMs = o.seconds * 1000 + STUCK_MS;
  const sink = pair.b.start(peerArgs('recv', ['--listen', `${VETH_B}:${o.port}`], o), { timeoutMs });
  await listening(sink, what);
  const sender = pair.a.start(peerArgs('send', ['--connect', `${VETH_B}:${o.port}`], o), { timeoutMs });
  const [rs, rr] = await Promise.all([sender.done, sink.done]);
  const sent = peerResult(rs, `${what} (sender)`);
  const got = peerResult(rr, `${what} (receiver)`);
  return {
    bytes: got.bytes, seconds: got.seconds, mbps: (got.bytes * 8) / got.seconds / 1e6, bytesSent: sent.bytes,
    senderCpuS: sent.cpu_s, receiverCpuS: got.cpu_s,
    ...(o.hash ? { sha256Sent: sent.sha256, sha256Received: got.sha256 } : {}),
  };
}
