// The static router (router.ts): ARP answers for its own addresses only, forwarding with the TTL
// decremented and the header checksum updated (checked by src/wire's parsers, which verify it),
// and every datagram it cannot forward dropped and counted by reason. Also one end-to-end check:
// two synstack hosts on different subnets talk TCP through it.

import { describe, expect, it } from 'vitest';
import { Interface } from '../../src/iface/interface';
import { ARP_LEN, ARP_OP_REPLY, ARP_OP_REQUEST, ArpPacket, emitArp } from '../../src/wire/arp';
import { onesSum } from '../../src/wire/checksum';
import { BROADCAST_MAC, ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetFrame, emitEthernet } from '../../src/wire/ethernet';
import { IPV4_FLAG_DF, IPV4_HEADER_LEN, IP_PROTO_TCP, Ipv4Packet, emitIpv4, parseIpv4Address } from '../../src/wire/ipv4';
import { TCP_HEADER_LEN, TCP_SYN, TcpSegment, emitTcp } from '../../src/wire/tcp';
import { Tcp } from '../../src/tcp/tcp';
import { RecorderNode, testMac } from './fakes';
import { Router } from './router';
import { Simulator } from './simulator';

const LAN_ROUTER = parseIpv4Address('10.0.0.254');
const WAN_ROUTER = parseIpv4Address('100.64.0.1');
const SERVER = parseIpv4Address('10.0.0.1');
const CLIENT = parseIpv4Address('100.64.5.2');
const MAC_R_LAN = testMac(0xfe01);
const MAC_R_WAN = testMac(0xfe02);
const MAC_SERVER = testMac(1);
const MAC_CLIENT = testMac(2);

function setup() {
  const sim = new Simulator({ seed: 7 });
  const lan = sim.addLink({ delayMs: 1, name: 'lan' });
  const wan = sim.addLink({ delayMs: 5, name: 'wan' });
  const router = new Router(sim, [
    { link: lan, mac: MAC_R_LAN, address: LAN_ROUTER, prefixLength: 24 },
    { link: wan, mac: MAC_R_WAN, address: WAN_ROUTER, prefixLength: 10 },
  ]);
  const serverPort = sim.attach(lan, MAC_SERVER);
  const server = serverPort.connect(new RecorderNode());
  const clientPort = sim.attach(wan, MAC_CLIENT);
  const client = clientPort.connect(new RecorderNode());
  return { sim, lan, wan, router, serverPort, server, clientPort, client };
}

function arpRequest(senderMac: Uint8Array, senderIp: number, targetIp: number): Uint8Array {
  const f = new Uint8Array(60);
  emitEthernet(f, 0, BROADCAST_MAC, senderMac, ETHERTYPE_ARP);
  emitArp(f, ETH_HEADER_LEN, ARP_OP_REQUEST, senderMac, senderIp, new Uint8Array(6), targetIp);
  return f;
}

