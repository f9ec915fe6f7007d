// ARP on the interface: replies, learning, resolution with retries, the waiting queue, eviction,
// expiry, announcements and conflicts (RFC 826, RFC 1122 §2.3.2, RFC 5227).

import { describe, expect, it } from 'vitest';
import { ARP_OP_REPLY, ARP_OP_REQUEST } from '../../src/wire/arp';
import { macToString } from '../../src/wire/ethernet';
import { Harness, PEER, PEER_MAC, US, US_MAC, GATEWAY, arpFrame, ip, parseSent } from './harness';
import { Interface } from '../../src/iface/interface';

const ZERO = new Uint8Array(6);

describe('ARP replies (RFC 826)', () => {
  it('answers a request for our address, unicast to the asker, and learns the asker', () => {
    const h = new Harness();
    h.input(arpFrame(ARP_OP_REQUEST, PEER_MAC, PEER, ZERO, US));
    const [reply, ...rest] = h.take();
    expect(rest).toHaveLength(0);
    const p = parseSent(reply!);
    expect(macToString(reply!, 0)).toBe(macToString(PEER_MAC));
    expect(p.arp!.op).toBe(ARP_OP_REPLY);
    expect(p.arp!.senderIp).toBe(US);
    expect(p.arp!.targetIp).toBe(PEER);
    expect(macToString(reply!, p.arp!.senderMacOffset)).toBe(macToString(US_MAC));
    expect(macToString(reply!, p.arp!.targetMacOffset)).toBe(macToString(PEER_MAC));
    expect(h.iface.arpCounters.repliesOut).toBe(1);
    // Learned: a ping to the peer now goes out at once, no request first.
    expect(h.iface.icmp.ping(PEER, 1, 1, 8, h.now)).toBe('sent');
  });

  it('ignores requests for other addresses and does not learn from them', () => {
    const h = new Harness();
    h.input(arpFrame(ARP_OP_REQUEST, PEER_MAC, PEER, ZERO, ip('192.0.2.77')));
    expect(h.take()).toHaveLength(0);
    expect(h.iface.counters.drops['arp-not-for-us']).toBe(1);
    expect(h.iface.arp.find(PEER)).toBe(-1);
  });

  it('refreshes an entry it already holds from a packet not addressed to it (RFC 826 merge)', () => {
    const h = new Harness();
    h.input(arpFrame(ARP_OP_REQUEST, PEER_MAC, PEER, ZERO, US));
    h.take();
    const moved = new Uint8Array([2, 0, 0, 0, 0, 0x99]);
    h.input(arpFrame(ARP_OP_REQUEST, moved, PEER, ZERO, PEER)); // gratuitous ARP from the peer
    expect(h.iface.counters.drops['arp-not-for-us']).toBeUndefined();
    const i = h.iface.arp.find(PEER);
    expect(macToString(h.iface.arp.mac, i * 6)).toBe(macToString(moved));
  });

  it('drops ARP claiming our own MAC or a group MAC as sender', () => {
    const h = new Harness();
    h.input(arpFrame(ARP_OP_REQUEST, US_MAC, PEER, ZERO, US));
    h.input(arpFrame(ARP_OP_REQUEST, new Uint8Array([1, 0, 0x5e, 0, 0, 1]), PEER, ZERO, US));
    expect(h.iface.counters.drops['arp-bad-sender']).toBe(2);
    expect(h.take()).toHaveLength(0);
  });
});

