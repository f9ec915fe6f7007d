// `npm run bench -- linux [--mib N] [--seconds S] [--rounds R] [--buffer KiB] [--ceiling-seconds S]`:
// goodput between synstack and the Linux kernel over the TAP bridge, next to the kernel talking
// to itself over a veth pair, measured in the same run (rounds interleaved, so both see the same
// load on the shared machine), and what limits synstack there.
//
// synstack runs in this Node process on the TAP bridge of the interop tests (hosttest/linux/tap.ts:
// TAP device in a namespace, socat carrying one frame per UDP datagram on loopback to Node). The
// kernel's end is hosttest/bench/linux/bulk.py in the namespace, and the same program is both ends
// of the veth pair. Every namespace and device is named `sbl...` and removed on every exit path
// (try/finally, plus netns.ts's exit and signal handlers and watchdogs). Each transfer is one TCP
// connection, one direction, N MiB (default 64) or S seconds (default 10), whichever comes first.
// Before the timed rounds, 1 MiB each way and over the veth pair is SHA-256 checked at both ends.
// synstack's send and receive buffers default to 128 KiB: socat's UDP socket holds ~90 full frames
// (net.core.rmem_default), so a larger window mostly buys drops there and retransmissions.
//
// Figures (the JSON's keys; "median" is over the rounds; Mbit/s are 10^6 bits of TCP payload per
// wall second, measured by the receiver from the start of the connection to EOF):
//   linux_synstack_to_kernel_mbps      synstack sends, the kernel's bulk.py receives
//   linux_kernel_to_synstack_mbps      the kernel's bulk.py sends, synstack receives
//   linux_kernel_to_kernel_veth_mbps   bulk.py to bulk.py over the veth pair, offloads as the
//                                      kernel sets them (TSO/GSO/GRO on: 64 KiB segments)
//   linux_kernel_to_kernel_veth_no_offload_mbps   the same with TSO, GSO and GRO off (one
//                                      segment per 1500-byte frame, as over the TAP)
//   veth_over_synstack_to_kernel, veth_over_kernel_to_synstack   the ratios (veth ÷ synstack)
//   linux_synstack_cpu_s_per_gb        this Node process's CPU (user + system) per 10^9 payload
//                                      bytes, both directions together; _send / _recv per direction
//   synstack_js_cpu_s_per_gb_{send,recv}   of which time inside Stack.input/poll: synstack's core,
//                                      its socket API, the benchmark's callbacks, and the JS half of
//                                      handing a frame to the bridge
//   synstack_js_bound_mbps_{send,recv} derived, not measured: 8000 ÷ synstack_js_cpu_s_per_gb, the
//                                      goodput one core would give if the path cost nothing
//   node_io_cpu_s_per_gb_{send,recv}   the rest of Node's CPU: UDP sends (Node's dgram does the
//                                      syscall after the stack returns) and receives, event loop, GC
//   socat_cpu_s_per_gb_{send,recv}     socat's CPU (its writes into the TAP also run the kernel's
//                                      receive path in its context)
//   kernel_peer_cpu_s_per_gb_{send,recv}   bulk.py's CPU (the kernel's TCP work done in its calls)
//   veth_cpu_s_per_gb                  both bulk.py processes over the veth pair, per 10^9 bytes
//   veth_no_offload_cpu_s_per_gb       the same with the offloads off (both null, and
//                                      veth_no_offload_skipped says why, when ethtool cannot)
//   machine_busy_{send,recv}           fraction of the whole machine's CPU busy during synstack's
//                                      transfers (1 = every core busy: the pipeline competed for CPU)
//   tap_ceiling_to_kernel_*, tap_ceiling_to_node_*   the TAP path alone, no TCP at either end
//                                      (linux/ceiling.ts), measured once per round for
//                                      --ceiling-seconds (1): frames_per_s of 1514-byte frames, mbps of
//                                      those frames, payload_mbps = the TCP payload (1448 B) those
//                                      frames could carry; node_us_per_frame and socat_us_per_frame
//                                      are each process's CPU per frame carried
//   tap_ceiling_to_kernel_udp_drops    frames socat's full UDP buffer dropped (Node waits on
//                                      socat's queue, so few)
//   tap_ceiling_to_node_tap_drops      frames the TAP's queue dropped (the generator outruns socat)
//   tap_ceiling_machine_busy           as machine_busy, during the ceilings
//   cpu_share_{send,recv}              CPU seconds ÷ wall seconds of Node, socat and bulk.py (1 = a core)
//   synstack_us_per_frame_{send,recv}  Node's CPU per frame synstack sent or received
//   frames_{send,recv}                 frames synstack sent and received in one transfer (data, ACKs)
//   retransmits_send                   synstack's retransmissions in one transfer (it is the sender)
//   udp_drops_at_socat_send            frames towards the kernel lost at socat's full UDP buffer
//   udp_drops_at_node_recv             frames towards synstack lost at Node's full UDP buffer
//   bytes_received_{send,recv}         payload the receiver got (less than bytes_per_transfer when
//                                      the seconds limit came first)
//   limit_{send,recv}                  a sentence: which share of the CPU is whose, and how close
//                                      to the TAP path's own ceiling synstack came
//   load_average_{start,end}, cores    how busy the machine was: other work competes for the cores
//   bytes_per_transfer, seconds_limit, rounds, buffer_bytes, verified_bytes, tap_ceiling_seconds,
//   node, elapsed_s                    the run's settings and how long it took
// Needs root, /dev/net/tun, socat, ip, ethtool, python3. Without them it prints why, writes
// {"skipped": reason} and exits 0: no figure is made up.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupAll, linuxSupport } from '../linux/netns';
import { ceilingToKernel, ceilingToNode, type CeilingResult } from './linux/ceiling';
import {
  type Delivered, type KernelTransferResult, PYTHON, type SynstackEnd, type TransferResult, type VethPair,
  kernelToKernel, kernelToSynstack, openSynstackEnd, openVethPair, setVethOffloads, synstackToKernel,
} from './linux/ends';
import { loadAverage } from './linux/proc';
import { fail, median, option, pad, round } from './report';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const OUT_DIR = join(ROOT, 'out', 'bench');
const MiB = 1024 * 1024;
/** TCP payload per 1514-byte frame with timestamps (1500 − 20 − 20 − 12). */
const PAYLOAD_PER_FRAME = 1448;
const VERIFY_BYTES = MiB;

