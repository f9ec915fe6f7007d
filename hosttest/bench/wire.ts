// `npm run bench -- wire`: the cost of the wire layer.
//
//   - RFC 1071 checksum over 1460 bytes (one full-size TCP payload) in TypeScript (src/wire's
//     onesSum) and in a plain C reference (hosttest/bench/c/checksum.c, gcc -O2), same buffer,
//     same run; the C result must equal the TypeScript one or the benchmark fails.
//   - Frames parsed per second through EthernetFrame + ArpPacket / Ipv4Packet + IcmpMessage /
//     UdpDatagram / TcpSegment (options included) with checksum verification on, over a mix of
//     real Linux frames (hosttest/fixtures/linux-frames.json) or, without that file, built ones.
//
// Prints a table, then the figures as one JSON object on the last line of stdout, also written to
// out/bench/wire.json. Figures are measurements, not pass/fail criteria.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArpPacket } from '../../src/wire/arp';
import { onesSum } from '../../src/wire/checksum';
import { EthernetFrame, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../src/wire/ethernet';
import { IcmpMessage } from '../../src/wire/icmp';
import { Ipv4Packet, IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP } from '../../src/wire/ipv4';
import { TcpSegment } from '../../src/wire/tcp';
import { UdpDatagram } from '../../src/wire/udp';
import { buildArpRequest, buildIcmpEcho, buildTcp, buildUdp } from '../wire/build';
import { Prng, fromHex } from '../wire/helpers';
import { fail, pad, round } from './report';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const BUILD = join(HERE, 'build');
const C_SOURCE = join(HERE, 'c', 'checksum.c');
const C_EXE = join(BUILD, 'checksum');
const C_INPUT = join(BUILD, 'checksum-input.bin');
const FIXTURES = join(ROOT, 'hosttest', 'fixtures', 'linux-frames.json');
const OUT_DIR = join(ROOT, 'out', 'bench');

const CHECKSUM_BYTES = 1460;
const ROUNDS = 7;
/** Each timed round lasts at least this long (iteration counts are calibrated to it). */
const MIN_ROUND_NS = 50_000_000;

/** Frames of the parse mix, by fixture name, with a built stand-in for each. */
const MIX: Array<[name: string, build: () => Uint8Array]> = [
  ['arp-request', buildArpRequest],
  ['icmp-echo-request', () => buildIcmpEcho(56)],
  ['udp-datagram', () => buildUdp(21)],
  ['tcp-syn', () => buildTcp(0, 0)],
  ['tcp-data', () => buildTcp(15, 0)],
  ['tcp-sack', () => buildTcp(0, 1)],
];

interface CResult {
  sum: number;
  ns: number;
  iterations: number;
  compiler: string;
  /** Prefix lengths (0..1460) whose C sum was compared with onesSum. */
  prefixesChecked: number;
}

function compileAndRunC(input: Uint8Array): CResult {
  mkdirSync(BUILD, { recursive: true });
  writeFileSync(C_INPUT, input);
  const cc = spawnSync('gcc', ['-O2', '-std=c99', '-Wall', '-Wextra', '-o', C_EXE, C_SOURCE], { encoding: 'utf8' });
  if (cc.error) fail(`cannot run gcc: ${cc.error.message}`);
  if (cc.status !== 0) fail(`gcc failed:\n${cc.stderr}`);
  const version = spawnSync('gcc', ['-dumpfullversion'], { encoding: 'utf8' }).stdout.trim();
  const r = spawnSync(C_EXE, [C_INPUT, String(ROUNDS), String(MIN_ROUND_NS)], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) fail(`cannot run ${C_EXE}: ${r.error.message}`);
  if (r.status !== 0) fail(`${C_EXE} exited ${r.status}:\n${r.stderr}`);
  // Cross-check every prefix length (odd ones included) against the TypeScript sum.
  const sums = spawnSync(C_EXE, [C_INPUT, 'prefixes'], { encoding: 'utf8', timeout: 60_000 });
  if (sums.status !== 0) fail(`${C_EXE} prefixes exited ${sums.status}:\n${sums.stderr}`);
  const lines = sums.stdout.trim().split('\n');
  if (lines.length !== input.length + 1) fail(`${C_EXE} prefixes printed ${lines.length} lines`);
  lines.forEach((line, n) => {
    const want = onesSum(input, 0, n, 0);
    if (parseInt(line, 16) !== want) fail(`C and TypeScript disagree over the first ${n} bytes: 0x${line} vs 0x${want.toString(16)}`);
  });
  const m = /sum=0x([0-9a-f]{4}) ns=([0-9.]+) iterations=(\d+)/.exec(r.stdout);
  if (!m) fail(`unexpected output from ${C_EXE}: ${r.stdout}`);
  return { sum: parseInt(m[1]!, 16), ns: Number(m[2]), iterations: Number(m[3]), compiler: `gcc ${version} -O2`, prefixesChecked: lines.length };
}

/** Best-of-ROUNDS nanoseconds per call of `body(iterations)`, calibrated to MIN_ROUND_NS a round. */
function bestNsPerIteration(body: (iterations: number) => number): { ns: number; iterations: number } {
  let sink = 0;
  const timeRound = (n: number): number => {
    const t0 = process.hrtime.bigint();
    sink += body(n);
    return Number(process.hrtime.bigint() - t0);
  };
  // Warm up (lets the JIT optimise), then calibrate.
  for (let i = 0; i < 5; i++) timeRound(2000);
  let iterations = 1000;
  while (timeRound(iterations) < MIN_ROUND_NS && iterations < 2 ** 30) iterations *= 2;
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) best = Math.min(best, timeRound(iterations) / iterations);
  if (sink === -1) console.log(''); // keep `sink` observable
  return { ns: best, iterations };
}

