// One synstack host facing one Linux kernel: a namespace, the TAP bridge, a Stack on the bridge and
// the real-time runtime driving it. Used by interop.test.ts; each test makes its own world (its own
// namespace), so one failing test leaves nothing behind for the next.
//
//   const w = await linuxWorld({ tcp: { mslMs: 250 } });   // synstack 10.77.0.2/24, kernel 10.77.0.1
//   ...
//   w.destroy();

import { Stack } from '../../src/api/stack.js';
import type { TcpConfigInput } from '../../src/tcp/tcp.js';
import type { Device, Driven, Log } from '../../src/platform.js';
import Listener from '../../src/api/listener.js';
import TCP from '../../src/api/tcp.js';
import { StatusServer } from '../../app/status-server.js';
import { synstackStats } from '../../app/synstack-stats.js';
import { NodeClock, cryptoEntropy } from '../platform/node.js';
import { Netns, type Proc } from './netns.js';
import { RealtimeRuntime } from './runtime.js';
import { type Impairment, TapBridge } from './tap.js';

export const KERNEL_ADDRESS = '10.77.0.1';
export const SYNSTACK_ADDRESS = '10.77.0.2';

export interface LinuxWorldOptions {
  /** synstack's static address; null starts unconfigured (for DHCP). Default 10.77.0.2. */
  address?: string | null;
  tcp?: TcpConfigInput;
  mac?: Uint8Array;
  impairment?: Impairment | null;
  log?: Log;
  /** Prefix of the namespace's and the TAP's names (default `synstk`; the linux benchmark's `sbl`). */
  namePrefix?: string;
  /** Wrap what the Stack sends through, and what the runtime drives (the benchmark times both). */
  wrapDevice?: (bridge: TapBridge) => Device;
  wrapDriven?: (stack: Stack) => Driven;
}

export interface LinuxWorld {
  ns: Netns;
  bridge: TapBridge;
  stack: Stack;
  rt: RealtimeRuntime;
  destroy(): void;
}

export async function linuxWorld(o: LinuxWorldOptions = {}): Promise<LinuxWorld> {
  const ns = Netns.create(o.namePrefix);
  let bridge: TapBridge | null = null;
  let rt: RealtimeRuntime | null = null;
  const destroy = () => {
    rt?.stop();
    bridge?.close();
    ns.destroy();
  };
  try {
    bridge = await TapBridge.open({ ns, kernelAddress: KERNEL_ADDRESS, mac: o.mac, impairment: o.impairment ?? null, namePrefix: o.namePrefix });
    const clock = new NodeClock();
    const address = o.address === undefined ? SYNSTACK_ADDRESS : o.address;
    const stack = new Stack({
      device: o.wrapDevice ? o.wrapDevice(bridge) : bridge, entropy: cryptoEntropy, clock, log: o.log, tcp: o.tcp,
      ...(address !== null ? { address, prefixLength: 24, gateway: KERNEL_ADDRESS } : {}),
    });
    rt = new RealtimeRuntime(o.wrapDriven ? o.wrapDriven(stack) : stack, clock);
    const runtime = rt;
    bridge.onFrame = (frame) => runtime.input(frame);
    rt.start();
    return { ns, bridge, stack, rt, destroy };
  } catch (e) {
    destroy();
    throw e;
  }
}

/** The status server (app/status-server.ts) on port 80 of the world's stack, ticked by the runtime. */
export function serveStatus(w: LinuxWorld, o: { maxConnections?: number; backlog?: number; idleTimeoutMs?: number } = {}): StatusServer<TCP> {
  const server = new StatusServer<TCP>({
    Listener, TCP, port: 80, stats: synstackStats(w.stack), now: () => w.rt.now(),
    maxConnections: o.maxConnections ?? 32, idleTimeoutMs: o.idleTimeoutMs ?? 10_000,
    listenerOptions: { stack: w.stack, backlog: o.backlog ?? 32 },
  });
  w.rt.every(100, () => server.tick());
  return server;
}

/** Wait (bounded) until `proc` printed a line matching `re` on stdout; false if it did not. */
export async function waitForOutput(proc: Proc, re: RegExp, timeoutMs: number): Promise<boolean> {
  const step = 20;
  for (let i = 0; i * step < timeoutMs; i++) {
    if (re.test(proc.stdout)) return true;
    if (!proc.running) return re.test(proc.stdout);
    await sleep(step);
  }
  return re.test(proc.stdout);
}

/** Wait (bounded) until `check()` holds, checking every `stepMs`; returns whether it did. */
export async function until(check: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  for (let i = 0; i * stepMs < timeoutMs; i++) {
    if (check()) return true;
    await sleep(stepMs);
  }
  return check();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The last JSON object printed on stdout by a peer.py run. */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  if (lines.length === 0) throw new Error(`no JSON in output: ${stdout.slice(0, 500)}`);
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}
