// What the interface keeps between frames, over seeded random runs of pings (to a neighbour,
// through the gateway, to the broadcast address), ARP from neighbours that change their MAC, ARP
// requests we answer, and time passing (entries expire and are resolved again):
// - the Ethernet header of tx, written for a unicast frame only when its next hop or that hop's
//   MAC changed: every frame must still carry the MAC the next hop announced last, our MAC and
//   the right EtherType;
// - the ARP cache's next deadline, recomputed only after a change: it must equal the earliest
//   deadline of a live entry, walked here entry by entry.

import { describe, expect, it } from 'vitest';
import { ARP_FREE } from '../../src/iface/arp-cache';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../src/wire/ethernet';
import { Prng, macText } from '../wire/helpers';
import { GATEWAY, Harness, PEER, US, US_MAC, arpFrame, ip, parseSent } from './harness';

const PEER2 = ip('192.0.2.3');
const FAR = ip('198.51.100.7');
const BROADCAST = 0xffffffff;
const MACS = [1, 2, 3].map((k) => new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x10, k]));

/** One random action: a ping, an ARP packet from a neighbour (returned), or time passing. */
function randomStep(rng: Prng, h: Harness, step: number): [number, Uint8Array] | null {
  const r = rng.below(20);
  if (r < 12) {
    const dst = rng.pick([PEER, PEER, PEER2, FAR, FAR, BROADCAST]);
    h.iface.icmp.ping(dst, 7, step & 0xffff, rng.int(0, 40), h.now);
  } else if (r < 16) {
    // A neighbour speaks ARP to us (request or reply), perhaps with a new MAC.
    const who = rng.pick([PEER, PEER2, GATEWAY]);
    const mac = rng.pick(MACS);
    h.input(arpFrame(rng.bool() ? 1 : 2, mac, who, US_MAC, US, rng.bool() ? US_MAC : undefined));
    return [who, mac];
  } else if (r < 19) h.advance(rng.int(0, 2) * 10_000 + rng.int(0, 999));
  else h.advance(rng.int(50_000, 70_000));
  return null;
}

describe('the Ethernet header of sent frames', () => {
  it('always names the MAC the next hop announced last', () => {
    const rng = new Prng(826);
    const h = new Harness();
    const announced = new Map<number, Uint8Array>();
    let unicast = 0, sameHop = 0, lastHop = -1;
    for (let step = 0; step < 3000; step++) {
      const spoke = randomStep(rng, h, step);
      if (spoke !== null) announced.set(spoke[0], spoke[1]);
      for (const f of h.take()) {
        const p = parseSent(f);
        expect(macText(f.subarray(6, 12))).toBe(macText(US_MAC));
        if (p.arp !== null) {
          expect(p.eth.etherType).toBe(ETHERTYPE_ARP);
          continue;
        }
        expect(p.eth.etherType).toBe(ETHERTYPE_IPV4);
        const dst = p.ip!.dst;
        if (dst === BROADCAST) {
          expect(p.eth.isBroadcast).toBe(true);
          continue;
        }
        const hop = dst === FAR ? GATEWAY : dst;
        const want = announced.get(hop);
        expect(want, `a unicast frame to ${hop.toString(16)} before any ARP from it`).toBeDefined();
        expect(macText(f.subarray(0, 6)), `step ${step}`).toBe(macText(want!));
        unicast++;
        if (hop === lastHop) sameHop++;
        lastHop = hop;
      }
    }
    // The run exercised both the kept header and its rewrites.
    expect(unicast).toBeGreaterThan(500);
    expect(sameHop).toBeGreaterThan(100);
    expect(unicast - sameHop).toBeGreaterThan(100);
  });

  it('ARP: the next deadline is the earliest of the live entries', () => {
    const rng = new Prng(1122);
    const h = new Harness();
    const cache = h.iface.arp;
    const seen = new Set<number>();
    for (let step = 0; step < 3000; step++) {
      randomStep(rng, h, step);
      h.take();
      let want = Infinity;
      for (let i = 0; i < cache.config.entries; i++) if (cache.state[i] !== ARP_FREE) want = Math.min(want, cache.deadline[i]!);
      expect(cache.nextDeadline(), `step ${step}`).toBe(want);
      seen.add(want === Infinity ? -1 : cache.state.filter((x) => x !== ARP_FREE).length);
    }
    // Empty, and one to three live entries, all came up.
    expect(seen.size).toBeGreaterThanOrEqual(4);
  });
});