interface Fixture {
  frames: Array<{ name: string; hex: string }>;
}

function frameMix(): { frames: Array<[string, Uint8Array]>; source: string } {
  if (existsSync(FIXTURES)) {
    const fx = JSON.parse(readFileSync(FIXTURES, 'utf8')) as Fixture;
    const byName = new Map(fx.frames.map((f) => [f.name, f.hex] as const));
    if (MIX.every(([n]) => byName.has(n))) {
      return { frames: MIX.map(([n]) => [n, fromHex(byName.get(n)!)]), source: 'linux-fixture' };
    }
  }
  return { frames: MIX.map(([n, build]) => [n, build()]), source: 'built' };
}

// Views reused for every frame: parsing allocates nothing.
const eth = new EthernetFrame();
const arp = new ArpPacket();
const ip = new Ipv4Packet();
const icmp = new IcmpMessage();
const udp = new UdpDatagram();
const tcp = new TcpSegment();

/** Parse one frame down to its transport header, checksums verified; returns null or the reason. */
function parseFrame(f: Uint8Array): string | null {
  let err: string | null = eth.parse(f, 0, f.length);
  if (err !== null) return err;
  if (eth.etherType === ETHERTYPE_ARP) return arp.parse(f, eth.payloadOffset, eth.payloadLength);
  if (eth.etherType !== ETHERTYPE_IPV4) return 'not-ipv4';
  err = ip.parse(f, eth.payloadOffset, eth.payloadLength);
  if (err !== null) return err;
  switch (ip.protocol) {
    case IP_PROTO_TCP: return tcp.parse(f, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst);
    case IP_PROTO_UDP: return udp.parse(f, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst);
    case IP_PROTO_ICMP: return icmp.parse(f, ip.payloadOffset, ip.payloadLength);
    default: return 'other-protocol';
  }
}


