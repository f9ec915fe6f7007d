// When the receiver tells the sender its window opened (RFC 9293 §3.8.6.2.2, RFC 1122 §4.2.3.3),
// seen end to end between two synstack hosts (hosttest/scenarios/bulk.ts), with timestamps on, so
// every full-sized segment carries MSS - 12 bytes of data.
//
// A small receive ring (lwIP's ESP-IDF default window, 5760 bytes, four segments) holds only three
// full segments in flight; if the receiver waited for a second segment before saying the window
// opened (delayed ACK, RFC 1122 §4.2.3.2), the sender would be held to two segments a round trip.
// So a window that opened by one full segment the application has read is announced at once. With
// a large ring, one window update per two segments read is enough (as delayed ACK would send) and
// halves the ACKs. The trace of the link is the evidence: ACKs from the receiver against data
// segments from the sender.

import { describe, expect, it } from 'vitest';
import { runBulk } from '../scenarios/bulk';
import type { WireSegment } from '../scenarios/two-stacks';

function run(receiveBuffer: number): { data: number; acks: number; maxFlight: number; mss: number } {
  let trace: WireSegment[] = [];
  const r = runBulk({
    seed: 7, bytesAToB: 200 * 1448, bytesBToA: 0, link: { delayMs: 1 },
    tcp: { sendBuffer: 256 * 1024, receiveBuffer, timestamps: true },
    inspect: (t) => { trace = t.trace; },
  });
  expect(r.complete).toBe(true);
  expect(r.aToB.received).toBe(r.aToB.bytes);
  let data = 0, acks = 0, maxFlight = 0, mss = 0, highest = 0, acked = 0;
  let first = true;
  for (const s of trace) {
    if (s.flags.includes('S') || s.flags.includes('F')) continue;
    if (s.from === 'A' && s.len > 0) {
      data++;
      mss = Math.max(mss, s.len);
      if (first) { acked = s.seq; first = false; }
      highest = Math.max(highest, (s.seq + s.len) >>> 0);
      maxFlight = Math.max(maxFlight, highest - acked);
    } else if (s.from === 'B' && s.len === 0) {
      acks++;
      if (!first) acked = Math.max(acked, s.ack);
    }
  }
  return { data, acks, maxFlight, mss };
}

describe('window updates (RFC 9293 §3.8.6.2.2), timestamps on', () => {
  it('a 5760-byte ring announces each full segment read, so three segments stay in flight', () => {
    const r = run(5760);
    console.log(`[window-update] ring 5760: ${r.data} data segments of ${r.mss} B, ${r.acks} ACKs, largest flight ${r.maxFlight} B`);
    expect(r.mss).toBe(1448);
    expect(r.acks).toBeGreaterThanOrEqual(Math.floor(r.data * 0.9));
    expect(r.maxFlight).toBeGreaterThanOrEqual(3 * 1448);
  });

  it('a 64 KiB ring sends about one ACK per two segments, not one per segment', () => {
    const r = run(64 * 1024);
    console.log(`[window-update] ring 65536: ${r.data} data segments of ${r.mss} B, ${r.acks} ACKs, largest flight ${r.maxFlight} B`);
    expect(r.acks).toBeLessThanOrEqual(Math.ceil(r.data * 0.6));
    expect(r.acks).toBeGreaterThanOrEqual(Math.floor(r.data * 0.4));
  });
});
