// One run of the XS benchmark scenario (hosttest/xs/scenarios/bench-xs.ts) in a fresh xsnap-worker,
// optionally under valgrind's callgrind, and what it yields: the scenario's result, xsnap's meter,
// the instruction count of the whole process with each C function's own share, and the live heap
// (an XS heap snapshot, as hosttest/firmware/xsnap.ts reads it).
//
// Callgrind is put in front of the worker by a small shell script given to XsnapSession as the
// worker binary: the script execs valgrind, which execs the worker with the same arguments and
// the same inherited pipes (fds 3 and 4, the netstring protocol), so nothing else changes.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { XsnapSession, type XsHeapFigures, type XsMeter } from '../../firmware/xsnap';
import { bundleForXs, repoRoot } from '../../firmware/bundle';
import type { BenchArgs, BenchResult } from '../../xs/scenarios/bench-xs';

export const WORK_DIR = path.join(repoRoot, 'out/bench/xs-work');

export interface XsRun {
  result: BenchResult;
  meter: XsMeter;
  /** Callgrind: instructions executed by the whole process, and each function's self cost. */
  instructions?: number;
  selfByFunction?: Map<string, number>;
  /** Callgrind with keepParts: each dump (at every Math.sinh call, then at exit), in order. */
  parts?: CallgrindPart[];
  heap?: XsHeapFigures;
}

let bundled: Promise<string> | null = null;

/** The scenario bundled for XS (once per process). */
export function benchBundle(): Promise<string> {
  bundled ??= bundleForXs("import './hosttest/xs/scenarios/bench-xs';").then((b) => b.code);
  return bundled;
}

/** Is valgrind with callgrind usable here? null when it is, else why not. */
export function callgrindMissing(): string | null {
  const r = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `valgrind not found (${r.error?.message ?? `exit ${r.status}`}); apt-get install valgrind`;
  return null;
}

let runCounter = 0;

/**
 * Run the scenario with `args` in a new machine of `worker`. With `callgrind`, count instructions;
 * with `heap`, snapshot the heap after the scenario reported.
 */
export async function runBench(worker: string, args: BenchArgs, opts: { callgrind?: boolean; heap?: boolean; keepParts?: boolean } = {}): Promise<XsRun> {
  const code = await benchBundle();
  mkdirSync(WORK_DIR, { recursive: true });
  const id = `${process.pid}-${runCounter++}`;
  const outFile = path.join(WORK_DIR, `callgrind-${id}.out`);
  const logFile = path.join(WORK_DIR, `callgrind-${id}.log`);
  let bin = worker;
  if (opts.callgrind) {
    bin = path.join(WORK_DIR, `callgrind-${id}.sh`);
    writeFileSync(bin, [
      '#!/bin/sh',
      `exec valgrind --tool=callgrind --callgrind-out-file='${outFile}' --dump-before=fx_Math_sinh --log-file='${logFile}' '${worker}' "$@"`,
      '',
    ].join('\n'));
    chmodSync(bin, 0o755);
  }
  let result: BenchResult | undefined;
  const problems: string[] = [];
  const session = new XsnapSession((text) => {
    const m = JSON.parse(text) as { t: string; value?: unknown; message?: string; stack?: string };
    if (m.t === 'args') return JSON.stringify(args);
    if (m.t === 'result') result = m.value as BenchResult;
    else if (m.t === 'error') problems.push(m.stack ?? m.message ?? 'error');
    return '';
  }, bin);
  try {
    const meter = await session.eval(code);
    if (problems.length > 0 || result === undefined) {
      throw new Error(`bench scenario ${JSON.stringify(args)} failed: ${problems.join('\n') || 'no result'}`);
    }
    const run: XsRun = { result, meter };
    if (opts.heap) run.heap = await session.heap(path.join(WORK_DIR, `heap-${id}.xss`));
    // Wait for the worker (and valgrind) to exit: the last counts are written then.
    await session.close();
    if (opts.callgrind) {
      const parts = readParts(outFile);
      run.instructions = parts.reduce((sum, p) => sum + p.total, 0);
      run.selfByFunction = new Map();
      for (const p of parts) for (const [fn, v] of p.selfByFunction) run.selfByFunction.set(fn, (run.selfByFunction.get(fn) ?? 0) + v);
      if (opts.keepParts) run.parts = parts;
    }
    return run;
  } finally {
    await session.close();
    for (const f of readdirSync(WORK_DIR)) if (f.startsWith(`callgrind-${id}.`) || f.startsWith(`heap-${id}.`)) rmSync(path.join(WORK_DIR, f), { force: true });
  }
}

