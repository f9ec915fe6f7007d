// `npm run bench -- xs [--quick]`: what the core costs inside XS, the engine the ESP32 runs (no
// JIT), counted as machine instructions under valgrind's callgrind, and the XS heap it holds.
//
// Engine: the xsnap-worker of @agoric/xsnap built for a 32-bit target (gcc -m32, as
// hosttest/firmware/xsnap32.ts does for the firmware memory test), so slots are 16 bytes as on the
// ESP32; without a 32-bit compiler the 64-bit worker is used and the JSON says so. Instructions are
// x86-32 instructions of that build (-O2): a proxy for the Xtensa's, not the same count.
//
// The stack under test is the firmware's configuration (8 connections, 2 KiB rings, a 128-entry
// SYN cache in 32 buckets of 8) with a listener on port 80; a peer inside the same machine
// (hosttest/bench/xs/peer.ts) feeds it frames from the gateway's MAC (see
// hosttest/xs/scenarios/bench-xs.ts for each kind of work and the accelerator stand-ins).
//
// Method (hosttest/bench/xs/measure.ts): each configuration is one process; after setup it runs n,
// 2n and 4n units of each kind, and callgrind dumps its counts between them (--dump-before at a
// Math.sinh marker). Per unit = (P(4n) - P(2n)) / 2n, checked against (P(2n) - P(n)) / n; the
// peer's own per-unit work (driver-only phases) is subtracted. So start-up, setup and each phase's
// fixed cost cancel, and what remains is the steady-state cost of one unit, GC included.
//
//   xs_instr_per_segment             a 1460-byte segment in (frame -> Ethernet/IPv4/TCP parse ->
//                                    checksums -> 4-tuple lookup -> TCP input -> receive ring), the
//                                    application reading it, and the ACK out, all TypeScript
//   xs_instr_per_segment_no_checksum the same with Accelerators.checksum given a stand-in that
//                                    returns 0xffff without reading bytes (for the ESP32's native
//                                    checksum; the C work itself is not in it, and is measured
//                                    apart: native_c below)
//   xs_instr_per_segment_accelerated checksum, mac (HalfSipHash) and the rings' copy all on
//                                    stand-ins, as the firmware runs with its native accelerators
//                                    (the stand-in copy moves nothing: memmove is not counted)
//   xs_instr_per_segment_sent_accelerated  the other direction, accelerated: the application
//                                    writes 1460 bytes, the stack sends one segment, the peer's
//                                    pure ACK of it comes in (what serving a page costs)
//   xs_instr_per_segment_floor       the same segment through a model of the least an interpreted
//                                    receive path must do (hosttest/xs/scenarios/floor.ts:
//                                    header prediction only, ACK every second segment, the same
//                                    stand-ins): what XS itself allows, to read the target against
//   xs_instr_per_syn_cookie_floor    a model of the least a listener must do to answer a SYN with a
//                                    cookie (FloorListener, same file), with the same stand-ins
//   xs_instr_per_syn_cache / _cookie a spoofed SYN in, a SYN-ACK out, listener in `cache` mode (the
//                                    cache full and evicting) or `cookies` mode; all TypeScript, and
//                                    _accelerated with both stand-ins
//   xs_instr_per_segment_by_layer    xs_instr_per_segment split by micro-phases of the same
//                                    process measured the same way, each minus a bare-loop phase:
//                                    checksum = segment - segment_no_checksum (the TS sums in situ);
//                                    parse = Ethernet+IPv4+TCP views on the frame, checksums off;
//                                    lookup = the connection table's 4-tuple lookup of the
//                                    connection just found (its last-found hint answers);
//                                    ring = 1460 bytes into a 2 KiB ring and read out;
//                                    ack = one pure ACK built and sent (checksum stand-in);
//                                    tcp_input_and_rest = segment_no_checksum minus the four above
//                                    (TCP's state machine, demux, counters, callbacks, poll).
//   native_c                         the firmware's C checksum (1460 bytes) and HalfSipHash (12
//                                    bytes) under callgrind, instructions per call, for the
//                                    stand-ins' share (hosttest/bench/xs/native-cost.c)
//   xs_bytecodes                     xsnap's meter over the same phases: XS bytecodes executed
//   xs_instr_lookup_other_connection the lookup when that hint misses (two connections alternate),
//                                    so the keyed hash (TypeScript HalfSipHash) runs
//   xs_instr_copy_1460               1460 bytes copied between Uint8Arrays in XS by an index loop
//                                    (as ring.ts does) and by set(subarray(...)), for comparison
//   xs_instr_per_property_read       one read of the Connection's first property (state), of a
//                                    variable in its Float64Array (c.v[RTT_MIN])
//                                    and of a three-field object's (ten reads a unit, /10)
//   xs_c_functions_per_segment       callgrind's self cost per C function of XS, per segment of the
//                                    no-checksum path (differences of the same phases), top 10,
//                                    and grouped (interpreter, property lookup, typed arrays, GC...).
//   xs_bytes_*                       XS heap from snapshots (live slots x 16 + live chunk bytes,
//                                    after a collection) of fresh machines that differ in one thing:
//                                    per connection = (H(16 conns) - H(8 conns)) / 8 with 1-byte
//                                    rings (rings excluded), checked at 32 vs 16; rings = (H(8 conns,
//                                    2 KiB) - H(8 conns, 1 B)) / 8; all connections established and
//                                    held by the application. SYN cache: per entry = (H(256 entries)
//                                    - H(128)) / 128, checked at 512 vs 256, caches filled by a
//                                    flood; the 128-entry table = H(cache mode, 128 full) - H(cookies
//                                    mode, no table).
//
// Prints a table, then the JSON as the last line of stdout (also out/bench/xs.json). `--quick`
// uses the smallest units (what hosttest/bench/xs.test.ts runs).

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../firmware/bundle';
import { ensureXsnap32 } from '../firmware/xsnap32';
import { xsnapWorkerPath } from '../xs/runner';
import type { BenchKind } from '../xs/scenarios/bench-xs';
import { type ConfigRun, measureConfig, measureHeap, type PerUnit, subtract } from './xs/measure';
import { callgrindMissing, measureNativeCost, nameOf } from './xs/xs-run';
import { pad, round } from './report';

