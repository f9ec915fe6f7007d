import { describe, expect, it } from 'vitest';
import type { LogLevel } from '../../src/platform.js';
import { ConsoleLog, NodeClock, RecordingLog, SeededEntropy, cryptoEntropy, formatFields } from './node.js';

/** Block the thread for at least `ms` real milliseconds (no busy loop). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('NodeClock', () => {
  it('reads integer ms that never go backwards', () => {
    const clock = new NodeClock();
    let previous = clock.now();
    expect(Number.isInteger(previous)).toBe(true);
    expect(previous).toBeGreaterThanOrEqual(0);
    let backwards = 0;
    let fractional = 0;
    for (let i = 0; i < 10_000; i++) {
      const t = clock.now();
      if (t < previous) backwards++;
      if (!Number.isInteger(t)) fractional++;
      previous = t;
    }
    expect(backwards).toBe(0);
    expect(fractional).toBe(0);
  });

  it('advances with real time (lower bound only; no speed is asserted)', () => {
    const clock = new NodeClock();
    const before = clock.now();
    sleep(30);
    // Atomics.wait sleeps at least 30 ms; flooring to whole ms can lose at most 1.
    expect(clock.now() - before).toBeGreaterThanOrEqual(29);
  });
});

describe('Entropy', () => {
  it('cryptoEntropy fills buffers larger than one chunk, to the end', () => {
    const bytes = new Uint8Array(200_000);
    cryptoEntropy.fill(bytes);
    // 1000 zero bytes in a row from a CSPRNG has probability 2^-8000.
    const tail = bytes.subarray(bytes.length - 1000);
    expect(tail.some((b) => b !== 0)).toBe(true);
    const head = bytes.subarray(0, 1000);
    expect(head.some((b) => b !== 0)).toBe(true);
    const other = new Uint8Array(32);
    cryptoEntropy.fill(other);
    expect(Buffer.from(other).equals(Buffer.from(bytes.subarray(0, 32)))).toBe(false);
  });

  it('SeededEntropy is reproducible per (seed, label) and differs otherwise', () => {
    const fill = (seed: number, label?: string): string => {
      const out = new Uint8Array(24);
      new SeededEntropy(seed, label).fill(out);
      return Buffer.from(out).toString('hex');
    };
    expect(fill(1)).toBe(fill(1));
    expect(fill(1, 'host-a')).toBe(fill(1, 'host-a'));
    expect(fill(1)).not.toBe(fill(2));
    expect(fill(1, 'host-a')).not.toBe(fill(1, 'host-b'));
    // Successive fills continue the stream rather than repeating it.
    const e = new SeededEntropy(3);
    const x = new Uint8Array(8);
    const y = new Uint8Array(8);
    e.fill(x);
    e.fill(y);
    expect(Buffer.from(x).equals(Buffer.from(y))).toBe(false);
  });
});

describe('ConsoleLog', () => {
  it('prints events at or above its threshold, formatted as key=value', () => {
    const lines: [LogLevel, string][] = [];
    let t = 1234;
    const log = new ConsoleLog({ threshold: 'info', name: 'hostA', clock: { now: () => t }, write: (level, line) => lines.push([level, line]) });
    expect(log.enabled('debug')).toBe(false);
    expect(log.enabled('info')).toBe(true);
    log.log('debug', 'tcp.segment_in', { len: 10 });
    log.log('warn', 'tcp.rst_sent', { port: 80, reason: 'no listener', ok: false });
    t = 2000;
    log.log('error', 'boom');
    expect(lines).toEqual([
      ['warn', '[t=1234] hostA warn tcp.rst_sent port=80 reason="no listener" ok=false'],
      ['error', '[t=2000] hostA error boom'],
    ]);
  });

  it("'silent' disables every level, and the threshold can change", () => {
    const lines: string[] = [];
    const log = new ConsoleLog({ threshold: 'silent', write: (_l, line) => lines.push(line) });
    for (const level of ['debug', 'info', 'warn', 'error'] as const) log.log(level, 'x');
    expect(lines).toEqual([]);
    log.threshold = 'debug';
    log.log('debug', 'y');
    expect(lines).toEqual(['debug y']);
  });

  it('formatFields quotes only what needs quoting', () => {
    expect(formatFields(undefined)).toBe('');
    expect(formatFields({ a: 1, b: 'x', c: 'a b', d: 'q"', e: true })).toBe('a=1 b=x c="a b" d="q\\"" e=true');
  });
});

describe('RecordingLog', () => {
  it('keeps events in order with copied fields and optional timestamps', () => {
    let t = 5;
    const log = new RecordingLog({ clock: { now: () => t } });
    const fields: Record<string, number> = { port: 80 };
    log.log('info', 'listen', fields);
    fields.port = 81; // the core may reuse its objects
    t = 9;
    log.log('warn', 'syncache.evict', { bucket: 3 });
    log.log('info', 'listen');
    expect(log.events).toEqual([
      { level: 'info', event: 'listen', fields: { port: 80 }, time: 5 },
      { level: 'warn', event: 'syncache.evict', fields: { bucket: 3 }, time: 9 },
      { level: 'info', event: 'listen', fields: {}, time: 9 },
    ]);
    expect(log.count('listen')).toBe(2);
    expect(log.find('syncache.evict')?.fields.bucket).toBe(3);
    expect(log.filter('listen', 'warn')).toEqual([]);
  });

  it('is bounded: the oldest events are discarded and counted', () => {
    const log = new RecordingLog({ capacity: 3 });
    for (let i = 0; i < 10; i++) log.log('debug', `e${i}`);
    expect(log.events.map((e) => e.event)).toEqual(['e7', 'e8', 'e9']);
    expect(log.discarded).toBe(7);
    log.clear();
    expect(log.events).toEqual([]);
    expect(log.discarded).toBe(0);
    log.log('info', 'after');
    expect(log.events.map((e) => e.event)).toEqual(['after']);
  });

  it('honours its threshold and forwards to another log', () => {
    const printed: string[] = [];
    const forward = new ConsoleLog({ threshold: 'debug', write: (_l, line) => printed.push(line) });
    const log = new RecordingLog({ threshold: 'warn', forward });
    expect(log.enabled('debug')).toBe(true); // because the forward log wants it
    log.log('debug', 'quiet');
    log.log('error', 'loud');
    expect(log.events.map((e) => e.event)).toEqual(['loud']);
    expect(printed).toEqual(['debug quiet', 'error loud']);
    expect(new RecordingLog({ threshold: 'warn' }).enabled('info')).toBe(false);
    expect(() => new RecordingLog({ capacity: 0 })).toThrow(RangeError);
  });
});
