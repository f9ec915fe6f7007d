// Small `Driven` nodes and frame helpers for testing the simulator itself (and for scenario
// tests that need a dumb peer). They know nothing of IP: a frame is dst MAC, src MAC, EtherType
// and an opaque payload.

import type { Device, Driven } from '../../src/platform.js';

export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** A locally administered unicast MAC 02:00:00:00:hi:lo for host number `n` (0..65535). */
export function testMac(n: number): Uint8Array {
  return new Uint8Array([0x02, 0x00, 0x00, 0x00, (n >>> 8) & 0xff, n & 0xff]);
}

/** An EtherType from the IEEE "local experimental" range, so nobody mistakes these for IP. */
export const TEST_ETHERTYPE = 0x88b5;

/** dst | src | type | payload. */
export function buildFrame(dst: Uint8Array, src: Uint8Array, payload: Uint8Array, etherType = TEST_ETHERTYPE): Uint8Array {
  const frame = new Uint8Array(14 + payload.length);
  frame.set(dst.subarray(0, 6), 0);
  frame.set(src.subarray(0, 6), 6);
  frame[12] = etherType >>> 8;
  frame[13] = etherType & 0xff;
  frame.set(payload, 14);
  return frame;
}

/** A frame whose payload starts with a 32-bit big-endian sequence number, padded to `size`. */
export function numberedFrame(dst: Uint8Array, src: Uint8Array, n: number, size = 64): Uint8Array {
  const payload = new Uint8Array(Math.max(4, size - 14));
  new DataView(payload.buffer).setUint32(0, n >>> 0);
  return buildFrame(dst, src, payload);
}

/** The sequence number written by `numberedFrame`. */
export function frameNumber(frame: Uint8Array): number {
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(14);
}

export function srcMac(frame: Uint8Array): Uint8Array {
  return frame.slice(6, 12);
}

export interface Received {
  readonly time: number;
  readonly frame: Uint8Array;
}

/** Records every frame it receives; never has a deadline. */
export class RecorderNode implements Driven {
  readonly received: Received[] = [];

  input(frame: Uint8Array, now: number): void {
    this.received.push({ time: now, frame: frame.slice() });
  }

  poll(): void {}

  nextDeadline(): number {
    return Infinity;
  }
}

/**
 * Answers every frame back to its sender with the same payload, after `replyDelayMs` (0: at
 * once, from inside input). Delayed replies wait in a queue drained by poll(), so they exercise
 * the nextDeadline() path. Like the real stack it reuses one transmit buffer.
 */
export class EchoNode implements Driven {
  readonly received: Received[] = [];
  readonly polls: number[] = [];
  private readonly pending: { due: number; frame: Uint8Array }[] = [];
  private readonly txBuffer = new Uint8Array(2048);

  constructor(
    private readonly device: Device,
    private readonly replyDelayMs = 0,
  ) {}

  input(frame: Uint8Array, now: number): void {
    this.received.push({ time: now, frame: frame.slice() });
    if (frame.length < 14) return;
    if (this.replyDelayMs === 0) this.reply(frame);
    else this.pending.push({ due: now + this.replyDelayMs, frame: frame.slice() });
  }

  poll(now: number): void {
    this.polls.push(now);
    // Bounded by the queue length at entry: reply() never adds to `pending`.
    let i = 0;
    while (i < this.pending.length) {
      const entry = this.pending[i]!;
      if (entry.due <= now) {
        this.pending.splice(i, 1);
        this.reply(entry.frame);
      } else {
        i++;
      }
    }
  }

  nextDeadline(): number {
    let earliest = Infinity;
    for (const entry of this.pending) earliest = Math.min(earliest, entry.due);
    return earliest;
  }

  private reply(frame: Uint8Array): void {
    const out = this.txBuffer.subarray(0, frame.length);
    out.set(frame);
    out.set(frame.subarray(6, 12), 0); // back to the sender
    out.set(this.device.mac, 6);
    this.device.send(out);
    out.fill(0xee); // the buffer is reused: a simulator that did not copy would see this
  }
}

/**
 * A node with timers only: fires at each of `deadlines` (absolute ms) and records when poll()
 * was called. `onFire` may add more deadlines, like a retransmission timer re-arming.
 */
export class TimerNode implements Driven {
  readonly polls: number[] = [];
  readonly fired: { deadline: number; now: number }[] = [];
  private readonly deadlines: number[];

  constructor(
    deadlines: number[],
    private readonly onFire?: (deadline: number, now: number, node: TimerNode) => void,
  ) {
    this.deadlines = [...deadlines].sort((a, b) => a - b);
  }

  /** Add a deadline (keeps the list sorted). */
  arm(deadline: number): void {
    this.deadlines.push(deadline);
    this.deadlines.sort((a, b) => a - b);
  }

  input(): void {}

  poll(now: number): void {
    this.polls.push(now);
    // Fire everything due; bounded by the deadlines present at entry (onFire may add later ones
    // but each fire removes one, and re-armed deadlines in the past are fired by the next poll).
    const due = this.deadlines.filter((d) => d <= now);
    this.deadlines.splice(0, due.length);
    for (const deadline of due) {
      this.fired.push({ deadline, now });
      this.onFire?.(deadline, now, this);
    }
  }

  nextDeadline(): number {
    return this.deadlines[0] ?? Infinity;
  }
}
