// A static IPv4 router for the simulator: one node with two or more ports, each attached to its own
// link with its own MAC and address. It is deliberately dumb, like a box configured by hand:
//
//   - ARP: it answers requests for the address of the port they arrive on (RFC 826) and never
//     asks anything itself. Where a forwarded datagram goes is read from a static table of
//     neighbours (IPv4 address → MAC) that the scenario fills with `addNeighbor`.
//   - Forwarding (RFC 1812 §5.2–5.3): an IPv4 frame addressed to the ingress port's MAC has its
//     header validated (version, lengths, checksum: §5.2.2), is matched against the routes
//     (longest prefix first; each port's own subnet is a connected route), has its TTL
//     decremented and its header checksum updated incrementally (RFC 1624 eqn. 3, the only word
//     that changes being TTL|protocol), gets new Ethernet addresses and leaves by the route's
//     port. No fragmentation (too big: dropped), no ICMP errors, no IP options processing.
//   - Everything it does not forward is dropped and counted by reason. A SYN-ACK the victim sends
//     to a spoofed source dies here as `noRoute` (or `noNeighbor` inside a connected subnet).
//
// Cost per forwarded frame: the frame handed to `input` is the simulator's own copy (a fresh
// buffer per delivery), so it is rewritten in place and handed to the egress port, which copies it
// as every send does. Nothing else is allocated per frame: no parsed objects, no arrays, no
// closures; the neighbour table is a Map from number to a preallocated MAC.
//
//   const r = new Router(sim, [
//     { link: lan, mac: macLan, address: parseIpv4Address('10.0.0.254'), prefixLength: 24 },
//     { link: wan, mac: macWan, address: parseIpv4Address('100.64.0.1'), prefixLength: 10 },
//   ]);
//   r.addNeighbor(parseIpv4Address('10.0.0.1'), serverMac);
//
// Portable (no Node modules): scenarios that use it run under XS too.

import type { Driven } from '../../src/platform';
import { ARP_LEN, ARP_OP_REPLY, ARP_OP_REQUEST, emitArp } from '../../src/wire/arp';
import { read16, read32, write16 } from '../../src/wire/bytes';
import { onesSum, updateChecksum } from '../../src/wire/checksum';
import { ETH_HEADER_LEN, ETH_MIN_FRAME, ETHERTYPE_ARP, ETHERTYPE_IPV4, emitEthernet } from '../../src/wire/ethernet';
import { IPV4_HEADER_LEN, ipv4ToString, prefixMask } from '../../src/wire/ipv4';
import type { Link, Port, Simulator } from './simulator';

export interface RouterPortConfig {
  link: Link;
  mac: Uint8Array;
  /** The router's address on this link (uint32). */
  address: number;
  /** Prefix length of the link's subnet; the subnet becomes a connected route through this port. */
  prefixLength: number;
  /** Shown in traces (default `router/<index>`). */
  name?: string;
  mtu?: number;
}

export interface RouterDrops {
  /** Not a frame we handle: too short, not IPv4/ARP, tagged, or unicast to another MAC. */
  notForUs: number;
  /** ARP that is not a request for this port's address (replies, gratuitous ARP, other targets). */
  arpIgnored: number;
  /** IPv4 header unusable: version, header length, total length or checksum (RFC 1812 §5.2.2). */
  badHeader: number;
  /** Addressed to one of the router's own addresses, or a broadcast/multicast destination. */
  local: number;
  /** TTL would reach zero (RFC 1812 §5.3.1; no ICMP Time Exceeded is sent). */
  ttlExpired: number;
  /** No route covers the destination. */
  noRoute: number;
  /** A route, but no MAC for the next hop in the static neighbour table. */
  noNeighbor: number;
  /** Larger than the egress port's MTU (no fragmentation). */
  tooBig: number;
}

export interface RouterStats {
  framesIn: number;
  forwarded: number;
  arpRequestsIn: number;
  arpRepliesOut: number;
  /** Sum of `drops`. */
  dropped: number;
  drops: RouterDrops;
}

function emptyDrops(): RouterDrops {
  return { notForUs: 0, arpIgnored: 0, badHeader: 0, local: 0, ttlExpired: 0, noRoute: 0, noNeighbor: 0, tooBig: 0 };
}

/** What the simulator drives for each port: frames in, tagged with the port they came in on. */
class Ingress implements Driven {
  constructor(private readonly router: Router, private readonly index: number) {}

  input(frame: Uint8Array, now: number): void {
    this.router.receive(this.index, frame, now);
  }

  poll(): void {}

