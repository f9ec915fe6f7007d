// The DHCP client (src/iface/dhcp.ts) on the virtual clock: whole leases against the test server
// of dhcp-server.ts on a simulated LAN, and hostile or odd messages injected into one interface.
// RFC 2131 (client behaviour, timers, retransmission), RFC 2132 (options), RFC 5227 (probing).

import { describe, expect, it } from 'vitest';
import { DhcpClient, type DhcpConfig, type DhcpDropReason } from '../../src/iface/dhcp';
import { Interface } from '../../src/iface/interface';
import { ARP_OP_REPLY, ARP_OP_REQUEST, ArpPacket } from '../../src/wire/arp';
import { BROADCAST_MAC, ETHERTYPE_ARP, EthernetFrame } from '../../src/wire/ethernet';
import { IP_PROTO_UDP, IPV4_BROADCAST } from '../../src/wire/ipv4';
import { Random, SeededEntropy } from '../sim/random';
import { Simulator } from '../sim/simulator';
import {
  ACK, DECLINE, DISCOVER, NAK, OFFER, RELEASE, REQUEST, DhcpServer, addr, buildDhcpMessage, parseDhcpMessage,
  type BuildFields, type DhcpMessage,
} from './dhcp-server';
import { Harness, PEER_MAC, US_MAC, arpFrame, ip, ipv4Frame, parseSent, udpPayload } from './harness';

const CLIENT_MAC = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x10]);
const SERVER_MAC = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
const SERVER2_MAC = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]);
const SQUATTER_MAC = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x03]);
const SERVER_IP = ip('10.0.0.1');
const SERVER2_IP = ip('10.0.0.2');
const ROUTER = ip('10.0.0.254');
const POOL = ip('10.0.0.100');
const DNS = [ip('10.0.0.53'), ip('10.0.0.54'), ip('10.0.0.55'), ip('10.0.0.56')];
const ZERO_MAC = new Uint8Array(6);

interface WireFrame {
  time: number;
  from: string;
  frame: Uint8Array;
}

interface SetupOptions {
  lease?: number;
  t1?: number;
  t2?: number;
  client?: Partial<DhcpConfig>;
  secondServer?: boolean;
}

/** A LAN with the test server (and optionally a second one) and a host whose interface runs DHCP. */
function setup(o: SetupOptions = {}) {
  const sim = new Simulator({ seed: 7 });
  const link = sim.addLink({ delayMs: 1, name: 'lan' });
  const wire: WireFrame[] = [];
  link.tap((e) => {
    if (e.kind === 'send') wire.push({ time: e.time, from: e.from.name, frame: e.frame.slice() });
  });
  const addServer = (mac: Uint8Array, address: number, name: string) => {
    const port = sim.attach(link, mac, { name });
    const s = new DhcpServer(port, {
      mac, ip: address, poolStart: POOL, poolSize: 10, subnetMask: ip('255.255.255.0'), router: ROUTER, dns: DNS,
      leaseSeconds: o.lease ?? 3600, t1Seconds: o.t1, t2Seconds: o.t2,
    });
    port.connect(s);
    return s;
  };
  const server = addServer(SERVER_MAC, SERVER_IP, 'server');
  const server2 = o.secondServer ? addServer(SERVER2_MAC, SERVER2_IP, 'server2') : null;
  const port = sim.attach(link, CLIENT_MAC, { name: 'client' });
  const iface = new Interface({ device: port, entropy: sim.entropy('client') });
  port.connect(iface);
  const dhcp = new DhcpClient(iface, sim.entropy('dhcp'), { startDelayMinMs: 0, startDelayMaxMs: 0, ...o.client });
  return { sim, link, wire, server, server2, iface, dhcp };
}

function arpOf(frame: Uint8Array): ArpPacket | null {
  const eth = new EthernetFrame();
  if (eth.parse(frame, 0, frame.length) !== null || eth.etherType !== ETHERTYPE_ARP) return null;
  const a = new ArpPacket();
  return a.parse(frame, eth.payloadOffset, eth.payloadLength) === null ? a : null;
}

const ofType = <T extends { type: number }>(records: T[], type: number): T[] => records.filter((r) => r.type === type);

/** The DHCP counters add up: every datagram read is accepted or dropped with one reason. */
function checkDhcpAccounting(dhcp: DhcpClient): void {
  const c = dhcp.counters;
  const drops = Object.values(c.drops).reduce((a, b) => a + (b ?? 0), 0);
  expect(c.received.offer + c.received.ack + c.received.nak + drops).toBe(c.datagramsIn);
}

