// The XS globals a Moddable build provides and xsnap-worker does not, for running firmware/*.ts
// on the host: trace(), and the Native API (Native(destructor), native(name)). The host functions
// the firmware names are implemented here in TypeScript, each doing what its C twin does:
//
//   xs_synstack_link*          firmware/native/xs_link.c   -> SimulatedLink (sim-link.ts)
//   xs_synstack_checksum       firmware/native/xs_accel.c  -> onesSum (the C version is checked
//   xs_synstack_halfsiphash                                   against these in native.test.ts)
//   xs_synstack_random                                     -> a seeded generator
//
// A name with no implementation throws when it is looked up, as an unresolved host function
// fails to link on the device. `preloading(true)` makes every host function throw when called,
// which is what XS's preload does on the build machine (documentation/xs/preload.md, "Native
// functions"); hosttest/xs/firmware-preload.test.ts uses it.

import { halfSipHash24 } from '../../../src/crypto/halfsiphash';
import { onesSum } from '../../../src/wire/checksum';
import { SeededEntropy } from '../../sim/random';
import { SimulatedLink } from '../sim-link';
import { host, post } from './host';

type HostFunction = (this: unknown, ...args: never[]) => unknown;

interface LinkOptions {
  onReadable(frames: number): void;
  onLinkChange(up: boolean): void;
}

const LINK = Symbol('synstack link');

function linkOf(self: unknown): SimulatedLink {
  const link = (self as { [LINK]?: SimulatedLink })[LINK];
  if (link === undefined) throw new Error('synstack: link closed');
  return link;
}

function byteRange(bytes: Uint8Array, offset: number, length: number): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('invalid buffer');
  if (offset < 0 || length < 0 || offset > bytes.length || length > bytes.length - offset) throw new RangeError('synstack: range outside the buffer');
}

let entropy: SeededEntropy | null = null;
let linkOpen = false;

const functions: Record<string, HostFunction> = {
  xs_synstack_link(this: unknown, options: LinkOptions): void {
    if (linkOpen) throw new Error('synstack: the link is already open');
    const link = new SimulatedLink({ ...host.linkOptions, post, transmit: (frame) => host.transmit(frame) });
    link.open({ onReadable: (frames) => options.onReadable(frames), onLinkChange: (up) => options.onLinkChange(up) });
    (this as { [LINK]?: SimulatedLink })[LINK] = link;
    host.link = link;
    linkOpen = true;
  },
  xs_synstack_link_read(this: unknown, buffer: Uint8Array): number {
    return linkOf(this).read(buffer);
  },
  xs_synstack_link_send(this: unknown, frame: Uint8Array): boolean {
    return linkOf(this).send(frame);
  },
  xs_synstack_link_get_mac(this: unknown, into: Uint8Array): void {
    if (into.length < 6) throw new RangeError('synstack: MAC buffer too small');
    linkOf(this).getMAC(into);
  },
  xs_synstack_link_get_statistics(this: unknown, into: Uint8Array): void {
    linkOf(this).getStatistics(into);
  },
  xs_synstack_link_get_kind(this: unknown): string {
    return host.linkOptions.kind;
  },
  xs_synstack_link_get_up(this: unknown): boolean {
    return linkOf(this).up;
  },
  xs_synstack_link_close(this: unknown): void {
    const self = this as { [LINK]?: SimulatedLink };
    self[LINK]?.close();
    delete self[LINK];
    linkOpen = false;
  },
  xs_synstack_checksum(this: unknown, bytes: Uint8Array, offset: number, length: number, initial: number): number {
    byteRange(bytes, offset, length);
    return onesSum(bytes, offset, length, initial);
  },
  xs_synstack_halfsiphash(this: unknown, key: Uint8Array, data: Uint8Array, offset: number, length: number): number {
    byteRange(key, 0, 8);
    byteRange(data, offset, length);
    return halfSipHash24(key.subarray(0, 8), data, offset, length);
  },
  xs_synstack_copy(this: unknown, src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, length: number): void {
    byteRange(src, srcOffset, length);
    byteRange(dst, dstOffset, length);
    dst.set(src.subarray(srcOffset, srcOffset + length), dstOffset);
  },
  xs_synstack_random(this: unknown, bytes: Uint8Array): void {
    entropy ??= new SeededEntropy(host.seed, 'esp_fill_random');
    entropy.fill(bytes);
  },
};

let preload = false;

/** While true, calling any host function throws, as during XS preload on the build machine. */
export function preloading(on: boolean): void {
  preload = on;
}

/** Host functions called while preloading, by name. */
export const calledWhilePreloading: string[] = [];

function native(name: string): HostFunction {
  const f = functions[name];
  if (f === undefined) throw new Error(`host function ${name} is not implemented (would not link)`);
  return function (this: unknown, ...args: never[]): unknown {
    if (preload) {
      calledWhilePreloading.push(name);
      throw new Error(`host function ${name} called during preload`);
    }
    return f.apply(this, args);
  };
}

function Native(destructor: string): new () => object {
  if (destructor !== 'xs_synstack_link_destructor') throw new Error(`host destructor ${destructor} is not implemented`);
  return class HostObject {};
}

function trace(...parts: unknown[]): void {
  traceBuffer += parts.map((p) => String(p)).join('');
  for (let nl = traceBuffer.indexOf('\n'); nl >= 0; nl = traceBuffer.indexOf('\n')) {
    host.print(traceBuffer.slice(0, nl));
    traceBuffer = traceBuffer.slice(nl + 1);
  }
}
let traceBuffer = '';

const g = globalThis as Record<string, unknown>;
g.native = native;
g.Native = Native;
g.trace = trace;