function write(result: Record<string, unknown>): void {
  mkdirSync(OUT_DIR, { recursive: true });
  const outFile = join(OUT_DIR, 'linux.json');
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
  console.log(`(written to ${relative(ROOT, outFile)})`);
  console.log(JSON.stringify(result));
}

function checkIntact(what: string, r: Delivered): void {
  if (r.bytes !== VERIFY_BYTES || r.bytesSent !== VERIFY_BYTES || r.sha256Sent === undefined || r.sha256Sent !== r.sha256Received) {
    fail(`${what}: verified transfer failed: ${r.bytes} of ${r.bytesSent} bytes, SHA-256 ${r.sha256Sent} vs ${r.sha256Received}`);
  }
}

const perGb = (seconds: number, bytes: number) => seconds / (bytes / 1e9);
const med = (xs: number[], digits: number) => round(median(xs), digits);

/** Per-direction figures of synstack's rounds. */
function synstackFigures(rs: TransferResult[]) {
  return {
    mbps: med(rs.map((r) => r.mbps), 1),
    nodeCpuPerGb: med(rs.map((r) => perGb(r.nodeCpuS, r.bytes)), 2),
    jsCpuPerGb: med(rs.map((r) => perGb(r.stackMs / 1000, r.bytes)), 2),
    ioCpuPerGb: med(rs.map((r) => perGb(r.nodeCpuS - r.stackMs / 1000, r.bytes)), 2),
    socatCpuPerGb: med(rs.map((r) => perGb(r.socatCpuS, r.bytes)), 2),
    peerCpuPerGb: med(rs.map((r) => perGb(r.peerCpuS, r.bytes)), 2),
    usPerFrame: med(rs.map((r) => (r.nodeCpuS * 1e6) / (r.framesIn + r.framesOut)), 2),
    framesIn: med(rs.map((r) => r.framesIn), 0),
    framesOut: med(rs.map((r) => r.framesOut), 0),
    machineBusy: med(rs.map((r) => r.machineBusy), 2),
    nodeShare: med(rs.map((r) => r.nodeCpuS / r.wallS), 2),
    socatShare: med(rs.map((r) => r.socatCpuS / r.wallS), 2),
    peerShare: med(rs.map((r) => r.peerCpuS / r.wallS), 2),
    retransmits: med(rs.map((r) => r.retransmits), 0),
    udpDropsAtSocat: med(rs.map((r) => r.udpDropsAtSocat), 0),
    udpDropsAtNode: med(rs.map((r) => r.udpDropsAtNode), 0),
    bytes: med(rs.map((r) => r.bytes), 0),
  };
}

