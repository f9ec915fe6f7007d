// A connection's timers (RFC 9293 §3.8.1, RFC 6298 §5, RFC 1122 §4.2.3.6): retransmission of
// SYN, SYN-ACK, data and FIN with exponential backoff and retry limits; the FIN-WAIT-2 timeout of
// an orphaned connection; keepalive probes. TIME-WAIT's 2 MSL lives in the TIME-WAIT table.

import { seqAdd, seqGt, seqDiff } from '../wire/seq';
import { TCP_ACK } from '../wire/tcp';
import type { Connection } from './connection';
import type { TcpContext } from './context';
import { output, sendSegment, sendSyn } from './output';
import { rttBackoff } from './rtt';
import { CLOSE_WAIT, ESTABLISHED, FIN_WAIT_2, SYN_RECEIVED, SYN_SENT } from './state';

export function connectionTimers(ctx: TcpContext, c: Connection, now: number): void {
  if (c.rtxAt <= now) retransmitTimeout(ctx, c, now);
  if (c.closeAt <= now && c.state === FIN_WAIT_2) {
    c.closeAt = Infinity;
    ctx.counters.finWait2Timeouts++;
    ctx.fail(c, 'timeout', true, now);
  }
  if (c.keepaliveAt <= now) keepaliveTimeout(ctx, c, now);
}

/** The earliest timer of `c`, or Infinity. */
export function connectionDeadline(c: Connection): number {
  return Math.min(c.rtxAt, c.closeAt, c.keepaliveAt);
}

function retransmitTimeout(ctx: TcpContext, c: Connection, now: number): void {
  const config = ctx.config;
  c.rtxAt = Infinity;
  c.rttStart = -1; // Karn: nothing retransmitted is timed
  if (c.state === SYN_SENT || c.state === SYN_RECEIVED) {
    const limit = c.state === SYN_SENT ? config.synRetries : config.synAckRetries;
    if (c.rtxCount >= limit) {
      ctx.counters.timeouts++;
      if (c.state === SYN_RECEIVED && c.passive) ctx.forgetHalfOpen(c, 'syn-ack-timeout');
      else ctx.fail(c, c.softError ? 'unreachable' : 'timeout', false, now);
      return;
    }
    c.rtxCount++;
    rttBackoff(c, config);
    ctx.counters.synRetransmits++;
    sendSyn(ctx, c, now);
    return;
  }
  if (c.sndUna === c.sndMax) return; // nothing outstanding
  if (c.rtxCount >= config.maxRetries) {
    ctx.counters.timeouts++;
    ctx.fail(c, c.softError ? 'unreachable' : 'timeout', true, now);
    return;
  }
  c.rtxCount++;
  c.retransmits++;
  rttBackoff(c, config);
  // RFC 5681 §3.1 eq. (4): half the flight, at least two segments; then one segment at a time.
  c.ssthresh = Math.max(Math.floor(seqDiff(c.sndMax, c.sndUna) / 2), 2 * c.sndMss);
  c.cwnd = c.sndMss;
  // Go back to the first unacknowledged byte; an unacknowledged FIN is sent again with it.
  c.sndNxt = c.sndUna;
  if (c.finSent && !seqGt(c.sndUna, c.finSeq)) c.finSent = false;
  output(ctx, c, now);
}

function keepaliveTimeout(ctx: TcpContext, c: Connection, now: number): void {
  const k = ctx.config.keepalive;
  if (!c.keepalive || (c.state !== ESTABLISHED && c.state !== CLOSE_WAIT)) {
    c.keepaliveAt = Infinity;
    return;
  }
  if (c.sndUna !== c.sndMax) {
    // Data is outstanding: the retransmission timer watches the peer instead.
    c.keepaliveAt = now + k.intervalMs;
    ctx.armed(c.keepaliveAt);
    return;
  }
  if (c.keepaliveProbes >= k.count) {
    ctx.counters.keepaliveDrops++;
    ctx.fail(c, 'timeout', true, now);
    return;
  }
  // RFC 1122 §4.2.3.6: a segment with SEG.SEQ = SND.NXT − 1 and no data, which the peer must ACK.
  sendSegment(ctx, c, seqAdd(c.sndUna, -1), TCP_ACK, 0, 0, now);
  c.keepaliveProbes++;
  ctx.counters.keepaliveProbes++;
  c.keepaliveAt = now + k.intervalMs;
  ctx.armed(c.keepaliveAt);
}
