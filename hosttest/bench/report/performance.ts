// docs/performance.md and docs/performance/*.svg, written from the benchmarks' own JSON
// (out/bench/<name>.json) by `npm run bench -- all`. Every figure in the report is read from those
// files; a benchmark whose JSON is missing (failed, or skipped for lack of root) is named as such.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Series, barChart, cdfPoints, fmt, lineChart } from './svg';

type Json = Record<string, unknown>;
type Figures = Record<string, Json | null>;

const num = (j: Json | null | undefined, k: string): number | null => {
  const v = j?.[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};
const obj = (j: Json | null | undefined, k: string): Json | null => {
  const v = j?.[k];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
};
const arr = (j: Json | null | undefined, k: string): unknown[] => {
  const v = j?.[k];
  return Array.isArray(v) ? v : [];
};
const show = (v: number | null, unit = '', digits = 3): string =>
  v === null ? 'missing' : `${Number.isInteger(v) ? v.toLocaleString('en-US') : (+v.toPrecision(digits)).toLocaleString('en-US')}${unit}`;

interface Target {
  area: string;
  what: string;
  target: string;
  measured: string;
  met: boolean | null;
  source: string;
}

function targets(f: Figures): Target[] {
  const wire = f.wire, transfer = f.transfer, syn = f.synflood, xs = f.xs, peers = f.peers;
  const t = (area: string, what: string, target: string, v: number | null, unit: string, ok: (v: number) => boolean, source: string): Target =>
    ({ area, what, target, measured: show(v, unit), met: v === null ? null : ok(v), source });
  const cache = obj(xs, 'xs_bytes_syn_cache');
  return [
    t('Node', 'SYNs answered per second, cookie mode', '>= 1,000,000', num(syn, 'syn_per_s_cookie'), ' /s', (v) => v >= 1e6, 'synflood.syn_per_s_cookie'),
    t('Node', 'checksum of 1460 B, TypeScript / C', '<= 5x', num(wire, 'checksum_ratio'), 'x', (v) => v <= 5, 'wire.checksum_ratio'),
    t('Node', 'goodput, two stacks in one process', '>= 2 Gbit/s', num(transfer, 'goodput_gbps'), ' Gbit/s', (v) => v >= 2, 'transfer.goodput_gbps'),
    t('XS', 'instructions per 1460-byte segment, checksum on the accelerator', '<= 30,000', num(xs, 'xs_instr_per_segment_no_checksum'), '', (v) => v <= 30_000, 'xs.xs_instr_per_segment_no_checksum'),
    t('XS', 'the same, checksum, HalfSipHash and copies on accelerators (the firmware)', '<= 30,000', num(xs, 'xs_instr_per_segment_accelerated'), '', (v) => v <= 30_000, 'xs.xs_instr_per_segment_accelerated'),
    t('XS', 'the floor: a model of the least any XS receive path does (floor.ts)', '<= 30,000', num(xs, 'xs_instr_per_segment_floor'), '', (v) => v <= 30_000, 'xs.xs_instr_per_segment_floor'),
    t('XS', 'instructions per SYN, cookie mode', '<= 20,000', num(xs, 'xs_instr_per_syn_cookie'), '', (v) => v <= 20_000, 'xs.xs_instr_per_syn_cookie'),
    t('XS', 'the same, on accelerators (the firmware)', '<= 20,000', num(xs, 'xs_instr_per_syn_cookie_accelerated'), '', (v) => v <= 20_000, 'xs.xs_instr_per_syn_cookie_accelerated'),
    t('XS', 'the floor: a model of the least any XS listener does (floor.ts)', '<= 20,000', num(xs, 'xs_instr_per_syn_cookie_floor'), '', (v) => v <= 20_000, 'xs.xs_instr_per_syn_cookie_floor'),
    t('Memory', 'bytes per SYN-cache entry (XS heap)', '<= 32', num(cache, 'per_entry'), ' B', (v) => v <= 32, 'xs.xs_bytes_syn_cache.per_entry'),
    t('Memory', 'XS heap per established connection, rings excluded', '<= 1,024 B', num(xs, 'xs_bytes_per_connection'), ' B', (v) => v <= 1024, 'xs.xs_bytes_per_connection'),
    t('Flood 15k/s', 'synstack (default: cache, then cookies): legitimate success', '>= 99 %', num(peers, 'synstack_overflow_legit_success_15k'), ' %', (v) => v >= 99, 'peers.synstack_overflow_legit_success_15k'),
    t('Flood 15k/s', 'lwIP with ESP-IDF defaults: legitimate success', 'near 0 %', num(peers, 'lwip_espidf_legit_success_15k'), ' %', (v) => v <= 5, 'peers.lwip_espidf_legit_success_15k'),
    t('Flood 15k/s', 'synstack memory growth over the flood', '0 (flat)', num(peers, 'synstack_overflow_table_growth_bytes_15k'), ' B', (v) => v === 0, 'peers.synstack_overflow_table_growth_bytes_15k'),
    t('Flood 15k/s', "Debian lwIP's heap growth over the flood", 'grows', num(peers, 'lwip_debian_heap_growth_bytes_15k'), ' B', (v) => v > 0, 'peers.lwip_debian_heap_growth_bytes_15k'),
  ];
}

const SERVER_NAMES: Record<string, string> = {
  synstack_overflow: 'synstack default (cache, then cookies)',
  synstack_cookies: 'synstack, cookies only',
  synstack_cache: 'synstack, SYN cache only',
  lwip_debian: "lwIP 2.1.3, Debian's build (malloc'd PCBs)",
  lwip_espidf: "lwIP 2.1.3, ESP-IDF's defaults (16 PCBs, backlog 5)",
};

function svgs(f: Figures, dir: string): Array<{ file: string; alt: string }> {
  const out: Array<{ file: string; alt: string }> = [];
  const write = (file: string, svg: string, alt: string) => {
    writeFileSync(join(dir, file), svg);
    out.push({ file, alt });
  };
  const peers = f.peers;
  const rates = arr(peers, 'sweep_rates') as number[];
  const sweep = obj(peers, 'sweep_legit_success');
  if (rates.length > 0 && sweep) {
    const series: Series[] = Object.keys(SERVER_NAMES).filter((k) => Array.isArray(sweep[k])).map((k) => ({
      name: SERVER_NAMES[k]!.replace(/ \(.*\)/, '').replace("lwIP 2.1.3, ESP-IDF's defaults", 'lwIP, ESP-IDF defaults').replace("lwIP 2.1.3, Debian's build", 'lwIP, Debian build'),
      // x = 0 (no flood) is drawn at 10 SYN/s on the log axis; the table gives the exact rates.
      points: rates.map((r, i) => [r === 0 ? 10 : r, (sweep[k] as Array<number | null>)[i] ?? NaN] as [number, number]),
      dashed: k.startsWith('lwip'),
    }));
    write('flood-success.svg', lineChart({
      title: 'Legitimate connections that succeed under a SYN flood', xLabel: 'flood rate, SYN/s (log; leftmost point: no flood)',
      yLabel: 'legitimate success %', series, xLog: true, yMin: 0, yMax: 100, xMin: 10,
      yRule: { value: 99, label: 'target 99 %' },
    }), 'Legitimate success rate against flood rate for synstack (default, cookies, cache only) and lwIP (Debian, ESP-IDF defaults)');
  }
  const cdf: Series[] = [];
  for (const k of ['synstack_overflow', 'lwip_debian', 'lwip_espidf']) {
    for (const phase of ['baseline', '15k'] as const) {
      const samples = arr(peers, `${k}_connect_samples_${phase}`) as number[];
      const total = num(peers, 'legit_connections') ?? samples.length;
      if (total === 0) continue;
      // Fraction of ALL legitimate attempts connected within x ms (failures never reach 1).
      const pts = cdfPoints(samples).map(([x, y]) => [x, (y * samples.length) / total * 100] as [number, number]);
      if (pts.length === 0) pts.push([1, 0], [3000, 0]);
      cdf.push({ name: `${k.startsWith('lwip') ? SERVER_NAMES[k]!.includes('ESP') ? 'lwIP ESP-IDF' : 'lwIP Debian' : 'synstack'}, ${phase === 'baseline' ? 'no flood' : '15k SYN/s'}`, points: pts, step: true, dashed: phase === '15k' });
    }
  }
  if (cdf.length > 0) {
    write('connect-cdf.svg', lineChart({
      title: 'Connect time of legitimate clients (CDF), without and with a 15,000 SYN/s flood', xLabel: 'connect time, ms (log)',
      yLabel: '% of all attempts connected', series: cdf, xLog: true, xMin: 10, yMin: 0, yMax: 100,
    }), 'Connect-time CDF of legitimate clients for synstack and lwIP, without flood and at 15,000 SYN/s');
  }
  const layers = obj(f.xs, 'xs_instr_per_segment_by_layer');
  if (layers) {
    const names: Record<string, string> = {
      ring: 'receive ring: copy in, read out', checksum: 'checksums (TypeScript)', tcp_input_and_rest: 'TCP input, demux, callbacks',
      ack: 'ACK built and sent', lookup: '4-tuple lookup (last-found hint)', parse: 'Ethernet/IPv4/TCP parse',
    };
    const bars = Object.entries(layers).filter(([, v]) => typeof v === 'number').sort((a, b) => (b[1] as number) - (a[1] as number))
      .map(([k, v], i) => ({ label: names[k] ?? k, value: v as number, colour: i === 0 ? 1 : 0 }));
    write('xs-segment-layers.svg', barChart({
      title: 'XS instructions per 1460-byte segment received, by layer', unit: 'instr', bars, log: true,
      rule: { value: 30_000, label: 'target 30k (whole segment)' },
    }), 'XS instructions per segment by layer, log scale, with the 30,000 target');
  }
  const g: Array<{ label: string; value: number | null; colour: number }> = [
    { label: 'synstack <-> synstack, one process', value: (num(f.transfer, 'goodput_gbps') ?? NaN) * 1000, colour: 0 },
    { label: 'synstack -> kernel (TAP)', value: num(f.linux, 'linux_synstack_to_kernel_mbps'), colour: 0 },
    { label: 'kernel -> synstack (TAP)', value: num(f.linux, 'linux_kernel_to_synstack_mbps'), colour: 0 },
    { label: 'TAP path alone, to kernel', value: num(f.linux, 'tap_ceiling_to_kernel_payload_mbps'), colour: 7 },
    { label: 'kernel <-> kernel, veth, no offloads', value: num(f.linux, 'linux_kernel_to_kernel_veth_no_offload_mbps'), colour: 2 },
    { label: 'kernel <-> kernel, veth', value: num(f.linux, 'linux_kernel_to_kernel_veth_mbps'), colour: 2 },
  ];
  const gb = g.filter((b): b is { label: string; value: number; colour: number } => b.value !== null && Number.isFinite(b.value));
  if (gb.length > 0) {
    write('goodput.svg', barChart({
      title: 'Bulk goodput (Mbit/s, log scale)', unit: 'Mbit/s', bars: gb, log: true, rule: { value: 2000, label: 'target 2 Gbit/s (in process)' },
    }), 'Goodput of synstack in process, synstack with the Linux kernel over TAP, and kernel to kernel over veth');
  }
  return out;
}

function table(head: string[], rows: Array<Array<string | number>>): string {
  const cell = (c: string | number) => (typeof c === 'number' ? show(c) : c);
  return [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function missing(f: Figures): string[] {
  return Object.entries(f).filter(([, v]) => v === null).map(([k]) => k);
}

export function writePerformanceReport(f: Figures, root: string): { markdown: string; svgs: string[] } {
  const dir = join(root, 'docs', 'performance');
  mkdirSync(dir, { recursive: true });
  const pics = svgs(f, dir);
  const L: string[] = [];
  L.push('# Performance: synstack next to lwIP and Linux, on Node and under XS');
  L.push('');
  L.push('<!-- Generated by `npm run bench -- all` (hosttest/bench/all.ts, hosttest/bench/report/performance.ts); do not edit by hand. -->');
  L.push('');
  const node = f.wire?.['node'] ?? f.transfer?.['node'];
  L.push(`Every figure below was measured in one run of \`npm run bench -- all\` on this project's CI machine kind (2 cores, shared; Node ${String(node ?? '?')}). Absolute times drift on shared machines; the comparisons that matter (synstack vs lwIP, vs the kernel, TypeScript vs C) are measured side by side in the same run. Each benchmark's own header comment says exactly what it measures; its JSON is in \`out/bench/\`.`);
  const gone = missing(f);
  if (gone.length > 0) L.push('', `**Missing from this run:** ${gone.join(', ')} (the benchmark failed or was skipped; its figures are not shown rather than reused).`);
  const linuxSkipped = f.linux?.['skipped'];
  if (typeof linuxSkipped === 'string') L.push('', `**linux skipped:** ${linuxSkipped}.`);
  L.push('', '## Targets', '');
  L.push(table(['area', 'figure', 'target', 'measured', 'met', 'from'], targets(f).map((t) => [t.area, t.what, t.target, t.measured, t.met === null ? 'missing' : t.met ? 'yes' : '**no**', `\`${t.source}\``])));
  L.push('');
  for (const p of pics.filter((p) => p.file === 'flood-success.svg' || p.file === 'connect-cdf.svg')) L.push(`![${p.alt}](performance/${p.file})`, '');

  const peers = f.peers;
  if (peers) {
    L.push('## SYN flood: synstack and lwIP under the same traffic', '');
    L.push(`\`npm run bench -- peers\` (hosttest/bench/peers.ts): the SYN-defence scenario with the server swapped — ${num(peers, 'legit_connections')} legitimate connections from clients behind a ${((num(peers, 'wan_loss') ?? 0) * 100).toFixed(0)} % lossy WAN, each given ${num(peers, 'give_up_ms')} ms, while spoofed SYNs arrive for ${num(peers, 'flood_ms')} ms. lwIP runs as a separate process (hosttest/peers/lwip) fed the very frames synstack would get, on the same virtual clock. Memory: lwIP — ${String(peers['memory_measure_lwip'])}; synstack — ${String(peers['memory_measure_synstack'])}.`, '');
    const rows = Object.keys(SERVER_NAMES).map((k) => [
      SERVER_NAMES[k]!, show(num(peers, `${k}_legit_success_baseline`), ' %'), show(num(peers, `${k}_legit_success_15k`), ' %'),
      show(num(peers, `${k}_p99_connect_ms_15k`), ' ms'), show(num(peers, `${k}_half_open_max_15k`)),
      k.startsWith('lwip') ? show(num(peers, `${k}_heap_growth_bytes_15k`), ' B') : `${show(num(peers, `${k}_table_growth_bytes_15k`), ' B')} (table ${show(num(peers, `${k}_table_bytes`), ' B')})`,
    ]);
    L.push(table(['server', 'success, no flood', 'success, 15k SYN/s', 'p99 connect, 15k', 'half-open max, 15k', 'memory growth over the flood'], rows), '');
    const rates = arr(peers, 'sweep_rates') as number[];
    const sweep = obj(peers, 'sweep_legit_success');
    if (sweep && rates.length) {
      L.push('Success rate (%) by flood rate:', '');
      L.push(table(['server', ...rates.map((r) => `${fmt(r)} SYN/s`)], Object.keys(SERVER_NAMES).filter((k) => Array.isArray(sweep[k])).map((k) => [SERVER_NAMES[k]!, ...(sweep[k] as Array<number | null>).map((v) => show(v, ' %'))])));
      L.push('');
    }
    L.push("Reading it: ESP-IDF's lwIP holds at most 5 half-open connections for its listener and keeps them until they time out, so a flood of any size locks legitimate clients out; Debian's lwIP mallocs a PCB per SYN (its heap grows with the flood, and each segment walks the list of half-open PCBs, so its CPU grows with the square of the flood — the simulator gives it all the CPU it needs, a board would not). synstack's tables are allocated once: a SYN cache alone is overrun when more spoofed SYNs arrive in one round-trip time than it has entries (cache-only line), which is why the default answers with SYN cookies when the cache overflows.", '');
    const bulkRows: Array<Array<string>> = [];
    const link = peers['bulk_link'];
    for (const k of Object.keys(peers).filter((k) => k.endsWith('_bulk_goodput_mbps'))) {
      const key = k.slice(0, -'_bulk_goodput_mbps'.length);
      const base = key.replace(/_window_\d+$/, '');
      const windowNote = key === base ? '' : ` with a ${key.slice(base.length + '_window_'.length)}-byte receive window`;
      bulkRows.push([`${SERVER_NAMES[base] ?? base}${windowNote}`, show(num(peers, k), ' Mbit/s'),
        show(num(peers, `${key}_bulk_cpu_ms_node`), ' ms'), k.startsWith('lwip') ? show(num(peers, `${key}_bulk_cpu_ms_lwip`), ' ms') : '-']);
    }
    if (bulkRows.length) L.push(`Bulk transfer (${show(num(peers, 'bulk_bytes'), ' bytes')}) from a synstack client into each server over the same simulated link (${typeof link === 'string' ? link : JSON.stringify(link)}):`, '', table(['server', 'goodput (virtual time)', 'CPU of this process', 'CPU of the lwIP process'], bulkRows), '');
  }

  L.push('## Throughput', '');
  for (const p of pics.filter((p) => p.file === 'goodput.svg')) L.push(`![${p.alt}](performance/${p.file})`, '');
  if (f.transfer) {
    L.push(`In one Node process (\`npm run bench -- transfer\`): ${show(num(f.transfer, 'goodput_gbps'), ' Gbit/s')} goodput between two synstack stacks (median of ${num(f.transfer, 'rounds')} rounds), ${show(num(f.transfer, 'cpu_s_per_gb'), ' CPU-s per GB')}, ${show(num(f.transfer, 'cpu_us_per_segment'), ' µs')} of CPU per segment (both stacks, the simulator and the application).`, '');
  }
  const lx = f.linux;
  if (lx && typeof lx['skipped'] !== 'string') {
    L.push(`With the Linux kernel (\`npm run bench -- linux\`, root): synstack → kernel ${show(num(lx, 'linux_synstack_to_kernel_mbps'), ' Mbit/s')}, kernel → synstack ${show(num(lx, 'linux_kernel_to_synstack_mbps'), ' Mbit/s')}; kernel ↔ kernel over veth in the same run ${show(num(lx, 'linux_kernel_to_kernel_veth_mbps'), ' Mbit/s')} (${show(num(lx, 'linux_kernel_to_kernel_veth_no_offload_mbps'), ' Mbit/s')} with segmentation offloads off). The TAP path carries every frame through socat and a UDP socket, one system call per frame per hop; alone, with no TCP, it moves ${show(num(lx, 'tap_ceiling_to_kernel_payload_mbps'), ' Mbit/s')} towards the kernel. Of the CPU spent per GB sent, synstack's JavaScript is ${show(num(lx, 'synstack_js_cpu_s_per_gb_send'), ' s')} (receiving ${show(num(lx, 'synstack_js_cpu_s_per_gb_recv'), ' s')}), Node's UDP I/O ${show(num(lx, 'node_io_cpu_s_per_gb_send'), ' s')}, socat ${show(num(lx, 'socat_cpu_s_per_gb_send'), ' s')}: the bridge, not the stack, sets this figure.`, '');
  }

  if (f.wire || f.synflood) {
    L.push('## Node: wire and SYN defence', '');
    L.push(table(['figure', 'value'], [
      ['checksum of 1460 B, TypeScript', show(num(f.wire, 'checksum_ns_ts'), ' ns')],
      ['checksum of 1460 B, C (gcc -O2)', show(num(f.wire, 'checksum_ns_c'), ' ns')],
      ['frames parsed per second (fixture mix)', show(num(f.wire, 'parse_frames_per_s'), ' /s')],
      ['SYNs answered per second, SYN cache', show(num(f.synflood, 'syn_per_s_cache'), ' /s')],
      ['SYNs answered per second, cookies', show(num(f.synflood, 'syn_per_s_cookie'), ' /s')],
      ['SYN-cache entry / whole cache', `${show(num(f.synflood, 'cache_entry_bytes'), ' B')} / ${show(num(f.synflood, 'cache_total_bytes'), ' B')}`],
      ['legitimate success at 15k / 200k SYN/s (synflood scenario, 60 s)', `${show(num(f.synflood, 'legit_success_pct_15k'), ' %')} / ${show(num(f.synflood, 'legit_success_pct_200k'), ' %')}`],
      ['p99 connect time ratio flood/baseline at 15k / 200k', `${show(num(f.synflood, 'p99_ratio_15k'))} / ${show(num(f.synflood, 'p99_ratio_200k'))}`],
    ]), '');
  }

  const xs = f.xs;
  if (xs) {
    L.push('## XS: what the ESP32 would execute', '');
    L.push(`\`npm run bench -- xs\`: the core inside XS (${String(xs['engine'] ?? '')}) under valgrind's callgrind, counted by difference between runs of n, 2n and 4n units so start-up cancels. The instructions are x86-32 instructions of that build, a proxy for the ESP32's Xtensa ones.`, '');
    const c = obj(xs, 'xs_bytes_syn_cache');
    L.push(table(['figure', 'instructions or bytes'], [
      ['per 1460-byte segment received and ACKed, all TypeScript', show(num(xs, 'xs_instr_per_segment'))],
      ['the same, checksum on the accelerator', show(num(xs, 'xs_instr_per_segment_no_checksum'))],
      ['the same, checksum, HalfSipHash and ring copies on accelerators (the firmware)', show(num(xs, 'xs_instr_per_segment_accelerated'))],
      ['per 1460-byte segment the application writes, sent and acknowledged (the firmware, all accelerators)', show(num(xs, 'xs_instr_per_segment_sent_accelerated'))],
      ['per SYN answered, SYN cache / cookies', `${show(num(xs, 'xs_instr_per_syn_cache'))} / ${show(num(xs, 'xs_instr_per_syn_cookie'))}`],
      ['per SYN, all accelerators, cache / cookies', `${show(num(xs, 'xs_instr_per_syn_cache_accelerated'))} / ${show(num(xs, 'xs_instr_per_syn_cookie_accelerated'))}`],
      ['4-tuple lookup when the last-found hint misses (TypeScript HalfSipHash) / when it answers', `${show(num(xs, 'xs_instr_lookup_other_connection'))} / ${show(num(obj(xs, 'xs_instr_per_segment_by_layer'), 'lookup'))}`],
      ['floor model, per segment / per SYN with a cookie (same accelerators)', `${show(num(xs, 'xs_instr_per_segment_floor'))} / ${show(num(xs, 'xs_instr_per_syn_cookie_floor'))}`],
      ['XS heap per established connection, rings excluded', show(num(xs, 'xs_bytes_per_connection'), ' B')],
      ['XS heap of its two 2 KiB rings', show(num(xs, 'xs_bytes_per_connection_rings'), ' B')],
      ['SYN cache of 128 entries / per entry', `${show(num(c, 'table_128_entries'), ' B')} / ${show(num(c, 'per_entry'), ' B')}`],
    ]), '');
    L.push('**The floor.** hosttest/xs/scenarios/floor.ts models the least an interpreted path can do: for a segment, header prediction only (no options, one connection, no timers, no RFC 5961 checks, an ACK every second segment); for a SYN, the option walk, one keyed-hash call and a prebuilt SYN-ACK patched in place; both written for XS\'s measured costs and run on the same accelerator stand-ins as the stack. Where the floor itself is above a target, no TypeScript path under XS meets that target.', '');
    for (const p of pics.filter((p) => p.file === 'xs-segment-layers.svg')) L.push(`![${p.alt}](performance/${p.file})`, '');
    const top = arr(xs, 'xs_c_functions_per_segment_without_ring') as Json[];
    if (top.length) {
      L.push('Where XS spends a segment outside the ring copy (callgrind self cost per C function of the engine):', '');
      L.push(table(['function', 'instructions', 'share'], top.slice(0, 10).map((r) => [String(r['function']), show(num(r, 'instructions')), show((num(r, 'share') ?? 0) * 100, ' %')])), '');
    }
  }
  L.push('## Reproduce', '');
  L.push('`npm install && npm run bench -- all` (root for the Linux figures; it installs valgrind, liblwip-dev and the rest when missing). One benchmark: `npm run bench -- <wire|transfer|synflood|xs|linux|peers>`.');
  const md = join(root, 'docs', 'performance.md');
  writeFileSync(md, L.join('\n') + '\n');
  return { markdown: md, svgs: pics.map((p) => join(dir, p.file)) };
}
