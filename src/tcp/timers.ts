// A connection's timers (RFC 9293 §3.8.1, RFC 6298 §5, RFC 1122 §4.2.3.2 and §4.2.3.6): delayed
// ACK; retransmission of SYN, SYN-ACK, data and FIN with exponential backoff and limits by count
// and by time; the persist timer for a closed window (RFC 9293 §3.8.6.1, RFC 6429); the FIN-WAIT-2
// timeout of an orphaned connection; keepalive probes. TIME-WAIT's 2 MSL is in the TIME-WAIT table.

import { seqAdd, seqDiff, seqGt } from '../wire/seq';
import { TCP_ACK } from '../wire/tcp';
import { ccTimeout } from './congestion';
import type { Connection } from './connection';
import type { TcpContext } from './context';
import { output, sendAck, sendSegment, sendSyn } from './output';
import { clampRto, rttBackoff } from './rtt';
import { CLOSE_WAIT, ESTABLISHED, FIN_WAIT_2, SYN_RECEIVED, SYN_SENT } from './state';
import {
  FIN_SENT, FIN_SEQ, FORCE_SEND, KEEPALIVE, KEEPALIVE_PROBES, LAST_ACK_AT, LAST_PROBE_AT, PASSIVE,
  PERSIST_BACKOFF, PROBES_UNANSWERED_SINCE, RTO, RTT_START, RTX_COUNT, RTX_FIRST_AT, SACKED_COUNT,
  SOFT_ERROR,
} from './connection';

export function connectionTimers(ctx: TcpContext, c: Connection, now: number): void {
  if (c.ackAt <= now) {
    ctx.counters.delayedAcks++;
    sendAck(ctx, c, now);
  }
  if (c.rtxAt <= now) retransmitTimeout(ctx, c, now);
  if (c.persistAt <= now) persistTimeout(ctx, c, now);
  if (c.closeAt <= now && c.state === FIN_WAIT_2) {
    c.closeAt = Infinity;
    ctx.counters.finWait2Timeouts++;
    ctx.fail(c, 'timeout', true, now);
  }
  if (c.keepaliveAt <= now) keepaliveTimeout(ctx, c, now);
}

/** The earliest timer of `c`, or Infinity. */
export function connectionDeadline(c: Connection): number {
  return Math.min(c.rtxAt, c.closeAt, c.keepaliveAt, c.ackAt, c.persistAt);
}

function retransmitTimeout(ctx: TcpContext, c: Connection, now: number): void {
  const config = ctx.config;
  c.rtxAt = Infinity;
  c.v[RTT_START] = -1; // Karn: nothing retransmitted is timed
  if (c.state === SYN_SENT || c.state === SYN_RECEIVED) {
    const limit = c.state === SYN_SENT ? config.synRetries : config.synAckRetries;
    if (c.v[RTX_COUNT] >= limit) {
      ctx.counters.timeouts++;
      if (c.state === SYN_RECEIVED && (c.flags & PASSIVE) !== 0) ctx.forgetHalfOpen(c, 'syn-ack-timeout');
      else ctx.fail(c, (c.flags & SOFT_ERROR) !== 0 ? 'unreachable' : 'timeout', false, now);
      return;
    }
    c.v[RTX_COUNT]++;
    rttBackoff(c, config);
    ctx.counters.synRetransmits++;
    sendSyn(ctx, c, now);
    return;
  }
  if (c.sndUna === c.sndMax) return; // nothing outstanding
  if (c.sndWnd === 0) {
    // The peer's window is closed: probing it is the persist timer's job, not a retransmission
    // that could exhaust the retry limit while the peer is answering (RFC 6429).
    c.sndNxt = c.sndUna;
    if ((c.flags & FIN_SENT) !== 0 && !seqGt(c.sndUna, c.v[FIN_SEQ])) c.flags &= ~FIN_SENT;
    armPersist(ctx, c, now);
    return;
  }
  if (c.v[RTX_FIRST_AT] < 0) c.v[RTX_FIRST_AT] = now;
  if (c.v[RTX_COUNT] >= config.maxRetries || now - c.v[RTX_FIRST_AT] >= config.maxRetransmitTimeMs) {
    ctx.counters.timeouts++;
    ctx.fail(c, (c.flags & SOFT_ERROR) !== 0 ? 'unreachable' : 'timeout', true, now);
    return;
  }
  c.v[RTX_COUNT]++;
  rttBackoff(c, config);
  ccTimeout(c, config.congestionControl);
  // RFC 2018 §8: after a timeout the SACK information may be stale (the receiver may renege).
  c.v[SACKED_COUNT] = 0;
  // Go back to the first unacknowledged byte; an unacknowledged FIN is sent again with it.
  c.sndNxt = c.sndUna;
  if ((c.flags & FIN_SENT) !== 0 && !seqGt(c.sndUna, c.v[FIN_SEQ])) c.flags &= ~FIN_SENT;
  output(ctx, c, now);
}

