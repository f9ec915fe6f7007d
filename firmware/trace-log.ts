// The platform seam's Log (src/platform.ts) for the firmware: each event becomes one line for
// xsbug's console (main.ts prints with trace()), e.g.
//
//   synstack: tcp-state conn=0 gen=1 from=SYN-RECEIVED to=ESTABLISHED cause=ack remote=192.168.50.10:51514
//   synstack: WARN attack-start halfOpen=128 capacity=128 cookieMode=true synsPerSecond=1840 sources=1733
//
// Lines are rate-limited (a token bucket, `perSecond` lines with a burst of as many): a flood
// must not turn into a flood of serial output, which at 921,600 baud would cost the XS task more
// than the flood itself. What is held back is counted and reported by the next line that passes.
// Portable: no Moddable modules.

import type { Clock, Log, LogFields, LogLevel } from '../src/platform';

const RANK: Readonly<Record<LogLevel | 'off', number>> = Object.freeze({ debug: 10, info: 20, warn: 30, error: 40, off: 100 });

export class TraceLog implements Log {
  /** Lines held back by the rate limit, in all. */
  suppressed = 0;
  /** Lines printed, in all. */
  printed = 0;
  private readonly threshold: number;
  private tokens: number;
  private refilledAt: number;
  private pendingSuppressed = 0;

  constructor(
    private readonly print: (line: string) => void,
    level: LogLevel | 'off',
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {
    this.threshold = RANK[level];
    this.tokens = perSecond;
    this.refilledAt = clock.now();
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.threshold;
  }

  log(level: LogLevel, event: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    if (!this.take()) return;
    let line = level === 'info' ? `synstack: ${event}` : `synstack: ${level.toUpperCase()} ${event}`;
    if (fields !== undefined) {
      for (const key of Object.keys(fields)) line += ` ${key}=${String(fields[key])}`;
    }
    this.emit(line);
  }

  private take(): boolean {
    const now = this.clock.now();
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.perSecond, this.tokens + (elapsed * this.perSecond) / 1000);
      this.refilledAt = now;
    }
    if (this.tokens < 1) {
      this.suppressed++;
      this.pendingSuppressed++;
      return false;
    }
    this.tokens -= 1;
    return true;
  }

  private emit(line: string): void {
    if (this.pendingSuppressed > 0) {
      line += ` (${this.pendingSuppressed} lines suppressed before this one)`;
      this.pendingSuppressed = 0;
    }
    this.printed++;
    this.print(line);
  }
}