export async function run(_args: string[]): Promise<void> {
  const started = process.hrtime.bigint();

  // ---- checksum: the same 1460 bytes in C and TypeScript
  const buf = new Prng(1071).bytes(CHECKSUM_BYTES);
  const tsSum = onesSum(buf, 0, buf.length, 0);
  const c = compileAndRunC(buf);
  if (c.sum !== tsSum) {
    fail(`C checksum 0x${c.sum.toString(16)} != TypeScript onesSum 0x${tsSum.toString(16)} over the same ${CHECKSUM_BYTES} bytes`);
  }
  const ts = bestNsPerIteration((n) => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += onesSum(buf, 0, CHECKSUM_BYTES, 0);
    return acc;
  });

  // ---- parsing
  const { frames, source } = frameMix();
  for (const [name, f] of frames) {
    const err = parseFrame(f);
    if (err !== null) fail(`frame ${name} does not parse: ${err}`);
  }
  const list = frames.map(([, f]) => f);
  const mixBytes = list.reduce((n, f) => n + f.length, 0);
  const parse = bestNsPerIteration((n) => {
    let errors = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < list.length; j++) if (parseFrame(list[j]!) !== null) errors++;
    return errors;
  });
  const nsPerFrame = parse.ns / list.length;
  const byKind: Record<string, number> = {};
  for (const [name, f] of frames) {
    byKind[name] = round(bestNsPerIteration((n) => {
      let errors = 0;
      for (let i = 0; i < n; i++) if (parseFrame(f) !== null) errors++;
      return errors;
    }).ns, 1);
  }

  const result = {
    bench: 'wire',
    checksum_ns_ts: round(ts.ns, 1),
    checksum_ns_c: round(c.ns, 1),
    checksum_ratio: round(ts.ns / c.ns, 2),
    parse_frames_per_s: Math.round(1e9 / nsPerFrame),
    parse_ns_per_frame: round(nsPerFrame, 1),
    parse_ns_by_kind: byKind,
    parse_mix_bytes_per_frame: round(mixBytes / list.length, 1),
    checksum_bytes: CHECKSUM_BYTES,
    checksum_sum: `0x${tsSum.toString(16).padStart(4, '0')}`,
    checksum_mb_per_s_ts: round(CHECKSUM_BYTES / ts.ns * 1000, 1),
    checksum_mb_per_s_c: round(CHECKSUM_BYTES / c.ns * 1000, 1),
    frame_source: source,
    rounds: ROUNDS,
    c_compiler: c.compiler,
    node: process.version,
    arch: `${process.platform}-${process.arch}`,
    elapsed_s: round(Number(process.hrtime.bigint() - started) / 1e9, 2),
  };

  const rows: Array<[string, string]> = [
    [`checksum ${CHECKSUM_BYTES} B, TypeScript onesSum`, `${result.checksum_ns_ts} ns  (${result.checksum_mb_per_s_ts} MB/s)`],
    [`checksum ${CHECKSUM_BYTES} B, C reference (${c.compiler})`, `${result.checksum_ns_c} ns  (${result.checksum_mb_per_s_c} MB/s)`],
    ['checksum ratio TypeScript / C', `${result.checksum_ratio}x`],
    ['checksums agree', `${result.checksum_sum} in both; all ${c.prefixesChecked} prefix lengths match`],
    [`parse, mix of ${list.length} frames (${source})`, `${result.parse_frames_per_s.toLocaleString('en-US')} frames/s  (${result.parse_ns_per_frame} ns/frame)`],
    ...frames.map(([name, f]): [string, string] => [`  ${name} (${f.length} B)`, `${byKind[name]} ns`]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length)) + 2;
  console.log(`wire benchmark (best of ${ROUNDS} rounds, node ${process.version}, ${result.arch})`);
  for (const [k, v] of rows) console.log(`${pad(k, w)}${v}`);

  mkdirSync(OUT_DIR, { recursive: true });
  const outFile = join(OUT_DIR, 'wire.json');
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
  console.log(`(written to ${relative(ROOT, outFile)})`);
  console.log(JSON.stringify(result));
}