function ceilingFigures(cs: CeilingResult[]) {
  return {
    framesPerS: med(cs.map((c) => c.framesPerS), 0),
    mbps: med(cs.map((c) => c.mbps), 1),
    payloadMbps: med(cs.map((c) => (c.framesPerS * PAYLOAD_PER_FRAME * 8) / 1e6), 1),
    nodeUsPerFrame: med(cs.map((c) => (c.nodeCpuS * 1e6) / c.framesDelivered), 2),
    socatUsPerFrame: med(cs.map((c) => (c.socatCpuS * 1e6) / c.framesDelivered), 2),
    udpDrops: med(cs.map((c) => c.udpDrops), 0),
    tapDrops: med(cs.map((c) => c.tapDrops), 0),
    machineBusy: med(cs.map((c) => c.machineBusy), 2),
  };
}

/** Which share of the CPU per GB is whose, and how near the TAP path's own ceiling synstack came. */
function limit(f: ReturnType<typeof synstackFigures>, ceiling: ReturnType<typeof ceilingFigures>): string {
  const parts: Array<[string, number]> = [
    ['synstack JS', f.jsCpuPerGb], ['Node UDP I/O + event loop', f.ioCpuPerGb],
    ['socat', f.socatCpuPerGb], ['kernel peer', f.peerCpuPerGb],
  ];
  const total = parts.reduce((a, [, v]) => a + v, 0);
  const shares = parts.map(([k, v]) => `${k} ${Math.round((100 * v) / total)} %`).join(', ');
  const busy = f.machineBusy >= 0.95 ? 'every core of the machine was busy (CPU-bound pipeline)' : `the machine was ${Math.round(f.machineBusy * 100)} % busy`;
  const nearCeiling = Math.round((100 * f.mbps) / ceiling.payloadMbps);
  return `${busy}; CPU per GB: ${shares} (of ${round(total, 1)} s); ${nearCeiling} % of the TAP path's own ceiling in that direction (${ceiling.payloadMbps} Mbit/s payload-equivalent)`;
}

