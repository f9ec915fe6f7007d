// The stack the socket objects run on: an Interface and its Tcp, driven by the platform, plus the
// queue that delivers socket callbacks. Callbacks never run inside the core's processing of a
// frame or timer (where an application's close() would pull a connection out from under it) nor
// inside the application's own write()/read(): sockets only mark what happened, and the stack
// calls them after `input` or `poll` has finished. `nextDeadline()` is "now" while any are due.
//
// Moddable apps construct sockets without naming a stack (`new TCP({ address, port })`), so one
// stack is the default; the firmware's main and the host runners set it.

import type { Accelerators, Clock, Device, Driven, Entropy, Log } from '../platform';
import { Interface, type InterfaceConfig } from '../iface/interface';
import { Tcp, type TcpConfigInput } from '../tcp/tcp';
import { parseIpv4Address } from '../wire/ipv4';

/** A socket with callbacks that may be due. */
export interface Deliverable {
  /** Run the socket's due callbacks; called by the stack outside any core processing. */
  deliver(): void;
}

export interface StackConfig {
  device: Device;
  entropy: Entropy;
  clock: Clock;
  log?: Log;
  accelerators?: Partial<Accelerators>;
  /** Static address (dotted quad); leave out for DHCP. */
  address?: string;
  prefixLength?: number;
  gateway?: string;
  tcp?: TcpConfigInput;
  iface?: Partial<Omit<InterfaceConfig, 'device' | 'entropy' | 'clock' | 'log' | 'accelerators'>>;
  /** Sockets whose callbacks can be due at once (bounds the delivery queue). */
  maxSockets?: number;
}

export class Stack implements Driven {
  readonly iface: Interface;
  readonly tcp: Tcp;
  readonly clock: Clock;
  private readonly due: (Deliverable | null)[];
  private dueCount = 0;
  private delivering = false;
  /** Deliveries skipped because the queue was full (the socket is retried at its next event). */
  queueFull = 0;

  constructor(config: StackConfig) {
    const address = config.address !== undefined ? parseIpv4Address(config.address) : 0;
    const gateway = config.gateway !== undefined ? parseIpv4Address(config.gateway) : 0;
    if (address < 0 || gateway < 0) throw new RangeError('address and gateway must be dotted quads');
    this.clock = config.clock;
    this.iface = new Interface({
      ...config.iface, device: config.device, entropy: config.entropy, clock: config.clock, log: config.log,
      accelerators: config.accelerators, address, prefixLength: config.prefixLength ?? 24, gateway,
    });
    this.tcp = new Tcp(this.iface, { entropy: config.entropy, config: config.tcp, log: config.log, accelerators: config.accelerators });
    const max = config.maxSockets ?? this.tcp.config.connections + this.tcp.config.listeners + 8;
    this.due = new Array<Deliverable | null>(max).fill(null);
  }

  input(frame: Uint8Array, now: number): void {
    this.iface.input(frame, now);
    this.deliver();
  }

  poll(now: number): void {
    this.iface.poll(now);
    this.deliver();
  }

  nextDeadline(): number {
    return this.dueCount > 0 ? 0 : this.iface.nextDeadline();
  }

  /** @internal A socket has callbacks due. Idempotent per socket. */
  schedule(s: Deliverable): void {
    for (let i = 0; i < this.dueCount; i++) if (this.due[i] === s) return;
    if (this.dueCount === this.due.length) {
      this.queueFull++;
      return;
    }
    this.due[this.dueCount++] = s;
  }

  /** Run every due socket's callbacks (also callable by a platform after its own work). */
  deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      // Bounded: each socket delivered at most a few times per call even if callbacks re-schedule it.
      for (let round = 0; round < 4 && this.dueCount > 0; round++) {
        const n = this.dueCount;
        for (let i = 0; i < n; i++) {
          const s = this.due[i]!;
          this.due[i] = null;
          s.deliver();
        }
        // Sockets scheduled during delivery were appended after n: move them down.
        let k = 0;
        for (let i = n; i < this.dueCount; i++) {
          this.due[k++] = this.due[i]!;
          this.due[i] = null;
        }
        this.dueCount = k;
      }
    } finally {
      this.delivering = false;
    }
  }
}

let defaultStack: Stack | null = null;

/** The stack sockets use when their options name none. */
export function setDefaultStack(stack: Stack | null): void {
  defaultStack = stack;
}

export function getDefaultStack(): Stack {
  if (defaultStack === null) throw new Error('synstack: no default stack (call setDefaultStack first)');
  return defaultStack;
}