describe('DHCP lease lifecycle (RFC 2131 §4.4.1)', () => {
  it('DISCOVER, OFFER, REQUEST, ACK; probes the address, then takes it and announces it', () => {
    const { sim, wire, server, iface, dhcp } = setup({ client: { hostname: 'synstack-1', requestedLeaseSeconds: 7200 } });
    expect(dhcp.nextDeadline()).toBe(Infinity); // nothing happens before start
    dhcp.start(sim.now);
    expect(dhcp.state).toBe('init');
    expect(sim.runWhile(() => dhcp.state !== 'bound', 30_000)).toBe(true);
    const boundAt = sim.now;

    expect(server.received.map((r) => r.type)).toEqual([DISCOVER, REQUEST]);
    const [d, r] = server.received;
    // §4.1: from 0.0.0.0:68 to the broadcast address, BROADCAST flag, chaddr and client id = MAC.
    expect([d!.ipSrc, d!.ipDst, d!.srcPort, d!.ethBroadcast, d!.msg.flags, d!.msg.ciaddr]).toEqual([0, IPV4_BROADCAST, 68, true, 0x8000, 0]);
    expect(Array.from(d!.msg.chaddr)).toEqual(Array.from(CLIENT_MAC));
    expect(Array.from(d!.msg.options.get(61)!)).toEqual([1, ...CLIENT_MAC]);
    expect(d!.hostname).toBe('synstack-1');
    expect(Array.from(d!.msg.options.get(51)!)).toEqual(addr(7200));
    expect(Array.from(d!.msg.options.get(55)!)).toEqual(expect.arrayContaining([1, 3, 6, 51, 58, 59]));
    // §4.4.1 Table 5: the REQUEST names the server and the offered address, same xid, ciaddr 0.
    expect([r!.msg.xid, r!.msg.secs]).toEqual([d!.msg.xid, d!.msg.secs]);
    expect([r!.ipSrc, r!.ipDst, r!.msg.ciaddr, r!.msg.flags, r!.serverId, r!.requestedIp]).toEqual([0, IPV4_BROADCAST, 0, 0x8000, SERVER_IP, POOL]);

    // Applied to the interface: address, prefix from option 1, router from option 3; DNS kept (3 of 4).
    expect([iface.address, iface.prefixLength, iface.gateway]).toEqual([POOL, 24, ROUTER]);
    expect([dhcp.address, dhcp.subnetMask, dhcp.router, dhcp.serverId]).toEqual([POOL, ip('255.255.255.0'), ROUTER, SERVER_IP]);
    expect(dhcp.dnsServers).toEqual(DNS.slice(0, 3));
    // The lease counts from when the REQUEST left (it reached the server 1 ms later).
    const sentAt = r!.time - 1;
    expect(dhcp.leaseStart).toBe(sentAt);
    expect([dhcp.renewAt, dhcp.rebindAt, dhcp.expiresAt]).toEqual([sentAt + 1_800_000, sentAt + 3_150_000, sentAt + 3_600_000]);

    // RFC 5227: three probes (sender IP 0) after the ACK, 1–2 s apart, ANNOUNCE_WAIT, then two
    // announcements 2 s apart; nothing claims the address before the probes are done.
    sim.runFor(10_000);
    const ackArrived = server.sent[1]!.time + 1;
    const arps = wire.filter((w) => w.from === 'client').map((w) => ({ time: w.time, arp: arpOf(w.frame) }))
      .filter((x) => x.arp !== null);
    const probes = arps.filter((x) => x.arp!.senderIp === 0);
    const announces = arps.filter((x) => x.arp!.senderIp === POOL);
    expect(probes.map((p) => [p.arp!.op, p.arp!.targetIp])).toEqual([[ARP_OP_REQUEST, POOL], [ARP_OP_REQUEST, POOL], [ARP_OP_REQUEST, POOL]]);
    expect(probes[0]!.time - ackArrived).toBeGreaterThanOrEqual(0);
    expect(probes[0]!.time - ackArrived).toBeLessThanOrEqual(1_000);
    for (let i = 1; i < 3; i++) {
      expect(probes[i]!.time - probes[i - 1]!.time).toBeGreaterThanOrEqual(1_000);
      expect(probes[i]!.time - probes[i - 1]!.time).toBeLessThanOrEqual(2_000);
    }
    expect(boundAt - probes[2]!.time).toBe(2_000);
    expect(announces.map((a) => [a.time, a.arp!.op, a.arp!.targetIp])).toEqual([
      [boundAt, ARP_OP_REQUEST, POOL], [boundAt + 2_000, ARP_OP_REQUEST, POOL],
    ]);
    expect(dhcp.counters.probesOut).toBe(3);
    expect(dhcp.counters.sent).toEqual({ discover: 1, request: 1, decline: 0, release: 0 });
    expect(dhcp.counters.received).toEqual({ offer: 1, ack: 1, nak: 0 });
    checkDhcpAccounting(dhcp);
  });

  it('renews at T1 by unicast to the server; the ACK extends the lease, again and again', () => {
    const { sim, server, iface, dhcp } = setup({ lease: 60 });
    dhcp.start(sim.now);
    sim.runWhile(() => dhcp.state !== 'bound', 30_000);
    const start = dhcp.leaseStart;
    // §4.4.5 defaults: T1 = 0.5 and T2 = 0.875 of the lease.
    expect([dhcp.renewAt - start, dhcp.rebindAt - start, dhcp.expiresAt - start]).toEqual([30_000, 52_500, 60_000]);
    const t1 = dhcp.renewAt;
    sim.runUntil(t1 - 1);
    expect(server.received).toHaveLength(2);
    sim.runUntil(t1 + 50);
    const renew = server.received[2]!;
    expect(renew.type).toBe(REQUEST);
    expect(renew.time - t1).toBeLessThanOrEqual(5); // after resolving the server's MAC
    // Table 5, RENEWING: ciaddr set, no server id, no requested address; unicast, no BROADCAST flag.
    expect([renew.ipSrc, renew.ipDst, renew.ethBroadcast, renew.msg.ciaddr, renew.msg.flags, renew.serverId, renew.requestedIp])
      .toEqual([POOL, SERVER_IP, false, POOL, 0, null, null]);
    expect(renew.msg.xid).not.toBe(server.received[0]!.msg.xid);
    expect(server.sent.at(-1)).toMatchObject({ type: ACK, ipDst: POOL });
    expect(dhcp.state).toBe('bound');
    expect([dhcp.leaseStart, dhcp.expiresAt]).toEqual([t1, t1 + 60_000]);
    expect(dhcp.counters.renewals).toBe(1);

    sim.runFor(300_000);
    expect(dhcp.counters.renewals).toBe(11);
    expect(ofType(server.received, DISCOVER)).toHaveLength(1);
    expect(iface.address).toBe(POOL);
    checkDhcpAccounting(dhcp);
  });

  it('honours T1 and T2 from options 58 and 59', () => {
    const { sim, dhcp } = setup({ lease: 100, t1: 20, t2: 40 });
    dhcp.start(sim.now);
    sim.runWhile(() => dhcp.state !== 'bound', 30_000);
    const s = dhcp.leaseStart;
    expect([dhcp.renewAt - s, dhcp.rebindAt - s, dhcp.expiresAt - s]).toEqual([20_000, 40_000, 100_000]);
  });

  it('server silent at T1: rebinds by broadcast at T2 and takes the ACK of another server', () => {
    const { sim, server, server2, iface, dhcp } = setup({ lease: 60, secondServer: true });
    const other = server2!;
    other.silent = true;
    dhcp.start(sim.now);
    sim.runWhile(() => dhcp.state !== 'bound', 30_000);
    expect(dhcp.serverId).toBe(SERVER_IP);
    server.silent = true;
    other.silent = false;
    const t1 = dhcp.renewAt, t2 = dhcp.rebindAt;

    sim.runUntil(t2 - 1);
    expect(dhcp.state).toBe('renewing');
    // One unicast REQUEST at T1: the next one (half of 22.5 s, at least 60 s) would fall after T2.
    const renewing = server.received.filter((r) => r.type === REQUEST && r.time >= t1);
    expect(renewing.map((r) => r.ipDst)).toEqual([SERVER_IP]);
    expect(other.received.filter((r) => r.time >= t1)).toHaveLength(0);

    sim.runUntil(t2 + 20);
    const rebind = other.received.at(-1)!;
    expect(rebind.time).toBe(t2 + 1);
    expect([rebind.type, rebind.ipSrc, rebind.ipDst, rebind.ethBroadcast, rebind.msg.ciaddr, rebind.serverId, rebind.requestedIp])
      .toEqual([REQUEST, POOL, IPV4_BROADCAST, true, POOL, null, null]);
    expect(dhcp.state).toBe('bound');
    expect(dhcp.serverId).toBe(SERVER2_IP);
    expect(iface.address).toBe(POOL);
    // The lease counts from the first REQUEST of the exchange (at T1): the conservative reading.
    expect(dhcp.expiresAt).toBe(t1 + 60_000);

    // The next renewal goes to the server that answered.
    const next = dhcp.renewAt;
    sim.runUntil(next + 20);
    expect(other.received.at(-1)).toMatchObject({ type: REQUEST, ipDst: SERVER2_IP });
    expect(dhcp.state).toBe('bound');
    checkDhcpAccounting(dhcp);
  });

  it('no answer until expiry: retransmits per §4.4.5, then removes the address and starts over', () => {
    const { sim, wire, server, iface, dhcp } = setup({ lease: 1000, client: { startDelayMinMs: 5_000, startDelayMaxMs: 5_000 } });
    dhcp.start(sim.now);
    sim.runFor(4_999);
    expect(server.received).toHaveLength(0); // RFC 2131 §4.4.1: wait before the first DISCOVER
    sim.runWhile(() => dhcp.state !== 'bound', 30_000);
    const L = dhcp.leaseStart;
    server.silent = true;
    sim.runUntil(L + 1_000_000 - 1);
    expect(dhcp.state).toBe('rebinding');
    expect(iface.address).toBe(POOL);
    sim.runUntil(L + 1_000_000);
    expect(dhcp.state).toBe('init');
    expect([iface.address, iface.gateway, dhcp.address]).toEqual([0, 0, 0]);
    expect(dhcp.dnsServers).toEqual([]);
    expect(dhcp.counters.expired).toBe(1);

    // Half the time left to T2 (500 s) or to expiry (1000 s), never under 60 s.
    const requests = wire.filter((w) => w.from === 'client' && w.time > L + 1_000).flatMap((w) => {
      const p = parseSent(w.frame);
      if (p.udp === null || p.udp.dstPort !== 67) return [];
      return [{ at: w.time - L, dst: p.ip!.dst }];
    });
    const expected = [
      [500_000, SERVER_IP], [687_500, SERVER_IP], [781_250, SERVER_IP], [841_250, SERVER_IP],
      [875_000, IPV4_BROADCAST], [937_500, IPV4_BROADCAST], [997_500, IPV4_BROADCAST],
    ];
    expect(requests.map((q) => q.dst)).toEqual(expected.map((e) => e[1]));
    requests.forEach((q, i) => {
      expect(q.at).toBeGreaterThanOrEqual(expected[i]![0]!);
      expect(q.at - expected[i]![0]!).toBeLessThanOrEqual(3); // a unicast may wait on ARP
    });

    // INIT again: a new DISCOVER after the start delay, from 0.0.0.0.
    sim.runFor(5_001);
    expect(dhcp.state).toBe('selecting');
    const d = server.received.at(-1)!;
    expect([d.type, d.time, d.ipSrc]).toEqual([DISCOVER, L + 1_005_001, 0]);
    checkDhcpAccounting(dhcp);
  });
});