function armPersist(ctx: TcpContext, c: Connection, now: number): void {
  c.persistAt = now + clampRto(c.v[RTO] * 2 ** c.v[PERSIST_BACKOFF], ctx.config);
  ctx.armed(c.persistAt);
}

/**
 * Data waits and nothing is in flight. A closed window gets a one-byte probe (RFC 9293 §3.8.6.1)
 * with backoff, for as long as the peer answers (RFC 6429); an open but small one gets what fits.
 */
function persistTimeout(ctx: TcpContext, c: Connection, now: number): void {
  c.persistAt = Infinity;
  const offset = seqDiff(c.sndNxt, c.sndUna);
  if (c.sendBuffer.length <= offset) return; // nothing left to send
  if (c.sndWnd === 0) {
    // RFC 6429: persist while the peer answers; give up only after it stayed silent too long.
    const answered = c.v[LAST_ACK_AT] >= c.v[LAST_PROBE_AT];
    if (answered || c.v[PROBES_UNANSWERED_SINCE] < 0) c.v[PROBES_UNANSWERED_SINCE] = now;
    else if (now - c.v[PROBES_UNANSWERED_SINCE] >= ctx.config.maxRetransmitTimeMs) {
      ctx.counters.timeouts++;
      ctx.fail(c, 'timeout', true, now);
      return;
    }
    c.v[LAST_PROBE_AT] = now;
    // The probe byte is the first unsent one; SND.NXT stays, so it is sent again normally later.
    sendSegment(ctx, c, c.sndNxt, TCP_ACK, offset, 1, now);
    if (seqGt(seqAdd(c.sndNxt, 1), c.sndMax)) c.sndMax = seqAdd(c.sndNxt, 1);
    ctx.counters.persistProbes++;
    if (c.v[PERSIST_BACKOFF] < 16) c.v[PERSIST_BACKOFF]++;
    armPersist(ctx, c, now);
    return;
  }
  c.flags |= FORCE_SEND;
  output(ctx, c, now);
  c.flags &= ~FORCE_SEND;
}

function keepaliveTimeout(ctx: TcpContext, c: Connection, now: number): void {
  const k = ctx.config.keepalive;
  if ((c.flags & KEEPALIVE) === 0 || (c.state !== ESTABLISHED && c.state !== CLOSE_WAIT)) {
    c.keepaliveAt = Infinity;
    return;
  }
  if (c.sndUna !== c.sndMax) {
    // Data is outstanding: the retransmission timer watches the peer instead.
    c.keepaliveAt = now + k.intervalMs;
    ctx.armed(c.keepaliveAt);
    return;
  }
  if (c.v[KEEPALIVE_PROBES] >= k.count) {
    ctx.counters.keepaliveDrops++;
    ctx.fail(c, 'timeout', true, now);
    return;
  }
  // RFC 1122 §4.2.3.6: a segment with SEG.SEQ = SND.NXT − 1 and no data, which the peer must ACK.
  sendSegment(ctx, c, seqAdd(c.sndUna, -1), TCP_ACK, 0, 0, now);
  c.v[KEEPALIVE_PROBES]++;
  ctx.counters.keepaliveProbes++;
  c.keepaliveAt = now + k.intervalMs;
  ctx.armed(c.keepaliveAt);
}
