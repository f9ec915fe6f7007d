// `npm run bench -- peers [--rates 0,100,1000,5000,15000] [--window MS] [--give-up MS] [--mib N]`:
// synstack against lwIP — the stack ESP-IDF ships — under the same traffic in the same run.
//
// (a) The SYN-flood scenario with the server pluggable (hosttest/peers/flood.ts: the topology,
//     flooder, clients and application of hosttest/scenarios/synflood.ts; each legitimate
//     connection gets `--give-up` ms, and the flood lasts until the last one's time is up) against
//       lwip_debian        Debian's liblwip 2.1.3 as packaged: PCBs malloc'd, no listen backlog
//       lwip_espidf        lwIP 2.1.3 from Debian's source with ESP-IDF's defaults: 16 TCP PCBs in a
//                          static pool, TCP_LISTEN_BACKLOG with esp_http_server's backlog of 5
//       synstack_cache     synstack, SYN cache only
//       synstack_cookies   synstack, SYN cookies only
//       synstack_overflow  synstack's default: cache, cookies when it overflows
//     at each flood rate of the sweep (15,000 SYN/s is the headline). Per server and rate: the
//     legitimate clients' success %, p50/p99 connect time, the SYN-ACKs it sent, its half-open
//     maximum, and its memory: lwIP — the child process's malloc heap in use (mallinfo2
//     uordblks) at the start and at the end of the flood; synstack — its SYN cache's bytes
//     (tcp.synCacheBytes(), allocated once when the stack is made) and how full it got. Connect
//     times of every connection at 0 and 15,000 SYN/s are kept in the JSON for a CDF.
// (b) A bulk transfer (16 MiB) from a synstack client into each server over the same simulated
//     link (1 ms, 100 Mbit/s): goodput in virtual time, and wall and CPU time (this process:
//     client, simulator and, for synstack, the server; lwIP's child separately). synstack runs
//     with 64 KiB rings and once more with lwIP-ESP-IDF's 5760-byte window.
//
// Duration: lwIP-Debian keeps every half-open PCB on one list that each arriving segment walks,
// so its cost grows with the square of the SYNs received (35-45 s of CPU for the 75,000 SYNs
// of the default run; a 60-s flood at 15k/s would take hours). The scenario is therefore short:
// 100 legitimate connections (25 clients × 4) start within 2 s and get 3 s each, so the flood
// lasts 5 s (75,000 SYNs at 15k/s). At 50 new connections/s the baseline is not itself a load
// test: at 200/s, lwIP-ESP-IDF's backlog of 5 already turns some clients away without a flood.
//
// Prints a table, then the figures as one JSON object on the last line of stdout, also written to
// out/bench/peers.json. Progress goes to stderr.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPeerBulk, type PeerBulkResult } from '../peers/bulk';
import { describePeerFlood, runPeerFlood, type PeerFloodResult } from '../peers/flood';
import { lwipAvailable } from '../peers/lwip';
import type { ServerKind } from '../peers/servers';
import { option, pad, round } from './report';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const OUT_DIR = join(ROOT, 'out', 'bench');
/** The seed of the synflood scenario's acceptance test. */
const SEED = 20_240;
const HEADLINE = 15_000;

const SERVERS: Array<{ key: string; kind: ServerKind }> = [
  { key: 'lwip_debian', kind: { stack: 'lwip', variant: 'debian' } },
  { key: 'lwip_espidf', kind: { stack: 'lwip', variant: 'espidf', backlog: 5 } },
  { key: 'synstack_cache', kind: { stack: 'synstack', mode: 'cache' } },
  { key: 'synstack_cookies', kind: { stack: 'synstack', mode: 'cookies' } },
  { key: 'synstack_overflow', kind: { stack: 'synstack', mode: 'overflow' } },
];

function rates(args: string[]): number[] {
  const i = args.indexOf('--rates');
  const list = i < 0 ? [0, 100, 1000, 5000, HEADLINE] : (args[i + 1] ?? '').split(',').map(Number);
  if (list.some((r) => !(Number.isFinite(r) && r >= 0))) throw new Error(`--rates needs comma-separated numbers >= 0, got ${args[i + 1]}`);
  const set = new Set([0, HEADLINE, ...list]);
  return [...set].sort((a, b) => a - b);
}

