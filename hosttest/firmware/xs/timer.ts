// Stand-in for Moddable's "timer" module (modules/base/timer) on virtual time (host.ts): set,
// repeat, schedule, clear and delay with the documented semantics (documentation/base/base.md,
// class Timer): a callback receives its timer; a timer whose repeat interval is 0 when its
// callback returns is cleared; schedule(t) with no intervals unschedules it; schedule(t, i) makes
// it one-shot, schedule(t, i, r) repeating. The simulated run loop calls runDueTimers().

import { host } from './host';

type Callback = (timer: Timer) => void;

class Timer {
  /** @internal */ callback: Callback;
  /** @internal */ due: number;
  /** @internal */ interval: number;
  /** @internal */ cleared = false;
  /** @internal */ rescheduled = false;

  private constructor(callback: Callback, due: number, interval: number) {
    this.callback = callback;
    this.due = due;
    this.interval = interval;
  }

  static set(callback: Callback, initial = 0, repeat = 0): Timer {
    const t = new Timer(callback, host.now + initial, repeat);
    timers.push(t);
    return t;
  }

  static repeat(callback: Callback, interval: number): Timer {
    return Timer.set(callback, interval, interval);
  }

  static schedule(t: Timer, initial?: number, repeat?: number): void {
    if (t.cleared) throw new Error('Timer.schedule: timer was cleared');
    t.rescheduled = true;
    if (initial === undefined) {
      t.due = Infinity;
      t.interval = 0;
      return;
    }
    t.due = host.now + initial;
    t.interval = repeat ?? 0;
  }

  static clear(t: Timer | undefined | null): void {
    if (t === undefined || t === null || t.cleared) return;
    t.cleared = true;
    const i = timers.indexOf(t);
    if (i >= 0) timers.splice(i, 1);
  }

  static delay(): void {}
}

const timers: Timer[] = [];

/** Fire every timer due at host.now (each at most once per call); how many fired. */
export function runDueTimers(): number {
  let fired = 0;
  for (const t of timers.slice()) {
    if (t.cleared || t.due > host.now) continue;
    fired++;
    t.rescheduled = false;
    const interval = t.interval;
    if (interval > 0) t.due = Math.max(t.due + interval, host.now);
    t.callback.call(globalThis, t);
    if (!t.rescheduled && interval === 0) Timer.clear(t);
  }
  return fired;
}

/** The earliest due time of any timer, or Infinity. */
export function nextTimerAt(): number {
  let next = Infinity;
  for (const t of timers) if (!t.cleared && t.due < next) next = t.due;
  return next;
}

export default Timer;