describe('DHCPNAK (RFC 2131 §4.4.1, §4.4.5)', () => {
  it('a NAK in REQUESTING sends the client back to INIT; it starts over with a new xid', () => {
    const { sim, server, iface, dhcp } = setup({ client: { startDelayMinMs: 3_000, startDelayMaxMs: 3_000 } });
    server.nak = true;
    dhcp.start(sim.now);
    sim.runUntil(3_010);
    expect(server.sent.map((s) => [s.type, s.ipDst])).toEqual([[OFFER, IPV4_BROADCAST], [NAK, IPV4_BROADCAST]]);
    expect(dhcp.state).toBe('init');
    expect(dhcp.counters.received.nak).toBe(1);
    expect(iface.address).toBe(0);
    server.nak = false;
    expect(sim.runWhile(() => dhcp.state !== 'bound', 30_000)).toBe(true);
    const discovers = ofType(server.received, DISCOVER);
    expect(discovers).toHaveLength(2);
    expect(discovers[1]!.msg.xid).not.toBe(discovers[0]!.msg.xid);
    expect(discovers[1]!.time - server.sent[1]!.time).toBe(1 + 3_000 + 1); // NAK in flight, delay, DISCOVER in flight
  });

  it('a NAK in RENEWING removes the address at once', () => {
    const { sim, server, iface, dhcp } = setup({ lease: 60, client: { startDelayMinMs: 3_000, startDelayMaxMs: 3_000 } });
    dhcp.start(sim.now);
    sim.runWhile(() => dhcp.state !== 'bound', 30_000);
    server.nak = true;
    const t1 = dhcp.renewAt;
    sim.runUntil(t1 + 20);
    expect(server.sent.at(-1)).toMatchObject({ type: NAK, ipDst: IPV4_BROADCAST });
    expect(dhcp.state).toBe('init');
    expect([iface.address, iface.gateway, iface.prefixLength]).toEqual([0, 0, 0]);
    server.nak = false;
    expect(sim.runWhile(() => dhcp.state !== 'bound', 30_000)).toBe(true);
    expect(ofType(server.received, DISCOVER)).toHaveLength(2);
    expect(iface.address).toBe(POOL);
  });
});

