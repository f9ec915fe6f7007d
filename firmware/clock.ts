// A Clock (src/platform.ts) over Moddable's millisecond tick counter. On the ESP32 `Time.ticks` is
// a signed 32-bit count that wraps after 24.8 days; the core wants monotonic milliseconds that
// never wrap, so this accumulates Time.delta() between reads into an ordinary number (exact up to
// 2^53 ms). It must be read at least once per wrap period, which the firmware's timer (at most a
// second apart) guarantees.

import type { Clock } from '../src/platform';

export class TickClock implements Clock {
  private last: number;
  private elapsed = 0;

  /** `ticks()` reads the counter; `delta(start, end)` is the wrap-safe difference (Time.delta). */
  constructor(private readonly ticks: () => number, private readonly delta: (start: number, end: number) => number) {
    this.last = ticks();
  }

  now(): number {
    const t = this.ticks();
    const d = this.delta(this.last, t);
    this.last = t;
    if (d > 0) this.elapsed += d;
    return this.elapsed;
  }
}
