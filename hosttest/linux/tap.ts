// The TAP bridge: a Linux kernel, inside a network namespace the test made, on one side of an
// Ethernet link, and synstack on the other, one Ethernet frame per UDP datagram on the host's
// loopback (DESIGN.md, "Host (Node)").
//
//   netns synstk-xxxx                     root namespace
//   ┌─────────────────────────┐
//   │ kernel TCP/IP, curl,    │  tap fd   ┌───────┐  UDP 127.0.0.1:B → :A  ┌──────────────────┐
//   │ dnsmasq, python ...     ├──────────►│ socat │◄──────────────────────►│ Node: TapBridge  │
//   │ tapXXXX 10.77.0.1/24    │           └───────┘   one frame/datagram   │ (Device) → Stack │
//   └─────────────────────────┘                                            └──────────────────┘
//
// What works (checked on Linux 6.x, socat 1.7.4), and why this order:
// 1. Node binds its UDP socket (127.0.0.1:A) first, so the kernel never answers socat's first
//    datagram with ICMP port-unreachable.
// 2. socat is started in the ROOT namespace: `socat TUN,tun-type=tap,tun-name=T,iff-no-pi
//    UDP-DATAGRAM:127.0.0.1:A,bind=127.0.0.1:B`. It creates the (non-persistent) TAP device T in
//    the root namespace and holds its file descriptor. No address and no `iff-up`, so the device
//    stays down there and sends nothing (no IPv6 noise into the root namespace). UDP-DATAGRAM
//    (sendto/recvfrom) rather than UDP (connect): a connected UDP socket turns a stray ICMP error
//    into ECONNREFUSED and socat exits.
// 3. `ip link set T netns <ns>` moves the device into the namespace. The tun file descriptor stays
//    attached to the device across the move, so socat keeps reading and writing its frames from
//    the root namespace, where its UDP socket reaches Node's on the root namespace's loopback.
//    (Running socat inside the namespace does not work: the namespace has its own loopback and
//    cannot reach Node's socket.)
// 4. In the namespace: address 10.77.0.1/24 on T, T up. The namespace has no other link and no
//    default route, IPv6 off and forwarding off, so nothing sent there can leave it.
// Teardown: killing socat closes the tun fd, which deletes the non-persistent device wherever it
// is; deleting the namespace does too. socat runs under `setpriv --pdeathsig KILL` (see netns.ts).
//
// The bridge is synstack's `Device` (mac, mtu 1500, send) and hands received frames to `onFrame`.
// It can impair the link, seeded: loss and adjacent reordering per direction.

import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { Device } from '../../src/platform.js';
import { Random, type Seed } from '../sim/random.js';
import { type Netns, type Proc, must, onCleanup, start } from './netns.js';

export type Direction = 'to-stack' | 'to-kernel';

export interface Impairment {
  seed: Seed;
  /** Probability a frame is dropped (0..1). */
  loss?: number;
  /** Probability a frame is held back and sent after the next one in its direction (0..1). */
  reorder?: number;
  /** A held frame goes out after this long if no other frame follows (ms, default 5). */
  holdMs?: number;
  /** Which directions to impair (default both). */
  directions?: 'both' | Direction;
}

export interface BridgeCounters {
  /** Frames delivered to the stack and to the kernel (after the impairment). */
  toStack: number;
  toKernel: number;
  /** Datagrams not from our socat (ignored), frames too large, failed sends. */
  foreign: number;
  oversize: number;
  sendErrors: number;
}

export interface TapBridgeOptions {
  ns: Netns;
  /** The kernel's address on the TAP (default 10.77.0.1) and prefix length (24). */
  kernelAddress?: string;
  prefixLength?: number;
  /** synstack's MAC (default: a random locally administered unicast MAC). */
  mac?: Uint8Array;
  mtu?: number;
  impairment?: Impairment | null;
  /** The TAP device's name is this plus 8 hex digits (default `synstk`; at most 7 characters). */
  namePrefix?: string;
}

/** A random locally administered, unicast MAC (02:xx:...). */
export function randomMac(): Uint8Array {
  const mac = new Uint8Array(randomBytes(6));
  mac[0] = (mac[0]! & 0xfc) | 0x02;
  return mac;
}