/** Issue 10's targets. */
const TARGETS = { segmentAccelerated: 30_000, synCookie: 20_000, connectionBytes: 1024, synEntryBytes: 32 };

export interface XsBenchOptions {
  quick?: boolean;
  log?: (line: string) => void;
}

/** Run every configuration two at a time (the machine has two cores). */
async function pool<T>(jobs: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, lane));
  return results;
}

/** Which group a C function of XS belongs to, by its name (xs/sources naming). */
export function costGroup(fn: string): string {
  if (/^fxRunID/.test(fn)) return 'interpreter loop (fxRunID)';
  if (/TypedArray|DataView|fxArrayBuffer|fxUint8|fxInt8|fxUint16|fxInt16|fxUint32|fxInt32|fxFloat/.test(fn)) return 'typed arrays';
  if (/Property|fxGetID|fxSetID|fxHasID|fxFindInstance|fxGetInstance|fxLookup|fxToInstance|fxGetPrototype|fxGetAt|fxSetAt/.test(fn)) return 'property access';
  if (/fxCollect|fxMark|fxSweep|fxCompact|fxKeepGarbage|^0x/.test(fn)) return 'garbage collection';
  if (/fxNew|fxAlloc|fxFree|fxGrow|malloc|free|fxDuplicate|fxRenewChunk|fxFindChunk|fxCheckChunk/.test(fn)) return 'allocation';
  if (/fxCall|fxRunFunction|fxBeginHost|fxEndHost|fxRunArguments|fxOverflow|fxCheckStack|fxCheckCStack|fxPush|fxRunCount/.test(fn)) return 'calls';
  if (/fxTo(Integer|Number|Int32|Uint32|Boolean|Numeric|Primitive)|fxNumber|fx_Math|fxCompare|fxIsSameValue/.test(fn)) return 'numbers and conversions';
  return 'other';
}

function sortedEntries(m: Map<string, number>): Array<[string, number]> {
  return [...m].sort((a, b) => b[1] - a[1]);
}

