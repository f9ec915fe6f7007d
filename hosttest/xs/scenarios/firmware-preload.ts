// The preload check's XS side: after every module manifest.json preloads has been evaluated with
// host functions disabled (hosttest/firmware/xs/preload-begin.ts), do what XS's linker does to a
// preloaded machine before it runs on the board (documentation/xs/preload.md, "Automatic
// freezing"): freeze the built-ins' prototypes and constructors and every function and class
// the modules export (with their static members); then hand over to the co-simulation, so the
// firmware runs in those conditions. Reports the host functions called while preloading, the
// module count and the functions frozen as a {t:'note'} message.

import { calledWhilePreloading, preloading } from '../../firmware/xs/globals';
import { installCosim } from './firmware-cosim';

function send(value: unknown): void {
  const issueCommand = (globalThis as unknown as { issueCommand: (b: ArrayBuffer) => ArrayBuffer }).issueCommand;
  const bytes = new TextEncoder().encode(JSON.stringify({ t: 'note', value }));
  issueCommand(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Freeze every function reachable from `value` through exports and static members. */
function freezeFunctions(value: unknown, seen: Set<unknown>): number {
  if ((typeof value !== 'function' && (typeof value !== 'object' || value === null)) || seen.has(value)) return 0;
  seen.add(value);
  let n = 0;
  if (typeof value === 'function') {
    Object.freeze(value);
    n++;
  }
  for (const key of Object.getOwnPropertyNames(value)) {
    if (typeof value === 'function' && key === 'prototype') continue; // prototypes stay (aliased on the board)
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (d !== undefined && 'value' in d) n += freezeFunctions(d.value, seen);
  }
  return n;
}

/**
 * Freeze the built-ins as the XS linker does after preload: every global constructor with its
 * prototype, and the namespace objects (Math, JSON, Reflect, ...). Returns how many were frozen.
 */
function freezeBuiltins(): number {
  const g = globalThis as Record<string, unknown>;
  let n = 0;
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (name === 'globalThis' || name.startsWith('__')) continue;
    const v = g[name];
    if (typeof v === 'function') {
      const proto = (v as { prototype?: unknown }).prototype;
      if (typeof proto === 'object' && proto !== null) Object.freeze(proto);
      Object.freeze(v);
      n++;
    } else if (typeof v === 'object' && v !== null && /^[A-Z]/.test(name)) {
      Object.freeze(v);
      n++;
    }
  }
  // Prototypes reachable only through instances.
  for (const p of [Object.getPrototypeOf(Uint8Array.prototype), Object.getPrototypeOf(function* () {}), Object.getPrototypeOf(async () => {})]) {
    if (p !== null && typeof p === 'object') Object.freeze(p);
  }
  return n;
}

export function finishPreload(namespaces: object[], main: () => void): void {
  const called = calledWhilePreloading.slice();
  preloading(false);
  const builtins = freezeBuiltins();
  const seen = new Set<unknown>();
  let frozen = 0;
  for (const ns of namespaces) for (const key of Object.keys(ns)) frozen += freezeFunctions((ns as Record<string, unknown>)[key], seen);
  send({ called, modules: namespaces.length, frozen, builtins });
  installCosim(main);
}
