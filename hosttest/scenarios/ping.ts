// Two synstack hosts on one simulated Ethernet segment resolve each other by ARP and ping each
// other until each has `pings` answered echoes. Portable (no Node imports): the same scenario runs
// under vitest, inside XS (hosttest/xs/scenarios/ping.ts) and in the CLI.

import { Interface, type InterfaceCounters } from '../../src/iface/interface';
import type { ArpCounters } from '../../src/iface/arp-cache';
import type { Log } from '../../src/platform';
import { macToString } from '../../src/wire/ethernet';
import { parseIpv4Address } from '../../src/wire/ipv4';
import { Simulator, type FrameRecorder, type LinkStats } from '../sim/simulator';

export interface PingScenarioOptions {
  seed: number;
  /** Loss probability on the link, each direction, each frame. */
  loss: number;
  /** Answered echoes each host must collect. */
  pings: number;
  /** Gap between echo requests from one host (ms). */
  intervalMs?: number;
  delayMs?: number;
  /** Give up after this many requests per host (bounds the run). */
  maxRequests?: number;
  recorder?: FrameRecorder;
  log?: Log;
  /** Called once per virtual second with the running figures (for the CLI's live view). */
  onSecond?: (figures: PingFigures) => void;
}

export interface HostFigures {
  requestsSent: number;
  repliesReceived: number;
  /** Replies whose data differed from what was sent. */
  badReplies: number;
  rttMin: number;
  rttMax: number;
  rttSum: number;
  /** The MAC the host's ARP cache held for its peer when the last reply came, or ''. */
  learnedPeerMac: string;
  counters: InterfaceCounters;
  arp: ArpCounters;
}

export interface PingFigures {
  virtualMs: number;
  a: HostFigures;
  b: HostFigures;
  link: LinkStats;
}

export interface PingScenarioResult extends PingFigures {
  completed: boolean;
  macA: string;
  macB: string;
}

const ADDR_A = parseIpv4Address('192.0.2.1');
const ADDR_B = parseIpv4Address('192.0.2.2');

export function runPingScenario(o: PingScenarioOptions): PingScenarioResult {
  const interval = o.intervalMs ?? 250;
  const maxRequests = o.maxRequests ?? o.pings * 20;
  const sim = new Simulator({ seed: o.seed });
  const link = sim.addLink({ loss: o.loss, delayMs: o.delayMs ?? 1, name: 'lan' });
  if (o.recorder) link.capture(o.recorder);
  const macA = new Uint8Array([0x02, 0x53, 0x59, 0x4e, 0x00, 0x01]);
  const macB = new Uint8Array([0x02, 0x53, 0x59, 0x4e, 0x00, 0x02]);
  const portA = sim.attach(link, macA);
  const portB = sim.attach(link, macB);
  const mk = (port: typeof portA, addr: number, name: string) =>
    new Interface({ device: port, entropy: sim.entropy(name), address: addr, prefixLength: 24, log: o.log });
  const a = mk(portA, ADDR_A, 'a');
  const b = mk(portB, ADDR_B, 'b');
  portA.connect(a);
  portB.connect(b);

  const fig = (): HostFigures => ({
    requestsSent: 0, repliesReceived: 0, badReplies: 0, rttMin: Infinity, rttMax: 0, rttSum: 0,
    learnedPeerMac: '', counters: a.counters, arp: a.arpCounters,
  });
  const fa = fig(), fb = fig();
  fb.counters = b.counters;
  fb.arp = b.arpCounters;

  const learned = (iface: Interface, peer: number) => {
    const i = iface.arp.find(peer);
    return i < 0 ? '' : macToString(iface.arp.mac, i * 6);
  };
  const pinger = (self: Interface, peer: number, f: HostFigures, id: number) => {
    const sentAt = new Map<number, number>();
    const answered = new Set<number>();
    self.icmp.onEchoReply = (src, ident, seq, data, off, len, now) => {
      if (src !== peer || ident !== id || !sentAt.has(seq) || answered.has(seq)) return;
      for (let i = 0; i < len; i++) {
        if (data[off + i] !== ((seq + i) & 0xff)) {
          f.badReplies++;
          return;
        }
      }
      answered.add(seq);
      f.repliesReceived++;
      f.learnedPeerMac = learned(self, peer);
      const rtt = now - sentAt.get(seq)!;
      f.rttMin = Math.min(f.rttMin, rtt);
      f.rttMax = Math.max(f.rttMax, rtt);
      f.rttSum += rtt;
    };
    const tick = (now: number) => {
      if (f.repliesReceived >= o.pings || f.requestsSent >= maxRequests) return;
      const seq = f.requestsSent & 0xffff;
      sentAt.set(seq, now);
      self.icmp.ping(peer, id, seq, 56, now);
      f.requestsSent++;
      sim.after(interval, tick);
    };
    sim.after(0, tick);
  };
  pinger(a, ADDR_B, fa, 0xa);
  pinger(b, ADDR_A, fb, 0xb);

  const done = () => (fa.repliesReceived >= o.pings || fa.requestsSent >= maxRequests) &&
    (fb.repliesReceived >= o.pings || fb.requestsSent >= maxRequests);
  const limitMs = (maxRequests + 10) * interval;
  for (let s = 0; s * 1000 < limitMs && !done(); s++) {
    sim.runWhile(() => !done(), 1000);
    o.onSecond?.({ virtualMs: sim.now, a: fa, b: fb, link: link.stats });
  }
  // Let the last replies and ARP state settle.
  sim.runFor(100);
  return {
    completed: fa.repliesReceived >= o.pings && fb.repliesReceived >= o.pings,
    virtualMs: sim.now, a: fa, b: fb, link: link.stats, macA: macToString(macA), macB: macToString(macB),
  };
}

/** The figures that must agree between engines, as plain JSON. */
export function pingSummary(r: PingScenarioResult) {
  const host = (h: HostFigures) => ({
    sent: h.requestsSent, replies: h.repliesReceived, bad: h.badReplies, mac: h.learnedPeerMac,
    in: h.counters.framesIn, delivered: h.counters.framesDelivered, dropped: h.counters.framesDropped,
  });
  return {
    completed: r.completed, virtualMs: r.virtualMs, a: host(r.a), b: host(r.b),
    link: { transmitted: r.link.transmitted, lost: r.link.lost },
  };
}