describe('address conflict (RFC 5227 §2.1, RFC 2131 §3.1)', () => {
  it('a host already on the offered address answers the probe: DECLINE, then a new DISCOVER 10 s later', () => {
    const { sim, link, wire, server, iface, dhcp } = setup();
    const port = sim.attach(link, SQUATTER_MAC, { name: 'squatter' });
    const squatter = new Interface({ device: port, entropy: sim.entropy('squatter'), address: POOL, prefixLength: 24 });
    port.connect(squatter);
    dhcp.start(sim.now);
    expect(sim.runWhile(() => dhcp.state !== 'bound', 60_000)).toBe(true);

    expect(iface.address).toBe(POOL + 1);
    const decline = ofType(server.received, DECLINE);
    expect(decline).toHaveLength(1);
    const dec = decline[0]!;
    // Table 5: DECLINE broadcast, ciaddr 0, requested address and server id set.
    expect([dec.ipSrc, dec.ipDst, dec.msg.ciaddr, dec.requestedIp, dec.serverId]).toEqual([0, IPV4_BROADCAST, 0, POOL, SERVER_IP]);
    expect(server.declined.has(POOL)).toBe(true);
    const discovers = ofType(server.received, DISCOVER);
    expect(discovers).toHaveLength(2);
    expect(discovers[1]!.time - dec.time).toBe(10_000);
    expect(discovers[1]!.msg.xid).not.toBe(discovers[0]!.msg.xid);
    // One probe for the taken address (answered at once), then three for the next one.
    const probes = wire.filter((w) => w.from === 'client').map((w) => arpOf(w.frame)).filter((a) => a !== null && a.senderIp === 0);
    expect(probes.map((a) => a!.targetIp)).toEqual([POOL, POOL + 1, POOL + 1, POOL + 1]);
    // The client never used the taken address; the squatter saw no claim on it.
    expect(wire.some((w) => w.from === 'client' && arpOf(w.frame)?.senderIp === POOL)).toBe(false);
    expect(squatter.arpCounters.conflicts).toBe(0);
    expect(squatter.address).toBe(POOL);
    expect([dhcp.counters.conflicts, dhcp.counters.sent.decline]).toEqual([1, 1]);
  });
});

