// Congestion control: slow start and congestion avoidance (RFC 5681 §3.1) with appropriate byte
// counting (RFC 3465, L = 2·SMSS), the initial window of RFC 6928, fast retransmit on the third
// duplicate ACK and NewReno fast recovery with partial ACKs (RFC 6582), the reaction to a
// retransmission timeout, and restart after idle (RFC 5681 §4.1).
//
// These functions only move cwnd, ssthresh and the recovery state; output.ts decides what to send.
//
// The loss response is NewReno's by default: ssthresh = FlightSize / 2. With `westwood` it is
// Westwood+'s (Mascolo et al., 2004): ssthresh = the bandwidth the ACKs show × the smallest RTT
// seen, so a random loss (a radio link's, not a full queue's) costs a short recovery instead of
// half the window. Under AIMD the window averages about 1.22/sqrt(p) segments whatever the path
// (Mathis et al., 1997): at 0.1 % loss that is ~39 segments, too few to fill a 100 ms, 10 Mbit/s
// path (85 segments); Westwood+ keeps such a path full. Slow start, congestion avoidance and
// NewReno recovery are the same in both.

import { seqDiff, seqGeq } from '../wire/seq';
import type { Connection } from './connection';
import {
  BW_ESTIMATE, BW_SAMPLE_BYTES, BW_SAMPLE_START, CA_BYTES, DUP_ACKS, IN_RECOVERY, LAST_SEND_AT,
  RECOVER, RECOVER_VALID, RTO, RTT_MIN, SRTT, SSTHRESH,
} from './connection';

/** RFC 6928 §2: IW = min(10·SMSS, max(2·SMSS, 14600)). */
export function initialWindow(mss: number, segments = 10): number {
  return Math.min(segments * mss, Math.max(2 * mss, 14600));
}

export function ccInit(c: Connection, iwSegments: number): void {
  c.cwnd = initialWindow(c.sndMss, iwSegments);
  c.v[SSTHRESH] = 0x7fffffff;
  c.v[DUP_ACKS] = 0;
  c.flags &= ~IN_RECOVERY;
  c.v[CA_BYTES] = 0;
}

/** Bytes sent and not yet acknowledged (RFC 5681 FlightSize). */
export function flightSize(c: Connection): number {
  return seqDiff(c.sndMax, c.sndUna);
}

export type CongestionControl = 'newreno' | 'westwood';

/** The slow-start threshold after a loss: RFC 5681 eq. (4), or Westwood+'s bandwidth × RTTmin. */
function lossThreshold(c: Connection, cc: CongestionControl): number {
  if (cc === 'westwood' && c.v[BW_ESTIMATE] > 0 && c.v[RTT_MIN] !== Infinity) {
    return Math.max(Math.floor(c.v[BW_ESTIMATE] * Math.max(c.v[RTT_MIN], 1)), 2 * c.sndMss);
  }
  return Math.max(Math.floor(flightSize(c) / 2), 2 * c.sndMss);
}

/**
 * Westwood+ bandwidth estimate: bytes acknowledged per round trip, low-pass filtered (7/8 old).
 * Kept for both algorithms (it costs a few additions per ACK) and readable as a statistic.
 */
function sampleBandwidth(c: Connection, bytes: number, now: number): void {
  const v = c.v;
  if (v[BW_SAMPLE_START] < 0) {
    v[BW_SAMPLE_START] = now;
    v[BW_SAMPLE_BYTES] = 0;
  }
  v[BW_SAMPLE_BYTES] += bytes;
  const interval = now - v[BW_SAMPLE_START], srtt = v[SRTT];
  if (interval >= (srtt > 10 ? srtt : 10)) {
    const sample = v[BW_SAMPLE_BYTES] / interval; // bytes per ms
    v[BW_ESTIMATE] = v[BW_ESTIMATE] === 0 ? sample : 0.875 * v[BW_ESTIMATE] + 0.125 * sample;
    v[BW_SAMPLE_START] = now;
    v[BW_SAMPLE_BYTES] = 0;
  }
}

