// A discrete-event simulator for synstack on a virtual clock.
//
//   const sim = new Simulator({ seed: 42 });
//   const lan = sim.addLink({ delayMs: 1, loss: 0.01 });
//   const portA = sim.attach(lan, macA);                 // portA is the Device for host A
//   const a = portA.connect(new Interface({ device: portA, clock: sim.clock, ... }));
//   sim.runFor(60_000);                                  // one virtual minute, instantly
//
// Time is integer milliseconds, starting at `startMs` (default 0). Every event (a frame
// delivery, a node timer, a scheduled callback) happens at an integer ms; link serialisation is
// computed exactly and rounded up to the delivery tick (see link.ts). Between events the clock
// jumps, so idle hours cost nothing.
//
// The poll model (DESIGN.md): a node is a `Driven`. The simulator calls `node.input(frame, now)`
// when a frame is delivered to its port and `node.poll(now)` when `node.nextDeadline()` is due,
// and re-reads `nextDeadline()` after every input and poll of that node. A deadline in the past
// is polled at the current ms; a fractional one at the next integer ms; Infinity disarms. Because
// application code may change a stack's deadline between runs, every run call (and every
// scheduled callback) re-reads all deadlines first.
//
// Ordering: events run in (time, insertion sequence) order, so events at the same ms run in the
// order they were scheduled and a run is reproducible. They wait in a binary heap, except frames
// due at the current ms (a zero-delay link), which wait in a FIFO: each is scheduled with time =
// now and the next sequence number, and now never decreases, so the FIFO is already sorted and
// taking the smaller of its head and the heap's top gives exactly the heap's order, at O(1) a
// frame instead of O(log n). A frame sent during an input or poll is never delivered
// synchronously, even with zero delay: it becomes a new event.
//
// Runaway guard: more than `maxEventsPerMs` events at one virtual ms (e.g. a node whose
// nextDeadline() stays <= now after poll, or two nodes ping-ponging over a zero-delay link)
// throws a SimulatorError that says which kind of event and which node dominated.

import type { Clock, Driven, Entropy } from '../../src/platform.js';
import { SeededEntropy } from './random.js';
import { EventHeap, type HeapEntry } from './heap.js';
import { Link, Port, type Delivery, type LinkContext, type LinkOptions, type PortOptions } from './link.js';
import { Random, seedToUint32, type Seed } from './random.js';

export { Link, Port, formatMac, LINK_DEFAULTS } from './link.js';
export type {
  CaptureOptions, FrameRecorder, LinkEvent, LinkEventKind, LinkImpairments, LinkOptions, LinkStats,
  LinkTap, PortOptions, PortStats,
} from './link.js';

export class SimulatorError extends Error {
  override name = 'SimulatorError';
}

export interface SimulatorOptions {
  /** Seeds every random stream of the run (links' impairments, `stream()`, `entropy()`). */
  seed: Seed;
  /** Virtual time at creation, integer ms (default 0). */
  startMs?: number;
  /** Runaway guard: most events processed at one virtual ms (default 1,000,000). */
  maxEventsPerMs?: number;
}

/** A callback scheduled with `at` / `after`. */
export interface ScheduledCall {
  /** Virtual ms at which it runs. */
  readonly time: number;
  /** Prevent it from running; harmless after it ran. */
  cancel(): void;
}

interface DeliveryEvent extends HeapEntry {
  readonly kind: 'deliver';
  delivery: Delivery;
}

interface TimerEvent extends HeapEntry {
  readonly kind: 'timer';
  readonly node: NodeState;
}

interface CallEvent extends HeapEntry {
  readonly kind: 'call';
  readonly fn: (now: number) => void;
}

type SimEvent = DeliveryEvent | TimerEvent | CallEvent;

/** What the simulator keeps per connected node: its one timer event and some counters. */
class NodeState {
  readonly timer: TimerEvent;
  /** Virtual ms that `pollsAtMs` counts polls for (runaway diagnosis). */
  pollMs = -Infinity;
  pollsAtMs = 0;

  constructor(
    readonly node: Driven,
    readonly name: string,
  ) {
    this.timer = { kind: 'timer', node: this, time: 0, seq: 0, heapIndex: -1 };
  }
}

export class Simulator {
  readonly seed: number;
  /** The virtual clock, for the stacks under test. */
  readonly clock: Clock;
  readonly maxEventsPerMs: number;

