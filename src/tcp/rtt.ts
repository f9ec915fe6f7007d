// Round-trip time estimation and the retransmission timeout (RFC 6298), with Karn's algorithm:
// only segments sent once are timed (one at a time), and a timeout doubles the RTO up to its cap.

import type { TcpConfig } from './config';
import type { Connection } from './connection';
import { RTO, RTTVAR, RTT_SEQ, RTT_START, SRTT } from './connection';

/** RFC 6298 §2: fold one measurement `r` (ms) into SRTT and RTTVAR and recompute the RTO. */
export function rttSample(c: Connection, r: number, config: TcpConfig): void {
  if (c.v[SRTT] < 0) {
    // §2.2: the first measurement.
    c.v[SRTT] = r;
    c.v[RTTVAR] = r / 2;
  } else {
    // §2.3, with alpha = 1/8 and beta = 1/4.
    c.v[RTTVAR] = 0.75 * c.v[RTTVAR] + 0.25 * Math.abs(c.v[SRTT] - r);
    c.v[SRTT] = 0.875 * c.v[SRTT] + 0.125 * r;
  }
  // §2.3 with a 1 ms clock granularity G (plus the configured slop); §2.4 and §2.5: bounded below
  // and above.
  c.v[RTO] = clampRto(c.v[SRTT] + Math.max(1, 4 * c.v[RTTVAR]) + config.rtoSlopMs, config);
}

/** §5.5: back off the timer after it expires. */
export function rttBackoff(c: Connection, config: TcpConfig): void {
  c.v[RTO] = Math.min(c.v[RTO] * 2, config.maxRtoMs);
}

export function clampRto(rto: number, config: TcpConfig): number {
  return Math.min(Math.max(Math.ceil(rto), config.minRtoMs), config.maxRtoMs);
}

/** Start timing the segment ending at `seq` unless one is being timed already (Karn). */
export function rttStart(c: Connection, seq: number, now: number): void {
  if (c.v[RTT_START] < 0) {
    c.v[RTT_SEQ] = seq;
    c.v[RTT_START] = now;
  }
}
