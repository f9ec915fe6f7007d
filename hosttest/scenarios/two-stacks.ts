// Two synstack hosts (Interface + Tcp) on one simulated Ethernet segment, with a hook that can
// drop chosen frames on the way out of either host and a trace of every TCP segment on the wire.
// Portable: used by vitest, XS scenarios and benchmarks.

import { Interface } from '../../src/iface/interface';
import type { Log } from '../../src/platform';
import type { TcpConfigInput } from '../../src/tcp/tcp';
import { Tcp } from '../../src/tcp/tcp';
import { ETHERTYPE_IPV4, EthernetFrame } from '../../src/wire/ethernet';
import { IP_PROTO_TCP, Ipv4Packet, parseIpv4Address } from '../../src/wire/ipv4';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TcpSegment } from '../../src/wire/tcp';
import { Simulator, type FrameRecorder, type Link, type LinkOptions } from '../sim/simulator';

export const ADDR_A = parseIpv4Address('192.0.2.1');
export const ADDR_B = parseIpv4Address('192.0.2.2');

/** One TCP segment seen on the wire, sequence numbers raw. */
export interface WireSegment {
  time: number;
  from: 'A' | 'B';
  flags: string;
  seq: number;
  ack: number;
  len: number;
}

export interface Host {
  name: 'A' | 'B';
  iface: Interface;
  tcp: Tcp;
}

export interface TwoStacksOptions {
  seed: number;
  link?: LinkOptions;
  tcp?: TcpConfigInput;
  log?: Log;
  recorder?: FrameRecorder;
  /** Return true to drop this TCP segment as it leaves its host (before the link sees it). */
  dropOut?: (s: WireSegment) => boolean;
}

export interface TwoStacks {
  sim: Simulator;
  link: Link;
  a: Host;
  b: Host;
  /** Every TCP segment that reached the link, in order. */
  trace: WireSegment[];
  /** Segments removed by `dropOut`. */
  dropped: WireSegment[];
}

export function segmentFlags(f: number): string {
  return (f & TCP_SYN ? 'S' : '') + (f & TCP_FIN ? 'F' : '') + (f & TCP_RST ? 'R' : '') + (f & TCP_PSH ? 'P' : '') + (f & TCP_ACK ? 'A' : '');
}

export function twoStacks(o: TwoStacksOptions): TwoStacks {
  const sim = new Simulator({ seed: o.seed });
  const link = sim.addLink({ delayMs: 1, ...o.link, name: 'lan' });
  if (o.recorder) link.capture(o.recorder);
  const trace: WireSegment[] = [];
  const dropped: WireSegment[] = [];
  const eth = new EthernetFrame(), ip = new Ipv4Packet(), seg = new TcpSegment();
  const describe = (from: 'A' | 'B', f: Uint8Array): WireSegment | null => {
    if (eth.parse(f, 0, f.length) !== null || eth.etherType !== ETHERTYPE_IPV4) return null;
    if (ip.parse(f, eth.payloadOffset, eth.payloadLength) !== null || ip.protocol !== IP_PROTO_TCP) return null;
    if (seg.parse(f, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst) !== null) return null;
    return { time: sim.now, from, flags: segmentFlags(seg.flags), seq: seg.seq, ack: seg.ack, len: seg.payloadLength };
  };
  const host = (name: 'A' | 'B', addr: number, last: number): Host => {
    const mac = new Uint8Array([0x02, 0x53, 0x59, 0x4e, 0x00, last]);
    const port = sim.attach(link, mac);
    const device = {
      mac, mtu: port.mtu,
      send: (f: Uint8Array) => {
        const s = describe(name, f);
        if (s !== null) {
          if (o.dropOut?.(s)) {
            dropped.push(s);
            return;
          }
          trace.push(s);
        }
        port.send(f);
      },
    };
    const iface = new Interface({ device, entropy: sim.entropy(`iface-${name}`), address: addr, prefixLength: 24, clock: sim.clock, log: o.log });
    const tcp = new Tcp(iface, { entropy: sim.entropy(`tcp-${name}`), config: o.tcp, log: o.log });
    port.connect(iface);
    return { name, iface, tcp };
  };
  return { sim, link, a: host('A', ADDR_A, 1), b: host('B', ADDR_B, 2), trace, dropped };
}