describe('retransmission (RFC 2131 §4.1)', () => {
  const base = (i: number) => Math.min(64_000, 4_000 * 2 ** i);

  it('DISCOVER backs off 4, 8, 16, 32, 64, 64 s, each ±1 s, keeping its xid', () => {
    const { sim, server, dhcp } = setup();
    server.silent = true;
    dhcp.start(sim.now);
    sim.runFor(300_000);
    const d = ofType(server.received, DISCOVER);
    expect(d).toHaveLength(8); // 4+8+16+32+64+64+64 = 252 s (±7), the next at about 316 s
    const gaps = d.slice(1).map((r, i) => r.time - d[i]!.time);
    gaps.forEach((g, i) => expect(Math.abs(g - base(i))).toBeLessThanOrEqual(1_000));
    expect(gaps.some((g, i) => g !== base(i))).toBe(true); // randomised
    expect(new Set(d.map((r) => r.msg.xid)).size).toBe(1);
    // 'secs': seconds since the exchange began.
    expect(d.map((r) => r.msg.secs)).toEqual(d.map((r) => Math.floor((r.time - d[0]!.time) / 1000)));
    expect(dhcp.state).toBe('selecting');
  });

  it('REQUEST is retransmitted 4 times with the same backoff, then the client goes back to INIT', () => {
    const { sim, server, dhcp } = setup();
    server.ignoreRequests = true;
    dhcp.start(sim.now);
    sim.runFor(140_000);
    const first = server.received[0]!.msg.xid;
    const requests = server.received.filter((r) => r.type === REQUEST && r.msg.xid === first);
    expect(requests).toHaveLength(5);
    const gaps = requests.slice(1).map((r, i) => r.time - requests[i]!.time);
    gaps.forEach((g, i) => expect(Math.abs(g - base(i))).toBeLessThanOrEqual(1_000));
    // §4.4.1: every REQUEST repeats the 'secs' of the DISCOVER whose OFFER it answers.
    expect(requests.map((r) => r.msg.secs)).toEqual(new Array<number>(5).fill(server.received[0]!.msg.secs));
    const again = ofType(server.received, DISCOVER)[1]!;
    expect(Math.abs(again.time - requests[4]!.time - 64_000)).toBeLessThanOrEqual(1_000);
    expect(again.msg.xid).not.toBe(first);
    expect(dhcp.counters.requestTimeouts).toBe(1);
  });
});

describe('release (RFC 2131 §4.4.6)', () => {
  it('stop() while bound unicasts DHCPRELEASE to the server and removes the address', () => {
    const { sim, server, iface, dhcp } = setup();
    dhcp.start(sim.now);
    sim.runWhile(() => dhcp.state !== 'bound', 30_000);
    sim.runFor(10_000);
    dhcp.stop(sim.now);
    expect([dhcp.state, iface.address, iface.gateway, dhcp.nextDeadline()]).toEqual(['stopped', 0, 0, Infinity]);
    sim.runFor(100);
    const rel = server.received.at(-1)!;
    expect([rel.type, rel.ipSrc, rel.ipDst, rel.ethBroadcast, rel.msg.ciaddr, rel.serverId, rel.requestedIp])
      .toEqual([RELEASE, POOL, SERVER_IP, false, POOL, SERVER_IP, null]);
    expect(server.bindings.size).toBe(0);
    expect(dhcp.counters.sent.release).toBe(1);

    // It can start again; stopped before it holds anything, it releases nothing.
    dhcp.start(sim.now);
    expect(sim.runWhile(() => dhcp.state !== 'bound', 30_000)).toBe(true);
    expect(iface.address).toBe(POOL);
    dhcp.stop(sim.now);
    dhcp.start(sim.now);
    sim.runFor(2);
    expect(dhcp.state).toBe('requesting');
    dhcp.stop(sim.now);
    sim.runFor(100);
    expect(dhcp.counters.sent.release).toBe(2);
    expect(ofType(server.received, RELEASE)).toHaveLength(2);
  });
});

// ---- one interface, messages injected -------------------------------------------------------

const H_SERVER = ip('192.0.2.53');
const H_OFFERED = ip('192.0.2.77');
const H_ROUTER = ip('192.0.2.254');

function harnessClient(config: Partial<DhcpConfig> = {}) {
  const h = new Harness({ address: 0, gateway: 0 });
  const dhcp = new DhcpClient(h.iface, new SeededEntropy(3, 'dhcp'), { startDelayMinMs: 0, startDelayMaxMs: 0, probeNum: 0, ...config });
  dhcp.start(h.now);
  h.advance(0);
  const sent = h.take().map(clientMessage);
  expect(sent.map((m) => m.type)).toEqual([DISCOVER]);
  const xid = sent[0]!.xid;
  const msg = (type: number, f: BuildFields = {}, options?: [number, number[]][]) => buildDhcpMessage(
    { xid, chaddr: US_MAC, yiaddr: type === NAK ? 0 : H_OFFERED, flags: 0x8000, ...f },
    options ?? [[53, [type]], [54, addr(H_SERVER)], [51, addr(3600)], [1, addr(ip('255.255.255.0'))], [3, addr(H_ROUTER)]],
  );
  const inject = (body: Uint8Array, srcPort = 67, src = H_SERVER) => {
    h.input(ipv4Frame(IP_PROTO_UDP, udpPayload(srcPort, 68, body, src, IPV4_BROADCAST), { src, dst: IPV4_BROADCAST, ethDst: BROADCAST_MAC }));
    h.advance(0);
  };
  return { h, dhcp, xid, msg, inject };
}