const pctOrNull = (r: PeerFloodResult | undefined) => (r === undefined ? null : round(r.legit.successPct, 2));
const p99OrNull = (r: PeerFloodResult | undefined) => (r === undefined || r.connectMs.p99 < 0 ? null : r.connectMs.p99);

export async function run(args: string[]): Promise<void> {
  const started = performance.now();
  const windowMs = Math.round(option(args, 'window', 2000));
  const giveUpMs = Math.round(option(args, 'give-up', 3000));
  const bulkBytes = Math.round(option(args, 'mib', 16) * (1 << 20));
  const sweep = rates(args);
  const clients = 25, perClient = 4;

  // Which servers can run here.
  const skipped: Record<string, string> = {};
  for (const variant of ['debian', 'espidf'] as const) {
    const a = lwipAvailable(variant);
    if (!a.ok) {
      skipped[`lwip_${variant}`] = a.reason;
      console.warn(`*** peers: lwIP (${variant}) unavailable, its figures are null: ${a.reason}`);
    }
  }
  const servers = SERVERS.filter((s) => skipped[s.key] === undefined);

  // (a) every server at every rate, the same scenario.
  const flood = new Map<string, Map<number, PeerFloodResult>>();
  for (const s of servers) {
    const byRate = new Map<number, PeerFloodResult>();
    for (const rate of sweep) {
      const r = runPeerFlood({ seed: SEED, server: s.kind, floodRate: rate, windowMs, giveUpMs, clients, connectionsPerClient: perClient });
      byRate.set(rate, r);
      console.error(`peers: ${describePeerFlood(r)}`);
    }
    flood.set(s.key, byRate);
  }

  // (b) bulk transfer into each server.
  const link = { delayMs: 1, bandwidthBps: 100e6 };
  const bulk = new Map<string, PeerBulkResult>();
  const bulkRuns = [
    ...servers.map((s) => ({ key: s.key, kind: s.kind, serverBufferBytes: 65536 })),
    // synstack with lwIP-ESP-IDF's window (TCP_WND 5760), to tell the window from the stack.
    { key: 'synstack_overflow_window_5760', kind: { stack: 'synstack', mode: 'overflow' } as ServerKind, serverBufferBytes: 5760 },
  ];
  for (const b of bulkRuns) {
    const r = runPeerBulk({ seed: SEED, server: b.kind, bytes: bulkBytes, link, serverBufferBytes: b.serverBufferBytes, clientBufferBytes: 262144 });
    bulk.set(b.key, r);
    console.error(`peers: bulk into ${b.key}: ${r.complete ? 'complete' : 'INCOMPLETE'}, ${r.goodputMbps} Mbit/s virtual, wall ${r.wallMs} ms`);
  }

  const result: Record<string, unknown> = {
    bench: 'peers',
    seed: SEED,
    flood_rate_headline: HEADLINE,
    window_ms: windowMs,
    give_up_ms: giveUpMs,
    flood_ms: windowMs + giveUpMs,
    legit_connections: clients * perClient,
    wan_loss: 0.01,
    lwip_espidf_backlog: 5,
    memory_measure_lwip: 'process-heap-in-use (mallinfo2 uordblks of the lwIP child)',
    memory_measure_synstack: 'fixed-tables (tcp.synCacheBytes(), allocated at construction)',
  };
  for (const s of SERVERS) {
    const byRate = flood.get(s.key);
    const base = byRate?.get(0), k15 = byRate?.get(HEADLINE);
    const lwip = s.kind.stack === 'lwip';
    result[`${s.key}_legit_success_baseline`] = pctOrNull(base);
    result[`${s.key}_legit_success_15k`] = pctOrNull(k15);
    result[`${s.key}_p99_connect_ms_baseline`] = p99OrNull(base);
    result[`${s.key}_p99_connect_ms_15k`] = p99OrNull(k15);
    result[`${s.key}_p50_connect_ms_15k`] = k15 === undefined || k15.connectMs.p50 < 0 ? null : k15.connectMs.p50;
    result[`${s.key}_synacks_15k`] = k15?.flood.synAcksFromServer ?? null;
    result[`${s.key}_syns_15k`] = k15?.flood.synsSent ?? null;
    result[`${s.key}_half_open_max_15k`] = k15?.memory.halfOpenMax ?? null;
    if (lwip) {
      result[`${s.key}_heap_start_bytes_15k`] = k15?.memory.start ?? null;
      result[`${s.key}_heap_end_of_flood_bytes_15k`] = k15?.memory.endOfFlood ?? null;
      result[`${s.key}_heap_growth_bytes_15k`] = k15?.memory.growth ?? null;
      result[`${s.key}_heap_growth_bytes_baseline`] = base?.memory.growth ?? null;
      result[`${s.key}_lwip_cpu_s_15k`] = k15?.lwip === null || k15 === undefined ? null : round(k15.lwip.cpuUs / 1e6, 2);
      result[`${s.key}_accepts_pending_end_of_flood_15k`] = k15?.lwip?.acceptsPending ?? null;
    } else {
      result[`${s.key}_table_bytes`] = k15?.memory.start ?? null;
      result[`${s.key}_table_growth_bytes_15k`] = k15?.memory.growth ?? null;
    }
    result[`${s.key}_failures_15k`] = k15?.legit.failures ?? null;
    result[`${s.key}_real_s_15k`] = k15 === undefined ? null : round(k15.realMs / 1000, 2);
    result[`${s.key}_connect_samples_baseline`] = base?.connectSamples ?? null;
    result[`${s.key}_connect_samples_15k`] = k15?.connectSamples ?? null;
  }
  result.sweep_rates = sweep;
  const perServer = (f: (r: PeerFloodResult | undefined) => unknown) =>
    Object.fromEntries(SERVERS.map((s) => [s.key, sweep.map((rate) => f(flood.get(s.key)?.get(rate)))]));
  result.sweep_legit_success = perServer(pctOrNull);
  result.sweep_p99_connect_ms = perServer(p99OrNull);
  result.sweep_memory_growth_bytes = perServer((r) => r?.memory.growth ?? null);
  result.sweep_half_open_max = perServer((r) => r?.memory.halfOpenMax ?? null);
  result.sweep_real_s = perServer((r) => (r === undefined ? null : round(r.realMs / 1000, 2)));
  result.bulk_bytes = bulkBytes;
  result.bulk_link = '1 ms one way, 100 Mbit/s, no loss';
  result.bulk_windows = 'lwip_debian TCP_WND 65535 (scale 1); lwip_espidf TCP_WND 5760; synstack 64 KiB rings, and 5760 B for synstack_overflow_window_5760';
  for (const [key, b] of bulk) {
    result[`${key}_bulk_goodput_mbps`] = b.complete ? b.goodputMbps : null;
    result[`${key}_bulk_wall_ms`] = b.wallMs;
    result[`${key}_bulk_cpu_ms_node`] = b.cpuMsThisProcess;
    result[`${key}_bulk_cpu_ms_lwip`] = b.cpuMsLwip;
  }
  // The issue's targets, judged from the figures above (null when a server could not run).
  const success = (key: string) => result[`${key}_legit_success_15k`] as number | null;
  result.target_synstack_cookies_success_ge_99 = success('synstack_cookies') === null ? null : success('synstack_cookies')! >= 99;
  result.target_synstack_overflow_success_ge_99 = success('synstack_overflow') === null ? null : success('synstack_overflow')! >= 99;
  result.target_lwip_espidf_success_le_5 = success('lwip_espidf') === null ? null : success('lwip_espidf')! <= 5;
  result.target_synstack_memory_flat = servers.some((s) => s.kind.stack === 'synstack')
    ? servers.filter((s) => s.kind.stack === 'synstack').every((s) => sweep.every((rate) => flood.get(s.key)!.get(rate)!.memory.growth === 0))
    : null;
  const debianGrowth = result['lwip_debian_heap_growth_bytes_15k'] as number | null;
  result.target_lwip_debian_heap_grows = debianGrowth === null ? null : debianGrowth > 1_000_000;
  result.skipped = skipped;
  result.node = process.version;
  result.arch = `${process.platform}-${process.arch}`;
  result.elapsed_s = round((performance.now() - started) / 1000, 2);

  // The table.
  const rows: Array<[string, string]> = [];
  const na = (x: unknown, unit = '') => (x === null || x === undefined ? 'n/a' : `${typeof x === 'number' ? x.toLocaleString('en-US') : String(x)}${unit}`);
  for (const s of SERVERS) {
    const k = s.key;
    if (skipped[k] !== undefined) {
      rows.push([k, `skipped: ${skipped[k]}`]);
      continue;
    }
    const mem = s.kind.stack === 'lwip'
      ? `heap ${na(result[`${k}_heap_start_bytes_15k`], ' B')} → ${na(result[`${k}_heap_end_of_flood_bytes_15k`], ' B')} (growth ${na(result[`${k}_heap_growth_bytes_15k`], ' B')}), lwIP CPU ${na(result[`${k}_lwip_cpu_s_15k`], ' s')}`
      : `SYN cache ${na(result[`${k}_table_bytes`], ' B')} fixed (growth ${na(result[`${k}_table_growth_bytes_15k`], ' B')})`;
    rows.push([`${k} @ 15k SYN/s`,
      `legit ${na(result[`${k}_legit_success_15k`], ' %')} (baseline ${na(result[`${k}_legit_success_baseline`], ' %')}), ` +
      `p99 connect ${na(result[`${k}_p99_connect_ms_15k`], ' ms')} (baseline ${na(result[`${k}_p99_connect_ms_baseline`], ' ms')}), ` +
      `half-open max ${na(result[`${k}_half_open_max_15k`])}, SYN-ACKs ${na(result[`${k}_synacks_15k`])}/${na(result[`${k}_syns_15k`])} SYNs, ${mem}; real ${na(result[`${k}_real_s_15k`], ' s')}`]);
  }
  for (const s of SERVERS) {
    if (skipped[s.key] !== undefined) continue;
    const succ = (result.sweep_legit_success as Record<string, Array<number | null>>)[s.key]!;
    rows.push([`sweep ${s.key}`, sweep.map((rate, i) => `${rate}: ${na(succ[i], ' %')}`).join(', ')]);
  }
  for (const [key, b] of bulk) {
    rows.push([`bulk into ${key}`, `${b.complete ? `${b.goodputMbps} Mbit/s (virtual)` : 'INCOMPLETE'}, wall ${b.wallMs} ms, CPU node ${b.cpuMsThisProcess} ms${b.cpuMsLwip === null ? '' : ` + lwIP ${b.cpuMsLwip} ms`}`]);
  }
  rows.push(['targets', `synstack cookies ≥ 99 %: ${na(result.target_synstack_cookies_success_ge_99)}, overflow ≥ 99 %: ${na(result.target_synstack_overflow_success_ge_99)}, ` +
    `lwIP ESP-IDF ≤ 5 %: ${na(result.target_lwip_espidf_success_le_5)}, synstack memory flat: ${na(result.target_synstack_memory_flat)}, lwIP Debian heap grows (> 1 MB): ${na(result.target_lwip_debian_heap_grows)}`]);
  const w = Math.max(...rows.map(([k]) => k.length)) + 2;
  console.log(`peers benchmark (node ${process.version}, ${result.arch}; seed ${SEED}; ${clients * perClient} legitimate connections starting within ${windowMs} ms, ${giveUpMs} ms each; flood ${windowMs + giveUpMs} ms; WAN loss 1 %)`);
  for (const [k, v] of rows) console.log(`${pad(k, w)}${v}`);
  console.log(`memory: lwIP = ${String(result.memory_measure_lwip)}; synstack = ${String(result.memory_measure_synstack)}`);

  mkdirSync(OUT_DIR, { recursive: true });
  const outFile = join(OUT_DIR, 'peers.json');
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
  console.log(`(written to ${relative(ROOT, outFile)}; elapsed ${result.elapsed_s} s)`);
  console.log(JSON.stringify(result));
}
