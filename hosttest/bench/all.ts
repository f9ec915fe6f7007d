// `npm run bench -- all [--skip name,name] [--report-only]`: every benchmark, one after the other,
// each in its own process (so one's heap and JIT state do not colour the next), then
// docs/performance.md and its SVG plots regenerated from the JSON they wrote (out/bench/*.json).
//
// Order: wire, transfer, synflood (Node), xs (XS under callgrind), linux (the kernel over TAP and
// veth; needs root, otherwise its JSON says skipped and the report says so), peers (lwIP).
// `--report-only` regenerates the report from the JSON already in out/bench without running
// anything (for editing the report's layout; the committed report comes from a full run).
//
// Prints one line per benchmark (its wall time and exit status) and, last, one JSON object with
// those and the report's path, also written to out/bench/all.json. A benchmark that fails leaves
// its previous JSON out of the report: the report then names it as missing, never reuses old
// figures.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePerformanceReport } from './report/performance';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const OUT_DIR = join(ROOT, 'out', 'bench');
export const ALL_BENCHMARKS = ['wire', 'transfer', 'synflood', 'xs', 'linux', 'peers'] as const;
/** Per benchmark; the whole run is meant to take well under 15 minutes. */
const TIME_LIMIT_MS = 8 * 60_000;

interface Ran {
  name: string;
  status: number | null;
  wall_s: number;
}

export async function run(args: string[]): Promise<void> {
  const started = performance.now();
  const i = args.indexOf('--skip');
  const skip = new Set(i < 0 ? [] : (args[i + 1] ?? '').split(','));
  const reportOnly = args.includes('--report-only');
  mkdirSync(OUT_DIR, { recursive: true });
  const ran: Ran[] = [];
  if (!reportOnly) {
    for (const name of ALL_BENCHMARKS) {
      if (skip.has(name)) continue;
      const json = join(OUT_DIR, `${name}.json`);
      rmSync(json, { force: true }); // a failed run must not leave last time's figures behind
      console.log(`== ${name}`);
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, 'run.ts'), name], {
        cwd: ROOT, stdio: 'inherit', timeout: TIME_LIMIT_MS,
      });
      const wall = (performance.now() - t0) / 1000;
      ran.push({ name, status: r.status, wall_s: Math.round(wall * 10) / 10 });
      if (r.status !== 0 || !existsSync(json)) {
        console.log(`== ${name}: FAILED (exit ${r.status ?? r.signal}); left out of the report`);
        rmSync(json, { force: true });
        process.exitCode = 1;
      } else console.log(`== ${name}: ${wall.toFixed(1)} s`);
    }
  }
  const figures: Record<string, Record<string, unknown> | null> = {};
  for (const name of ALL_BENCHMARKS) {
    const json = join(OUT_DIR, `${name}.json`);
    figures[name] = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>) : null;
  }
  const report = writePerformanceReport(figures, ROOT);
  const summary = {
    bench: 'all', ran, report: relative(ROOT, report.markdown), svgs: report.svgs.map((s) => relative(ROOT, s)),
    elapsed_s: Math.round((performance.now() - started) / 100) / 10,
  };
  for (const r of ran) console.log(`${r.name.padEnd(10)} ${String(r.wall_s).padStart(7)} s  exit ${r.status}`);
  console.log(`report: ${summary.report} (+ ${summary.svgs.length} SVG); ${summary.elapsed_s} s in all`);
  const line = JSON.stringify(summary);
  writeFileSync(join(OUT_DIR, 'all.json'), line + '\n');
  console.log(line);
}