function clientMessage(frame: Uint8Array): DhcpMessage {
  const p = parseSent(frame);
  expect(p.udp?.dstPort).toBe(67);
  return parseDhcpMessage(frame.slice(p.udp!.payloadOffset, p.udp!.payloadOffset + p.udp!.payloadLength))!;
}

describe('hostile and foreign messages are dropped and counted', () => {
  it('in SELECTING and REQUESTING, each by its reason; the state machine does not move', () => {
    const { h, dhcp, xid, msg, inject } = harnessClient();
    const std = (t: number): [number, number[]][] => [[53, [t]], [54, addr(H_SERVER)], [51, addr(3600)]];
    const fullOptions = [53, 1, OFFER, 54, 4, ...addr(H_SERVER)];
    const selecting: [DhcpDropReason, () => void][] = [
      ['wrong-xid', () => inject(msg(OFFER, { xid: (xid ^ 1) >>> 0 }))],
      ['wrong-chaddr', () => inject(msg(OFFER, { chaddr: PEER_MAC }))],
      ['truncated', () => inject(msg(OFFER).slice(0, 239))],
      ['bad-cookie', () => inject(msg(OFFER, { cookie: [99, 130, 83, 98] }))],
      ['option-overrun', () => inject(buildDhcpMessage({ xid, chaddr: US_MAC, yiaddr: H_OFFERED }, [], [...fullOptions, 6, 200, 1, 2, 3, 4]))],
      // An option code in the very last byte, with no room for its length.
      ['option-overrun', () => inject(buildDhcpMessage({ xid, chaddr: US_MAC, yiaddr: H_OFFERED }, [], [...fullOptions, ...new Array<number>(50).fill(0), 6]))],
      ['not-dhcp', () => inject(msg(OFFER, {}, [[54, addr(H_SERVER)], [1, addr(ip('255.255.255.0'))]]))],
      ['not-bootreply', () => inject(msg(OFFER, { op: 1 }))],
      ['bad-hardware', () => inject(msg(OFFER, { htype: 6 }))],
      ['bad-message-type', () => inject(msg(DISCOVER))],
      ['unexpected', () => inject(msg(ACK))],
      ['no-server-id', () => inject(msg(OFFER, {}, [[53, [OFFER]], [51, addr(3600)]]))],
      ['bad-address', () => inject(msg(OFFER, { yiaddr: ip('224.0.0.5') }))],
      ['bad-address', () => inject(msg(OFFER, { yiaddr: 0 }))],
      ['overload-refused', () => inject(msg(OFFER, {}, [...std(OFFER), [52, [3]]]))],
      ['bad-option-length', () => inject(msg(OFFER, {}, [[53, [OFFER, 0]], [54, addr(H_SERVER)]]))],
      ['bad-option-length', () => inject(msg(OFFER, {}, [...std(OFFER), [1, [255, 255, 255]]]))],
      ['wrong-port', () => inject(msg(OFFER), 1067)],
    ];
    const expected: Partial<Record<DhcpDropReason, number>> = {};
    for (const [reason, send] of selecting) {
      send();
      expected[reason] = (expected[reason] ?? 0) + 1;
      expect(dhcp.counters.drops).toEqual(expected);
      expect(dhcp.state).toBe('selecting');
    }
    expect(h.take()).toHaveLength(0);

    inject(msg(OFFER));
    expect(dhcp.state).toBe('requesting');
    const req = h.take().map(clientMessage);
    expect(req.map((m) => [m.type, m.xid])).toEqual([[REQUEST, xid]]);

    const requesting: [DhcpDropReason, () => void][] = [
      ['wrong-server', () => inject(msg(ACK, {}, [[53, [ACK]], [54, addr(ip('192.0.2.99'))], [51, addr(3600)]]))],
      ['wrong-server', () => inject(msg(NAK, {}, [[53, [NAK]], [54, addr(ip('192.0.2.99'))]]))],
      ['no-server-id', () => inject(msg(NAK, {}, [[53, [NAK]]]))],
      ['no-lease-time', () => inject(msg(ACK, {}, [[53, [ACK]], [54, addr(H_SERVER)]]))],
      ['bad-subnet-mask', () => inject(msg(ACK, {}, [...std(ACK), [1, addr(ip('255.0.255.0'))]]))],
      ['bad-address', () => inject(msg(ACK, { yiaddr: ip('192.0.2.78') }))],
      ['unexpected', () => inject(msg(OFFER))],
    ];
    for (const [reason, send] of requesting) {
      send();
      expected[reason] = (expected[reason] ?? 0) + 1;
      expect(dhcp.counters.drops).toEqual(expected);
      expect(dhcp.state).toBe('requesting');
    }
    expect(h.take()).toHaveLength(0);

    inject(msg(ACK));
    expect(dhcp.state).toBe('bound');
    expect(h.iface.address).toBe(H_OFFERED);
    inject(msg(ACK)); // a duplicate, late
    expect(dhcp.counters.drops.unexpected).toBe(3);
    expect(dhcp.counters.received).toEqual({ offer: 1, ack: 1, nak: 0 });
    checkDhcpAccounting(dhcp);
  });

  it('survives random corruption of OFFERs and ACKs without throwing, every datagram accounted for', () => {
    const rnd = Random.derive(11, 'dhcp-fuzz');
    const c = harnessClient();
    const { h, dhcp, inject } = c;
    let xid = c.xid, offered = H_OFFERED, server = H_SERVER;
    for (let i = 0; i < 3_000; i++) {
      // What the client waits for, with the xid it uses now; then a few random byte changes.
      const type = dhcp.state === 'selecting' ? OFFER : ACK;
      const body = buildDhcpMessage({ xid, chaddr: US_MAC, yiaddr: type === OFFER ? H_OFFERED : offered, flags: 0x8000 }, [
        [53, [type]], [54, addr(type === OFFER ? H_SERVER : server)], [51, addr(3600)], [1, addr(ip('255.255.255.0'))], [3, addr(H_ROUTER)],
        [6, [...addr(1), ...addr(2)]], [58, addr(100)], [59, addr(200)],
      ]);
      const flips = rnd.int(6);
      // Mostly the cookie and options, sometimes the fixed part.
      for (let k = 0; k < flips; k++) body[rnd.chance(0.7) ? 236 + rnd.int(64) : rnd.int(236)] = rnd.int(256);
      inject(rnd.chance(0.1) ? body.slice(0, rnd.int(body.length)) : body);
      if (dhcp.state === 'bound') {
        dhcp.stop(h.now);
        dhcp.start(h.now);
        h.advance(0);
      }
      // Answer what the client asked for last (a damaged OFFER may have named another address or server).
      for (const f of h.take()) {
        if (parseSent(f).udp?.dstPort !== 67) continue;
        const m = clientMessage(f);
        xid = m.xid;
        const want = m.options.get(50), sid = m.options.get(54);
        if (m.type === REQUEST && want !== undefined && sid !== undefined) {
          offered = ip(Array.from(want).join('.'));
          server = ip(Array.from(sid).join('.'));
        }
      }
    }
    checkDhcpAccounting(dhcp);
    expect(dhcp.counters.datagramsIn).toBe(3_000);
    // Both outcomes happened many times: intact messages moved the client on, damaged ones were refused.
    expect(dhcp.counters.received.ack).toBeGreaterThan(300);
    expect(Object.keys(dhcp.counters.drops).length).toBeGreaterThan(8);
  });
});