export function macToString(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Bounded wait for a condition checked every `stepMs`. */
async function waitFor(check: () => boolean, stepMs: number, tries: number): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}

function bindUdp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/** A UDP port that was free a moment ago (socat binds it next). */
async function freePort(): Promise<number> {
  const s = await bindUdp(0);
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Loss and adjacent reordering for one direction. */
class Impairer {
  lost = 0;
  reordered = 0;
  private held: Uint8Array | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly random: Random,
    private readonly loss: number,
    private readonly reorder: number,
    private readonly holdMs: number,
    private readonly deliver: (frame: Uint8Array) => void,
  ) {}

  /** `frame` must stay valid (the caller copies what the core may reuse). */
  push(frame: Uint8Array): void {
    if (this.loss > 0 && this.random.float() < this.loss) {
      this.lost++;
      return;
    }
    if (this.held === null && this.reorder > 0 && this.random.float() < this.reorder) {
      this.held = frame;
      this.reordered++;
      this.timer = setTimeout(() => this.release(), this.holdMs);
      return;
    }
    this.deliver(frame);
    this.release();
  }

  release(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const f = this.held;
    this.held = null;
    if (f !== null) this.deliver(f);
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.held = null;
  }
}

export class TapBridge implements Device {
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly ns: Netns;
  /** The TAP device's name (inside the namespace) and its MAC. */
  readonly tapName: string;
  tapMac = '';
  readonly kernelAddress: string;
  readonly counters: BridgeCounters = {
    toStack: 0, toKernel: 0, foreign: 0, oversize: 0, sendErrors: 0,
  };
  /** Receives every frame from the kernel that passed the impairment. */
  onFrame: ((frame: Uint8Array) => void) | null = null;
  /** Sees every frame delivered in either direction (after the impairment). */
  observe: ((direction: Direction, frame: Uint8Array) => void) | null = null;

  private socket: Socket | null = null;
  private socat: Proc | null = null;
  private socatPort = 0;
  private toStack: Impairer | null = null;
  private toKernel: Impairer | null = null;
  private closed = false;
  private readonly unregister: () => void;

  private constructor(o: TapBridgeOptions) {
    this.ns = o.ns;
    this.mac = o.mac ?? randomMac();
    this.mtu = o.mtu ?? 1500;
    this.kernelAddress = o.kernelAddress ?? '10.77.0.1';
    const prefix = o.namePrefix ?? 'synstk';
    if (prefix.length > 7) throw new RangeError('TapBridge: namePrefix is at most 7 characters (IFNAMSIZ is 16)');
    this.tapName = `${prefix}${randomBytes(4).toString('hex')}`; // at most 15 characters
    this.unregister = onCleanup(() => this.shutdown());
  }

  /** Make the TAP in `ns`, start socat, bind the UDP socket. */
  static async open(o: TapBridgeOptions): Promise<TapBridge> {
    const b = new TapBridge(o);
    try {
      await b.setup(o);
    } catch (e) {
      b.close();
      throw e;
    }
    b.setImpairment(o.impairment ?? null);
    return b;
  }

  private async setup(o: TapBridgeOptions): Promise<void> {
    const socket = await bindUdp(0);
    this.socket = socket;
    const nodePort = socket.address().port;
    socket.on('message', (msg, rinfo) => this.received(msg, rinfo.port, rinfo.address));
    socket.on('error', () => this.counters.sendErrors++);

    // socat binds a port we picked a moment ago; another process could take it in between, so a
    // few attempts (bounded).
    let lastError = '';
    for (let attempt = 0; attempt < 5 && this.socat === null; attempt++) {
      const port = await freePort();
      const socat = start([
        'socat', '-b', '65536',
        `TUN,tun-type=tap,tun-name=${this.tapName},iff-no-pi`,
        `UDP-DATAGRAM:127.0.0.1:${nodePort},bind=127.0.0.1:${port}`,
      ], { timeoutMs: 30 * 60_000 });
      const ready = await waitFor(() => !socat.running || linkExists(this.tapName), 20, 250);
      if (ready && socat.running) {
        this.socat = socat;
        this.socatPort = port;
        break;
      }
      const r = await socat.stop('SIGKILL');
      lastError = r.stderr.trim() || `socat exited (${r.code ?? r.signal})`;
    }
    if (this.socat === null) throw new Error(`TapBridge: socat did not create ${this.tapName}: ${lastError}`);

    const ns = this.ns.name;
    must(['ip', 'link', 'set', 'dev', this.tapName, 'netns', ns]);
    this.ns.must(['ip', 'link', 'set', 'dev', this.tapName, 'mtu', String(this.mtu)]);
    this.ns.must(['ip', 'addr', 'add', `${this.kernelAddress}/${o.prefixLength ?? 24}`, 'dev', this.tapName]);
    this.ns.must(['ip', 'link', 'set', 'dev', this.tapName, 'up']);
    const show = this.ns.must(['ip', '-o', 'link', 'show', 'dev', this.tapName]);
    this.tapMac = /link\/ether ([0-9a-f:]{17})/.exec(show)?.[1] ?? '';
  }