  private nowMs: number;
  private seq = 0;
  private readonly queue = new EventHeap<SimEvent>();
  /** Deliveries due at the ms they were scheduled at, oldest first from `nowHead` (see Ordering). */
  private readonly nowQueue: DeliveryEvent[] = [];
  private nowHead = 0;
  /** Delivery events done with, for reuse (bounded by the most frames ever in flight at once). */
  private readonly spareDeliveries: DeliveryEvent[] = [];
  private readonly nodes = new Map<Driven, NodeState>();
  private readonly linkList: Link[] = [];
  private readonly portList: Port[] = [];
  private readonly context: LinkContext;
  private inFlightCount = 0;
  private processed = 0;
  private running = false;
  // Runaway guard bookkeeping for the current ms.
  private guardMs: number;
  private guardCount = 0;
  private guardDeliveries = 0;
  private guardTimers = 0;
  private guardCalls = 0;

  constructor(options: SimulatorOptions) {
    this.seed = seedToUint32(options.seed);
    const start = options.startMs ?? 0;
    if (!Number.isInteger(start)) throw new RangeError(`startMs must be an integer, got ${start}`);
    this.nowMs = start;
    this.guardMs = start;
    const maxEvents = options.maxEventsPerMs ?? 1_000_000;
    if (!(Number.isInteger(maxEvents) && maxEvents >= 1)) throw new RangeError(`maxEventsPerMs must be a positive integer, got ${maxEvents}`);
    this.maxEventsPerMs = maxEvents;
    this.clock = { now: () => this.nowMs };
    this.context = {
      seed: this.seed,
      now: () => this.nowMs,
      schedule: (time, delivery) => this.scheduleDelivery(time, delivery),
      connect: (port, node) => this.connectNode(port, node),
      wake: (node) => {
        const state = this.nodes.get(node);
        if (state !== undefined) this.rearm(state);
      },
    };
  }

  /** Current virtual time, integer ms. */
  get now(): number {
    return this.nowMs;
  }

  /** Frames scheduled for delivery and not yet delivered. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Events waiting in the queue (deliveries, armed node timers, scheduled callbacks). */
  get pending(): number {
    return this.queue.size + this.nowQueue.length - this.nowHead;
  }

  /** Events processed since creation. */
  get eventsProcessed(): number {
    return this.processed;
  }

  get links(): readonly Link[] {
    return this.linkList;
  }

  get ports(): readonly Port[] {
    return this.portList;
  }

  /** A deterministic random stream of this run for scenario code (independent per label). */
  stream(label: string): Random {
    return Random.derive(this.seed, `user/${label}`);
  }

  /** A deterministic Entropy for a stack in this run (independent per label, e.g. a host name). */
  entropy(label: string): Entropy {
    return new SeededEntropy(this.seed, `entropy/${label}`);
  }

  /** A new Ethernet segment. Impairments default to a perfect link (see LINK_DEFAULTS). */
  addLink(options: LinkOptions = {}): Link {
    const link = new Link(this.context, this.linkList.length, options);
    this.linkList.push(link);
    return link;
  }

  /**
   * Plug a host into `link` with MAC `mac`. The returned Port is the host's `Device`; hand it to
   * the stack, then `port.connect(node)` so the node gets its frames and timers. The third
   * argument is the MTU or PortOptions.
   */
  attach(link: Link, mac: Uint8Array, options: number | PortOptions = {}): Port {
    if (!this.linkList.includes(link)) throw new Error('attach: that link belongs to another simulator');
    const port = new Port(link, mac, typeof options === 'number' ? { mtu: options } : options);
    link.addPort(port);
    this.portList.push(port);
    return port;
  }

  /** Run `fn(now)` at virtual time `timeMs` (rounded up to an integer, not before now). */
  at(timeMs: number, fn: (now: number) => void): ScheduledCall {
    if (Number.isNaN(timeMs) || timeMs === Infinity) throw new RangeError(`at: time must be finite, got ${timeMs}`);
    const event: CallEvent = { kind: 'call', fn, time: Math.max(this.nowMs, Math.ceil(timeMs)), seq: 0, heapIndex: -1 };
    this.enqueue(event);
    return {
      time: event.time,
      cancel: () => {
        this.queue.remove(event);
      },
    };
  }

  /** Run `fn(now)` `delayMs` from now. */
  after(delayMs: number, fn: (now: number) => void): ScheduledCall {
    if (!(delayMs >= 0)) throw new RangeError(`after: delay must be >= 0, got ${delayMs}`);
    return this.at(this.nowMs + delayMs, fn);
  }

  /**
   * Process the single earliest event, moving the clock to its time. Returns false (and does
   * nothing) when the queue is empty.
   */
  step(): boolean {
    this.enter();
    try {
      this.rearmAll();
      const event = this.nextEvent();
      if (event === undefined) return false;
      this.dispatch(this.takeEvent(event));
      return true;
    } finally {
      this.running = false;
    }
  }