/** A SYN from `src` to `dst`, with `ttl`, in a frame from `fromMac` to `toMac`. */
function synFrame(fromMac: Uint8Array, toMac: Uint8Array, src: number, dst: number, ttl: number): Uint8Array {
  const f = new Uint8Array(ETH_HEADER_LEN + IPV4_HEADER_LEN + TCP_HEADER_LEN + 6);
  emitEthernet(f, 0, toMac, fromMac, ETHERTYPE_IPV4);
  f.set([1, 2, 3, 4, 5, 6], ETH_HEADER_LEN + IPV4_HEADER_LEN + TCP_HEADER_LEN);
  emitTcp(f, ETH_HEADER_LEN + IPV4_HEADER_LEN, 40000, 80, 0x01020304, 0, TCP_SYN, 65535, 0, 0, 6, src, dst);
  emitIpv4(f, ETH_HEADER_LEN, TCP_HEADER_LEN + 6, IP_PROTO_TCP, src, dst, ttl, 0x1234, IPV4_FLAG_DF);
  return f;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

describe('Router: ARP', () => {
  it('answers a request for the address of the port it arrives on, from that port', () => {
    const { sim, router, serverPort, server, client } = setup();
    serverPort.send(arpRequest(MAC_SERVER, SERVER, LAN_ROUTER));
    sim.runFor(10);
    expect(server.received).toHaveLength(1);
    const f = server.received[0]!.frame;
    const eth = new EthernetFrame();
    expect(eth.parse(f, 0, f.length)).toBeNull();
    expect(eth.etherType).toBe(ETHERTYPE_ARP);
    expect(sameBytes(f.subarray(0, 6), MAC_SERVER)).toBe(true); // unicast back to the requester
    expect(sameBytes(f.subarray(6, 12), MAC_R_LAN)).toBe(true);
    const arp = new ArpPacket();
    expect(arp.parse(f, eth.payloadOffset, eth.payloadLength)).toBeNull();
    expect(arp.op).toBe(ARP_OP_REPLY);
    expect(arp.senderIp).toBe(LAN_ROUTER);
    expect(sameBytes(f.subarray(arp.senderMacOffset, arp.senderMacOffset + 6), MAC_R_LAN)).toBe(true);
    expect(arp.targetIp).toBe(SERVER);
    expect(sameBytes(f.subarray(arp.targetMacOffset, arp.targetMacOffset + 6), MAC_SERVER)).toBe(true);
    expect(f.length).toBeGreaterThanOrEqual(ETH_HEADER_LEN + ARP_LEN);
    expect(client.received).toHaveLength(0);
    expect(router.stats.arpRepliesOut).toBe(1);
  });

  it("ignores requests for its other port's address, for other hosts, and ARP replies", () => {
    const { sim, router, serverPort, server } = setup();
    serverPort.send(arpRequest(MAC_SERVER, SERVER, WAN_ROUTER)); // right router, wrong link
    serverPort.send(arpRequest(MAC_SERVER, SERVER, parseIpv4Address('10.0.0.77')));
    const reply = arpRequest(MAC_SERVER, SERVER, LAN_ROUTER);
    reply[ETH_HEADER_LEN + 7] = ARP_OP_REPLY;
    serverPort.send(reply);
    sim.runFor(10);
    expect(server.received).toHaveLength(0);
    expect(router.stats.arpRepliesOut).toBe(0);
    expect(router.stats.drops.arpIgnored).toBe(3);
  });
});

describe('Router: forwarding', () => {
  it('forwards LAN → WAN with TTL − 1, a valid header checksum, new MACs and the payload intact', () => {
    const { sim, router, serverPort, client } = setup();
    router.addNeighbor(CLIENT, MAC_CLIENT);
    const sent = synFrame(MAC_SERVER, MAC_R_LAN, SERVER, CLIENT, 64);
    serverPort.send(sent);
    sim.runFor(20);
    expect(client.received).toHaveLength(1);
    expect(client.received[0]!.time).toBe(1 + 5); // one hop on each link
    const f = client.received[0]!.frame;
    expect(sameBytes(f.subarray(0, 6), MAC_CLIENT)).toBe(true);
    expect(sameBytes(f.subarray(6, 12), MAC_R_WAN)).toBe(true);
    const ip = new Ipv4Packet();
    // parse() verifies the header checksum with src/wire's sum.
    expect(ip.parse(f, ETH_HEADER_LEN, f.length - ETH_HEADER_LEN)).toBeNull();
    expect(ip.ttl).toBe(63);
    expect([ip.src, ip.dst, ip.protocol, ip.ident, ip.dontFragment]).toEqual([SERVER, CLIENT, IP_PROTO_TCP, 0x1234, true]);
    // The checksum equals one computed from scratch over the new header.
    const header = f.slice(ETH_HEADER_LEN, ETH_HEADER_LEN + IPV4_HEADER_LEN);
    const carried = (header[10]! << 8) | header[11]!;
    header[10] = header[11] = 0;
    expect(carried).toBe(~onesSum(header, 0, IPV4_HEADER_LEN, 0) & 0xffff);
    const seg = new TcpSegment();
    expect(seg.parse(f, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst)).toBeNull(); // TCP checksum intact
    expect([seg.srcPort, seg.dstPort, seg.seq, seg.flags, seg.payloadLength]).toEqual([40000, 80, 0x01020304, TCP_SYN, 6]);
    expect(sameBytes(f.subarray(ETH_HEADER_LEN), sent.subarray(ETH_HEADER_LEN))).toBe(false); // TTL and checksum differ
    expect(router.stats.forwarded).toBe(1);
    expect(router.stats.dropped).toBe(0);
  });

  it('keeps the checksum right across many TTLs, including the carry cases (RFC 1624)', () => {
    const { sim, router, clientPort, server } = setup();
    router.addNeighbor(SERVER, MAC_SERVER);
    const ip = new Ipv4Packet();
    // Every TTL from 2 to 255, and idents that move the original checksum through its range.
    for (let ttl = 2; ttl <= 255; ttl++) {
      const f = synFrame(MAC_CLIENT, MAC_R_WAN, CLIENT, SERVER, ttl);
      f[ETH_HEADER_LEN + 4] = ttl; // vary the ident too so the checksums differ widely
      f[ETH_HEADER_LEN + 10] = f[ETH_HEADER_LEN + 11] = 0;
      const sum = ~onesSum(f, ETH_HEADER_LEN, IPV4_HEADER_LEN, 0) & 0xffff;
      f[ETH_HEADER_LEN + 10] = sum >> 8;
      f[ETH_HEADER_LEN + 11] = sum & 0xff;
      clientPort.send(f);
    }
    sim.runFor(20);
    expect(server.received).toHaveLength(254);
    for (const { frame } of server.received) {
      expect(ip.parse(frame, ETH_HEADER_LEN, frame.length - ETH_HEADER_LEN)).toBeNull();
      expect(ip.ttl).toBe(frame[ETH_HEADER_LEN + 4]! - 1);
    }
  });

  it('drops and counts: no route, no neighbour, TTL 1, bad checksum, its own address, not its MAC', () => {
    const { sim, router, serverPort, client, server } = setup();
    const spoofed = parseIpv4Address('198.18.3.4');
    serverPort.send(synFrame(MAC_SERVER, MAC_R_LAN, SERVER, spoofed, 64)); // a SYN-ACK to a spoofed source
    serverPort.send(synFrame(MAC_SERVER, MAC_R_LAN, SERVER, CLIENT, 64)); // in the WAN subnet, no neighbour entry
    sim.runFor(20);
    expect(router.stats.drops).toMatchObject({ noRoute: 1, noNeighbor: 1 });
    router.addNeighbor(CLIENT, MAC_CLIENT);
    serverPort.send(synFrame(MAC_SERVER, MAC_R_LAN, SERVER, CLIENT, 1));
    const corrupt = synFrame(MAC_SERVER, MAC_R_LAN, SERVER, CLIENT, 64);
    corrupt[ETH_HEADER_LEN + 12] ^= 0x40;
    serverPort.send(corrupt);
    serverPort.send(synFrame(MAC_SERVER, MAC_R_LAN, SERVER, WAN_ROUTER, 64));
    serverPort.send(synFrame(MAC_SERVER, testMac(99), SERVER, CLIENT, 64)); // to another MAC: the link drops it
    sim.runFor(20);
    expect(client.received).toHaveLength(0);
    expect(server.received).toHaveLength(0);
    expect(router.stats.forwarded).toBe(0);
    expect(router.stats.drops).toMatchObject({ noRoute: 1, noNeighbor: 1, ttlExpired: 1, badHeader: 1, local: 1 });
    expect(router.stats.dropped).toBe(5);
    // Routed once the scenario adds a route and a neighbour for it.
    router.addRoute(parseIpv4Address('198.18.0.0'), 15, 1, CLIENT);
    serverPort.send(synFrame(MAC_SERVER, MAC_R_LAN, SERVER, spoofed, 64));
    sim.runFor(20);
    expect(client.received).toHaveLength(1);
    expect(router.describe()).toContain('noRoute 1');
  });

  it('carries a TCP connection between two synstack hosts on different subnets', () => {
    const sim = new Simulator({ seed: 3 });
    const lan = sim.addLink({ delayMs: 1 });
    const wan = sim.addLink({ delayMs: 5 });
    const router = new Router(sim, [
      { link: lan, mac: MAC_R_LAN, address: LAN_ROUTER, prefixLength: 24 },
      { link: wan, mac: MAC_R_WAN, address: WAN_ROUTER, prefixLength: 10 },
    ]);
    router.addNeighbor(SERVER, MAC_SERVER);
    router.addNeighbor(CLIENT, MAC_CLIENT);
    const host = (link: typeof lan, mac: Uint8Array, address: number, prefixLength: number, gateway: number, name: string) => {
      const port = sim.attach(link, mac);
      const iface = new Interface({ device: port, clock: sim.clock, entropy: sim.entropy(name), address, prefixLength, gateway });
      const tcp = new Tcp(iface, { entropy: sim.entropy(`tcp-${name}`) });
      port.connect(iface);
      return tcp;
    };
    const server = host(lan, MAC_SERVER, SERVER, 24, LAN_ROUTER, 'server');
    const client = host(wan, MAC_CLIENT, CLIENT, 10, WAN_ROUTER, 'client');
    let got = '';
    const l = server.listen(80, {
      handler: {
        onConnection: (listener) => {
          const c = listener.accept();
          c?.write(new TextEncoder().encode('hello through a router'));
          c?.close();
        },
      },
    });
    expect(typeof l).not.toBe('string');
    let connectedAt = -1;
    const c = client.connect(SERVER, 80, {
      onConnected: () => { connectedAt = sim.now; },
      onReadable: (conn) => {
        const b = new Uint8Array(conn.readable);
        conn.read(b);
        got += new TextDecoder().decode(b);
      },
      onPeerClosed: (conn) => conn.close(),
    });
    expect(typeof c).not.toBe('string');
    sim.runFor(5_000);
    expect(got).toBe('hello through a router');
    // ARP on each side first (the router answers), then SYN, SYN-ACK: two 6 ms one-way paths.
    expect(connectedAt).toBeGreaterThanOrEqual(12);
    expect(router.stats.arpRepliesOut).toBe(2);
    expect(router.stats.drops.noRoute + router.stats.drops.noNeighbor).toBe(0);
    expect(router.stats.forwarded).toBeGreaterThan(4);
  });
});