export async function measureXs(o: XsBenchOptions = {}): Promise<Record<string, unknown>> {
  const log = o.log ?? ((line: string) => console.log(line));
  const started = Date.now();
  const built = ensureXsnap32();
  const worker = built.path ?? xsnapWorkerPath();
  const engine = built.path !== null ? '32-bit xsnap-worker (gcc -m32), 16-byte slots' : `64-bit xsnap-worker (${built.reason}); heap figures are upper bounds`;
  const q = o.quick === true;
  // Units per phase at n (phases run n, 2n, 4n).
  const seg = q ? 2 : 10, micro = q ? 4 : 40, syn = q ? 2 : 16;
  const segmentKinds: Array<[BenchKind, number]> = [['segment', seg], ['segment-driver', seg]];
  const cs = { checksum: true }, both = { checksum: true, mac: true, copy: true };
  const jobs: Array<() => Promise<ConfigRun>> = [
    () => measureConfig(worker, 'typescript', { setup: 'segment' },
      [...segmentKinds, ['parse', micro], ['lookup', micro], ['lookup-other', micro], ['ring', seg], ['loop', micro], ['copy-loop', seg], ['copy-set', micro],
        ['field-first', micro], ['field-last', micro], ['field-small', micro]]),
    () => measureConfig(worker, 'checksum-accelerated', { setup: 'segment', accel: cs }, [...segmentKinds, ['ack', micro], ['loop', micro]]),
    () => measureConfig(worker, 'accelerated', { setup: 'segment', accel: both }, [...segmentKinds, ['floor', seg], ['send', seg], ['send-driver', seg]]),
    () => measureConfig(worker, 'syn-cache', { setup: 'syn', mode: 'cache', synFill: q ? 130 : 256 }, [['syn', syn], ['syn-driver', syn]]),
    () => measureConfig(worker, 'syn-cookies', { setup: 'syn', mode: 'cookies', synFill: q ? 4 : 64 }, [['syn', syn], ['syn-driver', syn]]),
    () => measureConfig(worker, 'syn-cache-accelerated', { setup: 'syn', mode: 'cache', accel: both, synFill: q ? 130 : 256 }, [['syn', syn], ['syn-driver', syn]]),
    () => measureConfig(worker, 'syn-cookies-accelerated', { setup: 'syn', mode: 'cookies', accel: both, synFill: q ? 4 : 64 }, [['syn', syn], ['syn-driver', syn], ['syn-floor', syn]]),
  ];
  const runs = await pool(jobs, 2);
  const native = measureNativeCost();
  const by = new Map(runs.map((r) => [r.name, r]));
  const k = (config: string, kind: BenchKind): PerUnit => {
    const u = by.get(config)?.kinds.get(kind);
    if (u === undefined) throw new Error(`missing ${config}/${kind}`);
    return u;
  };
  const segTs = subtract(k('typescript', 'segment'), k('typescript', 'segment-driver'));
  const segCs = subtract(k('checksum-accelerated', 'segment'), k('checksum-accelerated', 'segment-driver'));
  const segAll = subtract(k('accelerated', 'segment'), k('accelerated', 'segment-driver'));
  const floor = subtract(k('accelerated', 'floor'), k('accelerated', 'segment-driver'));
  const sendAll = subtract(k('accelerated', 'send'), k('accelerated', 'send-driver'));
  const synOf = (config: string) => subtract(k(config, 'syn'), k(config, 'syn-driver'));
  const synCache = synOf('syn-cache'), synCookie = synOf('syn-cookies');
  const synCacheAcc = synOf('syn-cache-accelerated'), synCookieAcc = synOf('syn-cookies-accelerated');
  const synFloor = subtract(k('syn-cookies-accelerated', 'syn-floor'), k('syn-cookies-accelerated', 'syn-driver'));
  const microOf = (config: string, kind: BenchKind) => subtract(k(config, kind), k(config, 'loop'));
  const layers = {
    checksum: segTs.value - segCs.value,
    parse: microOf('typescript', 'parse').value,
    lookup: microOf('typescript', 'lookup').value,
    ring: microOf('typescript', 'ring').value,
    ack: microOf('checksum-accelerated', 'ack').value,
    tcp_input_and_rest: 0,
  };
  layers.tcp_input_and_rest = segCs.value - layers.parse - layers.lookup - layers.ring - layers.ack;

  // Sanity: every phase did its work (a unit that silently did nothing would look cheap).
  const problems: string[] = [];
  for (const r of runs) {
    for (const [kind, u] of r.kinds) {
      for (const p of u.phases) {
        if (p.framesDropped !== 0 || p.arpMisses !== 0) problems.push(`${r.name}/${kind} n=${p.n}: ${p.framesDropped} dropped, ${p.arpMisses} ARP misses`);
        if (kind === 'segment' && (p.bytesRead !== 1460 * p.n || p.framesOut !== p.n)) problems.push(`${r.name}/segment n=${p.n}: read ${p.bytesRead}, sent ${p.framesOut}`);
        if (kind === 'send' && p.framesOut !== p.n) problems.push(`${r.name}/send n=${p.n}: sent ${p.framesOut} frames`);
        if (kind === 'floor' && (p.bytesRead !== 1460 * p.n || p.framesOut !== p.n / 2)) problems.push(`${r.name}/floor n=${p.n}: read ${p.bytesRead}, sent ${p.framesOut}`);
        if (kind === 'syn-floor' && p.framesOut !== p.n) problems.push(`${r.name}/syn-floor n=${p.n}: sent ${p.framesOut}`);
        if (kind === 'syn' && p.synAcks !== p.n) problems.push(`${r.name}/syn n=${p.n}: ${p.synAcks} SYN-ACKs`);
        if (kind === 'syn' && r.name.includes('cookies') && p.cookies !== p.n) problems.push(`${r.name}/syn n=${p.n}: ${p.cookies} cookies`);
        if (kind === 'syn' && r.name === 'syn-cache' && p.evictions !== p.n) problems.push(`${r.name}/syn n=${p.n}: ${p.evictions} evictions (cache not full?)`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`the benchmark did not do its work:\n${problems.join('\n')}`);

  // Where XS spends the no-checksum segment's instructions, by C function and by group.
  const top10 = (u: PerUnit) => sortedEntries(u.byFunction).slice(0, 10).map(([fn, v]) => {
    const calls = u.callsByFunction.get(fn) ?? 0;
    return {
      function: nameOf(worker, fn), instructions: Math.round(v), share: round(v / u.value, 3),
      // fxRunID is entered once per entry from C into JS (JS-to-JS calls stay inside it), so its
      // calls are few and its self cost is all the bytecode dispatch and the work done inline.
      calls: round(calls, 1), instructions_per_call: calls > 0 ? round(v / calls, 1) : null,
    };
  });
  const fnTop = top10(segCs);
  const groups = new Map<string, number>();
  for (const [fn, v] of segCs.byFunction) groups.set(costGroup(fn), (groups.get(costGroup(fn)) ?? 0) + v);
  // The same without the ring copy (the ring micro-phase taken off function by function): the
  // per-segment path the connection block's layout affects.
  const noRing = subtract(segCs, microOf('typescript', 'ring'));
  const copyLoop = microOf('typescript', 'copy-loop'), copySet = microOf('typescript', 'copy-set');
  // Ten reads per unit.
  const fieldRead = {
    connection_first_property: round(microOf('typescript', 'field-first').value / 10, 1),
    connection_array_variable: round(microOf('typescript', 'field-last').value / 10, 1),
    three_field_object: round(microOf('typescript', 'field-small').value / 10, 1),
  };
  const fnTopNoRing = top10(noRing);
  const fnTopCookie = top10(synCookieAcc);
  const groupsNoRing = new Map<string, number>();
  for (const [fn, v] of noRing.byFunction) groupsNoRing.set(costGroup(fn), (groupsNoRing.get(costGroup(fn)) ?? 0) + v);

  // ---- heap (no valgrind: snapshots of fresh machines)
  const C = q ? 2 : 8;
  const E = q ? 32 : 128;
  const heapJobs = [
    () => measureHeap(worker, { connections: C, buffer: 2048, mode: 'cache' }),
    () => measureHeap(worker, { connections: 2 * C, buffer: 2048, mode: 'cache' }),
    () => measureHeap(worker, { connections: C, buffer: 1, mode: 'cache' }),
    () => measureHeap(worker, { connections: 2 * C, buffer: 1, mode: 'cache' }),
    () => measureHeap(worker, { connections: 4 * C, buffer: 1, mode: 'cache' }),
    () => measureHeap(worker, { connections: C, establish: 0, mode: 'cache', synEntries: E, synFill: 2 * E, synBucketLimit: 255 }),
    () => measureHeap(worker, { connections: C, establish: 0, mode: 'cache', synEntries: 2 * E, synFill: 4 * E, synBucketLimit: 255 }),
    () => measureHeap(worker, { connections: C, establish: 0, mode: 'cache', synEntries: 4 * E, synFill: 8 * E, synBucketLimit: 255 }),
    () => measureHeap(worker, { connections: C, establish: 0, mode: 'cookies', synEntries: E, synFill: 0 }),
  ];
  const [h2k, h2k2, h1, h1x2, h1x4, s1, s2, s4, sCookies] = await pool(heapJobs, 2);
  for (const [h, want] of [[h2k!, C], [h2k2!, 2 * C], [h1!, C], [h1x2!, 2 * C], [h1x4!, 4 * C]] as const) {
    if (h.result.established !== want) throw new Error(`heap run established ${h.result.established} of ${want} connections`);
  }
  for (const [h, want] of [[s1!, E], [s2!, 2 * E], [s4!, 4 * E]] as const) {
    if (h.result.halfOpen !== want) throw new Error(`heap run filled ${h.result.halfOpen} of ${want} SYN-cache entries`);
  }
  const perConn = (h1x2!.bytes - h1!.bytes) / C;
  const perConnCheck = (h1x4!.bytes - h1x2!.bytes) / (2 * C);
  const perConnTotal = (h2k2!.bytes - h2k!.bytes) / C;
  const rings = (h2k!.bytes - h1!.bytes) / C;
  const perEntry = (s2!.bytes - s1!.bytes) / E;
  const perEntryCheck = (s4!.bytes - s2!.bytes) / (2 * E);
  const table = s1!.bytes - sCookies!.bytes;

  const r0 = (x: number) => Math.round(x);
  const result = {
    bench: 'xs',
    engine,
    worker: path.relative(repoRoot, worker),
    quick: q,
    xs_instr_per_segment: r0(segTs.value),
    xs_instr_per_segment_no_checksum: r0(segCs.value),
    xs_instr_per_segment_accelerated: r0(segAll.value),
    xs_instr_per_segment_floor: r0(floor.value),
    xs_instr_per_segment_sent_accelerated: r0(sendAll.value),
    xs_instr_per_syn_cache: r0(synCache.value),
    xs_instr_per_syn_cookie: r0(synCookie.value),
    xs_instr_per_syn_cache_accelerated: r0(synCacheAcc.value),
    xs_instr_per_syn_cookie_accelerated: r0(synCookieAcc.value),
    xs_instr_per_syn_cookie_floor: r0(synFloor.value),
    xs_instr_per_segment_by_layer: Object.fromEntries(Object.entries(layers).map(([name, v]) => [name, r0(v)])),
    xs_bytes_per_connection: r0(perConn),
    xs_bytes_per_connection_rings: r0(rings),
    xs_bytes_per_connection_with_rings: r0(perConnTotal),
    xs_bytes_syn_cache: { table_128_entries: r0(table), per_entry: round(perEntry, 1) },
    xs_c_functions_per_segment: fnTop,
    xs_cost_groups_per_segment: Object.fromEntries(sortedEntries(groups).map(([g, v]) => [g, r0(v)])),
    xs_instr_per_segment_no_checksum_without_ring: r0(noRing.value),
    xs_c_functions_per_segment_without_ring: fnTopNoRing,
    xs_cost_groups_per_segment_without_ring: Object.fromEntries(sortedEntries(groupsNoRing).map(([g, v]) => [g, r0(v)])),
    xs_instr_per_ring_byte: round(layers.ring / (2 * 1460), 1),
    // The lookup when the table's last-found hint misses (two connections alternating): the keyed hash runs.
    xs_instr_lookup_other_connection: r0(microOf('typescript', 'lookup-other').value),
    xs_c_functions_per_syn_cookie_accelerated: fnTopCookie,
    // Copying one 1460-byte payload between two Uint8Arrays inside XS, two ways (not src/ code).
    xs_instr_copy_1460: { index_loop: r0(copyLoop.value), set_subarray: r0(copySet.value) },
    // One property read (with its share of an addition), by where the property sits.
    xs_instr_per_property_read: fieldRead,
    native_c: { compiler: native.compiler, checksum_1460_bytes: r0(native.checksum1460), halfsiphash_12_bytes: r0(native.halfsiphash12) },
    // xsnap's meter: about one unit per XS bytecode executed.
    xs_bytecodes: {
      per_segment: r0(segTs.meter),
      per_segment_no_checksum: r0(segCs.meter),
      per_segment_accelerated: r0(segAll.meter),
      per_segment_floor: r0(floor.meter),
      per_segment_sent_accelerated: r0(sendAll.meter),
      per_syn_cache: r0(synCache.meter),
      per_syn_cookie: r0(synCookie.meter),
      per_syn_cookie_accelerated: r0(synCookieAcc.meter),
      per_syn_cookie_floor: r0(synFloor.meter),
      ring_per_segment: r0(microOf('typescript', 'ring').meter),
      instructions_per_bytecode_segment: round(segTs.value / segTs.meter, 1),
      instructions_per_bytecode_without_ring: round(noRing.value / noRing.meter, 1),
    },
    stability: {
      // The same figures from the other pair (n, 2n), and the relative spread.
      segment: { check: r0(segTs.check), spread: round(segTs.spread, 4) },
      segment_no_checksum: { check: r0(segCs.check), spread: round(segCs.spread, 4) },
      segment_accelerated: { check: r0(segAll.check), spread: round(segAll.spread, 4) },
      segment_floor: { check: r0(floor.check), spread: round(floor.spread, 4) },
      segment_sent_accelerated: { check: r0(sendAll.check), spread: round(sendAll.spread, 4) },
      syn_cache: { check: r0(synCache.check), spread: round(synCache.spread, 4) },
      syn_cookie: { check: r0(synCookie.check), spread: round(synCookie.spread, 4) },
      syn_cookie_floor: { check: r0(synFloor.check), spread: round(synFloor.spread, 4) },
      bytes_per_connection: { check: r0(perConnCheck) },
      bytes_per_syn_entry: { check: round(perEntryCheck, 1) },
    },
    units: { segment: [seg, 2 * seg, 4 * seg], micro: [micro, 2 * micro, 4 * micro], syn: [syn, 2 * syn, 4 * syn], connections: [C, 2 * C, 4 * C], syn_entries: [E, 2 * E, 4 * E] },
    targets: {
      segment_accelerated_max: TARGETS.segmentAccelerated,
      syn_cookie_accelerated_max: TARGETS.synCookie,
      bytes_per_connection_max: TARGETS.connectionBytes,
      bytes_per_syn_entry_max: TARGETS.synEntryBytes,
      met: {
        segment: segAll.value <= TARGETS.segmentAccelerated,
        syn_cookie: synCookieAcc.value <= TARGETS.synCookie,
        connection: perConn <= TARGETS.connectionBytes,
        syn_entry: perEntry <= TARGETS.synEntryBytes,
      },
    },
    callgrind_setup_instructions: Object.fromEntries(runs.map((r) => [r.name, r.setupInstructions])),
    elapsed_s: round((Date.now() - started) / 1000, 1),
  };

  const n = (x: number) => r0(x).toLocaleString('en-US');
  const fnRow = (f: ReturnType<typeof top10>[number]): string =>
    `${n(f.instructions)}  (${(100 * f.share).toFixed(1)} %)  ${n(f.calls)} calls` +
    (f.instructions_per_call !== null ? `, ${f.instructions_per_call} each` : '');
  const rows: Array<[string, string]> = [
    ['engine', engine],
    ['segment 1460 B in + ACK, all TypeScript', `${n(segTs.value)} instr  (check ${n(segTs.check)})`],
    ['  checksum on the accelerator', `${n(segCs.value)} instr  (check ${n(segCs.check)})`],
    ['  checksum, MAC and copy on accelerators', `${n(segAll.value)} instr  (target <= ${n(TARGETS.segmentAccelerated)}: ${result.targets.met.segment ? 'met' : 'NOT met'})`],
    ['1460 B written, sent, and its ACK in (accelerated)', `${n(sendAll.value)} instr, ${n(sendAll.meter)} bytecodes`],
    ['  floor: the least an XS receive path does (model)', `${n(floor.value)} instr, ${n(floor.meter)} bytecodes  (the stack: ${round(segAll.value / floor.value, 1)}x)`],
    [`native C the stand-ins replace (${native.compiler})`, `checksum 1460 B ${n(native.checksum1460)} instr, HalfSipHash 12 B ${n(native.halfsiphash12)} instr`],
    ['SYN -> SYN-ACK, cache mode (full, evicting)', `${n(synCache.value)} instr  (accelerated ${n(synCacheAcc.value)})`],
    ['SYN -> SYN-ACK, cookie mode', `${n(synCookie.value)} instr  (accelerated ${n(synCookieAcc.value)}; target <= ${n(TARGETS.synCookie)}: ${result.targets.met.syn_cookie ? 'met' : 'NOT met'})`],
    ['  floor: the least an XS listener does for it (model)', `${n(synFloor.value)} instr, ${n(synFloor.meter)} bytecodes  (the stack: ${round(synCookieAcc.value / synFloor.value, 1)}x)`],
    ['XS bytecodes (xsnap meter) per segment', `${n(segTs.meter)}  (${round(segTs.value / segTs.meter, 1)} instr each; without the ring copy ${n(noRing.meter)} at ${round(noRing.value / noRing.meter, 1)})`],
    ['per segment by layer (sums to the first line)', ''],
    ...Object.entries(layers).map(([name, v]): [string, string] => [`  ${name}`, `${n(v)}  (${(100 * v / segTs.value).toFixed(1)} %)`]),
    ['  lookup when the last-found hint misses (TS HalfSipHash)', `${n(microOf('typescript', 'lookup-other').value)} instr`],
    ['  ring copy per byte moved (in + out)', `${round(layers.ring / (2 * 1460), 1)} instr`],
    ['copy 1460 B in XS: index loop / set(subarray)', `${n(copyLoop.value)} / ${n(copySet.value)} instr`],
    ['read: Connection first property / c.v[i] / 3-field object', `${fieldRead.connection_first_property} / ${fieldRead.connection_array_variable} / ${fieldRead.three_field_object} instr`],
    ['XS C functions, per no-checksum segment (top 10)', ''],
    ...fnTop.map((f): [string, string] => [`  ${f.function}`, fnRow(f)]),
    ['  grouped', ''],
    ...sortedEntries(groups).map(([g, v]): [string, string] => [`    ${g}`, `${n(v)}  (${(100 * v / segCs.value).toFixed(1)} %)`]),
    [`the same without the ring copy (${n(noRing.value)} instr), top 10`, ''],
    ...fnTopNoRing.map((f): [string, string] => [`  ${f.function}`, fnRow(f)]),
    ['  grouped', ''],
    ...sortedEntries(groupsNoRing).map(([g, v]): [string, string] => [`    ${g}`, `${n(v)}  (${(100 * v / noRing.value).toFixed(1)} %)`]),
    [`SYN in cookie mode, accelerated (${n(synCookieAcc.value)} instr), top 10`, ''],
    ...fnTopCookie.map((f): [string, string] => [`  ${f.function}`, fnRow(f)]),
    ['XS heap per established connection, rings excluded', `${n(perConn)} B  (check ${n(perConnCheck)}; target <= ${TARGETS.connectionBytes}: ${result.targets.met.connection ? 'met' : 'NOT met'})`],
    ['  its two 2 KiB rings', `${n(rings)} B`],
    ['  with 2 KiB rings, measured together', `${n(perConnTotal)} B`],
    ['SYN cache, 128-entry table', `${n(table)} B`],
    ['  per entry', `${round(perEntry, 1)} B  (check ${round(perEntryCheck, 1)}; target <= ${TARGETS.synEntryBytes}: ${result.targets.met.syn_entry ? 'met' : 'NOT met'})`],
  ];
  const w = Math.max(...rows.map(([key]) => key.length)) + 2;
  log(`xs benchmark: instructions under callgrind (x86-32), per unit in steady state; XS heap from snapshots${q ? ' (quick)' : ''}`);
  for (const [key, v] of rows) log(`${pad(key, w)}${v}`);
  return result;
}

export async function run(args: string[]): Promise<void> {
  const missing = callgrindMissing();
  if (missing !== null) throw new Error(`npm run bench -- xs needs valgrind: ${missing}`);
  const result = await measureXs({ quick: args.includes('--quick') });
  const outDir = path.join(repoRoot, 'out/bench');
  mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, 'xs.json');
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
  console.log(`(written to ${path.relative(repoRoot, outFile)})`);
  console.log(JSON.stringify(result));
}
