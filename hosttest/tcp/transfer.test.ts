// Bulk transfer between two synstack hosts under impaired links (hosttest/scenarios/bulk.ts):
// 1 MiB each way at the same time, seeded, through loss, reordering, duplication, corruption,
// delay with jitter and a bandwidth cap; then a long fat pipe. Each run must deliver both
// directions intact (the SHA-256 of what arrived equals that of what was written, which equals
// node:crypto's hash of the seeded content), with no failure, FIN seen both ways and both sides
// closed, within a bound of SIMULATED time stated in the test's name. The bounds are what a good
// TCP meets with margin (RFC 5681/6582 fast retransmit and NewReno, RFC 2018 SACK, out-of-order
// reassembly, RFC 6298 RTO with a 200 ms floor), derived in the comments; they are protocol
// behaviour, never real time.
//
// Every run prints one line with its figures (`[transfer] ...`), passing or not, so a report can
// quote them.

import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type BulkOptions, type BulkResult, type DirectionResult, MiB, bulkContent, checksumDrops, describeBulk, runBulk,
} from '../scenarios/bulk';
import { Sha256, sha256Hex } from '../scenarios/sha256';
import { BYTES_SENT, HELD } from '../../src/tcp/connection';

/** Buffers of the matrix runs: 64 KiB each way (the window scale option is needed for 65,536). */
const BUFFERS = { sendBuffer: 64 * 1024, receiveBuffer: 64 * 1024 };

