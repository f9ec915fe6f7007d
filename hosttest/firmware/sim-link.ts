// A simulated raw-frame link for the firmware program on the host: what firmware/native/xs_link.c
// and ring.c do, in TypeScript, with the same observable behaviour:
//   - frames from the wire are copied into a ring of `ringBytes` bytes (records of 4 + the frame
//     rounded up to 4, the same accounting as ring.c; a frame that does not fit is dropped and
//     counted in `overflows`);
//   - the first frame into an idle ring posts one message (through `post`, the stand-in for
//     modMessagePostToMachine); the message calls onReadable(frames waiting), and afterwards, if
//     frames are left, posts the next message itself (ring_finish);
//   - link up/down are messages too; statistics are written in LINK_STATISTICS order.
// Portable (runs under XS, inside the firmware scenario, and under Node in vitest).

import { type FrameLink, type LinkHandlers, LINK_STATISTICS } from '../../firmware/link-types';

export interface SimulatedLinkOptions {
  mac: Uint8Array;
  kind?: string;
  /** Ring capacity in bytes (the manifest's defines.synstack.ring.bytes). */
  ringBytes?: number;
  maxFrame?: number;
  /**
   * Queue a message for the XS task (runs later, never re-entrantly); false if it could not be
   * queued (a debug build's modMessagePostToMachine gives up after 20 ticks).
   */
  post: (deliver: () => void) => boolean | void;
  /** A frame the firmware transmits. */
  transmit: (frame: Uint8Array) => void;
}

const HEADER = 4;

export class SimulatedLink implements FrameLink {
  readonly kind: string;
  up = false;
  readonly counters = {
    framesIn: 0, framesOut: 0, overflows: 0, oversize: 0, truncated: 0, posts: 0, postFailures: 0, ringHighWater: 0,
    ringUsed: 0, ringBytes: 0, txFrames: 0, txFailures: 0, linkUps: 0, linkDowns: 0,
  };
  /** Messages posted and not yet delivered (the invariant: never more than one for frames). */
  framesMessagesQueued = 0;
  maxFramesMessagesQueued = 0;
  private handlers: LinkHandlers | null = null;
  private readonly queue: Uint8Array[] = [];
  private head = 0;
  private used = 0;
  private notify = false;
  private readonly ringBytes: number;
  private readonly maxFrame: number;
  private readonly mac: Uint8Array;
  private readonly post: (deliver: () => void) => boolean | void;
  private readonly transmitFrame: (frame: Uint8Array) => void;
  private closed = false;

  constructor(o: SimulatedLinkOptions) {
    this.kind = o.kind ?? 'simulated';
    this.mac = o.mac.slice();
    this.ringBytes = o.ringBytes ?? 16384;
    this.maxFrame = o.maxFrame ?? 1536;
    this.post = o.post;
    this.transmitFrame = o.transmit;
    this.counters.ringBytes = this.ringBytes;
  }

  /** The firmware opened the link (RawLink's constructor). */
  open(handlers: LinkHandlers): this {
    this.handlers = handlers;
    return this;
  }

  // ---- the wire side (the driver task on the board) ------------------------------------------

  /** A frame arrives from the wire. */
  receive(frame: Uint8Array): void {
    if (this.closed || this.handlers === null) return;
    if (frame.length === 0 || frame.length > this.maxFrame) {
      this.counters.oversize++;
      return;
    }
    const record = HEADER + ((frame.length + 3) & ~3);
    // ring.c also loses the tail of the buffer to a wrap mark now and then; ignoring that makes
    // this ring hold at most a frame more than the board's, never fewer.
    if (this.used + record > this.ringBytes) {
      this.counters.overflows++;
      return;
    }
    this.queue.push(frame.slice());
    this.used += record;
    this.counters.framesIn++;
    if (this.used > this.counters.ringHighWater) this.counters.ringHighWater = this.used;
    if (!this.notify) {
      this.notify = true;
      this.counters.posts++;
      this.postFrames();
    }
  }

  /** Carrier / association changes. */
  setUp(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    if (up) this.counters.linkUps++;
    else this.counters.linkDowns++;
    this.post(() => {
      if (!this.closed) this.handlers?.onLinkChange(up);
    });
  }

  private postFrames(): void {
    if (this.post(() => this.deliver()) === false) {
      // ring_post_failed: the next frame posts again; the firmware's timer drains meanwhile.
      this.counters.postFailures++;
      this.notify = false;
      return;
    }
    this.framesMessagesQueued++;
    if (this.framesMessagesQueued > this.maxFramesMessagesQueued) this.maxFramesMessagesQueued = this.framesMessagesQueued;
  }

  private deliver(): void {
    this.framesMessagesQueued--;
    if (this.closed || this.handlers === null) return;
    try {
      this.handlers.onReadable(this.queue.length - this.head);
    } finally {
      // ring_finish: clear, look again; frames left are this consumer's to announce.
      this.notify = false;
      if (this.queue.length - this.head > 0) {
        this.notify = true;
        this.postFrames();
      }
    }
  }

  // ---- FrameLink (the XS side) ---------------------------------------------------------------

  read(buffer: Uint8Array): number {
    while (this.head < this.queue.length) {
      const frame = this.queue[this.head]!;
      this.queue[this.head++] = EMPTY;
      this.used -= HEADER + ((frame.length + 3) & ~3);
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      if (frame.length > buffer.length) {
        this.counters.truncated++;
        continue;
      }
      buffer.set(frame);
      this.counters.framesOut++;
      return frame.length;
    }
    return 0;
  }

  send(frame: Uint8Array): boolean {
    if (this.closed || !this.up) {
      this.counters.txFailures++;
      return false;
    }
    this.counters.txFrames++;
    this.transmitFrame(frame.slice());
    return true;
  }

  getMAC(into: Uint8Array): void {
    into.set(this.mac.subarray(0, 6));
  }

  getStatistics(into: Uint8Array): void {
    const c = this.counters as Record<string, number>;
    c.ringUsed = this.used;
    for (let i = 0; i < LINK_STATISTICS.length; i++) {
      const v = c[LINK_STATISTICS[i]!]! >>> 0;
      const o = i * 4;
      into[o] = v & 0xff;
      into[o + 1] = (v >>> 8) & 0xff;
      into[o + 2] = (v >>> 16) & 0xff;
      into[o + 3] = v >>> 24;
    }
  }

  close(): void {
    this.closed = true;
  }

  /** Frames waiting in the ring. */
  get waiting(): number {
    return this.queue.length - this.head;
  }
}

const EMPTY = new Uint8Array(0);