export async function run(args: string[]): Promise<void> {
  const started = performance.now();
  const bytes = Math.round(option(args, 'mib', 64) * MiB);
  const seconds = option(args, 'seconds', 10);
  const rounds = Math.round(option(args, 'rounds', 5));
  const bufferBytes = Math.round(option(args, 'buffer', 128) * 1024);
  const ceilingSeconds = option(args, 'ceiling-seconds', 1);

  const support = linuxSupport(['ip', 'socat', 'ethtool', 'nice', PYTHON]);
  if (!support.ok) {
    console.warn(`\n*** synstack: linux benchmark SKIPPED: ${support.reason}`);
    console.warn('*** it needs root, /dev/net/tun, socat, iproute2, ethtool and python3; no figures were measured.\n');
    write({ bench: 'linux', skipped: support.reason });
    return;
  }

  const load0 = loadAverage();
  if (load0 > cpus().length) {
    console.warn(`*** load average ${load0} on ${cpus().length} cores: other work competes for the CPU, so every figure`);
    console.warn('*** below is contended (compare the ratios measured side by side, and the CPU per GB, not the absolutes)');
  }
  let end: SynstackEnd | null = null;
  let pair: VethPair | null = null;
  const up: TransferResult[] = [];
  const down: TransferResult[] = [];
  const veth: KernelTransferResult[] = [];
  const vethFlat: KernelTransferResult[] = [];
  let noOffloadSkipped: string | null = null;
  const toKernel: CeilingResult[] = [];
  const toNode: CeilingResult[] = [];
  let port = 5001;
  try {
    end = await openSynstackEnd(bufferBytes);
    pair = openVethPair();

    // 1. Intact: the same paths, hashed at both ends.
    const verify = { bytes: VERIFY_BYTES, seconds, hash: true };
    checkIntact('synstack → kernel', await synstackToKernel(end, { ...verify, port: port++ }));
    checkIntact('kernel → synstack', await kernelToSynstack(end, { ...verify, port: port++ }));
    checkIntact('kernel → kernel (veth)', await kernelToKernel(pair, { ...verify, port: port++ }));

    // 2. Warm-up (JIT), then the timed rounds, interleaved so every arrangement sees the same load.
    const warm = { bytes: Math.min(bytes, 8 * MiB), seconds };
    await synstackToKernel(end, { ...warm, port: port++ });
    await kernelToSynstack(end, { ...warm, port: port++ });
    const timed = { bytes, seconds };
    for (let i = 0; i < rounds; i++) {
      up.push(await synstackToKernel(end, { ...timed, port: port++ }));
      down.push(await kernelToSynstack(end, { ...timed, port: port++ }));
      veth.push(await kernelToKernel(pair, { ...timed, port: port++ }));
      // The TAP path alone (no TCP), each round, so its ceiling sees the same load.
      toKernel.push(await ceilingToKernel(end, ceilingSeconds, 2_000_000));
      toNode.push(await ceilingToNode(end, ceilingSeconds, 2_000_000));
    }
    try {
      setVethOffloads(pair, false);
    } catch (e) {
      noOffloadSkipped = `ethtool could not turn the veth offloads off: ${e instanceof Error ? e.message : String(e)}`;
      console.warn(`*** ${noOffloadSkipped}; that figure is left out`);
    }
    if (noOffloadSkipped === null) {
      for (let i = 0; i < rounds; i++) vethFlat.push(await kernelToKernel(pair, { ...timed, port: port++ }));
    }
    if (end.rt.errors.length > 0) fail(`the stack threw: ${String(end.rt.errors[0])}`);
  } finally {
    end?.destroy();
    pair?.destroy();
    cleanupAll();
  }

  const s = synstackFigures(up);
  const r = synstackFigures(down);
  const cToKernel = ceilingFigures(toKernel);
  const cToNode = ceilingFigures(toNode);
  const vethMbps = med(veth.map((v) => v.mbps), 1);
  const vethFlatMbps = vethFlat.length > 0 ? med(vethFlat.map((v) => v.mbps), 1) : null;
  const pooledCpu = med(up.map((u, i) => perGb(u.nodeCpuS + down[i]!.nodeCpuS, u.bytes + down[i]!.bytes)), 2);
  const result = {
    bench: 'linux',
    linux_synstack_to_kernel_mbps: s.mbps,
    linux_kernel_to_synstack_mbps: r.mbps,
    linux_kernel_to_kernel_veth_mbps: vethMbps,
    linux_kernel_to_kernel_veth_no_offload_mbps: vethFlatMbps,
    veth_over_synstack_to_kernel: round(vethMbps / s.mbps, 1),
    veth_over_kernel_to_synstack: round(vethMbps / r.mbps, 1),
    linux_synstack_cpu_s_per_gb: pooledCpu,
    linux_synstack_cpu_s_per_gb_send: s.nodeCpuPerGb,
    linux_synstack_cpu_s_per_gb_recv: r.nodeCpuPerGb,
    synstack_js_cpu_s_per_gb_send: s.jsCpuPerGb,
    synstack_js_cpu_s_per_gb_recv: r.jsCpuPerGb,
    synstack_js_bound_mbps_send: round(8000 / s.jsCpuPerGb, 0),
    synstack_js_bound_mbps_recv: round(8000 / r.jsCpuPerGb, 0),
    node_io_cpu_s_per_gb_send: s.ioCpuPerGb,
    node_io_cpu_s_per_gb_recv: r.ioCpuPerGb,
    socat_cpu_s_per_gb_send: s.socatCpuPerGb,
    socat_cpu_s_per_gb_recv: r.socatCpuPerGb,
    kernel_peer_cpu_s_per_gb_send: s.peerCpuPerGb,
    kernel_peer_cpu_s_per_gb_recv: r.peerCpuPerGb,
    veth_cpu_s_per_gb: med(veth.map((v) => perGb(v.senderCpuS + v.receiverCpuS, v.bytes)), 3),
    veth_no_offload_cpu_s_per_gb: vethFlat.length > 0 ? med(vethFlat.map((v) => perGb(v.senderCpuS + v.receiverCpuS, v.bytes)), 3) : null,
    ...(noOffloadSkipped !== null ? { veth_no_offload_skipped: noOffloadSkipped } : {}),
    machine_busy_send: s.machineBusy,
    machine_busy_recv: r.machineBusy,
    cpu_share_send: { node: s.nodeShare, socat: s.socatShare, kernel_peer: s.peerShare },
    cpu_share_recv: { node: r.nodeShare, socat: r.socatShare, kernel_peer: r.peerShare },
    synstack_us_per_frame_send: s.usPerFrame,
    synstack_us_per_frame_recv: r.usPerFrame,
    frames_send: { data_out: s.framesOut, acks_in: s.framesIn },
    frames_recv: { data_in: r.framesIn, acks_out: r.framesOut },
    retransmits_send: s.retransmits,
    udp_drops_at_socat_send: s.udpDropsAtSocat,
    udp_drops_at_node_recv: r.udpDropsAtNode,
    tap_ceiling_to_kernel_frames_per_s: cToKernel.framesPerS,
    tap_ceiling_to_kernel_mbps: cToKernel.mbps,
    tap_ceiling_to_kernel_payload_mbps: cToKernel.payloadMbps,
    tap_ceiling_to_kernel_node_us_per_frame: cToKernel.nodeUsPerFrame,
    tap_ceiling_to_kernel_socat_us_per_frame: cToKernel.socatUsPerFrame,
    tap_ceiling_to_kernel_udp_drops: cToKernel.udpDrops,
    tap_ceiling_to_node_frames_per_s: cToNode.framesPerS,
    tap_ceiling_to_node_mbps: cToNode.mbps,
    tap_ceiling_to_node_payload_mbps: cToNode.payloadMbps,
    tap_ceiling_to_node_node_us_per_frame: cToNode.nodeUsPerFrame,
    tap_ceiling_to_node_socat_us_per_frame: cToNode.socatUsPerFrame,
    tap_ceiling_to_node_tap_drops: cToNode.tapDrops,
    tap_ceiling_machine_busy: Math.max(cToKernel.machineBusy, cToNode.machineBusy),
    tap_ceiling_seconds: ceilingSeconds,
    limit_send: limit(s, cToKernel),
    limit_recv: limit(r, cToNode),
    bytes_per_transfer: bytes,
    bytes_received_send: s.bytes,
    bytes_received_recv: r.bytes,
    seconds_limit: seconds,
    rounds,
    buffer_bytes: bufferBytes,
    verified_bytes: VERIFY_BYTES,
    load_average_start: load0,
    load_average_end: loadAverage(),
    cores: cpus().length,
    node: process.version,
    elapsed_s: round((performance.now() - started) / 1000, 1),
  };

  const rows: Array<[string, string]> = [
    ['transfers', `${bytes / MiB} MiB or ${seconds} s each, ${rounds} rounds (median), synstack buffers ${bufferBytes / 1024} KiB`],
    ['synstack → kernel (TAP)', `${result.linux_synstack_to_kernel_mbps} Mbit/s`],
    ['kernel → synstack (TAP)', `${result.linux_kernel_to_synstack_mbps} Mbit/s`],
    ['kernel → kernel (veth)', `${vethMbps} Mbit/s  (×${result.veth_over_synstack_to_kernel} / ×${result.veth_over_kernel_to_synstack} synstack's)`],
    ['  offloads off', vethFlatMbps !== null ? `${vethFlatMbps} Mbit/s` : `not measured (${noOffloadSkipped})`],
    ['synstack CPU per GB', `${pooledCpu} s  (send ${s.nodeCpuPerGb}, receive ${r.nodeCpuPerGb}; Node process, user + system)`],
    ['  of which synstack JS', `send ${s.jsCpuPerGb} s, receive ${r.jsCpuPerGb} s  (alone on one core: ${result.synstack_js_bound_mbps_send} / ${result.synstack_js_bound_mbps_recv} Mbit/s, derived)`],
    ['  of which Node I/O etc.', `send ${s.ioCpuPerGb} s, receive ${r.ioCpuPerGb} s`],
    ['socat CPU per GB', `send ${s.socatCpuPerGb} s, receive ${r.socatCpuPerGb} s`],
    ['kernel peer CPU per GB', `send ${s.peerCpuPerGb} s, receive ${r.peerCpuPerGb} s  (veth, both ends: ${result.veth_cpu_s_per_gb} s)`],
    ['machine busy', `send ${s.machineBusy}, receive ${r.machineBusy}  (load ${load0} → ${result.load_average_end}, ${result.cores} cores)`],
    ['frames per transfer', `send: ${s.framesOut} out, ${s.framesIn} in; receive: ${r.framesIn} in, ${r.framesOut} out`],
    ['send: retransmits', `${s.retransmits} (socat's UDP buffer dropped ${s.udpDropsAtSocat})`],
    ['TAP ceiling → kernel', `${cToKernel.framesPerS} frames/s = ${cToKernel.mbps} Mbit/s (${cToKernel.payloadMbps} payload); Node ${cToKernel.nodeUsPerFrame} µs, socat ${cToKernel.socatUsPerFrame} µs per frame`],
    ['TAP ceiling → Node', `${cToNode.framesPerS} frames/s = ${cToNode.mbps} Mbit/s (${cToNode.payloadMbps} payload); Node ${cToNode.nodeUsPerFrame} µs, socat ${cToNode.socatUsPerFrame} µs per frame`],
    ['limit, send', result.limit_send],
    ['limit, receive', result.limit_recv],
  ];
  const w = Math.max(...rows.map(([k]) => k.length)) + 2;
  console.log(`linux benchmark (node ${process.version}, ${result.cores} cores)`);
  for (const [k, v] of rows) console.log(`${pad(k, w)}${v}`);
  write(result);
}
