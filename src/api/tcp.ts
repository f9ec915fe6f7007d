// `embedded:io/socket/tcp` (ECMA-419 §10.3) over synstack. Behaviour follows Moddable's
// implementation where the standard leaves room; docs/api.md lists each such choice.
//
//   const s = new TCP({ address: '192.0.2.2', port: 80, onWritable(bytes) { ... }, onReadable(bytes) { ... } });
//   const t = new TCP({ from: listener.read(), onReadable(bytes) { ... } });

import type { Connection, ConnectionHandler } from '../tcp/connection';
import type { TcpFailure } from '../tcp/state';
import { CLOSE_WAIT, ESTABLISHED } from '../tcp/state';
import { ipv4ToString, parseIpv4Address } from '../wire/ipv4';
import { type Deliverable, type Stack, getDefaultStack } from './stack';
import { type BufferSource, asBytes } from './buffer';
import {
  BYTES_RECEIVED, BYTES_SENT, FAST_RETRANSMITS, setFlag, NO_DELAY, REMOTE_IP, REMOTE_PORT, RETRANSMITS, RTO,
  SRTT,
} from '../tcp/connection';

export type TcpFormat = 'number' | 'buffer';

export interface TcpOptions {
  address?: string;
  host?: string;
  port?: number;
  /** A socket from `listener.read()` to adopt (checked at run time; typed loosely so Moddable's type fits). */
  from?: object;
  nodelay?: boolean;
  onReadable?: (this: TCP, bytes: number) => void;
  onWritable?: (this: TCP, bytes: number) => void;
  onError?: (this: TCP) => void;
  format?: TcpFormat;
  target?: unknown;
  /** synstack extension: the stack to use (default: the default stack). */
  stack?: Stack;
}

/** Per-connection figures (a synstack extension). */
export interface TcpSocketStats {
  state: string;
  bytesSent: number;
  bytesReceived: number;
  retransmits: number;
  fastRetransmits: number;
  srttMs: number;
  rtoMs: number;
  cwnd: number;
  failure: TcpFailure | null;
}

const PENDING_READABLE = 1;
const PENDING_WRITABLE = 2;
const PENDING_ERROR = 4;
/** Something closed: see whether onError is due (no new data to announce). */
const PENDING_CHECK = 8;

export default class TCP implements Deliverable {
  #stack: Stack;
  #conn: Connection | null = null;
  #generation = 0;
  #format: TcpFormat = 'buffer';
  #closed = false;
  #pending = 0;
  #errored = false;
  #peerClosed = false;
  #onReadable: ((this: TCP, bytes: number) => void) | undefined;
  #onWritable: ((this: TCP, bytes: number) => void) | undefined;
  #onError: ((this: TCP) => void) | undefined;
  /** ECMA-419 `target`, a value of the application's own kept with the socket. */
  target: unknown;

