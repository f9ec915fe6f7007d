// The Node side of the platform seam (src/platform.ts): a real monotonic clock, entropy from
// node:crypto, a seeded entropy for reproducible tests, a console log with a level threshold and
// a recording log for assertions. The simulator (hosttest/sim) supplies its own virtual Clock.

import { randomFillSync } from 'node:crypto';
import type { Clock, Entropy, Log, LogFields, LogLevel } from '../../src/platform.js';

// ---------------------------------------------------------------------------------------------
// Clock

/**
 * Real monotonic time in integer milliseconds since the clock was created (so values stay small
 * and start near 0, like a device that just booted). Backed by `process.hrtime.bigint()`, which
 * is monotonic and unaffected by wall-clock changes. Never goes backwards.
 */
export class NodeClock implements Clock {
  private readonly originNs: bigint;

  constructor() {
    this.originNs = process.hrtime.bigint();
  }

  now(): number {
    return Number((process.hrtime.bigint() - this.originNs) / 1_000_000n);
  }
}

// ---------------------------------------------------------------------------------------------
// Entropy

/** `crypto.randomFillSync` fills at most 2^31-1 bytes per call; stay far below in chunks. */
const ENTROPY_CHUNK = 65536;

/** Unpredictable bytes from the operating system (node:crypto). */
export const cryptoEntropy: Entropy = {
  fill(bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.length; offset += ENTROPY_CHUNK) {
      randomFillSync(bytes, offset, Math.min(ENTROPY_CHUNK, bytes.length - offset));
    }
  },
};

// SeededEntropy lives in sim/random.ts (portable, so simulator scenarios also run under XS).
export { SeededEntropy } from '../sim/random.js';

// ---------------------------------------------------------------------------------------------
// Logs

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Level threshold parsing for CLI flags and env vars; 'silent' disables everything. */
export type LogThreshold = LogLevel | 'silent';

function rank(threshold: LogThreshold): number {
  return threshold === 'silent' ? Infinity : LEVEL_RANK[threshold];
}

/** Render fields as `key=value` pairs; strings with spaces or quotes are JSON-quoted. */
export function formatFields(fields: LogFields | undefined): string {
  if (fields === undefined) return '';
  const parts: string[] = [];
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    const text = typeof value === 'string' && /[\s"=]/.test(value) ? JSON.stringify(value) : String(value);
    parts.push(`${key}=${text}`);
  }
  return parts.join(' ');
}

export interface ConsoleLogOptions {
  /** Lowest level printed (default 'info'). */
  threshold?: LogThreshold;
  /** Prefix for every line, e.g. a host name in a multi-host scenario. */
  name?: string;
  /** Time source for a timestamp column (e.g. the simulator's virtual clock). */
  clock?: Clock;
  /** Where lines go; defaults to console.log / console.warn / console.error by level. */
  write?: (level: LogLevel, line: string) => void;
}

function defaultWrite(level: LogLevel, line: string): void {
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

/** Prints events at or above a threshold: `[t=1234] name warn tcp.rst_sent port=80 reason=...`. */
export class ConsoleLog implements Log {
  threshold: LogThreshold;
  private readonly name: string | undefined;
  private readonly clock: Clock | undefined;
  private readonly write: (level: LogLevel, line: string) => void;

  constructor(options: ConsoleLogOptions = {}) {
    this.threshold = options.threshold ?? 'info';
    this.name = options.name;
    this.clock = options.clock;
    this.write = options.write ?? defaultWrite;
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= rank(this.threshold);
  }

  log(level: LogLevel, event: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const head: string[] = [];
    if (this.clock !== undefined) head.push(`[t=${this.clock.now()}]`);
    if (this.name !== undefined) head.push(this.name);
    head.push(level, event);
    const tail = formatFields(fields);
    this.write(level, tail === '' ? head.join(' ') : `${head.join(' ')} ${tail}`);
  }
}

/** One event kept by a RecordingLog. `time` is set when the log was given a clock. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly event: string;
  readonly fields: LogFields;
  readonly time?: number;
}

export interface RecordingLogOptions {
  /** Most events kept; older ones are discarded first and counted in `discarded` (default 10000). */
  capacity?: number;
  /** Lowest level recorded (default 'debug': record everything). */
  threshold?: LogThreshold;
  /** Stamps each record with `clock.now()`. */
  clock?: Clock;
  /** Also forward every recorded event to this log (e.g. a ConsoleLog while debugging). */
  forward?: Log;
}

/**
 * Keeps events in a bounded ring for assertions: `log.count('tcp.rst_sent')`,
 * `log.find('syncache.evict')`. Fields are copied, so the core may reuse its objects.
 */
export class RecordingLog implements Log {
  readonly capacity: number;
  threshold: LogThreshold;
  /** Events discarded because the ring was full (oldest first). */
  discarded = 0;
  private readonly ring: (LogRecord | undefined)[];
  private head = 0; // index of the oldest record
  private size = 0;
  private readonly clock: Clock | undefined;
  private readonly forward: Log | undefined;

  constructor(options: RecordingLogOptions = {}) {
    const capacity = options.capacity ?? 10000;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.threshold = options.threshold ?? 'debug';
    this.clock = options.clock;
    this.forward = options.forward;
    this.ring = new Array<LogRecord | undefined>(capacity).fill(undefined);
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= rank(this.threshold) || (this.forward?.enabled(level) ?? false);
  }

  log(level: LogLevel, event: string, fields?: LogFields): void {
    if (this.forward?.enabled(level)) this.forward.log(level, event, fields);
    if (LEVEL_RANK[level] < rank(this.threshold)) return;
    const record: LogRecord = {
      level,
      event,
      fields: Object.freeze({ ...(fields ?? {}) }),
      ...(this.clock !== undefined ? { time: this.clock.now() } : {}),
    };
    if (this.size < this.capacity) {
      this.ring[(this.head + this.size) % this.capacity] = record;
      this.size++;
    } else {
      this.ring[this.head] = record; // overwrite the oldest
      this.head = (this.head + 1) % this.capacity;
      this.discarded++;
    }
  }

  /** The kept events, oldest first (a fresh array). */
  get events(): LogRecord[] {
    const out: LogRecord[] = [];
    for (let i = 0; i < this.size; i++) {
      const record = this.ring[(this.head + i) % this.capacity];
      if (record !== undefined) out.push(record);
    }
    return out;
  }

  /** Kept events named `event` (optionally also matching a level). */
  filter(event: string, level?: LogLevel): LogRecord[] {
    return this.events.filter((r) => r.event === event && (level === undefined || r.level === level));
  }

  /** The first kept event named `event`, if any. */
  find(event: string): LogRecord | undefined {
    return this.events.find((r) => r.event === event);
  }

  /** How many kept events are named `event`. */
  count(event: string): number {
    return this.filter(event).length;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.size = 0;
    this.discarded = 0;
  }
}
