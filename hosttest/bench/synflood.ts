// `npm run bench -- synflood [--syns N] [--rounds R] [--no-scenarios]`: what the SYN defence costs
// and what it buys, in three parts.
//
// (a) SYNs processed per second on one core, in REAL time, for the SYN cache (`mode: 'cache'`),
//     for cookies (`mode: 'cookies'`) and for the default (`'overflow'`): a server Interface + Tcp
//     listening on port 80, whose Device discards every frame it sends (counting the SYN-ACKs), is
//     fed prebuilt SYN frames (262,144 distinct spoofed sources and ports in 198.18.0.0/15, with an
//     MSS option) straight through `iface.input`, with no simulator in between. Its clock advances
//     1 ms every 200 SYNs (a 200,000 SYN/s flood) and `poll` runs whenever the stack's deadline is
//     due, so SYN-ACK retransmissions and cache expiry are part of the cost, as they would be. The
//     figure is the median of R rounds of N SYNs (after a warm-up), with the CPU time per SYN.
// (b) Bytes per SYN-cache entry and the whole cache's bytes (`tcp.synCacheBytes()`), default config.
// (c) The flood scenario (hosttest/scenarios/synflood.ts, same seed as the acceptance test): the
//     legitimate clients' success % and the ratio of their p99 connect time to the baseline's, at
//     15,000 and 200,000 SYN/s (random sources, default defence). Simulated figures; the real time
//     each run took is printed alongside.
//
// Where the Tcp layer has no SYN-defence API yet (`synDefenceStatus`, `synCacheBytes`), the
// figures that need it print 'n/a' and are null in the JSON. Prints a table, then the figures as
// one JSON object on the last line of stdout, also written to out/bench/synflood.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interface } from '../../src/iface/interface';
import type { Device } from '../../src/platform';
import type { SynDefenceMode } from '../../src/tcp/syndefence';
import { Tcp } from '../../src/tcp/tcp';
import { ARP_OP_REPLY, emitArp } from '../../src/wire/arp';
import { ETH_HEADER_LEN, ETH_MIN_FRAME, ETHERTYPE_ARP, emitEthernet } from '../../src/wire/ethernet';
import { SeededEntropy, Random } from '../sim/random';
import {
  ROUTER_LAN_ADDR, SERVER_ADDR, SERVER_PORT, SynTemplate, type SynFloodResult, describeSynFlood, runSynFlood,
  synCacheBytesOf, synDefenceStatusOf, tcpConfigWith,
} from '../scenarios/synflood';
import { median, option, pad, round } from './report';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const OUT_DIR = join(ROOT, 'out', 'bench');
/** The seed of hosttest/tcp/synflood.test.ts, so (c) quotes the figures the test checks. */
const SCENARIO_SEED = 20_240;
const DISTINCT_SYNS = 262_144;
const SYNS_PER_MS = 200;

const MAC_SERVER = new Uint8Array([0x02, 0x53, 0x59, 0x4e, 0x00, 0x01]);
const MAC_GATEWAY = new Uint8Array([0x02, 0x53, 0x59, 0x4e, 0xfe, 0x01]);




const na = (x: number | null, unit = ''): string => (x === null ? 'n/a' : `${x.toLocaleString('en-US')}${unit}`);

/** `count` SYN frames from distinct spoofed sources, one buffer, views into it. */
function buildSyns(count: number): Uint8Array[] {
  const template = new SynTemplate(MAC_GATEWAY, MAC_SERVER, SERVER_ADDR, SERVER_PORT, Random.derive(7, 'bench/syns'), 'random');
  const all = new Uint8Array(count * ETH_MIN_FRAME);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const view = all.subarray(i * ETH_MIN_FRAME, (i + 1) * ETH_MIN_FRAME);
    view.set(template.next());
    frames.push(view);
  }
  return frames;
}

interface Server {
  iface: Interface;
  tcp: Tcp;
  synAcks: number;
  framesOut: number;
  now: number;
  /** An ARP reply from the gateway, fed again every 30 s of the bench's clock (entries live 60 s). */
  arp: Uint8Array;
}