  nextDeadline(): number {
    return Infinity;
  }
}

/** One static route: destination prefix → egress port, optionally through a gateway. */
interface Route {
  network: number;
  mask: number;
  prefixLength: number;
  port: number;
  /** Next hop; 0 = the destination itself (directly connected). */
  via: number;
}

export class Router {
  readonly ports: readonly Port[];
  readonly stats: RouterStats = { framesIn: 0, forwarded: 0, arpRequestsIn: 0, arpRepliesOut: 0, dropped: 0, drops: emptyDrops() };

  private readonly macs: Uint8Array[];
  private readonly addresses: Uint32Array;
  private readonly networks: Uint32Array;
  private readonly masks: Uint32Array;
  /** Routes, longest prefix first. */
  private readonly routes: Route[] = [];
  private readonly neighbors = new Map<number, Uint8Array>();
  /** Transmit buffer for ARP replies (the only frames the router originates). */
  private readonly arpTx = new Uint8Array(ETH_MIN_FRAME);

  constructor(sim: Simulator, ports: readonly RouterPortConfig[]) {
    if (ports.length < 2) throw new RangeError(`a router needs at least two ports, got ${ports.length}`);
    const n = ports.length;
    this.macs = [];
    this.addresses = new Uint32Array(n);
    this.networks = new Uint32Array(n);
    this.masks = new Uint32Array(n);
    const attached: Port[] = [];
    for (let i = 0; i < n; i++) {
      const p = ports[i]!;
      if (!(Number.isInteger(p.prefixLength) && p.prefixLength >= 0 && p.prefixLength <= 32)) {
        throw new RangeError(`port ${i}: prefixLength must be 0..32, got ${p.prefixLength}`);
      }
      const mask = prefixMask(p.prefixLength);
      this.macs.push(p.mac.slice(0, 6));
      this.addresses[i] = p.address >>> 0;
      this.masks[i] = mask;
      this.networks[i] = (p.address & mask) >>> 0;
      const options = { name: p.name ?? `router/${i}`, ...(p.mtu === undefined ? {} : { mtu: p.mtu }) };
      const port = sim.attach(p.link, p.mac, options);
      attached.push(port);
    }
    this.ports = attached;
    for (let i = 0; i < n; i++) {
      this.addRoute(this.networks[i]!, ports[i]!.prefixLength, i);
      attached[i]!.connect(new Ingress(this, i));
    }
  }

  /**
   * A static route: datagrams for `network`/`prefixLength` leave by port `port`, to `via` when
   * given (its MAC must be a neighbour), else to the destination itself.
   */
  addRoute(network: number, prefixLength: number, port: number, via = 0): void {
    if (!(Number.isInteger(port) && port >= 0 && port < this.ports.length)) throw new RangeError(`no port ${port}`);
    if (!(Number.isInteger(prefixLength) && prefixLength >= 0 && prefixLength <= 32)) throw new RangeError(`bad prefix length ${prefixLength}`);
    const mask = prefixMask(prefixLength);
    const route: Route = { network: (network & mask) >>> 0, mask, prefixLength, port, via: via >>> 0 };
    let at = 0;
    while (at < this.routes.length && this.routes[at]!.prefixLength >= prefixLength) at++;
    this.routes.splice(at, 0, route);
  }

  /** A static neighbour: datagrams whose next hop is `address` go to `mac`. */
  addNeighbor(address: number, mac: Uint8Array): void {
    if (mac.length < 6) throw new RangeError('a MAC is 6 bytes');
    this.neighbors.set(address >>> 0, mac.slice(0, 6));
  }

  /** The router's address on port `i`. */
  address(i: number): number {
    return this.addresses[i]!;
  }

  /** @internal a frame arrived on port `index` */
  receive(index: number, frame: Uint8Array, now: number): void {
    void now;
    const s = this.stats;
    s.framesIn++;
    const length = frame.length;
    if (length < ETH_HEADER_LEN) return this.drop('notForUs');
    const type = (frame[12]! << 8) | frame[13]!;
    if (type === ETHERTYPE_ARP) return this.arp(index, frame, length);
    if (type !== ETHERTYPE_IPV4) return this.drop('notForUs');
    // Only frames sent to this port's MAC are routed (a broadcast carries nothing to forward).
    const mac = this.macs[index]!;
    for (let i = 0; i < 6; i++) if (frame[i] !== mac[i]) return this.drop('notForUs');
    this.forward(frame, length);
  }

