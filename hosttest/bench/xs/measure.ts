// The measurements of `npm run bench -- xs` (see hosttest/bench/xs.ts for what the figures mean).
//
// Instructions, by difference inside one process. Each configuration runs in one xsnap-worker under
// callgrind: the scenario (hosttest/xs/scenarios/bench-xs.ts) builds the stack and warms it up,
// then runs phases of n, 2n and 4n units of each kind, calling Math.sinh(0) between phases; with
// --dump-before=fx_Math_sinh callgrind writes the counts of each phase to its own file. A phase
// costs fixed + units x cost, so
//     per unit = (P(4n) - P(2n)) / 2n      and, as the stability check,   (P(2n) - P(n)) / n;
// both are in the JSON. Driver-only phases (the
// peer patching its frames, no stack) are measured the same way and subtracted, and so is the
// bare loop for the micro kinds.

import type { BenchArgs, BenchKind, BenchResult, PhaseResult } from '../../xs/scenarios/bench-xs';
import { runBench, type XsRun } from './xs-run';

export interface PerUnit {
  /** Instructions per unit from the (2n, 4n) pair: the figure. */
  value: number;
  /** From the (n, 2n) pair: the stability check. */
  check: number;
  /** |value - check| / value. */
  spread: number;
  /** XS meter units (about one per bytecode) per unit, from the (2n, 4n) pair. */
  meter: number;
  n: number;
  /** The three phases' instruction counts (n, 2n, 4n units). */
  phaseInstructions: number[];
  /** Per C function, self instructions per unit from the (2n, 4n) pair. */
  byFunction: Map<string, number>;
  /** Per C function, calls per unit from the same pair. */
  callsByFunction: Map<string, number>;
  phases: PhaseResult[];
}

export interface ConfigRun {
  name: string;
  kinds: Map<BenchKind, PerUnit>;
  setupInstructions: number;
  wallMs: number;
}

/** Run `args` with each kind at n, 2n, 4n under callgrind and reduce the phases to per-unit figures. */
export async function measureConfig(
  worker: string, name: string, args: Omit<BenchArgs, 'phases'>, kinds: Array<[BenchKind, number]>,
): Promise<ConfigRun> {
  const phases = kinds.flatMap(([kind, n]) => [{ kind, n }, { kind, n: 2 * n }, { kind, n: 4 * n }]);
  const started = Date.now();
  const run: XsRun = await runBench(worker, { ...args, phases }, { callgrind: true, keepParts: true });
  const parts = run.parts!;
  // parts[0]: start-up and setup; parts[i + 1]: phase i; then (at exit) what follows the last marker.
  if (parts.length < phases.length + 1) throw new Error(`${name}: ${parts.length} callgrind parts for ${phases.length} phases`);
  const result = run.result as BenchResult;
  const out = new Map<BenchKind, PerUnit>();
  kinds.forEach(([kind, n], k) => {
    const p1 = parts[3 * k + 1]!, p2 = parts[3 * k + 2]!, p4 = parts[3 * k + 3]!;
    const value = (p4.total - p2.total) / (2 * n);
    const check = (p2.total - p1.total) / n;
    const perUnit = (a: Map<string, number>, b: Map<string, number>): Map<string, number> => {
      const m = new Map<string, number>();
      for (const fn of new Set([...a.keys(), ...b.keys()])) {
        const d = ((a.get(fn) ?? 0) - (b.get(fn) ?? 0)) / (2 * n);
        if (d !== 0) m.set(fn, d);
      }
      return m;
    };
    const byFunction = perUnit(p4.selfByFunction, p2.selfByFunction);
    const callsByFunction = perUnit(p4.callsByFunction, p2.callsByFunction);
    const ph = result.phases.slice(3 * k, 3 * k + 3);
    const meter = (ph[2]!.meter - ph[1]!.meter) / (2 * n);
    out.set(kind, {
      value, check, spread: Math.abs(value - check) / Math.abs(value), meter, n, byFunction, callsByFunction, phases: ph,
      phaseInstructions: [p1.total, p2.total, p4.total],
    });
  });
  return { name, kinds: out, setupInstructions: parts[0]!.total, wallMs: Date.now() - started };
}

/** a − b per unit, function by function. */
export function subtract(a: PerUnit, b: PerUnit): PerUnit {
  const minus = (x: Map<string, number>, y: Map<string, number>): Map<string, number> => {
    const m = new Map(x);
    for (const [fn, v] of y) m.set(fn, (m.get(fn) ?? 0) - v);
    return m;
  };
  const byFunction = minus(a.byFunction, b.byFunction);
  const callsByFunction = minus(a.callsByFunction, b.callsByFunction);
  const value = a.value - b.value, check = a.check - b.check;
  return {
    value, check, spread: Math.abs(value - check) / Math.abs(value), meter: a.meter - b.meter, n: a.n, byFunction, callsByFunction,
    phases: a.phases, phaseInstructions: a.phaseInstructions.map((x, i) => x - b.phaseInstructions[i]!),
  };
}

/** Slots x 16 + chunk bytes: the ESP32's figure (from a 32-bit XS; an upper bound from a 64-bit one). */
export function heapBytes(run: XsRun): number {
  const h = run.heap!;
  return h.slots * 16 + h.chunkBytes;
}

/** Heap of a machine after the heap setup with these arguments. */
export async function measureHeap(worker: string, args: Omit<BenchArgs, 'setup' | 'phases'>): Promise<{ bytes: number; slots: number; chunkBytes: number; slotBytes: number; result: BenchResult }> {
  const run = await runBench(worker, { ...args, setup: 'heap' }, { heap: true });
  return { bytes: heapBytes(run), slots: run.heap!.slots, chunkBytes: run.heap!.chunkBytes, slotBytes: run.heap!.slotBytes, result: run.result as BenchResult };
}