function server(mode: SynDefenceMode): Server {
  const s: Server = {
    iface: null as unknown as Interface, tcp: null as unknown as Tcp, synAcks: 0, framesOut: 0, now: 0, arp: new Uint8Array(ETH_MIN_FRAME),
  };
  const device: Device = {
    mac: MAC_SERVER,
    mtu: 1500,
    send: (f) => {
      s.framesOut++;
      // Ethernet + 20-byte IPv4 header: TCP flags at 14 + 20 + 13; SYN|ACK = 0x12.
      if (f.length >= 48 && f[23] === 6 && (f[47]! & 0x12) === 0x12) s.synAcks++;
    },
  };
  s.iface = new Interface({
    device, clock: { now: () => s.now }, entropy: new SeededEntropy(11, 'bench/iface'),
    address: SERVER_ADDR, prefixLength: 24, gateway: ROUTER_LAN_ADDR,
  });
  s.tcp = new Tcp(s.iface, {
    entropy: new SeededEntropy(11, 'bench/tcp'),
    config: tcpConfigWith({ connections: 32, sendBuffer: 4096, receiveBuffer: 4096, listeners: 1 }, { mode }),
  });
  const l = s.tcp.listen(SERVER_PORT, { backlog: 16 });
  if (typeof l === 'string') throw new Error(`listen: ${l}`);
  // The gateway's MAC, as an ARP reply would teach it, so SYN-ACKs leave at once.
  const arp = s.arp;
  emitEthernet(arp, 0, MAC_SERVER, MAC_GATEWAY, ETHERTYPE_ARP);
  emitArp(arp, ETH_HEADER_LEN, ARP_OP_REPLY, MAC_GATEWAY, ROUTER_LAN_ADDR, MAC_SERVER, SERVER_ADDR);
  s.iface.input(arp, 0);
  return s;
}

/** Feed `count` SYNs starting at frames[from]; returns the index after the last. */
function feed(s: Server, frames: Uint8Array[], from: number, count: number): number {
  const iface = s.iface;
  let i = from;
  for (let n = 0; n < count; n++) {
    if (n % SYNS_PER_MS === 0) {
      s.now++;
      if (s.now % 30_000 === 0) iface.input(s.arp, s.now);
      if (iface.nextDeadline() <= s.now) iface.poll(s.now);
    }
    iface.input(frames[i]!, s.now);
    i++;
    if (i === frames.length) i = 0;
  }
  return i;
}

interface ModeFigures {
  mode: SynDefenceMode;
  synPerS: number;
  cpuUsPerSyn: number;
  synAcksPerSyn: number;
  api: boolean;
}

/**
 * The three modes measured round-robin (cache, cookies, overflow, cache, ...) after each has been
 * warmed up, so JIT warm-up and machine noise do not favour whichever mode runs last.
 */
function measureModes(modes: readonly SynDefenceMode[], frames: Uint8Array[], syns: number, rounds: number): ModeFigures[] {
  const servers = modes.map((m) => server(m));
  const at = servers.map((s) => feed(s, frames, 0, Math.min(200_000, syns))); // warm-up: JIT, and the cache full
  const acks0 = servers.map((s) => s.synAcks);
  const rates: number[][] = modes.map(() => []);
  const cpu: number[][] = modes.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let m = 0; m < modes.length; m++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      at[m] = feed(servers[m]!, frames, at[m]!, syns);
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      rates[m]!.push(syns / (wall / 1000));
      cpu[m]!.push((c.user + c.system) / syns);
    }
  }
  const fed = syns * rounds;
  return modes.map((mode, m) => ({
    mode,
    synPerS: Math.round(median(rates[m]!)),
    cpuUsPerSyn: round(median(cpu[m]!), 3),
    synAcksPerSyn: round((servers[m]!.synAcks - acks0[m]!) / fed, 3),
    api: synDefenceStatusOf(servers[m]!.tcp) !== null,
  }));
}

interface ScenarioFigures {
  rate: number;
  result: SynFloodResult;
  realS: number;
}

function scenario(rate: number): ScenarioFigures {
  const t0 = performance.now();
  const result = runSynFlood({ seed: SCENARIO_SEED, durationMs: 60_000, floodRate: rate });
  return { rate, result, realS: round((performance.now() - t0) / 1000, 2) };
}

