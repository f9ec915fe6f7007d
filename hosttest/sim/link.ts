// Links and ports of the simulated LAN.
//
// A Link is one Ethernet segment that behaves like a switch without learning: a frame sent by a
// port is delivered to every *other* port whose MAC equals the destination MAC, or to every other
// port when the destination is a group address (broadcast or multicast: low bit of the first
// byte set). A port in promiscuous mode receives every frame of its link. No FCS, no padding.
//
// What happens to one frame handed to `port.send(frame)` at virtual time `now` (integer ms):
//   1. It is copied (the stack reuses its transmit buffer). Runts (< 14 bytes) and frames whose
//      payload exceeds the sender's MTU are dropped and counted (`runts`, `oversize`).
//   2. Serialisation (only when `bandwidthBps` is finite): the sending port transmits one frame
//      at a time. The frame starts at max(now, end of the previous frame) and takes
//      bits / bandwidthBps seconds. A port's queue holds the frames not yet fully transmitted;
//      when it already has `queueFrames` frames or the frame would take it past `queueBytes`,
//      the new frame is tail-dropped (`queueDrops`) and never reaches the wire.
//   3. It is now on the wire (`transmitted`; a capture at 'send' records it here).
//   4. Loss: with probability `loss` it vanishes (`lost`), for every receiver at once.
//   5. Duplication: with probability `duplicate` a second copy travels too (`duplicated`).
//   6. Each copy independently: arrives at txEnd + delayMs + uniform[0, jitterMs); with
//      probability `reorder` it is held back a further uniform (0, reorderMs] (`reordered`);
//      with probability `corrupt` it gets 1 to 8 distinct bit flips (`corrupted`), never in the
//      14-byte Ethernet header (a real FCS would have caught that; what matters here is what
//      the IP/TCP checksums catch), so routing is unaffected.
//   7. Each receiver gets its own copy at the arrival time rounded *up* to the next integer ms.
//      The copy made in step 1 is handed over as the last delivery when no tap has seen it and no
//      other delivery needs it, so the common case (one receiver, no tap) costs one copy a frame.
//
// Frame buffers are recycled. A node does not keep the frame it is given past `input` (the
// Driven contract, src/platform.ts), so once a delivery has been input, and no tap was shown its
// frame, the buffer goes back to a pool of its length and carries a later frame; a frame dropped
// before delivery (lost, unroutable, ...) with no tap goes back at once. Allocating a fresh
// ArrayBuffer per frame cost more than the whole TCP input path. Like a real driver's receive
// ring, this also means a node that breaks the contract reads overwritten bytes.
//
// Time: nodes only ever see integer ms. Serialisation is exact: a port keeps the start (ms) and
// the number of bits of its current busy period, and each frame's end is computed as
// start + bits * 1000 / bps in one division, so back-to-back frames at a rate that does not
// divide evenly (e.g. 1000-bit frames at 3 Mb/s end at 1/3, 2/3, 1 ms...) accumulate no drift;
// only the delivery tick is rounded up. Jitter adds its (fractional) value before rounding.
// Jitter and reordering can both reorder frames, as on a real path through netem.
//
// Randomness: each link draws from its own sub-streams of the simulator seed, one per impairment
// (loss, duplicate, jitter, reorder, corrupt), so the same seed gives the same run bit for bit,
// and turning on corruption does not change which frames are lost.

import type { Device, Driven } from '../../src/platform.js';
import { Random } from './random.js';

export const ETHERNET_HEADER_BYTES = 14;
/** Spare frame buffers a link keeps for reuse (a bound, so a burst's buffers are not all kept). */
const MAX_SPARE_FRAMES = 1024;

/** The impairments and capacity of a link; every field has a default (see LINK_DEFAULTS). */
export interface LinkImpairments {
  /** Fixed one-way delay in ms (default 0). */
  delayMs: number;
  /** Extra delay uniform in [0, jitterMs) per copy (default 0). */
  jitterMs: number;
  /** Probability a transmitted frame is lost, 0..1 (default 0). */
  loss: number;
  /** Probability a frame is delivered twice, 0..1 (default 0). */
  duplicate: number;
  /** Probability a copy is held back an extra uniform (0, reorderMs], 0..1 (default 0). */
  reorder: number;
  /** Largest extra hold-back of a reordered copy, ms (default 10). */
  reorderMs: number;
  /** Probability a copy gets 1..8 bit flips after the Ethernet header, 0..1 (default 0). */
  corrupt: number;
  /** Transmit rate of each port in bits per second; Infinity means no serialisation (default). */
  bandwidthBps: number;
  /** Most frames a port's transmit queue holds, including the one being sent (default 1000). */
  queueFrames: number;
  /** Most bytes a port's transmit queue holds (default Infinity). */
  queueBytes: number;
}