  constructor(options: TcpOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('TCP: options required');
    const from = options.from;
    this.#stack = options.stack ?? (from instanceof TCP ? from.#stack : getDefaultStack());
    this.#onReadable = options.onReadable;
    this.#onWritable = options.onWritable;
    this.#onError = options.onError;
    this.target = options.target;
    if (options.format !== undefined) this.format = options.format;
    if (adopting !== null) {
      // Made by Listener.read() for a connection it accepted.
      this.#adopt(adopting);
      adopting = null;
      this.#pending |= PENDING_WRITABLE;
      return;
    }
    if (from !== undefined) {
      if (!(from instanceof TCP) || from.#conn === null || from.#closed) throw new TypeError('TCP: from must be a socket from listener.read()');
      this.#stack = from.#stack;
      this.#adopt(from.#conn);
      from.#conn = null;
      from.#closed = true;
      if (options.nodelay !== undefined) setFlag(this.#conn!, NO_DELAY, options.nodelay);
      // An adopted connection is already up: say so, and deliver what it already holds.
      this.#pending |= PENDING_WRITABLE | (this.#conn!.readable > 0 ? PENDING_READABLE : 0);
      this.#stack.schedule(this);
      return;
    }
    if (options.host !== undefined) throw new RangeError('TCP: host names are not supported (no DNS); use address');
    const address = typeof options.address === 'string' ? parseIpv4Address(options.address) : -1;
    if (address < 0) throw new RangeError('TCP: address must be a dotted-quad IPv4 address');
    const port = options.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError('TCP: port must be 1..65535');
    const c = this.#stack.tcp.connect(address, port, this.#handler(), { noDelay: options.nodelay ?? false });
    if (typeof c === 'string') {
      // No address, no memory, no port: reported as a failure, asynchronously like any other.
      this.#pending |= PENDING_ERROR;
      this.#stack.schedule(this);
      return;
    }
    this.#conn = c;
    this.#generation = c.generation;
  }

  #adopt(c: Connection): void {
    this.#conn = c;
    this.#generation = c.generation;
    c.handler = this.#handler();
  }

  #handler(): ConnectionHandler {
    const schedule = (bits: number) => {
      this.#pending |= bits;
      this.#stack.schedule(this);
    };
    return {
      onConnected: () => schedule(PENDING_WRITABLE),
      onWritable: () => schedule(PENDING_WRITABLE),
      onReadable: () => schedule(PENDING_READABLE),
      onPeerClosed: () => {
        this.#peerClosed = true;
        schedule(PENDING_CHECK);
      },
      onClosed: () => schedule(PENDING_CHECK),
      onError: () => schedule(PENDING_ERROR),
    };
  }