  /**
   * Process every event up to and including virtual time `timeMs`, then set the clock to
   * `timeMs`. Returns the number of events processed.
   */
  runUntil(timeMs: number): number {
    if (!Number.isInteger(timeMs)) throw new RangeError(`runUntil: time must be an integer ms, got ${timeMs}`);
    if (timeMs < this.nowMs) throw new RangeError(`runUntil(${timeMs}) is in the past (now ${this.nowMs})`);
    this.enter();
    const before = this.processed;
    try {
      this.rearmAll();
      // Bounded: the runaway guard allows at most maxEventsPerMs events per ms of the span.
      for (let next = this.nextEvent(); next !== undefined && next.time <= timeMs; next = this.nextEvent()) {
        this.dispatch(this.takeEvent(next));
      }
      this.advanceTo(timeMs);
    } finally {
      this.running = false;
    }
    return this.processed - before;
  }

  /** `runUntil(now + ms)`. */
  runFor(ms: number): number {
    if (!(Number.isInteger(ms) && ms >= 0)) throw new RangeError(`runFor: ms must be an integer >= 0, got ${ms}`);
    return this.runUntil(this.nowMs + ms);
  }

  /**
   * Run until nothing is left to do, that is no frame in flight, no node with a finite deadline
   * and no scheduled callback, or until `maxMs` of virtual time have passed. Returns true when it
   * went idle (the clock then stays at the last event), false at the limit (the clock is then
   * now + maxMs). A stack with a periodic timer is never idle; use runFor for those.
   */
  runUntilIdle(maxMs: number): boolean {
    return this.runLoop(() => true, maxMs, true);
  }

  /**
   * Process events while `condition()` holds, checking it before each event, for at most
   * `maxMs` of virtual time. Returns true as soon as the condition is false; false if it still
   * holds at now + maxMs (the clock is then now + maxMs). The condition may read `sim.now`.
   */
  runWhile(condition: () => boolean, maxMs: number): boolean {
    return this.runLoop(condition, maxMs, false);
  }

  /** A short description of what is queued, for debugging a scenario that does not settle. */
  describePending(limit = 10): string {
    const events = [...this.queue.entries(), ...this.nowQueue.slice(this.nowHead)].sort((a, b) => a.time - b.time || a.seq - b.seq).slice(0, limit);
    const lines = events.map((e) => {
      if (e.kind === 'deliver') return `t=${e.time} deliver ${e.delivery.from.name} -> ${e.delivery.to.name} (${e.delivery.frame.length} B)`;
      if (e.kind === 'timer') return `t=${e.time} timer ${e.node.name}`;
      return `t=${e.time} callback`;
    });
    return `now=${this.nowMs}, ${this.pending} pending${lines.length > 0 ? ':\n  ' + lines.join('\n  ') : ''}`;
  }

  // -------------------------------------------------------------------------------------------

  private runLoop(condition: () => boolean, maxMs: number, stopWhenIdle: boolean): boolean {
    if (!(Number.isInteger(maxMs) && maxMs >= 0)) throw new RangeError(`maxMs must be an integer >= 0, got ${maxMs}`);
    const end = this.nowMs + maxMs;
    this.enter();
    try {
      this.rearmAll();
      // Bounded in time by `end` and in count by the runaway guard (maxEventsPerMs per ms).
      for (;;) {
        if (!condition()) return true;
        const next = this.nextEvent();
        if (next === undefined && stopWhenIdle) return true;
        if (next === undefined || next.time > end) {
          this.advanceTo(end);
          return !condition();
        }
        this.dispatch(this.takeEvent(next));
      }
    } finally {
      this.running = false;
    }
  }

  private enter(): void {
    if (this.running) throw new SimulatorError('the simulator is already running (a run or step method was called from inside a node or callback)');
    this.running = true;
  }

  private enqueue(event: SimEvent): void {
    event.seq = this.seq++;
    this.queue.push(event);
  }

  /** The earliest waiting event (left in place), or undefined. */
  private nextEvent(): SimEvent | undefined {
    const top = this.queue.peek();
    if (this.nowHead === this.nowQueue.length) return top;
    const head = this.nowQueue[this.nowHead]!;
    return top !== undefined && (top.time < head.time || (top.time === head.time && top.seq < head.seq)) ? top : head;
  }