export const LINK_DEFAULTS: Readonly<LinkImpairments> = Object.freeze({
  delayMs: 0,
  jitterMs: 0,
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderMs: 10,
  corrupt: 0,
  bandwidthBps: Infinity,
  queueFrames: 1000,
  queueBytes: Infinity,
});

export interface LinkOptions extends Partial<LinkImpairments> {
  /** Shown in error messages and traces (default `link<N>`). */
  name?: string;
}

/** Per-link counters; `delivered` counts (copy, receiver) pairs handed to ports. */
export interface LinkStats {
  /** Frames handed to `send` by the link's ports (all of them, dropped or not). */
  sent: number;
  sentBytes: number;
  /** Frames that reached the wire (sent minus runts, oversize, queueDrops). */
  transmitted: number;
  /** Copies delivered to a receiving port (a broadcast to 3 ports counts 3). */
  delivered: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  reordered: number;
  queueDrops: number;
  oversize: number;
  runts: number;
  /** Transmitted, not lost, but no port matched the destination MAC. */
  unroutable: number;
}

export interface PortStats {
  framesOut: number;
  bytesOut: number;
  /** Frames delivered to this port (whether or not a node was connected). */
  framesIn: number;
  bytesIn: number;
  /** Frames delivered while no node was connected (discarded). */
  noNode: number;
}

export type LinkEventKind = 'send' | 'deliver' | 'lost' | 'queueDrop' | 'oversize' | 'runt' | 'unroutable';

/** What a tap sees. `frame` is shared: read it, copy it, never modify it. */
export interface LinkEvent {
  readonly kind: LinkEventKind;
  /** Virtual time in integer ms: when `send` was called, or the delivery time for 'deliver'. */
  readonly time: number;
  readonly link: Link;
  readonly from: Port;
  /** The receiving port ('deliver' only). */
  readonly to?: Port;
  readonly frame: Uint8Array;
  /** 'send' only: exact (possibly fractional) ms the first bit went out, after queueing. */
  readonly wireTime?: number;
  /** 'deliver' only: this copy was the extra one made by `duplicate`. */
  readonly duplicate?: boolean;
  /** 'deliver' only: this copy had bits flipped. */
  readonly corrupted?: boolean;
  /** 'deliver' only: this copy was held back by `reorder`. */
  readonly reordered?: boolean;
}

export type LinkTap = (event: LinkEvent) => void;

/** Anything that can record a frame with a timestamp: the pcap writer (hosttest/pcap) is one. */
export interface FrameRecorder {
  record(timeMs: number, frame: Uint8Array): void;
}

export interface CaptureOptions {
  /**
   * 'send' (default): every frame that reached the wire, stamped with the virtual ms at which
   * the port sent it, like tcpdump on the sender. Frames later lost on the link DO appear; queue
   * drops, runts and oversize frames do not; duplicates and corruption do not show (they happen
   * on the way). 'deliver': every copy handed to a receiving port at its delivery time, so loss,
   * duplication, corruption and reordering are visible, and a broadcast appears once per
   * receiver.
   */
  at?: 'send' | 'deliver';
}

/** A delivery the simulator must schedule (internal). */
export interface Delivery {
  readonly link: Link;
  readonly from: Port;
  readonly to: Port;
  readonly frame: Uint8Array;
  readonly duplicate: boolean;
  readonly corrupted: boolean;
  readonly reordered: boolean;
}

/** What a link needs from the simulator (internal; the Simulator provides it). */
export interface LinkContext {
  now(): number;
  schedule(time: number, delivery: Delivery): void;
  connect(port: Port, node: Driven): void;
  wake(node: Driven): void;
  /** Seed of the per-link random streams. */
  readonly seed: number;
}