const nodeSha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** RFC 1071 sum of bytes[from, to) added to `sum`, folded to 16 bits. Independent of src/wire. */
function onesComplementSum(bytes: Uint8Array, from: number, to: number, sum: number): number {
  for (let i = from; i < to; i += 2) sum += (bytes[i]! << 8) | (i + 1 < to ? bytes[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** True when an Ethernet frame carries an IPv4/TCP packet whose header and TCP checksums verify. */
function passesChecksums(f: Uint8Array): boolean {
  if (f.length < 34 || f[12] !== 0x08 || f[13] !== 0x00) return false;
  const ip = 14;
  const ihl = (f[ip]! & 0x0f) * 4;
  const totalLength = (f[ip + 2]! << 8) | f[ip + 3]!;
  if (f[ip]! >> 4 !== 4 || ihl < 20 || totalLength < ihl + 20 || ip + totalLength > f.length || f[ip + 9] !== 6) return false;
  if (onesComplementSum(f, ip, ip + ihl, 0) !== 0xffff) return false;
  const tcpLength = totalLength - ihl;
  let pseudo = onesComplementSum(f, ip + 12, ip + 20, 0); // source and destination addresses
  pseudo += 6 + tcpLength;
  return onesComplementSum(f, ip + ihl, ip + totalLength, pseudo) === 0xffff;
}

const expectedSha = new Map<string, string>();
/** node:crypto's SHA-256 of what a run with `seed` sends in one direction. */
function contentSha(seed: number, label: 'A->B' | 'B->A', bytes: number): string {
  const key = `${seed}/${label}/${bytes}`;
  let sha = expectedSha.get(key);
  if (sha === undefined) {
    sha = nodeSha(bulkContent(seed, label, bytes));
    expectedSha.set(key, sha);
  }
  return sha;
}

function run(name: string, o: BulkOptions): BulkResult {
  const r = runBulk(o);
  console.log(`[transfer] ${name}: ${describeBulk(r)}`);
  return r;
}

function expectDirection(d: DirectionResult, seed: number, label: 'A->B' | 'B->A', why: string): void {
  expect(d.sent, `${label} written; ${why}`).toBe(d.bytes);
  expect(d.sentSha256, `${label} content; ${why}`).toBe(contentSha(seed, label, d.bytes));
  expect(d.received, `${label} bytes delivered; ${why}`).toBe(d.bytes);
  expect(d.firstMismatch, `${label} first differing byte; ${why}`).toBe(-1);
  expect(d.receivedSha256, `${label} SHA-256 of what arrived; ${why}`).toBe(d.sentSha256);
  expect(d.finSeen, `${label} FIN; ${why}`).toBe(true);
}

/** Both directions intact, no failure, done within `boundMs` of simulated time, both sides closed. */
function expectTransferred(r: BulkResult, seed: number, boundMs: number): void {
  const why = describeBulk(r);
  expect(r.a.failures, `A's failures; ${why}`).toEqual([]);
  expect(r.b.failures, `B's failures; ${why}`).toEqual([]);
  expectDirection(r.aToB, seed, 'A->B', why);
  expectDirection(r.bToA, seed, 'B->A', why);
  expect(r.complete, why).toBe(true);
  expect(r.completeMs, `simulated ms to completion; ${why}`).toBeLessThanOrEqual(boundMs);
  expect(r.closed, `both sides heard onClosed; ${why}`).toBe(true);
}

/** 1 MiB each way at once over a 1 ms link with these impairments; the limit is 4× the bound. */
function matrix(name: string, seed: number, link: BulkOptions['link'], boundMs: number): BulkResult {
  const r = run(name, { seed, bytes: MiB, link: { delayMs: 1, ...link }, tcp: BUFFERS, timeLimitMs: Math.max(60_000, 4 * boundMs) });
  expectTransferred(r, seed, boundMs);
  return r;
}

describe('sha256 (the portable implementation the scenario uses)', () => {
  it('equals node:crypto for every length 0..300 and across block boundaries', () => {
    for (let n = 0; n <= 300; n++) {
      const data = randomBytes(n);
      expect(sha256Hex(data), `length ${n}`).toBe(nodeSha(data));
    }
    // FIPS 180-4 examples.
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('gives the same digest however the input is split into update() calls', () => {
    const data = randomBytes(100_003);
    const want = nodeSha(data);
    for (const step of [1, 3, 63, 64, 65, 1000, 1460, 65_536]) {
      const h = new Sha256();
      for (let at = 0; at < data.length; at += step) h.update(data, at, Math.min(step, data.length - at));
      expect(h.hex(), `step ${step}`).toBe(want);
    }
    // Irregular pieces, some empty.
    const h = new Sha256();
    let at = 0;
    for (let i = 0; at < data.length; i++) {
      const n = Math.min((i * 7919) % 3001, data.length - at);
      h.update(data, at, n);
      at += n;
    }
    expect(h.hex()).toBe(want);
  });

  it('hashes a 1 MiB transfer content as node:crypto does, and refuses update() after the digest', () => {
    const content = bulkContent(1, 'A->B', MiB);
    expect(sha256Hex(content)).toBe(nodeSha(content));
    const h = new Sha256().update(content);
    h.hex();
    expect(() => h.update(content)).toThrow();
  });
});

describe('bulk transfer, 1 MiB both directions at once, 64 KiB buffers, 1 ms link', () => {
  // Ideal: a 64 KiB window per 2 ms round trip is ~32 MB/s, so ~35 ms.
  it('loss 0 %: intact within 1 s of simulated time, without a retransmission', () => {
    const r = matrix('loss 0 %', 100, {}, 1000);
    expect(r.a.retransmits + r.b.retransmits, describeBulk(r)).toBe(0);
    expect(r.link.lost).toBe(0);
  });

  // From here on, the bounds come from the Padhye et al. model (SIGCOMM '98) of a Reno sender,
  // with RTT 2 ms, RTO 200 ms (the floor), 1,460-byte segments and b = 2 (delayed ACKs):
  //   rate ≈ MSS / (RTT·√(2bp/3) + RTO·min(1, 3·√(3bp/8))·p·(1 + 32p²)).
  // It predicts 1 MiB in ~0.5 s at 1 %, ~5 s at 5 %, ~16 s at 10 %, ~65 s at 20 % and ~170 s at
  // 30 %; SACK only does better. Each bound is several times the prediction.
  it('loss 1 %: intact within 5 s of simulated time', () => {
    const r = matrix('loss 1 %', 101, { loss: 0.01 }, 5_000);
    expect(r.link.lost).toBeGreaterThan(0);
  });

  it('loss 5 %: intact within 30 s of simulated time', () => {
    matrix('loss 5 %', 105, { loss: 0.05 }, 30_000);
  });

  it('loss 10 %: intact within 60 s of simulated time', () => {
    matrix('loss 10 %', 110, { loss: 0.1 }, 60_000);
  });

  it('loss 20 %: intact within 5 min of simulated time', () => {
    matrix('loss 20 %', 120, { loss: 0.2 }, 300_000);
  });

  // 30 %: expected to COMPLETE, slowly. A stall ends when a retransmission and its ACK both
  // survive (0.7 × 0.7 ≈ 0.49 per attempt); the connection fails only if the original and all
  // 12 retransmissions of one segment are lost that way, 0.51^13 ≈ 1.6e-4 per stall, and the run
  // has a few hundred stalls: completion is the likely outcome, and the one asserted (Padhye
  // predicts ~3 min; allow an hour). A 'timeout' failure here would have to be explained by the
  // seed's particular losses, not accepted.
  it('loss 30 %: completes intact (no timeout) within 1 h of simulated time', () => {
    const seed = 130;
    const r = run('loss 30 %', { seed, bytes: MiB, link: { delayMs: 1, loss: 0.3 }, tcp: BUFFERS, timeLimitMs: 3_600_000 });
    expectTransferred(r, seed, 3_600_000);
  });

  // 5 % of frames held back up to 20 ms (10 RTTs): reassembly keeps them, SACK limits the
  // damage of spurious fast retransmits. Window-limited ideal ~35 ms; no timeout should be needed.
  it('reordering 5 % by up to 20 ms: intact within 10 s of simulated time', () => {
    const r = matrix('reorder 5 % / 20 ms', 140, { reorder: 0.05, reorderMs: 20 }, 10_000);
    expect(r.link.reordered).toBeGreaterThan(0);
  });

  // Duplicates cost nothing but a duplicate ACK each: as fast as a clean link.
  it('duplication 5 %: intact within 1 s of simulated time', () => {
    const r = matrix('duplicate 5 %', 150, { duplicate: 0.05 }, 1000);
    expect(r.link.duplicated).toBeGreaterThan(0);
  });

  // A corrupted frame must be caught by the IPv4 header or TCP checksum and dropped by the
  // interface, counted there; the transfer then recovers it like a loss (bound as for 1 % loss).
  // The Internet checksum is a ones' complement sum: two flips of the same bit position in
  // different 16-bit words, one 0→1 and one 1→0, cancel, and the link flips 1–8 bits (no FCS
  // model), so now and then a corrupted frame passes both checksums. TCP cannot see that, and what
  // it does to the connection (a damaged payload, a damaged timestamp that PAWS then holds against
  // every later segment...) is not recovery from corruption the checksums catch, which is what
  // this test is about. So each run counts such escapes with a checker of its own (below) and
  // must agree with the interfaces' drops; runs with an escape are reported and the next seed is
  // tried (at most 8); the first clean run must deliver intact within the bound.
  it('corruption 1 %: every corrupted frame the checksums can catch is dropped by the interface, intact within 5 s of simulated time', () => {
    let clean: { seed: number; r: BulkResult } | null = null;
    for (let seed = 160; seed < 168 && clean === null; seed++) {
      let escaped = 0;
      const r = run(`corrupt 1 % (seed ${seed})`, {
        seed, bytes: MiB, link: { delayMs: 1, corrupt: 0.01 }, tcp: BUFFERS, timeLimitMs: 60_000,
        setup: (t) => {
          t.link.tap((e) => {
            if (e.kind === 'deliver' && e.corrupted && passesChecksums(e.frame)) escaped++;
          });
        },
      });
      const why = describeBulk(r);
      expect(r.link.corrupted, why).toBeGreaterThan(0);
      // The interfaces dropped every corrupted copy except those that passed the checksums, and
      // nothing else, all for header or checksum reasons.
      const total = (d: Record<string, number>) => Object.values(d).reduce((sum, n) => sum + n, 0);
      expect(total(r.a.ifaceDrops) + total(r.b.ifaceDrops), why).toBe(r.link.corrupted - escaped);
      expect(checksumDrops(r.a) + checksumDrops(r.b), why).toBe(r.link.corrupted - escaped);
      if (escaped === 0) clean = { seed, r };
      else console.log(`[transfer] corrupt 1 % (seed ${seed}): ${escaped} of ${r.link.corrupted} corrupted frames passed the IPv4 and TCP checksums; next seed`);
    }
    expect(clean, 'every seed tried had a corrupted frame pass the checksums').not.toBeNull();
    expectTransferred(clean!.r, clean!.seed, 5_000);
  });

  // RTT 100–120 ms: a 64 KiB window per RTT is ~600 KB/s, so ~2 s ideal. Jitter uniform in
  // [0, 10 ms) shuffles every burst (frames sent in the same ms arrive in random order), so a
  // receiver without reassembly, or a sender that takes each burst of 3 duplicate ACKs for a loss
  // and halves its window, is slow: NewReno with dupthresh 3 settles near 4–6 segments per RTT
  // (~15 s). The bound allows that; a reordering-tolerant sender (RACK, DSACK undo) needs ~3 s.
  it('delay 50 ms with 10 ms jitter: intact within 60 s of simulated time', () => {
    matrix('delay 50 ms jitter 10 ms', 170, { delayMs: 50, jitterMs: 10 }, 60_000);
  });

  // 1 MiB at 10 Mbit/s is 0.84 s of serialisation; each port sends its own direction (full
  // duplex), data and ACKs sharing it. With the default 1,000-frame queue nothing is dropped.
  it('bandwidth cap 10 Mbit/s: intact within 1.5 s of simulated time, each direction at ≥ 80 % of the cap', () => {
    const r = matrix('bandwidth 10 Mbit/s', 180, { bandwidthBps: 10_000_000 }, 1500);
    expect(r.aToB.goodputBps, describeBulk(r)).toBeGreaterThanOrEqual(8_000_000);
    expect(r.bToA.goodputBps, describeBulk(r)).toBeGreaterThanOrEqual(8_000_000);
  });

  // The same cap behind a 20-frame queue: a 64 KiB window (45 segments) overflows it, so this is
  // congestion control's test (tail drops, not random loss). The path holds ~2 segments plus the
  // queue, so AIMD between ~11 and ~22 segments keeps the link busy: near the cap.
  it('bandwidth cap 10 Mbit/s behind a 20-frame queue: intact within 2 s of simulated time', () => {
    const r = matrix('bandwidth 10 Mbit/s, queue 20', 190, { bandwidthBps: 10_000_000, queueFrames: 20 }, 2000);
    console.log(`[transfer] queue 20: ${r.link.queueDrops} tail drops`);
  });

  it('is deterministic: the same seed gives the same figures', () => {
    const o: BulkOptions = { seed: 105, bytes: MiB, link: { delayMs: 1, loss: 0.05 }, tcp: BUFFERS, timeLimitMs: 120_000 };
    expect(runBulk(o)).toEqual(runBulk(o));
  });
});

describe('long fat pipe', () => {
  // 100 ms RTT (50 ms each way), 10 Mbit/s, 0.1 % random loss, 256 KiB buffers with window
  // scaling (the path holds 125 KB), 24 MiB one way. The goodput is reported over the whole run
  // and over its second half (once past slow start and the first loss), which is what "reaches"
  // means here.
  //
  // Standard AIMD (NewReno, the default) cannot reach 80 % here: with random loss p its window
  // averages about 1.22/√p segments (Mathis et al., CCR 1997), ≈ 39 at p = 0.001, while the path
  // needs 85; throughput ≈ MSS/RTT · √(3/(2p)) ≈ 4.5 Mbit/s. So the default is checked against
  // that ceiling, and the 80 % run uses the opt-in Westwood+ loss response (congestion.ts), which
  // sets ssthresh from the measured bandwidth × minimum RTT instead of halving per random loss.
  function longFatPipe(congestionControl: 'newreno' | 'westwood') {
    const seed = 200;
    const bytes = 24 * MiB;
    let halfAt = -1;
    const r = run(`long fat pipe (${congestionControl})`, {
      seed, bytesAToB: bytes, bytesBToA: 0,
      link: { delayMs: 50, bandwidthBps: 10_000_000, loss: 0.001 },
      tcp: { sendBuffer: 256 * 1024, receiveBuffer: 256 * 1024, windowScale: 3, congestionControl },
      timeLimitMs: 600_000,
      setup: (t) => {
        // Note when the first half has been acknowledged (sampled every 10 ms of virtual time).
        const tick = () => {
          const c = t.a.tcp.connections.find((x) => ((x.flags & HELD) !== 0));
          if (c !== undefined && c.v[BYTES_SENT] - c.unacknowledged >= bytes / 2) halfAt = t.sim.now;
          else t.sim.after(10, tick);
        };
        t.sim.after(10, tick);
      },
    });
    const why = describeBulk(r);
    expect(r.a.failures, why).toEqual([]);
    expect(r.b.failures, why).toEqual([]);
    expectDirection(r.aToB, seed, 'A->B', why);
    expect(r.bToA.finSeen, why).toBe(true);
    expect(r.complete, why).toBe(true);
    expect(halfAt, why).toBeGreaterThan(0);
    const whole = r.aToB.goodputBps / 1e6;
    const secondHalf = ((bytes / 2) * 8) / ((r.aToB.lastByteMs - halfAt) / 1000) / 1e6;
    console.log(`[transfer] long fat pipe, ${congestionControl}: goodput ${whole.toFixed(2)} Mbit/s over the run, ${secondHalf.toFixed(2)} over its second half, of 10 (AIMD ceiling ≈ 4.5)`);
    return { whole, secondHalf, why };
  }

  it('long fat pipe, NewReno (default): 24 MiB intact at the throughput AIMD allows at that loss rate (≥ 80 % of ≈ 4.5 Mbit/s)', () => {
    const { whole, why } = longFatPipe('newreno');
    expect(whole, why).toBeGreaterThanOrEqual(0.8 * 4.5);
  });

  it('long fat pipe, Westwood+: 24 MiB over 100 ms RTT, 10 Mbit/s, 0.1 % loss, 256 KiB windows: reaches ≥ 80 % of the cap', () => {
    const { secondHalf, whole, why } = longFatPipe('westwood');
    expect(secondHalf, why).toBeGreaterThanOrEqual(8);
    expect(whole, why).toBeGreaterThanOrEqual(6.5);
  });
});