/** The files callgrind wrote for one run (out.1, out.2, ... then out itself, at exit), parsed in order. */
function readParts(outFile: string): CallgrindPart[] {
  const dir = path.dirname(outFile), base = path.basename(outFile);
  const numbered = readdirSync(dir)
    .filter((f) => f.startsWith(base + '.'))
    .map((f) => Number(f.slice(base.length + 1)))
    .filter((k) => Number.isInteger(k))
    .sort((x, y) => x - y);
  // The last file is written at exit; a worker killed on close (slow exit) leaves none, and only
  // the numbered dumps carry the phases.
  const files = [...numbered.map((k) => `${outFile}.${k}`), ...(existsSync(outFile) ? [outFile] : [])];
  return files.map((f) => parseCallgrind(readFileSync(f, 'utf8')));
}

/**
 * Read a callgrind output file (format: valgrind's docs, "Callgrind Format Specification"): the
 * total, and the self cost of each function (cost lines under `fn=`, not the inclusive cost line
 * that follows each `calls=`), and the calls each function received (the counts of `calls=` lines
 * under its `cfn=`). Names may be compressed as "(id) name", later "(id)".
 */
export interface CallgrindPart {
  total: number;
  /** Instructions executed in each function itself. */
  selfByFunction: Map<string, number>;
  /** How many times each function was called. */
  callsByFunction: Map<string, number>;
}

export function parseCallgrind(text: string): CallgrindPart {
  const names = new Map<string, string>();
  const objects = new Map<string, string>();
  const selfByFunction = new Map<string, number>();
  const callsByFunction = new Map<string, number>();
  let fn = '';
  let callee = '';
  let ob = '';
  let total = -1;
  let skipNext = false;
  const compressed = (table: Map<string, string>, spec: string): string => {
    const m = /^\((\d+)\)(?:\s+(.*))?$/.exec(spec.trim());
    if (m === null) return spec.trim();
    if (m[2] !== undefined) table.set(m[1]!, m[2]);
    return table.get(m[1]!) ?? spec.trim();
  };
  const name = (spec: string): string => compressed(names, spec);
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const c = line.charCodeAt(0);
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42) {
      if (skipNext) {
        skipNext = false;
        continue;
      }
      const parts = line.split(' ');
      const cost = parts.length > 1 ? Number(parts[1]) : 0;
      selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + cost);
      continue;
    }
    // Callgrind marks recursion levels as name'2, name'3...: one function for us.
    if (line.startsWith('fn=')) {
      fn = name(line.slice(3)).replace(/'\d+$/, '');
      // A function known only by its address: say in which object (the worker, libc...).
      if (/^0x[0-9a-f]+$/i.test(fn)) fn += ` [${path.basename(ob)}]`;
    } else if (line.startsWith('ob=')) ob = compressed(objects, line.slice(3));
    else if (line.startsWith('cob=')) compressed(objects, line.slice(4));
    else if (line.startsWith('cfn=')) callee = name(line.slice(4)).replace(/'\d+$/, '');
    else if (line.startsWith('calls=')) {
      skipNext = true;
      callsByFunction.set(callee, (callsByFunction.get(callee) ?? 0) + Number(line.slice(6).split(' ')[0]));
    }
    else if (line.startsWith('summary:') || line.startsWith('totals:')) total = Number(line.split(':')[1]!.trim());
  }
  if (total < 0) throw new Error('callgrind output without a summary line');
  return { total, selfByFunction, callsByFunction };
}

