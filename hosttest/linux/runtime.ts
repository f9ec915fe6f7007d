// The real-time driver of a synstack `Stack` under Node: the platform half of the poll model
// (DESIGN.md, "The picture"). Received frames go to `stack.input(frame, clock.now())`; ONE
// setTimeout is armed at `stack.nextDeadline()` and calls `stack.poll(clock.now())` when it fires;
// after every input, poll and host task the timer is re-armed (moved only when the deadline
// changed). Host tasks that must run periodically (the status server's `tick()`) are folded into
// the same timer, so one timer drives the stack and its applications, as on the device.
//
//   const rt = new RealtimeRuntime(stack);        // NodeClock by default
//   bridge.onFrame = (frame) => rt.input(frame);
//   rt.every(100, () => server.tick());
//   rt.start();
//   rt.run(() => new TCP({ address, port, ... })); // app calls made outside a callback
//   rt.stop();
//
// The stack delivers socket callbacks at the end of `input`/`poll`, so code running inside a
// callback needs nothing more. Code that touches sockets from elsewhere (a test body, a Node
// timer) does it through `run(fn)`, which re-arms afterwards: such a call may have queued a
// transmission or a callback (then `nextDeadline()` is "now").
//
// Exceptions thrown by the stack are a bug in it: they are caught, counted and kept in `errors`
// (the first few) so a test can assert there were none, and the runtime goes on.

import type { Clock, Driven } from '../../src/platform.js';
import { NodeClock } from '../platform/node.js';

/** setTimeout's longest delay (ms); a later deadline is re-checked after this long. */
const MAX_DELAY = 0x7fffffff;
/** Errors kept (the rest are only counted). */
const MAX_ERRORS = 16;

export interface RuntimeCounters {
  inputs: number;
  /** Inputs received while stopped (dropped). */
  inputsWhileStopped: number;
  polls: number;
  /** Timer (re)arms; unchanged deadlines are not re-armed. */
  arms: number;
  /** Polls after which the stack still had a deadline at or before now (a busy stack, or a bug). */
  overduePolls: number;
  /** Host task runs. */
  tasks: number;
  errors: number;
}

interface Task {
  periodMs: number;
  at: number;
  fn: () => void;
}

export class RealtimeRuntime {
  readonly clock: Clock;
  readonly counters: RuntimeCounters = { inputs: 0, inputsWhileStopped: 0, polls: 0, arms: 0, overduePolls: 0, tasks: 0, errors: 0 };
  /** The first errors thrown by the stack or a task. */
  readonly errors: unknown[] = [];
  private readonly stack: Driven;
  private readonly tasks: Task[] = [];
  private timer: NodeJS.Timeout | null = null;
  private armedAt = Infinity;
  private running = false;

  constructor(stack: Driven, clock: Clock = new NodeClock()) {
    this.stack = stack;
    this.clock = clock;
  }

  get isRunning(): boolean {
    return this.running;
  }

  now(): number {
    return this.clock.now();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.clock.now();
    for (const t of this.tasks) t.at = now + t.periodMs;
    this.rearm();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedAt = Infinity;
  }

  /** Run `fn` every `periodMs` from the same timer (first run one period after start). */
  every(periodMs: number, fn: () => void): void {
    if (!(periodMs >= 1)) throw new RangeError('every: periodMs must be at least 1');
    this.tasks.push({ periodMs, at: this.clock.now() + periodMs, fn });
    if (this.running) this.rearm();
  }

  /** A received frame. */
  input(frame: Uint8Array): void {
    if (!this.running) {
      this.counters.inputsWhileStopped++;
      return;
    }
    this.counters.inputs++;
    try {
      this.stack.input(frame, this.clock.now());
    } catch (e) {
      this.error(e);
    }
    this.rearm();
  }

  /** Run application code outside a socket callback, then re-arm. Returns what `fn` returns. */
  run<T>(fn: () => T): T {
    try {
      return fn();
    } finally {
      if (this.running) this.rearm();
    }
  }

  private error(e: unknown): void {
    this.counters.errors++;
    if (this.errors.length < MAX_ERRORS) this.errors.push(e);
  }

  private nextTaskAt(): number {
    let at = Infinity;
    for (const t of this.tasks) if (t.at < at) at = t.at;
    return at;
  }

  private rearm(): void {
    if (!this.running) return;
    let deadline = Infinity;
    try {
      deadline = this.stack.nextDeadline();
    } catch (e) {
      this.error(e);
    }
    const taskAt = this.nextTaskAt();
    if (taskAt < deadline) deadline = taskAt;
    if (this.timer !== null && deadline === this.armedAt) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedAt = deadline;
    if (deadline === Infinity) return;
    const delay = Math.max(0, Math.min(MAX_DELAY, deadline - this.clock.now()));
    this.counters.arms++;
    this.timer = setTimeout(this.fire, delay);
  }

  private readonly fire = (): void => {
    this.timer = null;
    this.armedAt = Infinity;
    if (!this.running) return;
    const now = this.clock.now();
    this.counters.polls++;
    try {
      this.stack.poll(now);
      if (this.stack.nextDeadline() <= now) this.counters.overduePolls++;
    } catch (e) {
      this.error(e);
    }
    // Host tasks due now (each at most once per firing; a late one skips missed periods).
    for (const t of this.tasks) {
      if (t.at > now) continue;
      t.at = Math.max(t.at + t.periodMs, now + 1);
      this.counters.tasks++;
      try {
        t.fn();
      } catch (e) {
        this.error(e);
      }
    }
    this.rearm();
  };
}