  /** The pid of the socat that carries the frames (for CPU accounting), while it runs. */
  get socatPid(): number | undefined {
    return this.socat?.running ? this.socat.pid : undefined;
  }

  /** Change (or remove, with null) the impairment; a frame held for reordering is released. */
  setImpairment(i: Impairment | null): void {
    this.toStack?.release();
    this.toKernel?.release();
    this.toStack?.dispose();
    this.toKernel?.dispose();
    this.toStack = null;
    this.toKernel = null;
    if (i === null) return;
    const dirs = i.directions ?? 'both';
    const make = (d: Direction, deliver: (f: Uint8Array) => void) =>
      dirs === 'both' || dirs === d
        ? new Impairer(Random.derive(i.seed, d), i.loss ?? 0, i.reorder ?? 0, i.holdMs ?? 5, deliver)
        : null;
    this.toStack = make('to-stack', (f) => this.deliverToStack(f));
    this.toKernel = make('to-kernel', (f) => this.deliverToKernel(f));
  }

  /** Impairment figures so far (of the current impairment). */
  get impairmentCounters(): { lostToStack: number; lostToKernel: number; reorderedToStack: number; reorderedToKernel: number } {
    return {
      lostToStack: this.toStack?.lost ?? 0, lostToKernel: this.toKernel?.lost ?? 0,
      reorderedToStack: this.toStack?.reordered ?? 0, reorderedToKernel: this.toKernel?.reordered ?? 0,
    };
  }

  // Device ------------------------------------------------------------------------------------

  send(frame: Uint8Array): void {
    if (this.closed) return;
    if (frame.length > this.mtu + 18) {
      this.counters.oversize++;
      return;
    }
    const copy = Buffer.from(frame); // the core reuses its transmit buffer
    if (this.toKernel !== null) this.toKernel.push(copy);
    else this.deliverToKernel(copy);
  }

  private deliverToKernel(frame: Uint8Array): void {
    if (this.closed || this.socket === null) return;
    this.counters.toKernel++;
    this.observe?.('to-kernel', frame);
    this.socket.send(frame, this.socatPort, '127.0.0.1', (err) => {
      if (err) this.counters.sendErrors++;
    });
  }

  private received(msg: Buffer, port: number, address: string): void {
    if (this.closed) return;
    if (port !== this.socatPort || address !== '127.0.0.1') {
      this.counters.foreign++;
      return;
    }
    if (msg.length > this.mtu + 18) {
      this.counters.oversize++;
      return;
    }
    const frame = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
    if (this.toStack !== null) this.toStack.push(frame);
    else this.deliverToStack(frame);
  }

  private deliverToStack(frame: Uint8Array): void {
    if (this.closed) return;
    this.counters.toStack++;
    this.observe?.('to-stack', frame);
    this.onFrame?.(frame);
  }

  /** Stop socat (the TAP goes with it) and close the socket. Idempotent. */
  close(): void {
    this.unregister();
    this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.toStack?.dispose();
    this.toKernel?.dispose();
    const pid = this.socat?.pid;
    if (pid !== undefined && this.socat!.running) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    try {
      this.socket?.close();
    } catch {
      // closed
    }
    this.socket = null;
  }
}

function linkExists(name: string): boolean {
  try {
    must(['ip', 'link', 'show', 'dev', name], 5000);
    return true;
  } catch {
    return false;
  }
}
