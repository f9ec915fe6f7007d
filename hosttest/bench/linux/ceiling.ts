// The TAP path's own ceiling, with no TCP at either end: how many full-size frames per second the
// bridge (Node's UDP socket, socat, the TAP device) carries in each direction when nothing but
// counting happens at the far end. Under the same load a synstack transfer could not beat these
// (its data frames take one direction, its ACKs the other), so they tell how much of its time is
// the path's. On a shared machine the load changes from second to second, so a ceiling measured
// for one second next to a transfer is a rough bound, not an exact one.
//
//   to Node     bulk.py `frames` in the namespace writes 1514-byte frames (EtherType 0x88B5) onto
//               the TAP as fast as it can, at the lowest priority (nice 19) so that it does not
//               take the CPU from socat and Node; socat reads them and sends each as a UDP
//               datagram; the bridge's onFrame only counts them (the stack sees none).
//   to kernel   Node sends 1514-byte frames through the bridge's send (the same copy and UDP send
//               synstack's frames take), to a MAC that is not the TAP's (so the kernel drops them
//               right after counting: no reply); counted by the TAP's rx_packets. Node holds back
//               while socat's receive queue is nearly full (read from /proc per batch).

import { cpuSecondsOf, deviceCounters, deviceDelta, machineBusy, machineJiffies, udpDropsOf, udpQueuesOf } from './proc.js';
import { BULK_PY, PYTHON, type SynstackEnd } from './ends.js';
import { macToString } from '../../linux/tap.js';
import { lastJson, sleep } from '../../linux/world.js';

const FRAME_BYTES = 1514;
/** Frames sent per turn of Node's event loop (then socat and the UDP socket get to run). */
const BATCH = 16;
/** Node waits while socat's receive queue holds more than this (bytes): it offers what socat takes. */
const SOCAT_QUEUE_HIGH = 160 * 1024;

export interface CeilingResult {
  /** Frames that reached the far end per second, and the same as Mbit/s of 1514-byte frames. */
  framesPerS: number;
  mbps: number;
  framesOffered: number;
  framesDelivered: number;
  seconds: number;
  /** Frames lost on the way: at full UDP receive buffers (socat's or Node's) and the TAP's queue. */
  udpDrops: number;
  tapDrops: number;
  nodeCpuS: number;
  socatCpuS: number;
  /** CPU of bulk.py's frame generator (to Node only). */
  generatorCpuS: number;
  machineBusy: number;
}

function cpuNode(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

/** Frames from the kernel side into Node, for `seconds` (at most `maxFrames`). */
export async function ceilingToNode(end: SynstackEnd, seconds: number, maxFrames: number): Promise<CeilingResult> {
  const saved = end.bridge.onFrame;
  let frames = 0;
  let first = 0;
  let last = 0;
  end.bridge.onFrame = () => {
    last = performance.now();
    if (frames++ === 0) first = last;
  };
  try {
    const dev0 = deviceCounters(end.ns, end.bridge.tapName);
    const drops0 = udpDropsOf(process.pid);
    const socat0 = cpuSecondsOf(end.bridge.socatPid);
    const node0 = cpuNode();
    const m0 = machineJiffies();
    // At the lowest priority, so the generator takes the CPU socat and Node leave over.
    const gen = end.ns.start(['nice', '-n', '19', PYTHON, BULK_PY, 'frames', '--iface', end.bridge.tapName, '--dmac', macToString(end.bridge.mac),
      '--count', String(maxFrames), '--seconds', String(seconds)], { timeoutMs: seconds * 1000 + 15_000 });
    const r = await gen.done;
    await sleep(100); // what socat still holds arrives
    const m1 = machineJiffies();
    if (r.code !== 0) throw new Error(`bulk.py frames failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr.slice(-1000)}`);
    const sent = lastJson(r.stdout) as { sent: number; seconds: number; cpu_s: number };
    const dev = deviceDelta(dev0, deviceCounters(end.ns, end.bridge.tapName));
    const span = frames > 1 ? (last - first) / 1000 : sent.seconds;
    return {
      framesPerS: frames / span, mbps: (frames * FRAME_BYTES * 8) / span / 1e6,
      framesOffered: sent.sent, framesDelivered: frames, seconds: span,
      udpDrops: udpDropsOf(process.pid) - drops0, tapDrops: dev.txDropped,
      nodeCpuS: cpuNode() - node0, socatCpuS: cpuSecondsOf(end.bridge.socatPid) - socat0, generatorCpuS: sent.cpu_s,
      machineBusy: machineBusy(m0, m1),
    };
  } finally {
    end.bridge.onFrame = saved;
  }
}

/** Frames from Node into the kernel side, for `seconds` (at most `maxFrames`). */
export async function ceilingToKernel(end: SynstackEnd, seconds: number, maxFrames: number): Promise<CeilingResult> {
  const frame = new Uint8Array(FRAME_BYTES);
  frame.set([0x02, 0, 0, 0, 0, 0x01], 0); // not the TAP's MAC: the kernel counts the frame, then drops it
  frame.set(end.bridge.mac, 6);
  frame.set([0x88, 0xb5], 12);
  const dev0 = deviceCounters(end.ns, end.bridge.tapName);
  const socatPid = end.bridge.socatPid;
  const socatQueues = udpQueuesOf(socatPid);
  const drops0 = socatQueues().drops;
  const socat0 = cpuSecondsOf(socatPid);
  const node0 = cpuNode();
  const m0 = machineJiffies();
  const t0 = performance.now();
  const stopAt = t0 + seconds * 1000;
  let offered = 0;
  // Flow control from socat's queue, so Node's CPU goes to sending what can be carried rather
  // than to frames dropped at socat's full buffer (on a 2-core machine they compete for it).
  while (offered < maxFrames && performance.now() < stopAt) {
    if (socatQueues().rxQueue > SOCAT_QUEUE_HIGH) {
      await sleep(0); // a timer, not setImmediate: waiting must not spin on the CPU socat needs
      continue;
    }
    for (let i = 0; i < BATCH; i++) end.bridge.send(frame);
    offered += BATCH;
    await new Promise<void>((r) => setImmediate(r));
  }
  const sendSeconds = (performance.now() - t0) / 1000;
  await sleep(100); // what socat still holds arrives
  const m1 = machineJiffies();
  const dev = deviceDelta(dev0, deviceCounters(end.ns, end.bridge.tapName));
  return {
    framesPerS: dev.rxPackets / sendSeconds, mbps: (dev.rxPackets * FRAME_BYTES * 8) / sendSeconds / 1e6,
    framesOffered: offered, framesDelivered: dev.rxPackets, seconds: sendSeconds,
    // (the TAP's rx_dropped counts these frames too: no one takes them once they are in)
    udpDrops: socatQueues().drops - drops0, tapDrops: NaN,
    nodeCpuS: cpuNode() - node0, socatCpuS: cpuSecondsOf(socatPid) - socat0, generatorCpuS: 0,
    machineBusy: machineBusy(m0, m1),
  };
}