export interface PortOptions {
  /** Largest Ethernet payload (IPv4 datagram) this port sends, default 1500. */
  mtu?: number;
  /** Receive every frame on the link, whatever its destination (default false). */
  promiscuous?: boolean;
  /** Shown in traces and errors (default: the MAC as aa:bb:cc:dd:ee:ff). */
  name?: string;
}

export function formatMac(mac: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push((mac[i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(':');
}

function isProbability(p: number): boolean {
  return p >= 0 && p <= 1;
}

function validate(i: LinkImpairments): void {
  const problems: string[] = [];
  for (const key of ['loss', 'duplicate', 'reorder', 'corrupt'] as const) {
    if (!isProbability(i[key])) problems.push(`${key} must be in [0, 1], got ${i[key]}`);
  }
  for (const key of ['delayMs', 'jitterMs', 'reorderMs'] as const) {
    if (!(i[key] >= 0 && Number.isFinite(i[key]))) problems.push(`${key} must be a finite number >= 0, got ${i[key]}`);
  }
  if (!(i.bandwidthBps > 0)) problems.push(`bandwidthBps must be > 0 (Infinity for none), got ${i.bandwidthBps}`);
  if (!(i.queueFrames >= 1) || !(Number.isInteger(i.queueFrames) || i.queueFrames === Infinity)) {
    problems.push(`queueFrames must be an integer >= 1 or Infinity, got ${i.queueFrames}`);
  }
  if (!(i.queueBytes >= 1)) problems.push(`queueBytes must be >= 1, got ${i.queueBytes}`);
  if (problems.length > 0) throw new RangeError(`invalid link options: ${problems.join('; ')}`);
}

/** Round an arrival time up to the next integer ms, ignoring float noise below ~1e-9 ms. */
function toTick(ms: number): number {
  const nearest = Math.round(ms);
  if (Math.abs(ms - nearest) <= 1e-9 * Math.max(1, Math.abs(ms) / 1000)) return nearest;
  return Math.ceil(ms);
}

function emptyLinkStats(): LinkStats {
  return {
    sent: 0, sentBytes: 0, transmitted: 0, delivered: 0, lost: 0, duplicated: 0, corrupted: 0,
    reordered: 0, queueDrops: 0, oversize: 0, runts: 0, unroutable: 0,
  };
}

/** A port's transmit side, used only when its link has a finite bandwidth. */
class TxQueue {
  /** Start (ms) of the current busy period. */
  busyStart = 0;
  /** Bits accepted since busyStart. */
  busyBits = 0;
  /** End (ms, exact) of the last frame accepted. */
  busyEnd = -Infinity;
  /** End times and sizes of frames not yet fully transmitted, oldest first from `head`. */
  readonly ends: number[] = [];
  readonly sizes: number[] = [];
  head = 0;
  bytes = 0;

  get frames(): number {
    return this.ends.length - this.head;
  }

  /** Forget frames fully transmitted by `now`. Bounded by the queue length. */
  purge(now: number): void {
    while (this.head < this.ends.length && this.ends[this.head]! <= now) {
      this.bytes -= this.sizes[this.head]!;
      this.head++;
    }
    // Compact now and then so the arrays don't grow with the run.
    if (this.head > 1024 && this.head * 2 > this.ends.length) {
      this.ends.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }

  push(end: number, size: number): void {
    this.ends.push(end);
    this.sizes.push(size);
    this.bytes += size;
  }
}

/** One attachment of a host to a link. It is the `Device` the stack under test is given. */
export class Port implements Device {
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly name: string;
  readonly link: Link;
  promiscuous: boolean;
  readonly stats: PortStats = { framesOut: 0, bytesOut: 0, framesIn: 0, bytesIn: 0, noNode: 0 };
  private attached: Driven | undefined;

  /** @internal use Simulator.attach */
  constructor(link: Link, mac: Uint8Array, options: PortOptions) {
    if (mac.length !== 6) throw new RangeError(`a MAC is 6 bytes, got ${mac.length}`);
    const mtu = options.mtu ?? 1500;
    if (!Number.isInteger(mtu) || mtu < 1) throw new RangeError(`mtu must be a positive integer, got ${mtu}`);
    this.link = link;
    this.mac = mac.slice();
    this.mtu = mtu;
    this.promiscuous = options.promiscuous ?? false;
    this.name = options.name ?? formatMac(mac);
  }

  /** Device.send: the frame is copied at once, so the caller may reuse its buffer. */
  send(frame: Uint8Array): void {
    this.link.transmit(this, frame);
  }

  /**
   * Attach the node that receives this port's frames and whose timers the simulator drives.
   * Returns the node, so `const a = port.connect(new Interface({ device: port, ... }))` reads
   * well. One node per port; the same node may be connected to several ports.
   */
  connect<T extends Driven>(node: T): T {
    if (this.attached !== undefined) throw new Error(`port ${this.name} already has a node`);
    this.attached = node;
    this.link.context.connect(this, node);
    return node;
  }

  /** The connected node, if any. */
  get node(): Driven | undefined {
    return this.attached;
  }

  /**
   * Tell the simulator the node's `nextDeadline()` may have changed outside an input or poll
   * (e.g. the test called an application API on the stack). The simulator also re-reads every
   * deadline at the start of each run call and after each scheduled callback, so this is only
   * needed in code that runs while the simulator is stepping.
   */
  wake(): void {
    if (this.attached !== undefined) this.link.context.wake(this.attached);
  }

  /** True when `frame` is for this port: its destination MAC is ours or a group address, or we are promiscuous. */
  accepts(frame: Uint8Array): boolean {
    if (this.promiscuous || ((frame[0] ?? 0) & 1) === 1) return true;
    for (let i = 0; i < 6; i++) if (frame[i] !== this.mac[i]) return false;
    return true;
  }
}

/** One Ethernet segment. Create with `Simulator.addLink`. */
export class Link {
  readonly name: string;
  readonly index: number;
  readonly stats: LinkStats = emptyLinkStats();
  /** @internal */
  readonly context: LinkContext;
  private settings: LinkImpairments;
  private readonly portList: Port[] = [];
  private readonly txQueues = new Map<Port, TxQueue>();
  private readonly taps: LinkTap[] = [];
  /** Spare frame buffers by length (see the head of this file), at most MAX_SPARE_FRAMES in all. */
  private readonly spare = new Map<number, Uint8Array[]>();
  private spareCount = 0;
  private readonly lossRandom: Random;
  private readonly duplicateRandom: Random;
  private readonly jitterRandom: Random;
  private readonly reorderRandom: Random;
  private readonly corruptRandom: Random;

  /** @internal use Simulator.addLink */
  constructor(context: LinkContext, index: number, options: LinkOptions) {
    const { name, ...impairments } = options;
    this.settings = { ...LINK_DEFAULTS, ...stripUndefined(impairments) };
    validate(this.settings);
    this.context = context;
    this.index = index;
    this.name = name ?? `link${index}`;
    // Streams keyed by the link's creation index (not its name) and the impairment.
    const base = `link/${index}/`;
    this.lossRandom = Random.derive(context.seed, base + 'loss');
    this.duplicateRandom = Random.derive(context.seed, base + 'duplicate');
    this.jitterRandom = Random.derive(context.seed, base + 'jitter');
    this.reorderRandom = Random.derive(context.seed, base + 'reorder');
    this.corruptRandom = Random.derive(context.seed, base + 'corrupt');
  }

  /** The current impairments (a copy). */
  get impairments(): LinkImpairments {
    return { ...this.settings };
  }

  /**
   * Change impairments from now on (e.g. a partition: `configure({ loss: 1 })`). Frames already
   * in flight or queued keep their times; a bandwidth change applies to frames sent afterwards.
   */
  configure(changes: Partial<LinkImpairments>): void {
    const next = { ...this.settings, ...stripUndefined(changes) };
    validate(next);
    if (next.bandwidthBps !== this.settings.bandwidthBps) {
      // Start a new busy period at the end of what is already queued, at the new rate.
      for (const queue of this.txQueues.values()) {
        if (queue.busyEnd > this.context.now()) {
          queue.busyStart = queue.busyEnd;
          queue.busyBits = 0;
        }
      }
    }
    this.settings = next;
  }

  get ports(): readonly Port[] {
    return this.portList;
  }

  /** @internal use Simulator.attach */
  addPort(port: Port): void {
    this.portList.push(port);
    this.txQueues.set(port, new TxQueue());
  }

  private txQueue(port: Port): TxQueue {
    const queue = this.txQueues.get(port);
    if (queue === undefined) throw new Error(`port ${port.name} is not on link ${this.name}`);
    return queue;
  }

  /** A buffer holding a copy of `bytes`, from the pool when one of that length is spare. */
  private copyOf(bytes: Uint8Array): Uint8Array {
    const list = this.spare.get(bytes.length);
    let out: Uint8Array;
    if (list !== undefined && list.length > 0) {
      out = list.pop()!;
      this.spareCount--;
    } else {
      out = new Uint8Array(bytes.length);
    }
    out.set(bytes);
    return out;
  }

  /** @internal Take back a frame buffer no node, tap or delivery refers to any more. */
  recycle(frame: Uint8Array): void {
    if (this.spareCount >= MAX_SPARE_FRAMES) return;
    let list = this.spare.get(frame.length);
    if (list === undefined) {
      list = [];
      this.spare.set(frame.length, list);
    }
    list.push(frame);
    this.spareCount++;
  }

  /** Observe every event on this link. Returns a function that removes the tap. */
  tap(listener: LinkTap): () => void {
    this.taps.push(listener);
    return () => {
      const i = this.taps.indexOf(listener);
      if (i >= 0) this.taps.splice(i, 1);
    };
  }

  /**
   * Record this link's frames into `recorder` (e.g. a PcapWriter); see CaptureOptions for what
   * appears. Returns a function that stops the capture.
   */
  capture(recorder: FrameRecorder, options: CaptureOptions = {}): () => void {
    const at = options.at ?? 'send';
    return this.tap((event) => {
      if (event.kind === at) recorder.record(event.time, event.frame);
    });
  }

  /** Frames accepted by ports but not yet fully serialised, over all ports of this link. */
  get queuedFrames(): number {
    const now = this.context.now();
    let total = 0;
    for (const queue of this.txQueues.values()) {
      queue.purge(now);
      total += queue.frames;
    }
    return total;
  }

  private emit(event: LinkEvent): void {
    for (let i = 0; i < this.taps.length; i++) this.taps[i]!(event);
  }

  /** A frame that goes no further: the taps see it, and its buffer is recycled unless one could keep it. */
  private dropped(event: LinkEvent, tapped: boolean): void {
    this.emit(event);
    if (!tapped && this.taps.length === 0) this.recycle(event.frame);
  }

  /** @internal Port.send lands here. */
  transmit(from: Port, input: Uint8Array): void {
    const now = this.context.now();
    const s = this.settings;
    const length = input.length;
    this.stats.sent++;
    this.stats.sentBytes += length;
    from.stats.framesOut++;
    from.stats.bytesOut += length;
    // A tap may keep the frame it is shown: then `frame` is neither recycled nor handed over.
    const tapped = this.taps.length > 0;
    const frame = this.copyOf(input);

    if (length < ETHERNET_HEADER_BYTES) {
      this.stats.runts++;
      this.dropped({ kind: 'runt', time: now, link: this, from, frame }, tapped);
      return;
    }
    if (length - ETHERNET_HEADER_BYTES > from.mtu) {
      this.stats.oversize++;
      this.dropped({ kind: 'oversize', time: now, link: this, from, frame }, tapped);
      return;
    }

    let wireTime = now;
    let txEnd = now;
    if (s.bandwidthBps !== Infinity) {
      const queue = this.txQueue(from);
      queue.purge(now);
      if (queue.frames >= s.queueFrames || queue.bytes + length > s.queueBytes) {
        this.stats.queueDrops++;
        this.dropped({ kind: 'queueDrop', time: now, link: this, from, frame }, tapped);
        return;
      }
      if (queue.busyEnd <= now) {
        queue.busyStart = now;
        queue.busyBits = 0;
      } else {
        wireTime = queue.busyEnd;
      }
      queue.busyBits += length * 8;
      // One division from the start of the busy period: no accumulated rounding.
      txEnd = queue.busyStart + (queue.busyBits * 1000) / s.bandwidthBps;
      queue.busyEnd = txEnd;
      queue.push(txEnd, length);
    }

    this.stats.transmitted++;
    if (tapped) this.emit({ kind: 'send', time: now, link: this, from, frame, wireTime });

    if (this.lossRandom.chance(s.loss)) {
      this.stats.lost++;
      this.dropped({ kind: 'lost', time: now, link: this, from, frame }, tapped);
      return;
    }

    let receivers = 0;
    for (const port of this.portList) if (port !== from && port.accepts(frame)) receivers++;
    if (receivers === 0) {
      this.stats.unroutable++;
      this.dropped({ kind: 'unroutable', time: now, link: this, from, frame }, tapped);
      return;
    }

    const copies = this.duplicateRandom.chance(s.duplicate) ? 2 : 1;
    let frameTaken = false;
    if (copies === 2) this.stats.duplicated++;
    for (let copy = 0; copy < copies; copy++) {
      let arrival = txEnd + s.delayMs;
      if (s.jitterMs > 0) arrival += this.jitterRandom.float() * s.jitterMs;
      const reordered = s.reorderMs > 0 && this.reorderRandom.chance(s.reorder);
      if (reordered) {
        arrival += (1 - this.reorderRandom.float()) * s.reorderMs; // (0, reorderMs]
        this.stats.reordered++;
      }
      let bytes = frame;
      let corrupted = false;
      if (length > ETHERNET_HEADER_BYTES && this.corruptRandom.chance(s.corrupt)) {
        bytes = this.copyOf(frame);
        this.flipBits(bytes);
        corrupted = true;
        this.stats.corrupted++;
      }
      const time = toTick(arrival);
      // The last receiver of this copy may take `bytes` when nothing else will read it: a
      // corrupted copy is this copy's own; `frame` is free after the last copy if no tap saw it.
      const handOver = corrupted || (copy === copies - 1 && !tapped);
      let left = receivers;
      for (const to of this.portList) {
        if (to === from || !to.accepts(frame)) continue;
        left--;
        const given = left === 0 && handOver ? bytes : this.copyOf(bytes);
        if (given === frame) frameTaken = true;
        this.context.schedule(time, { link: this, from, to, frame: given, duplicate: copy === 1, corrupted, reordered });
      }
    }
    if (!frameTaken && !tapped) this.recycle(frame);
  }

  /** Flip 1..8 distinct bits (geometric: each extra flip with probability 1/2) after the header. */
  private flipBits(bytes: Uint8Array): void {
    const first = ETHERNET_HEADER_BYTES * 8;
    const span = bytes.length * 8 - first;
    let flips = 1;
    while (flips < 8 && flips < span && this.corruptRandom.chance(0.5)) flips++;
    const chosen: number[] = [];
    for (let i = 0; i < flips; i++) {
      let bit = this.corruptRandom.int(span);
      // Move to the next unused bit; at most `flips` steps since fewer bits are taken.
      for (let step = 0; step < flips && chosen.includes(bit); step++) bit = (bit + 1) % span;
      chosen.push(bit);
      const at = first + bit;
      bytes[at >> 3]! ^= 1 << (at & 7);
    }
  }

  /**
   * @internal the simulator reports each delivery before handing the frame to the node. Returns
   * true when no tap was shown the frame, so its buffer may be recycled once the node has it read.
   */
  noteDelivered(delivery: Delivery, time: number): boolean {
    this.stats.delivered++;
    const to = delivery.to;
    to.stats.framesIn++;
    to.stats.bytesIn += delivery.frame.length;
    if (to.node === undefined) to.stats.noNode++;
    if (this.taps.length > 0) {
      this.emit({
        kind: 'deliver', time, link: this, from: delivery.from, to, frame: delivery.frame,
        duplicate: delivery.duplicate, corrupted: delivery.corrupted, reordered: delivery.reordered,
      });
      return false;
    }
    return true;
  }

  /** Zero the link's counters and those of its ports. */
  resetStats(): void {
    Object.assign(this.stats, emptyLinkStats());
    for (const port of this.portList) Object.assign(port.stats, { framesOut: 0, bytesOut: 0, framesIn: 0, bytesIn: 0, noNode: 0 });
  }
}

function stripUndefined(options: Partial<LinkImpairments>): Partial<LinkImpairments> {
  const out: Partial<LinkImpairments> = {};
  for (const key of Object.keys(options) as (keyof LinkImpairments)[]) {
    const value = options[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