  /** The live connection, or null once it failed, closed or was adopted elsewhere. */
  #live(): Connection | null {
    const c = this.#conn;
    return c !== null && c.generation === this.#generation ? c : null;
  }

  /** @internal Called by the stack outside any core processing. */
  deliver(): void {
    if (this.#closed) return;
    const bits = this.#pending;
    this.#pending = 0;
    const c = this.#live();
    const failed = c === null || c.failure !== null || c.state === 0;
    const available = c !== null ? c.readable : 0;
    if (bits & PENDING_READABLE && available > 0) this.#onReadable?.call(this, available);
    if (this.#closed) return;
    // ECMA-419: onError on a failure, and after the peer closed once everything was read.
    const drained = (c === null || c.readable === 0) && this.#peerClosed;
    if (!this.#errored && ((bits & PENDING_ERROR) || (failed && c?.failure) || drained)) {
      this.#errored = true;
      this.#onError?.call(this);
      return;
    }
    if (bits & PENDING_WRITABLE && c !== null && !failed) {
      const room = c.writable;
      if (room > 0) this.#onWritable?.call(this, room);
    }
  }

  get format(): TcpFormat {
    this.#check();
    return this.#format;
  }

  set format(value: TcpFormat) {
    this.#check();
    if (value !== 'number' && value !== 'buffer') throw new RangeError('TCP: format must be "number" or "buffer"');
    this.#format = value;
  }

  get remoteAddress(): string | undefined {
    const c = this.#live();
    return c === null ? undefined : ipv4ToString(c.v[REMOTE_IP]);
  }

  get remotePort(): number | undefined {
    const c = this.#live();
    return c === null ? undefined : c.v[REMOTE_PORT];
  }

  /**
   * format "buffer": read(byteLength?) returns an ArrayBuffer of that many bytes (all available
   * when omitted); read(buffer) fills the whole buffer, which must not be longer than what is
   * available, and returns its length. format "number":
   * read() returns one byte. Asking for more than is available throws.
   */
  read(byteLength?: number): number | ArrayBuffer;
  read(buffer: BufferSource): number;
  read(arg?: number | BufferSource): number | ArrayBuffer {
    this.#check();
    const c = this.#live();
    const available = c === null ? 0 : c.readable;
    if (this.#format === 'number') {
      if (arg !== undefined) throw new TypeError('TCP: read() takes no argument in format "number"');
      if (available < 1) throw new RangeError('TCP: nothing to read');
      const one = scratch;
      c!.read(one, 0, 1);
      this.#afterRead();
      return one[0]!;
    }
    if (arg === undefined || typeof arg === 'number') {
      const n = arg === undefined ? available : arg;
      if (!Number.isInteger(n) || n < 0) throw new RangeError('TCP: byteLength must be a non-negative integer');
      if (n > available) throw new RangeError(`TCP: ${n} bytes requested, ${available} available`);
      const out = new Uint8Array(n);
      if (n > 0) c!.read(out, 0, n);
      this.#afterRead();
      return out.buffer;
    }
    const into = asBytes(arg);
    if (into === null) throw new TypeError('TCP: read() takes a byte count or a buffer');
    // As Moddable does: the buffer is filled exactly, so it must not be longer than what is there.
    if (into.length === 0 || into.length > available) throw new RangeError(`TCP: ${into.length}-byte buffer, ${available} available`);
    c!.read(into, 0, into.length);
    this.#afterRead();
    return into.length;
  }

  #afterRead(): void {
    // Reading may complete the drain after a remote close: onError comes next (from the stack).
    const c = this.#live();
    if (this.#peerClosed && !this.#errored && (c === null || c.readable === 0)) {
      this.#pending |= PENDING_ERROR;
      this.#stack.schedule(this);
    }
  }

  /**
   * Queue bytes (or one byte, in format "number"). Throws before the connection is up or without
   * room. Returns the room left, as Moddable's does.
   */
  write(value: number | BufferSource): number {
    this.#check();
    const c = this.#live();
    if (c === null || (c.state !== ESTABLISHED && c.state !== CLOSE_WAIT)) throw new Error('TCP: not connected');
    let bytes: Uint8Array;
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < 0 || value > 255) throw new RangeError('TCP: a number write is one byte, 0..255');
      scratch[0] = value;
      bytes = scratch.subarray(0, 1);
    } else {
      const b = asBytes(value);
      if (b === null) throw new TypeError('TCP: write() takes a byte or a buffer');
      bytes = b;
    }
    if (bytes.length > c.writable) throw new RangeError(`TCP: ${bytes.length} bytes to write, room for ${c.writable}`);
    c.write(bytes, 0, bytes.length);
    return c.writable;
  }

  /** Close (FIN after queued data). Idempotent; any later call on the socket throws. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const c = this.#live();
    this.#conn = null;
    if (c !== null) c.close();
  }

  /** synstack extension: reset the connection at once (RST). */
  abort(): void {
    this.#check();
    this.#closed = true;
    const c = this.#live();
    this.#conn = null;
    if (c !== null) c.abort();
  }

  /** synstack extension: figures of this connection. */
  get stats(): TcpSocketStats {
    this.#check();
    const c = this.#live();
    return {
      state: c === null ? 'CLOSED' : c.stateName, bytesSent: c?.v[BYTES_SENT] ?? 0, bytesReceived: c?.v[BYTES_RECEIVED] ?? 0,
      retransmits: c?.v[RETRANSMITS] ?? 0, fastRetransmits: c?.v[FAST_RETRANSMITS] ?? 0, srttMs: c?.v[SRTT] ?? -1,
      rtoMs: c?.v[RTO] ?? 0, cwnd: c?.cwnd ?? 0, failure: c?.failure ?? null,
    };
  }

  #check(): void {
    if (this.#closed) throw new Error('TCP: closed');
  }
}

const scratch = new Uint8Array(1);

/** Set while Listener.read() constructs the socket for an accepted connection. */
let adopting: Connection | null = null;

/** @internal A TCP socket for a connection a listener accepted (used by Listener.read()). */
export function socketFor(stack: Stack, c: Connection): TCP {
  adopting = c;
  try {
    return new TCP({ stack });
  } finally {
    adopting = null;
  }
}