export async function run(args: string[]): Promise<void> {
  const started = performance.now();
  const syns = Math.round(option(args, 'syns', 1_000_000));
  const rounds = Math.round(option(args, 'rounds', 3));
  const withScenarios = !args.includes('--no-scenarios');

  // (a)
  const frames = buildSyns(DISTINCT_SYNS);
  const modes = measureModes(['cache', 'cookies', 'overflow'], frames, syns, rounds);
  const api = modes.every((m) => m.api);
  const byMode = (m: SynDefenceMode) => modes.find((x) => x.mode === m)!;

  // (b)
  const probe = server('overflow');
  const bytes = synCacheBytesOf(probe.tcp);
  const capacity = synDefenceStatusOf(probe.tcp)?.capacity ?? null;

  // (c)
  let base: ScenarioFigures | null = null, k15: ScenarioFigures | null = null, k200: ScenarioFigures | null = null;
  if (withScenarios) {
    base = scenario(0);
    k15 = scenario(15_000);
    k200 = scenario(200_000);
  }
  const ratio = (f: ScenarioFigures | null) =>
    f === null || base === null || base.result.connectMs.p99 <= 0 || f.result.connectMs.p99 < 0
      ? null : round(f.result.connectMs.p99 / base.result.connectMs.p99, 3);

  const result = {
    bench: 'synflood',
    syn_per_s_cache: api ? byMode('cache').synPerS : null,
    syn_per_s_cookie: api ? byMode('cookies').synPerS : null,
    syn_per_s_overflow: api ? byMode('overflow').synPerS : null,
    cpu_us_per_syn_cache: api ? byMode('cache').cpuUsPerSyn : null,
    cpu_us_per_syn_cookie: api ? byMode('cookies').cpuUsPerSyn : null,
    synack_per_syn_cache: api ? byMode('cache').synAcksPerSyn : null,
    synack_per_syn_cookie: api ? byMode('cookies').synAcksPerSyn : null,
    /** Without the API every mode is the block-per-SYN listener: this is what it costs to drop SYNs. */
    syn_per_s_without_defence: api ? null : byMode('overflow').synPerS,
    cache_entry_bytes: bytes?.perEntry ?? null,
    cache_total_bytes: bytes?.total ?? null,
    cache_entries: capacity,
    legit_success_pct_baseline: base === null ? null : round(base.result.legit.successPct, 2),
    legit_success_pct_15k: k15 === null ? null : round(k15.result.legit.successPct, 2),
    legit_success_pct_200k: k200 === null ? null : round(k200.result.legit.successPct, 2),
    p99_connect_ms_baseline: base?.result.connectMs.p99 ?? null,
    p99_connect_ms_15k: k15?.result.connectMs.p99 ?? null,
    p99_connect_ms_200k: k200?.result.connectMs.p99 ?? null,
    p99_ratio_15k: ratio(k15),
    p99_ratio_200k: ratio(k200),
    half_open_max_200k: k200?.result.halfOpen.max ?? null,
    scenario_real_s_baseline: base?.realS ?? null,
    scenario_real_s_15k: k15?.realS ?? null,
    scenario_real_s_200k: k200?.realS ?? null,
    scenario_events_200k: k200?.result.events ?? null,
    syns_per_round: syns,
    rounds,
    syn_defence_api: api,
    node: process.version,
    arch: `${process.platform}-${process.arch}`,
    elapsed_s: round((performance.now() - started) / 1000, 2),
  };

  const rows: Array<[string, string]> = [
    ['(a) SYNs/s, one core, cache', `${na(result.syn_per_s_cache)}  (${na(result.cpu_us_per_syn_cache, ' µs CPU/SYN')}, ${na(result.synack_per_syn_cache, ' SYN-ACK/SYN')})`],
    ['(a) SYNs/s, one core, cookies', `${na(result.syn_per_s_cookie)}  (${na(result.cpu_us_per_syn_cookie, ' µs CPU/SYN')}, ${na(result.synack_per_syn_cookie, ' SYN-ACK/SYN')})`],
    ['(a) SYNs/s, one core, overflow', na(result.syn_per_s_overflow)],
  ];
  if (!api) rows.push(['(a) SYNs/s, no SYN defence', `${result.syn_per_s_without_defence!.toLocaleString('en-US')}  (block per SYN: the backlog fills, the rest are dropped unanswered)`]);
  rows.push(
    ['(b) bytes per cache entry', na(result.cache_entry_bytes, ' B')],
    ['(b) cache total', `${na(result.cache_total_bytes, ' B')}${capacity === null ? '' : ` for ${capacity} entries`}`],
  );
  if (withScenarios) {
    for (const f of [base!, k15!, k200!]) {
      const label = f.rate === 0 ? 'baseline' : `${f.rate / 1000}k SYN/s`;
      rows.push([`(c) ${label}`, `${describeSynFlood(f.result)}; real ${f.realS} s`]);
    }
    rows.push(['(c) p99 ratio 15k / 200k', `${na(result.p99_ratio_15k)} / ${na(result.p99_ratio_200k)}  (flood p99 / baseline p99; pass ≤ 2)`]);
  } else {
    rows.push(['(c) flood scenario', 'skipped (--no-scenarios)']);
  }
  const w = Math.max(...rows.map(([k]) => k.length)) + 2;
  console.log(`synflood benchmark (node ${process.version}, ${result.arch}; ${syns.toLocaleString('en-US')} SYNs × ${rounds} rounds per mode)`);
  for (const [k, v] of rows) console.log(`${pad(k, w)}${v}`);
  if (!api) console.log('n/a: the Tcp layer has no synDefenceStatus()/synCacheBytes() yet (the SYN cache has not landed)');

  mkdirSync(OUT_DIR, { recursive: true });
  const outFile = join(OUT_DIR, 'synflood.json');
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
  console.log(`(written to ${relative(ROOT, outFile)})`);
  console.log(JSON.stringify(result));
}