const symbolTables = new Map<string, Array<[number, string]>>();

/**
 * A readable name for a function of the worker callgrind could only name by address ("0x00096ff0
 * [xsnap-worker]": a static function whose symbol the build dropped): the address with the named
 * function before it in the binary (`nm -n`), usually its neighbour in the same XS source file.
 * Addresses in other objects (libc without symbols) stay as they are.
 */
export function nameOf(worker: string, fn: string): string {
  const m = /^(0x[0-9a-f]+) \[(.*)\]$/i.exec(fn);
  if (m === null || m[2] !== path.basename(worker)) return fn;
  let table = symbolTables.get(worker);
  if (table === undefined) {
    const r = spawnSync('nm', ['-n', worker], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    table = (r.stdout ?? '').split('\n')
      .map((line) => line.split(' '))
      .filter((p) => p.length === 3 && /^[tT]$/.test(p[1]!) && !p[2]!.startsWith('.'))
      .map((p): [number, string] => [parseInt(p[0]!, 16), p[2]!]);
    symbolTables.set(worker, table);
  }
  const at = parseInt(m[1]!, 16);
  let before = '';
  for (const [addr, name] of table) {
    if (addr > at) break;
    before = name;
  }
  return before === '' ? fn : `${m[1]} (in the worker, after ${before})`;
}

export interface NativeCost {
  compiler: string;
  /** Instructions per call: checksum of 1460 bytes, HalfSipHash-2-4 of 12 bytes. */
  checksum1460: number;
  halfsiphash12: number;
}

/**
 * The firmware's C accelerators (firmware/native/checksum.c, halfsiphash.c) under callgrind, in a
 * small driver (native-cost.c): each function's self instructions divided by its calls. 32-bit
 * (-m32) when gcc can, like the XS build the benchmark measures.
 */
export function measureNativeCost(): NativeCost {
  mkdirSync(WORK_DIR, { recursive: true });
  const exe = path.join(WORK_DIR, `native-cost-${process.pid}`);
  const out = path.join(WORK_DIR, `native-cost-${process.pid}.out`);
  const sources = [
    path.join(repoRoot, 'hosttest/bench/xs/native-cost.c'),
    path.join(repoRoot, 'firmware/native/checksum.c'),
    path.join(repoRoot, 'firmware/native/halfsiphash.c'),
  ];
  let flags = ['-O2', '-m32'];
  let cc = spawnSync('gcc', [...flags, '-o', exe, ...sources], { encoding: 'utf8' });
  if (cc.status !== 0) {
    flags = ['-O2'];
    cc = spawnSync('gcc', [...flags, '-o', exe, ...sources], { encoding: 'utf8' });
  }
  if (cc.error || cc.status !== 0) throw new Error(`cannot compile native-cost.c: ${cc.stderr || String(cc.error)}`);
  const iterations = 1000;
  try {
    const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, exe, String(iterations)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`native-cost under callgrind failed: ${r.stderr}`);
    const self = parseCallgrind(readFileSync(out, 'utf8')).selfByFunction;
    const per = (fn: string): number => {
      const v = self.get(fn);
      if (v === undefined) throw new Error(`callgrind saw no ${fn}`);
      return v / iterations;
    };
    const version = spawnSync('gcc', ['-dumpfullversion'], { encoding: 'utf8' }).stdout.trim();
    // HalfSipHash's rounds may be a separate (static) function or inlined; count both.
    const rounds = [...self].filter(([fn]) => /^(rounds|absorb|le32)(\.|$)/.test(fn)).reduce((s, [, v]) => s + v, 0) / iterations;
    return { compiler: `gcc ${version} ${flags.join(' ')}`, checksum1460: per('synstack_checksum'), halfsiphash12: per('synstack_halfsiphash24') + rounds };
  } finally {
    rmSync(exe, { force: true });
    rmSync(out, { force: true });
  }
}