describe('ARP resolution', () => {
  it('queues a datagram, asks three times one second apart, then gives up and drops it', () => {
    const h = new Harness();
    expect(h.iface.icmp.ping(PEER, 1, 1, 8, h.now)).toBe('queued');
    const times: number[] = [];
    for (let t = 0; t < 5_000; t += 100) {
      for (const f of h.take()) {
        const p = parseSent(f);
        expect(p.arp?.op).toBe(ARP_OP_REQUEST);
        expect(p.arp?.targetIp).toBe(PEER);
        times.push(h.now);
      }
      h.advance(100);
    }
    expect(times).toEqual([0, 1000, 2000].map((t) => t + 5000));
    expect(h.iface.arpCounters.unresolved).toBe(1);
    expect(h.iface.arpCounters.queueDropped).toBe(1);
    expect(h.iface.arp.find(PEER)).toBe(-1);
    expect(h.iface.nextDeadline()).toBe(Infinity);
  });

  it('sends what waited once the reply comes, with the learned MAC', () => {
    const h = new Harness();
    h.iface.icmp.ping(PEER, 1, 1, 8, h.now);
    h.iface.icmp.ping(PEER, 1, 2, 8, h.now);
    expect(h.take()).toHaveLength(1); // one request, not one per datagram
    h.resolve(PEER);
    const out = h.take().map(parseSent);
    expect(out.map((p) => p.icmp?.sequence)).toEqual([1, 2]);
    for (const p of out) expect(macToString(p.eth.bytes, 0)).toBe(macToString(PEER_MAC));
  });

  it('refuses a datagram when every queue slot is taken', () => {
    const h = new Harness({ arp: { queueSlots: 2 } });
    expect(h.iface.icmp.ping(PEER, 1, 1, 8, h.now)).toBe('queued');
    expect(h.iface.icmp.ping(PEER, 1, 2, 8, h.now)).toBe('queued');
    expect(h.iface.icmp.ping(PEER, 1, 3, 8, h.now)).toBe('arp-queue-full');
    expect(h.iface.arpCounters.queueFull).toBe(1);
  });

  it('routes off-link destinations to the gateway, and refuses them without one', () => {
    const h = new Harness();
    h.iface.icmp.ping(ip('198.51.100.7'), 1, 1, 8, h.now);
    expect(parseSent(h.take()[0]!).arp!.targetIp).toBe(GATEWAY);
    const g = new Harness({ gateway: 0 });
    expect(g.iface.icmp.ping(ip('198.51.100.7'), 1, 1, 8, g.now)).toBe('no-route');
    expect(g.iface.counters.ipv4NoRoute).toBe(1);
  });

  it('forgets an entry after its reachable time and resolves again', () => {
    const h = new Harness({ arp: { reachableMs: 10_000 } });
    h.input(arpFrame(ARP_OP_REQUEST, PEER_MAC, PEER, ZERO, US));
    h.take();
    h.advance(9_999);
    expect(h.iface.icmp.ping(PEER, 1, 1, 8, h.now)).toBe('sent');
    h.advance(2);
    expect(h.iface.arpCounters.expired).toBe(1);
    expect(h.iface.icmp.ping(PEER, 1, 2, 8, h.now)).toBe('queued');
  });

  it('evicts the least recently confirmed entry when the cache is full', () => {
    const h = new Harness({ arp: { entries: 3 } });
    const peers = [10, 11, 12, 13].map((n) => ip(`192.0.2.${n}`));
    peers.forEach((p, k) => {
      h.now += 10;
      h.input(arpFrame(ARP_OP_REQUEST, new Uint8Array([2, 0, 0, 0, 1, k]), p, ZERO, US));
    });
    expect(h.iface.arpCounters.evictions).toBe(1);
    expect(h.iface.arp.find(peers[0]!)).toBe(-1);
    for (const p of peers.slice(1)) expect(h.iface.arp.find(p)).toBeGreaterThanOrEqual(0);
  });
});

describe('address announcement and conflicts (RFC 5227)', () => {
  it('announces a new address twice, two seconds apart', () => {
    const sent: Uint8Array[] = [];
    const iface = new Interface({
      device: { mac: US_MAC, mtu: 1500, send: (f) => sent.push(f.slice()) },
      entropy: { fill: (b) => b.fill(1) },
    });
    iface.setAddress(US, 24, 0, 1000);
    const at: number[] = [];
    for (let t = 1000; t < 10_000; t = iface.nextDeadline()) {
      iface.poll(t);
      while (sent.length) {
        const p = parseSent(sent.shift()!);
        expect(p.arp!.op).toBe(ARP_OP_REQUEST);
        expect(p.arp!.senderIp).toBe(US);
        expect(p.arp!.targetIp).toBe(US);
        at.push(t);
      }
      if (iface.nextDeadline() === Infinity) break;
    }
    expect(at).toEqual([1000, 3000]);
  });

  it('counts a conflict and defends at most once per ten seconds', () => {
    const h = new Harness();
    const intruder = new Uint8Array([2, 0, 0, 0, 0, 0x66]);
    h.input(arpFrame(ARP_OP_REQUEST, intruder, US, ZERO, US));
    h.advance(5_000);
    h.input(arpFrame(ARP_OP_REQUEST, intruder, US, ZERO, US));
    h.advance(6_000);
    h.input(arpFrame(ARP_OP_REQUEST, intruder, US, ZERO, US));
    expect(h.iface.arpCounters.conflicts).toBe(3);
    const defences = h.take().map(parseSent);
    expect(defences).toHaveLength(2);
    for (const d of defences) expect(d.arp!.senderIp).toBe(US);
  });
});