/**
 * An ACK advanced SND.UNA by `acked` bytes (already applied: c.sndUna is the new value).
 * Returns true when a NewReno partial ACK asks for the next hole to be retransmitted now.
 */
export function ccNewAck(c: Connection, acked: number, now: number): boolean {
  const mss = c.sndMss, v = c.v;
  v[DUP_ACKS] = 0;
  sampleBandwidth(c, acked, now);
  if ((c.flags & IN_RECOVERY) !== 0) {
    if (seqGeq(c.sndUna, v[RECOVER])) {
      // RFC 6582 §3.2 step 3, full acknowledgment: deflate to ssthresh (option 1, bounded by flight).
      c.cwnd = Math.min(v[SSTHRESH], Math.max(flightSize(c), mss) + mss);
      c.flags &= ~IN_RECOVERY;
      v[CA_BYTES] = 0;
      return false;
    }
    // Step 3, partial acknowledgment: deflate by what was acked, add back one SMSS if that was at
    // least one SMSS, and retransmit the first unacknowledged segment.
    c.cwnd = Math.max(c.cwnd - acked + (acked >= mss ? mss : 0), mss);
    return true;
  }
  if (c.cwnd < v[SSTHRESH]) {
    // Slow start with appropriate byte counting (RFC 3465 §2.2, L = 2·SMSS).
    c.cwnd += acked < 2 * mss ? acked : 2 * mss;
  } else {
    // Congestion avoidance: one SMSS per window of data acknowledged (RFC 5681 eq. (3) by bytes).
    v[CA_BYTES] += acked;
    if (v[CA_BYTES] >= c.cwnd) {
      v[CA_BYTES] -= c.cwnd;
      c.cwnd += mss;
    }
  }
  return false;
}

/**
 * A duplicate ACK (RFC 5681 §2 definition, checked by the caller). Returns true on the third one
 * outside recovery: enter fast recovery and fast-retransmit the segment at SND.UNA.
 */
export function ccDupAck(c: Connection, cc: CongestionControl, now: number): boolean {
  const mss = c.sndMss;
  c.v[DUP_ACKS]++;
  // A duplicate ACK still reports a segment delivered (Westwood+ counts it).
  sampleBandwidth(c, mss, now);
  if ((c.flags & IN_RECOVERY) !== 0) {
    // RFC 6582 §3.2 step 4: each further duplicate inflates the window by one segment.
    c.cwnd += mss;
    return false;
  }
  if (c.v[DUP_ACKS] !== 3) return false;
  // RFC 6582 §3.2 step 2: only start a new recovery if this loss is beyond the last one's.
  if ((c.flags & RECOVER_VALID) !== 0 && !seqGeq(c.sndUna, c.v[RECOVER])) return false;
  c.v[SSTHRESH] = lossThreshold(c, cc);
  c.cwnd = c.v[SSTHRESH] + 3 * mss;
  c.v[RECOVER] = c.sndMax;
  c.flags |= RECOVER_VALID;
  c.flags |= IN_RECOVERY;
  return true;
}

/** RFC 5681 §3.1 after a retransmission timeout: ssthresh from the flight, cwnd = one segment. */
export function ccTimeout(c: Connection, cc: CongestionControl): void {
  c.v[SSTHRESH] = lossThreshold(c, cc);
  c.cwnd = c.sndMss;
  c.flags &= ~IN_RECOVERY;
  c.v[DUP_ACKS] = 0;
  c.v[CA_BYTES] = 0;
  // RFC 6582 §3.2 step 1: no fast retransmit for losses from before the timeout.
  c.v[RECOVER] = c.sndMax;
  c.flags |= RECOVER_VALID;
}

/** RFC 5681 §4.1: after an idle period longer than the RTO, restart from the initial window. */
export function ccRestartAfterIdle(c: Connection, now: number, iwSegments: number): void {
  if (c.sndUna === c.sndMax && c.v[LAST_SEND_AT] >= 0 && now - c.v[LAST_SEND_AT] > c.v[RTO]) {
    c.cwnd = Math.min(c.cwnd, initialWindow(c.sndMss, iwSegments));
  }
}
