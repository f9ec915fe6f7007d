// `embedded:io/socket/udp` (ECMA-419 §10.5) over synstack's UDP sockets (src/iface/udp.ts).

import type { UdpSocket } from '../iface/udp';
import { ipv4ToString, parseIpv4Address } from '../wire/ipv4';
import { type BufferSource, asBytes } from './buffer';
import { type Deliverable, type Stack, getDefaultStack } from './stack';

export interface UdpOptions {
  port?: number;
  address?: string;
  onReadable?: (this: UDP, packets: number) => void;
  onError?: (this: UDP) => void;
  format?: 'buffer';
  target?: unknown;
  stack?: Stack;
}

/** A received datagram: its bytes, and where it came from. */
export type Datagram = ArrayBuffer & { address: string; port: number };

export default class UDP implements Deliverable {
  #stack: Stack;
  #socket: UdpSocket | null;
  #closed = false;
  #error = false;
  #onReadable: ((this: UDP, packets: number) => void) | undefined;
  #onError: ((this: UDP) => void) | undefined;
  readonly port: number;
  target: unknown;

  constructor(options: UdpOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('UDP: options required');
    this.#stack = options.stack ?? getDefaultStack();
    if (options.format !== undefined && options.format !== 'buffer') throw new RangeError('UDP: format must be "buffer"');
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('UDP: port must be 0..65535');
    const s = this.#stack.iface.udp.bind(port);
    if (s === null) throw new Error(`UDP: port ${port} is in use or no socket is free`);
    this.#socket = s;
    this.port = s.port;
    this.#onReadable = options.onReadable;
    this.#onError = options.onError;
    this.target = options.target;
    s.onReadable = () => this.#stack.schedule(this);
    s.onError = () => {
      this.#error = true;
      this.#stack.schedule(this);
    };
  }

  get format(): 'buffer' {
    this.#check();
    return 'buffer';
  }

  set format(value: 'buffer') {
    this.#check();
    if (value !== 'buffer') throw new RangeError('UDP: format must be "buffer"');
  }

  /** Send one datagram. Throws for a bad address or a datagram larger than one frame. */
  write(buffer: BufferSource, address: string, port: number): void {
    this.#check();
    const bytes = asBytes(buffer);
    if (bytes === null) throw new TypeError('UDP: write() takes a buffer');
    const a = parseIpv4Address(address);
    if (a < 0) throw new RangeError('UDP: address must be a dotted quad');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError('UDP: port must be 1..65535');
    const r = this.#socket!.send(a, port, bytes, 0, bytes.length, this.#stack.clock.now());
    if (r === 'too-big') throw new RangeError('UDP: datagram larger than one frame');
    if (r === 'no-address' || r === 'no-route') throw new Error(`UDP: ${r}`);
  }

  /** The next datagram (with `address` and `port`). Throws when none waits (read after onReadable). */
  read(): Datagram {
    this.#check();
    const s = this.#socket!;
    const n = s.peekLength();
    if (n < 0) throw new RangeError('UDP: no datagram waiting');
    const out = new Uint8Array(n);
    s.readInto(out);
    const d = out.buffer as Datagram;
    d.address = ipv4ToString(s.lastAddress);
    d.port = s.lastPort;
    return d;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket?.close();
    this.#socket = null;
  }

  /** @internal */
  deliver(): void {
    if (this.#closed) return;
    if (this.#error) {
      this.#error = false;
      this.#onError?.call(this);
    }
    const n = this.#socket!.pending;
    if (n > 0) this.#onReadable?.call(this, n);
  }

  #check(): void {
    if (this.#closed) throw new Error('UDP: closed');
  }
}