  /** Remove `event`, which nextEvent() just returned, from where it waits. */
  private takeEvent(event: SimEvent): SimEvent {
    if (this.nowHead < this.nowQueue.length && this.nowQueue[this.nowHead] === event) {
      this.nowHead++;
      if (this.nowHead === this.nowQueue.length) {
        this.nowQueue.length = 0;
        this.nowHead = 0;
      } else if (this.nowHead > 1024 && this.nowHead * 2 > this.nowQueue.length) {
        // Compact now and then, so a FIFO that never runs empty does not grow with the run.
        this.nowQueue.splice(0, this.nowHead);
        this.nowHead = 0;
      }
    } else {
      this.queue.pop();
    }
    return event;
  }

  private advanceTo(time: number): void {
    if (time > this.nowMs) this.nowMs = time;
  }

  private scheduleDelivery(time: number, delivery: Delivery): void {
    this.inFlightCount++;
    const at = Math.max(time, this.nowMs);
    const spare = this.spareDeliveries.pop();
    const event: DeliveryEvent = spare ?? { kind: 'deliver', delivery, time: at, seq: 0, heapIndex: -1 };
    event.delivery = delivery;
    event.time = at;
    if (at === this.nowMs) {
      event.seq = this.seq++;
      this.nowQueue.push(event);
    } else {
      this.enqueue(event);
    }
  }

  private connectNode(port: Port, node: Driven): void {
    let state = this.nodes.get(node);
    if (state === undefined) {
      state = new NodeState(node, port.name);
      this.nodes.set(node, state);
    }
    this.rearm(state);
  }

  /** Re-read a node's deadline and move its single timer event to match. */
  private rearm(state: NodeState): void {
    const deadline = state.node.nextDeadline();
    if (typeof deadline !== 'number' || Number.isNaN(deadline)) {
      throw new SimulatorError(`node ${state.name}: nextDeadline() returned ${String(deadline)}, expected a number or Infinity`);
    }
    const timer = state.timer;
    if (deadline === Infinity) {
      this.queue.remove(timer);
      return;
    }
    const time = Math.max(this.nowMs, Math.ceil(deadline));
    if (timer.heapIndex !== -1) {
      if (timer.time === time) return; // unchanged: keep its place among equal-time events
      this.queue.remove(timer);
    }
    timer.time = time;
    this.enqueue(timer);
  }

  private rearmAll(): void {
    for (const state of this.nodes.values()) this.rearm(state);
  }

  private dispatch(event: SimEvent): void {
    if (event.time > this.nowMs) this.nowMs = event.time;
    this.guard(event);
    this.processed++;
    switch (event.kind) {
      case 'deliver': {
        this.inFlightCount--;
        const { delivery } = event;
        const link = delivery.link;
        const recyclable = link.noteDelivered(delivery, this.nowMs);
        const node = delivery.to.node;
        if (node !== undefined) {
          node.input(delivery.frame, this.nowMs);
          this.rearm(this.nodes.get(node)!);
        }
        // The node does not keep the frame past input (Driven), and no tap was shown it.
        if (recyclable) link.recycle(delivery.frame);
        this.spareDeliveries.push(event);
        return;
      }
      case 'timer': {
        const state = event.node;
        if (state.pollMs !== this.nowMs) {
          state.pollMs = this.nowMs;
          state.pollsAtMs = 0;
        }
        state.pollsAtMs++;
        state.node.poll(this.nowMs);
        this.rearm(state);
        return;
      }
      case 'call': {
        event.fn(this.nowMs);
        this.rearmAll();
        return;
      }
    }
  }

  private guard(event: SimEvent): void {
    if (this.guardMs !== this.nowMs) {
      this.guardMs = this.nowMs;
      this.guardCount = 0;
      this.guardDeliveries = 0;
      this.guardTimers = 0;
      this.guardCalls = 0;
    }
    this.guardCount++;
    if (event.kind === 'deliver') this.guardDeliveries++;
    else if (event.kind === 'timer') this.guardTimers++;
    else this.guardCalls++;
    if (this.guardCount <= this.maxEventsPerMs) return;
    let busiest: NodeState | undefined;
    for (const state of this.nodes.values()) {
      if (state.pollMs === this.nowMs && (busiest === undefined || state.pollsAtMs > busiest.pollsAtMs)) busiest = state;
    }
    const hint =
      this.guardTimers >= this.guardDeliveries && busiest !== undefined
        ? `node ${busiest.name} was polled ${busiest.pollsAtMs} times at this ms: its nextDeadline() stays <= now after poll()`
        : 'frames are bouncing without time passing (a zero-delay loop between nodes?)';
    throw new SimulatorError(
      `runaway at t=${this.nowMs}: more than ${this.maxEventsPerMs} events in one virtual ms ` +
        `(${this.guardDeliveries} deliveries, ${this.guardTimers} timer polls, ${this.guardCalls} callbacks); ${hint}`,
    );
  }
}
