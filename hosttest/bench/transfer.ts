// `npm run bench -- transfer [--mib N] [--rounds R] [--buffer KiB]`: how fast two synstack hosts
// in one Node process move bulk data, in REAL time.
//
// The bulk scenario (hosttest/scenarios/bulk.ts) sends N MiB (default 64) one way, A to B, over a
// simulated link with no delay, no loss and no bandwidth cap, with large buffers (default 1 MiB
// send and receive, window scaling on). Simulated time does not advance (every frame arrives at
// the ms it was sent), so the run costs exactly the CPU of: the application writing and reading,
// both stacks (TCP, IPv4, checksums in TypeScript), and the simulator carrying frames (one copy
// per send and one per delivery, an event heap). The figures:
//   goodput_gbps    payload bits delivered per second of wall-clock time (median of the rounds)
//   cpu_s_per_gb    user + system CPU seconds (process.cpuUsage) per 10^9 payload bytes (median)
//   content_cpu_s_per_gb  what generating the seeded content alone costs, for comparison
// Before the timed rounds, one verified run (SHA-256 both ends, 16 MiB) must deliver the content
// intact, or the benchmark fails. Timed rounds do not hash (hashing would dominate the cost).
//
// Prints a table, then the figures as one JSON object on the last line of stdout, also written to
// out/bench/transfer.json. Figures are measurements, not pass/fail criteria.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '../sim/random';
import { type BulkOptions, type BulkResult, MiB, describeBulk, runBulk } from '../scenarios/bulk';
import { fail, median, option, pad, round } from './report';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const OUT_DIR = join(ROOT, 'out', 'bench');
const SEED = 4242;

interface Round {
  wallMs: number;
  cpuMs: number;
  events: number;
  frames: number;
  result: BulkResult;
}

function options(bytes: number, bufferBytes: number, verify: boolean, inspect?: BulkOptions['inspect']): BulkOptions {
  return {
    seed: SEED, bytesAToB: bytes, bytesBToA: 0, verify,
    link: { delayMs: 0 },
    // One spare connection block each; buffers large enough that the window never limits.
    tcp: { sendBuffer: bufferBytes, receiveBuffer: bufferBytes, connections: 2 },
    timeLimitMs: 600_000,
    ...(inspect === undefined ? {} : { inspect }),
  };
}

function timedRound(bytes: number, bufferBytes: number): Round {
  let events = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = runBulk(options(bytes, bufferBytes, false, (t) => { events = t.sim.eventsProcessed; }));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (!result.complete || result.aToB.received !== bytes) fail(`timed round did not complete: ${describeBulk(result)}`);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, events, frames: result.link.transmitted, result };
}




export async function run(args: string[]): Promise<void> {
  const started = performance.now();
  const mib = option(args, 'mib', 64);
  const rounds = Math.round(option(args, 'rounds', 5));
  const bufferKiB = option(args, 'buffer', 1024);
  const bytes = Math.round(mib * MiB);
  const bufferBytes = Math.round(bufferKiB * 1024);

  // 1. Integrity: the same path, hashed at both ends.
  const checkBytes = Math.min(bytes, 16 * MiB);
  const check = runBulk(options(checkBytes, bufferBytes, true));
  if (!check.complete || check.aToB.receivedSha256 !== check.aToB.sentSha256) fail(`verified run failed: ${describeBulk(check)}`);

  // 2. Warm-up (JIT), then the timed rounds.
  timedRound(Math.min(bytes, 8 * MiB), bufferBytes);
  const list: Round[] = [];
  for (let i = 0; i < rounds; i++) list.push(timedRound(bytes, bufferBytes));

  // 3. What generating the content alone costs (the application's share of the CPU).
  const gen = new Uint8Array(16384);
  const random = Random.derive(SEED, 'bench/content');
  const g0 = process.cpuUsage();
  for (let done = 0; done < bytes; done += gen.length) random.bytes(gen);
  const g = process.cpuUsage(g0);
  const contentCpuS = (g.user + g.system) / 1e6;

  const gbps = list.map((r) => (bytes * 8) / (r.wallMs / 1000) / 1e9);
  const cpuPerGb = list.map((r) => r.cpuMs / 1000 / (bytes / 1e9));
  const last = list[list.length - 1]!;
  const segments = last.result.segments;
  const result = {
    bench: 'transfer',
    goodput_gbps: round(median(gbps), 3),
    cpu_s_per_gb: round(median(cpuPerGb), 2),
    goodput_gbps_best: round(Math.max(...gbps), 3),
    goodput_gbps_worst: round(Math.min(...gbps), 3),
    wall_ms_median: round(median(list.map((r) => r.wallMs)), 1),
    cpu_ms_median: round(median(list.map((r) => r.cpuMs)), 1),
    content_cpu_s_per_gb: round(contentCpuS / (bytes / 1e9), 3),
    cpu_us_per_segment: round((median(list.map((r) => r.cpuMs)) * 1000) / segments, 2),
    bytes,
    rounds,
    buffer_bytes: bufferBytes,
    segments,
    data_segments_a: last.result.a.segmentsOut,
    ack_segments_b: last.result.b.segmentsOut,
    frames: last.frames,
    events: last.events,
    retransmits: last.result.a.retransmits,
    verified_bytes: checkBytes,
    verified_sha256: check.aToB.receivedSha256,
    node: process.version,
    arch: `${process.platform}-${process.arch}`,
    elapsed_s: round((performance.now() - started) / 1000, 2),
  };

  const rows: Array<[string, string]> = [
    [`payload`, `${mib} MiB A→B, ${bufferKiB} KiB buffers, lossless zero-delay link, ${rounds} rounds`],
    ['goodput (median)', `${result.goodput_gbps} Gbit/s  (best ${result.goodput_gbps_best}, worst ${result.goodput_gbps_worst})`],
    ['CPU per GB (median)', `${result.cpu_s_per_gb} s  (user + system)`],
    ['  of which content generation', `${result.content_cpu_s_per_gb} s`],
    ['CPU per TCP segment', `${result.cpu_us_per_segment} µs  (${segments} segments: ${result.data_segments_a} from A, ${result.ack_segments_b} from B)`],
    ['wall / CPU per round (median)', `${result.wall_ms_median} ms / ${result.cpu_ms_median} ms`],
    ['simulator events per round', `${result.events}`],
    ['verified run', `${checkBytes / MiB} MiB, SHA-256 equal at both ends (${check.aToB.receivedSha256.slice(0, 16)}…)`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length)) + 2;
  console.log(`transfer benchmark (node ${process.version}, ${result.arch})`);
  for (const [k, v] of rows) console.log(`${pad(k, w)}${v}`);

  mkdirSync(OUT_DIR, { recursive: true });
  const outFile = join(OUT_DIR, 'transfer.json');
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
  console.log(`(written to ${relative(ROOT, outFile)})`);
  console.log(JSON.stringify(result));
}
