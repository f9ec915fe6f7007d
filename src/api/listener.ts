// `embedded:io/socket/listener` (ECMA-419 §10.4) over synstack: a TCP listener whose read()
// returns the next established connection as a TCP socket (adopt it with `new TCP({ from })`).
// Half-open connections live in the SYN cache (docs/syn-defence.md); `synDefence` and `stats`
// are synstack extensions.

import type { Listener as CoreListener } from '../tcp/listener';
import type { SynDefenceStatus } from '../tcp/syndefence';
import { ipv4ToString, parseIpv4Address } from '../wire/ipv4';
import { type Deliverable, type Stack, getDefaultStack } from './stack';
import TCP, { socketFor } from './tcp';

export interface ListenerOptions {
  port?: number;
  address?: string;
  onReadable?: (this: Listener, requests: number) => void;
  format?: 'socket/tcp';
  target?: unknown;
  /** synstack extension: accept-queue limit (default the stack's `defaultBacklog`). */
  backlog?: number;
  /** synstack extension: the stack to use. */
  stack?: Stack;
}

export default class Listener implements Deliverable {
  #stack: Stack;
  #core: CoreListener | null;
  #closed = false;
  #onReadable: ((this: Listener, requests: number) => void) | undefined;
  readonly port: number;
  readonly address: string;
  target: unknown;

  constructor(options: ListenerOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('Listener: options required');
    this.#stack = options.stack ?? getDefaultStack();
    if (options.format !== undefined && options.format !== 'socket/tcp') throw new RangeError('Listener: format must be "socket/tcp"');
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError('Listener: port must be 1..65535');
    if (options.address !== undefined) {
      const a = parseIpv4Address(options.address);
      if (a < 0 || (a !== 0 && a !== this.#stack.iface.address)) throw new RangeError('Listener: address must be ours or 0.0.0.0');
    }
    this.#onReadable = options.onReadable;
    this.target = options.target;
    const l = this.#stack.tcp.listen(port, {
      backlog: options.backlog,
      handler: { onConnection: () => this.#stack.schedule(this) },
    });
    if (typeof l === 'string') throw new Error(`Listener: port ${port} ${l === 'in-use' ? 'is in use' : 'cannot be opened (no room)'}`);
    this.#core = l;
    this.port = port;
    this.address = options.address ?? ipv4ToString(this.#stack.iface.address);
  }

  get format(): 'socket/tcp' {
    this.#check();
    return 'socket/tcp';
  }

  set format(value: 'socket/tcp') {
    this.#check();
    if (value !== 'socket/tcp') throw new RangeError('Listener: format must be "socket/tcp"');
  }

  /** The next established connection, or undefined when none waits. */
  read(): TCP | undefined {
    this.#check();
    const c = this.#core!.accept();
    return c === null ? undefined : socketFor(this.#stack, c);
  }

  /** Stop listening; connections waiting to be read are reset. Idempotent; later calls throw. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#core !== null) this.#stack.tcp.closeListener(this.#core);
    this.#core = null;
  }

  /** @internal */
  deliver(): void {
    if (this.#closed) return;
    const n = this.#core!.queued;
    if (n > 0) this.#onReadable?.call(this, n);
  }

  /** synstack extension: this listener's figures (SYNs, cookies, accept-queue overflows, ...). */
  get stats(): CoreListener['stats'] & { halfOpen: number; queued: number; backlog: number } {
    this.#check();
    const l = this.#core!;
    return { ...l.stats, halfOpen: l.halfOpen, queued: l.queued, backlog: l.backlog };
  }

  /** synstack extension: the stack-wide SYN defence (mode, cookies, attack signal, counters). */
  get synDefence(): SynDefenceStatus {
    this.#check();
    return this.#stack.tcp.synDefenceStatus();
  }

  #check(): void {
    if (this.#closed) throw new Error('Listener: closed');
  }
}