  private forward(frame: Uint8Array, length: number): void {
    // RFC 1812 §5.2.2: validate the header before anything else.
    const ip = ETH_HEADER_LEN;
    if (length < ip + IPV4_HEADER_LEN) return this.drop('badHeader');
    const vihl = frame[ip]!;
    const hl = (vihl & 0x0f) * 4;
    if (vihl >> 4 !== 4 || hl < IPV4_HEADER_LEN || ip + hl > length) return this.drop('badHeader');
    const total = read16(frame, ip + 2);
    if (total < hl || ip + total > length) return this.drop('badHeader');
    if (onesSum(frame, ip, hl, 0) !== 0xffff) return this.drop('badHeader');

    const dst = read32(frame, ip + 16);
    if (dst === 0xffffffff || dst >>> 28 === 0xe) return this.drop('local');
    for (let i = 0; i < this.addresses.length; i++) {
      // Our own addresses and the directed broadcasts of our subnets are not forwarded.
      if (dst === this.addresses[i] || (this.masks[i] !== 0xffffffff && dst === (this.networks[i]! | ~this.masks[i]!) >>> 0)) {
        return this.drop('local');
      }
    }

    let route: Route | undefined;
    for (let r = 0; r < this.routes.length; r++) {
      const candidate = this.routes[r]!;
      if (((dst & candidate.mask) >>> 0) === candidate.network) {
        route = candidate;
        break;
      }
    }
    if (route === undefined) return this.drop('noRoute');
    const nextHop = route.via !== 0 ? route.via : dst;
    const neighbor = this.neighbors.get(nextHop);
    if (neighbor === undefined) return this.drop('noNeighbor');

    // RFC 1812 §5.3.1: a datagram whose TTL would reach zero is not forwarded.
    const ttl = frame[ip + 8]!;
    if (ttl <= 1) return this.drop('ttlExpired');
    const egress = this.ports[route.port]!;
    if (total > egress.mtu) return this.drop('tooBig');

    // RFC 1624 eqn. 3: only the TTL|protocol word changes.
    const oldWord = (ttl << 8) | frame[ip + 9]!;
    const newWord = oldWord - 0x100;
    frame[ip + 8] = ttl - 1;
    write16(frame, ip + 10, updateChecksum(read16(frame, ip + 10), oldWord, newWord));
    frame.set(neighbor, 0);
    frame.set(this.macs[route.port]!, 6);
    this.stats.forwarded++;
    // Ethernet padding beyond the datagram goes along untouched; a 60-byte minimum frame stays one.
    egress.send(frame);
  }

  private arp(index: number, frame: Uint8Array, length: number): void {
    const a = ETH_HEADER_LEN;
    if (length < a + ARP_LEN) return this.drop('notForUs');
    if (read16(frame, a) !== 1 || read16(frame, a + 2) !== ETHERTYPE_IPV4 || frame[a + 4] !== 6 || frame[a + 5] !== 4) {
      return this.drop('arpIgnored');
    }
    const op = read16(frame, a + 6);
    if (op !== ARP_OP_REQUEST) return this.drop('arpIgnored');
    this.stats.arpRequestsIn++;
    const target = read32(frame, a + 24);
    if (target !== this.addresses[index]) return this.drop('arpIgnored');
    const senderIp = read32(frame, a + 14);
    const senderMac = frame.subarray(a + 8, a + 14);
    if ((senderMac[0]! & 1) !== 0 || senderIp === 0) return this.drop('arpIgnored');
    // RFC 826: reply to the requester, from this port, with our MAC for the requested address.
    const tx = this.arpTx, mac = this.macs[index]!;
    emitEthernet(tx, 0, senderMac, mac, ETHERTYPE_ARP);
    emitArp(tx, ETH_HEADER_LEN, ARP_OP_REPLY, mac, target, senderMac, senderIp);
    tx.fill(0, ETH_HEADER_LEN + ARP_LEN);
    this.stats.arpRepliesOut++;
    this.ports[index]!.send(tx);
  }

  private drop(reason: keyof RouterDrops): void {
    this.stats.dropped++;
    this.stats.drops[reason]++;
  }

  /** One line for a test failure or a trace. */
  describe(): string {
    const ports = this.ports.map((p, i) => `${p.name} ${ipv4ToString(this.addresses[i]!)}`).join(', ');
    const d = this.stats.drops;
    const drops = (Object.keys(d) as (keyof RouterDrops)[]).filter((k) => d[k] > 0).map((k) => `${k} ${d[k]}`).join(', ');
    return `router [${ports}]: in ${this.stats.framesIn}, forwarded ${this.stats.forwarded}, dropped ${this.stats.dropped}${drops ? ` (${drops})` : ''}`;
  }
}