describe('lease options (RFC 2132)', () => {
  /** A client in REQUESTING with its REQUEST taken, and how to inject an ACK with `options`. */
  const requesting = (config: Partial<DhcpConfig> = {}) => {
    const c = harnessClient(config);
    c.inject(c.msg(OFFER));
    c.h.take();
    return c;
  };

  it('T1/T2 that break T1 <= T2 <= lease fall back to the defaults; 0xffffffff is an infinite lease', () => {
    const a = requesting();
    const t0 = a.h.now;
    a.inject(a.msg(ACK, {}, [[53, [ACK]], [54, addr(H_SERVER)], [51, addr(100)], [58, addr(20)], [59, addr(200)]]));
    expect([a.dhcp.renewAt - t0, a.dhcp.rebindAt - t0, a.dhcp.expiresAt - t0]).toEqual([20_000, 87_500, 100_000]);

    const b = requesting();
    b.inject(b.msg(ACK, {}, [[53, [ACK]], [54, addr(H_SERVER)], [51, addr(0xffffffff)]]));
    expect([b.dhcp.state, b.dhcp.renewAt, b.dhcp.rebindAt, b.dhcp.expiresAt]).toEqual(['bound', Infinity, Infinity, Infinity]);
    b.h.advance(10_000);
    expect(b.dhcp.nextDeadline()).toBe(Infinity);
  });

  it('no subnet mask: the class default; DNS lists kept to three across instances; unknown options and pads skipped', () => {
    const a = requesting();
    const name = [...'example'].map((ch) => ch.charCodeAt(0));
    a.inject(buildDhcpMessage({ xid: a.xid, chaddr: US_MAC, yiaddr: H_OFFERED }, [], [
      53, 1, ACK, 0, 0, 43, 3, 1, 2, 3, 54, 4, ...addr(H_SERVER), 51, 4, ...addr(600), 6, 4, ...addr(ip('9.9.9.9')), 0,
      15, name.length, ...name, 6, 12, ...addr(ip('1.1.1.1')), ...addr(ip('8.8.8.8')), ...addr(ip('8.8.4.4')), 255,
    ]));
    expect(a.dhcp.state).toBe('bound');
    expect([a.h.iface.prefixLength, a.dhcp.subnetMask]).toEqual([24, ip('255.255.255.0')]); // 192.0.2.77: class C
    expect(a.dhcp.dnsServers).toEqual([ip('9.9.9.9'), ip('1.1.1.1'), ip('8.8.8.8')]);
    expect(a.dhcp.router).toBe(0);
    expect(a.dhcp.leaseSeconds).toBe(600);
  });

  it('options ending without an END option at the end of the message are accepted', () => {
    const a = requesting();
    const opts = [53, 1, ACK, 54, 4, ...addr(H_SERVER), 51, 4, ...addr(600)];
    const body = buildDhcpMessage({ xid: a.xid, chaddr: US_MAC, yiaddr: H_OFFERED }, [], opts).slice(0, 240 + opts.length);
    a.inject(body);
    expect(a.dhcp.state).toBe('bound');
  });
});

describe('who may answer a renewal (RFC 2131 §4.4.5)', () => {
  it('RENEWING takes answers from its server only; REBINDING from any server', () => {
    const { h, dhcp, msg, inject } = harnessClient();
    const lease = (secs: number, server = H_SERVER): [number, number[]][] => [[53, [ACK]], [54, addr(server)], [51, addr(secs)]];
    inject(msg(OFFER));
    h.take();
    inject(msg(ACK, {}, lease(100)));
    expect(dhcp.state).toBe('bound');
    h.advance(50_000);
    expect(dhcp.state).toBe('renewing');
    h.take(); // the ARP request for the server; its answer releases the unicast REQUEST
    h.input(arpFrame(ARP_OP_REPLY, PEER_MAC, H_SERVER, US_MAC, H_OFFERED, US_MAC));
    const renew = h.take().map(clientMessage);
    expect(renew.map((m) => [m.type, m.ciaddr])).toEqual([[REQUEST, H_OFFERED]]);
    const xid = renew[0]!.xid;
    const other = ip('192.0.2.99');
    inject(msg(ACK, { xid, ciaddr: H_OFFERED }, lease(100, other)));
    inject(msg(NAK, { xid }, [[53, [NAK]], [54, addr(other)]]));
    expect(dhcp.counters.drops['wrong-server']).toBe(2);
    expect([dhcp.state, h.iface.address]).toEqual(['renewing', H_OFFERED]);
    h.advance(37_500);
    expect(dhcp.state).toBe('rebinding');
    const rebind = h.take().map(parseSent).filter((p) => p.udp !== null);
    expect(rebind.map((p) => p.ip!.dst)).toEqual([IPV4_BROADCAST]);
    inject(msg(ACK, { xid, ciaddr: H_OFFERED }, lease(100, other)));
    expect([dhcp.state, dhcp.serverId, dhcp.counters.renewals]).toEqual(['bound', other, 1]);
  });
});

describe('ARP probing on the interface (RFC 5227 §2.1.1)', () => {
  const probing = () => {
    const c = harnessClient({ probeNum: 3 });
    c.inject(c.msg(OFFER));
    c.h.take();
    c.inject(c.msg(ACK));
    expect(c.dhcp.state).toBe('probing');
    expect(c.h.iface.probeAddress).toBe(H_OFFERED);
    return c;
  };

  it('another host probing for the same address is a conflict; ARP naming it as target only is not', () => {
    const { h, dhcp } = probing();
    h.advance(1_000);
    const first = h.take().map((f) => parseSent(f).arp!);
    expect(first.map((a) => [a.op, a.senderIp, a.targetIp])).toEqual([[ARP_OP_REQUEST, 0, H_OFFERED]]);
    // The server asking who has the address (sender = the server) is no conflict.
    h.input(arpFrame(ARP_OP_REQUEST, PEER_MAC, H_SERVER, ZERO_MAC, H_OFFERED));
    h.advance(0);
    expect(dhcp.state).toBe('probing');
    // Another host's probe for it is (§2.1.1).
    h.input(arpFrame(ARP_OP_REQUEST, PEER_MAC, 0, ZERO_MAC, H_OFFERED));
    h.advance(0);
    expect(dhcp.state).toBe('init');
    expect(h.iface.probeAddress).toBe(0);
    const decline = h.take().map(clientMessage);
    expect(decline.map((m) => [m.type, m.ciaddr])).toEqual([[DECLINE, 0]]);
    expect(dhcp.nextDeadline()).toBe(h.now + 10_000);
  });

  it('an ARP reply from the address ends the probe; stop() while probing leaves no probe behind', () => {
    const a = probing();
    a.h.input(arpFrame(ARP_OP_REPLY, PEER_MAC, H_OFFERED, US_MAC, 0, US_MAC));
    a.h.advance(0);
    expect([a.dhcp.state, a.dhcp.counters.conflicts, a.h.iface.address]).toEqual(['init', 1, 0]);

    const b = probing();
    b.dhcp.stop(b.h.now);
    expect([b.dhcp.state, b.h.iface.probeAddress, b.h.iface.onProbeConflict]).toEqual(['stopped', 0, null]);
    expect(b.h.take()).toHaveLength(0); // nothing to release
    // With no probe under way the same ARP reply is ordinary traffic.
    b.h.input(arpFrame(ARP_OP_REPLY, PEER_MAC, H_OFFERED, US_MAC, 0, US_MAC));
    expect(b.h.iface.counters.drops['arp-not-for-us']).toBe(1);
  });
});
