// SEGMENT ARRIVES for a connection block (RFC 9293 §3.10.7.3 for SYN-SENT, §3.10.7.4 for the
// rest), with RFC 5961's defences against blind RST, SYN and data injection, RFC 7323's timestamps
// and PAWS, RFC 2018 SACK, RFC 5681/6582 duplicate ACKs and fast recovery, out-of-order
// reassembly and delayed ACKs. Segments for no block (CLOSED, LISTEN) and for TIME-WAIT are handled
// in tcp.ts, listener.ts and the TIME-WAIT table. The numbered comments follow the RFC's
// "first ... eighth" checks.

import { seqAdd, seqDiff, seqGeq, seqGt, seqInRange, seqLeq, seqLt, seqMax } from '../wire/seq';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TCP_URG, type TcpSegment } from '../wire/tcp';
import { ccDupAck, ccInit, ccNewAck } from './congestion';
import {
  type Connection, SCOREBOARD_RANGES, ACK_NOW, BYTES_RECEIVED, DUP_ACKS_IN, FAST_RETRANSMITS,
  FIN_QUEUED, FIN_RECEIVED, FIN_SENT, FIN_SEQ, INDEXED, IN_RECOVERY, IRS, ISS, KEEPALIVE, LAST_ACK_AT, LAST_ACK_SENT, LAST_RTX_AT,
  MAX_SND_WND, OUT_OF_ORDER_HELD, OUT_OF_ORDER_IN, PASSIVE, setFlag, PEER_OFFERED_SCALE, PERSIST_BACKOFF, RCV_MSS, RCV_SCALE,
  RCV_UP, READ_CLOSED, REXMIT_HIGH, RTO, RTT_MIN, RTT_SEQ, RTT_START, RTX_COUNT, RTX_FIRST_AT,
  SACKED_COUNT, SACK_OK, SEGMENTS_IN, SND_SCALE, SND_WL1, SND_WL2, SYN_TEXT, TS_OK, TS_RECENT,
  URGENT_PENDING,
} from './connection';
import type { TcpContext } from './context';
import { output, retransmitAt, sendAck, sendPureAck, sendSegment, sendSyn } from './output';
import { rttSample } from './rtt';
import {
  CLOSE_WAIT, CLOSING, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK, SYN_RECEIVED, SYN_SENT, canReceive,
} from './state';

/** RFC 9293 §3.7.1: assume 536 when the MSS option is absent (RFC 6691). */
const DEFAULT_MSS = 536;

/** Options of the peer's SYN: MSS, window scale (RFC 7323 §2), timestamps (§3), SACK-permitted. */
export function takeSynOptions(ctx: TcpContext, c: Connection, seg: TcpSegment): void {
  const o = seg.options, config = ctx.config;
  const peerMss = o.mss > 0 ? o.mss : DEFAULT_MSS;
  c.sndMss = Math.max(64, Math.min(peerMss, ctx.ip.maxPayload - 20));
  setFlag(c, PEER_OFFERED_SCALE, o.windowScale >= 0);
  if ((c.flags & PEER_OFFERED_SCALE) !== 0 && config.windowScale >= 0) {
    // RFC 7323 §2.3: a shift above 14 is used as 14.
    c.v[SND_SCALE] = Math.min(o.windowScale, 14);
  } else {
    c.v[SND_SCALE] = 0;
    c.v[RCV_SCALE] = 0;
  }
  setFlag(c, TS_OK, config.timestamps && o.hasTimestamps);
  if ((c.flags & TS_OK) !== 0) c.v[TS_RECENT] = o.tsVal;
  setFlag(c, SACK_OK, config.sack && o.sackPermitted);
}

export function segmentArrives(ctx: TcpContext, c: Connection, seg: TcpSegment, now: number): void {
  c.v[SEGMENTS_IN]++;
  // Header prediction takes the common segments of ESTABLISHED (see predicted); the rest go the
  // general way. output() then sends only the ACK owed when nothing waits to be sent.
  if (!(c.state === ESTABLISHED && ctx.config.headerPrediction && predicted(ctx, c, seg, now))) {
    if (c.state === SYN_SENT) synSent(ctx, c, seg, now);
    else synchronizedOrReceived(ctx, c, seg, now);
  }
  // The block may have left the table (closed, reset, or moved to TIME-WAIT) while processing.
  if ((c.flags & INDEXED) !== 0) output(ctx, c, now);
}

/**
 * Header prediction (Van Jacobson's; BSD's tcp_input has it too). On an ESTABLISHED connection
 * nearly every segment is one of two kinds, and for those the checks of RFC 9293 §3.10.7.4 all
 * come out the same way:
 *   - a pure ACK (no data, flags ACK and perhaps PSH) at RCV.NXT whose ACK lies in
 *     [SND.UNA, SND.MAX]: acceptable (first check), no RST, no SYN (second to fourth), and
 *     within RFC 5961 §5.2's bounds; what remains is the fifth check's work (takeAck, the
 *     general path's own code) and TS.Recent;
 *   - the next data in order (at RCV.NXT, fitting the free ring, no reassembly pending, no FIN
 *     held) whose ACK lies in [SND.UNA, SND.MAX] and which carries no SACK blocks, on a
 *     connection the application still reads: when it acknowledges nothing new the fifth check
 *     only notes that the peer answered and updates the window; when it does (both sides
 *     sending) the fifth check's work is takeAck's, as for a pure ACK. Then the text is appended
 *     to the receive ring, as below.
 * Both must pass PAWS (RFC 7323 §5.3 R1) and carry no SYN, FIN, RST or URG. Everything done
 * here is what synchronizedOrReceived would do, in the same order (every variable, counter, timer
 * and callback; hosttest/tcp/fastpath.test.ts runs the same traffic with `headerPrediction` off
 * and on and compares every frame and event). Returns false, having changed nothing, for any
 * other segment, which then takes the general path.
 */
function predicted(ctx: TcpContext, c: Connection, seg: TcpSegment, now: number): boolean {
  if ((seg.flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_URG | TCP_ACK)) !== TCP_ACK) return false;
  const seq = seg.seq;
  if (seq !== c.rcvNxt) return false;
  const flags = c.flags, v = c.v, o = seg.options;
  const ts = (flags & TS_OK) !== 0 && o.hasTimestamps;
  // Read once: under XS every access to c.v or seg.options costs a property walk.
  const tsVal = ts ? o.tsVal : 0;
  if (ts && seqLt(tsVal, v[TS_RECENT])) return false;
  const ack = seg.ack, length = seg.payloadLength;
  if (length === 0) {
    if (seqLt(ack, c.sndUna) || seqGt(ack, c.sndMax)) return false;
    ctx.counters.predictedAcks++;
    if ((flags & KEEPALIVE) !== 0) ctx.touchKeepalive(c, now);
    if (takeAck(ctx, c, seg, now)) rememberTimestamp(c, seg);
    return true;
  }
  if (((flags & SACK_OK) !== 0 && o.sackCount > 0) || (flags & (READ_CLOSED | OUT_OF_ORDER_HELD)) !== 0) return false;
  const ring = c.receiveBuffer, una = c.sndUna;
  if (length > ring.capacity - ring.length) return false;
  if (ack !== una && (seqLt(ack, una) || seqGt(ack, c.sndMax))) return false;
  ctx.counters.predictedData++;
  if ((flags & KEEPALIVE) !== 0) ctx.touchKeepalive(c, now);
  if (ack === una) {
    // Fifth check: nothing new acknowledged and, with data, not a duplicate ACK (RFC 5681 §2).
    v[LAST_ACK_AT] = now;
    updateWindow(c, seq, ack, seg.window << v[SND_SCALE]);
    // RFC 7323 §4.3 as in rememberTimestamp; SEG.TSval >= TS.Recent is known from PAWS above.
    if (ts && seqLeq(seq, v[LAST_ACK_SENT])) v[TS_RECENT] = tsVal;
  } else {
    // Data that also acknowledges new data (both sides sending): the fifth check's work as on
    // the general path. Its callback (onWritable) may have closed or aborted the connection;
    // then the rest of the general path runs as it would have.
    if (!takeAck(ctx, c, seg, now)) return true;
    rememberTimestamp(c, seg);
    if (c.state !== ESTABLISHED || (c.flags & READ_CLOSED) !== 0 || c.rcvNxt !== seq) {
      text(ctx, c, seg, seqLt(seq, c.rcvNxt) ? c.rcvNxt : seq, now);
      return true;
    }
  }
  // Seventh: the text, in order, all of it (it fits), with nothing held beyond it to join.
  const took = ring.write(seg.bytes, seg.payloadOffset, length);
  c.rcvNxt = seqAdd(seq, took);
  v[BYTES_RECEIVED] += took;
  ctx.counters.bytesIn += took;
  c.unackedBytes += took;
  ackInOrder(ctx, c, false);
  if (took > 0) ctx.notifyReadable(c);
  if (c.unackedBytes > 0 && (c.flags & ACK_NOW) === 0) delayAck(ctx, c, now);
  return true;
}

/** RFC 9293 §3.10.7.3. */
function synSent(ctx: TcpContext, c: Connection, seg: TcpSegment, now: number): void {
  const f = seg.flags;
  // First: the ACK must acknowledge our SYN and nothing beyond it.
  let ackOk = false;
  if (f & TCP_ACK) {
    if (seqLeq(seg.ack, c.v[ISS]) || seqGt(seg.ack, c.sndNxt)) {
      if (!(f & TCP_RST)) sendSegment(ctx, c, seg.ack, TCP_RST, 0, 0, now);
      ctx.drop('syn-sent-bad-ack');
      return;
    }
    ackOk = seqLeq(c.sndUna, seg.ack) && seqLeq(seg.ack, c.sndNxt);
  }
  // Second: an RST counts only with an acceptable ACK (RFC 5961 §3.2 leaves SYN-SENT to this).
  if (f & TCP_RST) {
    ctx.counters.resetsIn++;
    if (ackOk) ctx.fail(c, 'refused', false, now);
    else ctx.drop('syn-sent-rst-ignored');
    return;
  }
  // Fourth: the SYN.
  if (!(f & TCP_SYN)) {
    ctx.drop('syn-sent-no-syn');
    return;
  }
  c.v[IRS] = seg.seq;
  c.rcvNxt = seqAdd(seg.seq, 1);
  c.rcvAdv = c.rcvNxt;
  takeSynOptions(ctx, c, seg);
  c.sndWnd = seg.window; // RFC 7323 §2.2: the window of a SYN is never scaled
  c.v[MAX_SND_WND] = c.sndWnd;
  c.v[SND_WL1] = seg.seq;
  if (ackOk) {
    ackOurSyn(ctx, c, seg, now);
    ctx.setState(c, ESTABLISHED, 'syn-ack');
    c.flags |= ACK_NOW;
    ctx.established(c, now);
    // Data or FIN riding on the SYN-ACK: process it as in ESTABLISHED (RFC 9293 §3.10.7.3 "queue them").
    if (seg.payloadLength > 0 || f & TCP_FIN) text(ctx, c, seg, seqAdd(seg.seq, 1), now);
  } else {
    // Simultaneous open (RFC 9293 §3.5, Figure 8): our SYN crossed theirs. Text on the SYN is
    // queued for after ESTABLISHED (§3.10.7.3): stored just past RCV.NXT, not yet acknowledged.
    ctx.setState(c, SYN_RECEIVED, 'simultaneous-open');
    c.v[RTX_COUNT] = 0;
    if (seg.payloadLength > 0) c.v[SYN_TEXT] = c.receiveBuffer.writeAt(0, seg.bytes, seg.payloadOffset, seg.payloadLength);
    sendSyn(ctx, c, now);
  }
}

/** Our SYN is acknowledged: SND.UNA moves past ISS, and the handshake RTT is sampled (Karn). */
function ackOurSyn(ctx: TcpContext, c: Connection, seg: TcpSegment, now: number): void {
  c.sndUna = seg.ack;
  c.v[SND_WL2] = seg.ack;
  if (c.v[RTX_COUNT] === 0 && c.v[RTT_START] >= 0) sampleRtt(ctx, c, now - c.v[RTT_START]);
  c.v[RTT_START] = -1;
  c.v[RTX_COUNT] = 0;
  c.rtxAt = Infinity;
  c.v[LAST_ACK_AT] = now;
  ccInit(c, ctx.config.initialWindowSegments);
}

function sampleRtt(ctx: TcpContext, c: Connection, r: number): void {
  if (r < 0 || r > 3_600_000) return;
  rttSample(c, r, ctx.config);
  if (r < c.v[RTT_MIN]) c.v[RTT_MIN] = r;
}

/** The SYN-ACK of a simultaneous open (or a passive handshake's ACK) completes it. */
function completeHandshake(ctx: TcpContext, c: Connection, seg: TcpSegment, window: number, now: number): void {
  ackOurSyn(ctx, c, seg, now);
  c.sndWnd = window;
  c.v[MAX_SND_WND] = window;
  c.v[SND_WL1] = seg.seq;
  ctx.setState(c, ESTABLISHED, seg.flags & TCP_SYN ? 'syn-ack' : 'ack');
  ctx.established(c, now);
  if (c.v[SYN_TEXT] > 0) {
    // The text that came on the peer's SYN is now received in order (§3.10.7.3).
    const n = c.receiveBuffer.commit(c.v[SYN_TEXT]);
    c.v[SYN_TEXT] = 0;
    c.rcvNxt = seqAdd(c.rcvNxt, n);
    c.v[BYTES_RECEIVED] += n;
    ctx.counters.bytesIn += n;
    c.unackedBytes += n;
    delayAck(ctx, c, now);
    ctx.notifyReadable(c);
  }
}

/** Arm the delayed ACK (RFC 1122 §4.2.3.2), or ACK at once when it is off. */
function delayAck(ctx: TcpContext, c: Connection, now: number): void {
  const delay = ctx.config.delayedAckMs;
  if (delay <= 0) c.flags |= ACK_NOW;
  else if (c.ackAt === Infinity) {
    c.ackAt = now + delay;
    ctx.armed(c.ackAt);
  }
}

/**
 * After in-order data (RFC 5681 §4.2): ACK at once when it filled a gap, or for at least every
 * second full segment, or when delayed ACKs are off. Otherwise the ACK is delayed, but the timer
 * is armed only after the application heard of the data (see delayAck's callers): when it reads
 * and the window update goes out in that callback, as the application reading every segment
 * does, the ACK is already sent and no timer is armed just to be cancelled. ACK_NOW is decided
 * here, before the callback, because an output() from the callback sends what it says.
 */
function ackInOrder(ctx: TcpContext, c: Connection, filledGap: boolean): void {
  if (filledGap || c.unackedBytes >= 2 * (c.v[RCV_MSS] - ((c.flags & TS_OK) !== 0 ? 12 : 0)) ||
      ctx.config.delayedAckMs <= 0) c.flags |= ACK_NOW;
}

/** RFC 9293 §3.10.7.4 for SYN-RECEIVED and the synchronized states (TIME-WAIT excepted). */
function synchronizedOrReceived(ctx: TcpContext, c: Connection, seg: TcpSegment, now: number): void {
  const f = seg.flags;
  const config = ctx.config;
  let seq = seg.seq;
  const segLen = seg.segmentLength;
  const window = c.receiveBuffer.free;

  if (c.state === SYN_RECEIVED && f & TCP_SYN && !(f & TCP_RST) && seg.seq === c.v[IRS]) {
    if (!(f & TCP_ACK)) {
      // A duplicate of the peer's SYN: our SYN-ACK was lost; send it again.
      sendSyn(ctx, c, now);
      return;
    }
    if (seqLt(c.sndUna, seg.ack) && seqLeq(seg.ack, c.sndNxt)) {
      // Simultaneous open, RFC 9293 Figure 8 line 6: the peer's SYN-ACK acknowledges our SYN.
      completeHandshake(ctx, c, seg, seg.window, now);
      return;
    }
  }

  // RFC 7323 §5.3 R1: PAWS, before the sequence check. An older timestamp marks an old duplicate.
  const ts = seg.options;
  if ((c.flags & TS_OK) !== 0 && ts.hasTimestamps && !(f & TCP_RST) && seqLt(ts.tsVal, c.v[TS_RECENT])) {
    ctx.drop('paws');
    sendAck(ctx, c, now);
    return;
  }

  // First: is the segment acceptable (the four cases of §3.10.7.4)? A zero-length segment exactly
  // at the right edge is taken too, as BSD and Linux do: it is what a peer that filled our window
  // sends, and refusing its ACKs would stall it until a timeout. Not an RST: an RST is in the window
  // only strictly inside it (RFC 5961 §3.2, RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND).
  const rightEdge = f & TCP_RST ? 0 : 1;
  const acceptable = segLen === 0
    ? window === 0 ? seq === c.rcvNxt : seqInRange(seq, c.rcvNxt, seqAdd(c.rcvNxt, window + rightEdge))
    : window > 0 && (seqInRange(seq, c.rcvNxt, seqAdd(c.rcvNxt, window)) ||
        seqInRange(seqAdd(seq, segLen - 1), c.rcvNxt, seqAdd(c.rcvNxt, window)));
  // A segment wholly before RCV.NXT (an old duplicate) is unacceptable too; with `trimOldSegments`
  // (BSD) it is instead trimmed to nothing and only its ACK field goes on to be processed, and it
  // is ACKed unless that ACK ends the connection.
  let old = false;
  if (!acceptable) {
    if (f & TCP_RST) {
      ctx.drop('rst-out-of-window');
      return;
    }
    if (f & TCP_SYN && c.state !== SYN_RECEIVED) {
      // RFC 5961 §4.2: a SYN in a synchronized state draws a challenge ACK "irrespective of the
      // sequence number", under the challenge-ACK limits (§7). RFC 793 mode: the plain ACK of
      // the first check. Either way a bare ACK (never a FIN again, see sendAck).
      if (config.rfc5961Syn) {
        ctx.drop('syn-challenged');
        ctx.challengeAck(c, now);
      } else {
        ctx.drop('out-of-window');
        sendPureAck(ctx, c, now);
      }
      return;
    }
    old = config.trimOldSegments && (f & (TCP_SYN | TCP_ACK)) === TCP_ACK && seqLeq(seqAdd(seq, segLen), c.rcvNxt);
    if (!old) {
      ctx.drop('out-of-window');
      sendAck(ctx, c, now);
      return;
    }
    ctx.counters.oldSegments++;
    c.flags |= ACK_NOW;
  }
  if ((c.flags & KEEPALIVE) !== 0) ctx.touchKeepalive(c, now);

  // Second: RST (RFC 5961 §3.2: only an exact match resets; in-window gets a challenge ACK).
  if (f & TCP_RST) {
    ctx.counters.resetsIn++;
    if (config.rfc5961Rst && seq !== c.rcvNxt) {
      ctx.drop('rst-challenged');
      ctx.challengeAck(c, now);
      return;
    }
    // In CLOSING and LAST-ACK too the application hears "reset": its FIN, queued like data
    // (§3.10.4 CLOSE), is still unacknowledged, and outstanding SENDs get "reset" responses.
    if (c.state === SYN_RECEIVED && (c.flags & PASSIVE) !== 0) ctx.forgetHalfOpen(c, 'rst');
    else if (c.state === SYN_RECEIVED) ctx.fail(c, 'refused', false, now);
    else ctx.fail(c, 'reset', false, now);
    return;
  }

  // Fourth: SYN in a synchronized state, or a new SYN in SYN-RECEIVED.
  if (f & TCP_SYN) {
    if (c.state === SYN_RECEIVED && (c.flags & PASSIVE) !== 0) {
      // §3.10.7.4: "return this connection to the LISTEN state": the listener keeps listening.
      ctx.forgetHalfOpen(c, 'syn');
      return;
    }
    if (config.rfc5961Syn) {
      // RFC 5961 §4.2: challenge ACK whatever the sequence number, and drop.
      ctx.drop('syn-challenged');
      ctx.challengeAck(c, now);
      return;
    }
    // RFC 793: an in-window SYN is an error; reset the connection. The RST acknowledges what we
    // received (<SEQ=SND.MAX><ACK=RCV.NXT><CTL=RST,ACK>), as BSD sends it: RFC 793 gives no form,
    // and the ACK lets the peer see which of its segments we had.
    sendSegment(ctx, c, c.sndMax, TCP_RST | TCP_ACK, 0, 0, now);
    ctx.fail(c, 'reset', false, now);
    return;
  }

  // Fifth: the ACK field.
  if (!(f & TCP_ACK)) {
    ctx.drop('no-ack');
    return;
  }
  if (c.state === SYN_RECEIVED) {
    if (!(seqLt(c.sndUna, seg.ack) && seqLeq(seg.ack, c.sndNxt))) {
      ctx.drop('syn-received-bad-ack');
      sendSegment(ctx, c, seg.ack, TCP_RST, 0, 0, now);
      return;
    }
    completeHandshake(ctx, c, seg, seg.window << c.v[SND_SCALE], now);
  }
  if (!processAck(ctx, c, seg, now)) return;
  rememberTimestamp(c, seg);

  // Sixth: URG (RFC 9293 §3.8.5): data stays inline; remember RCV.UP and tell the application.
  if (old) return;
  if (f & TCP_URG && canReceive(c.state)) urgent(ctx, c, seqAdd(seg.seq, seg.urgentPointer));

  // Seventh and eighth: text and FIN.
  if (seg.payloadLength > 0 || f & TCP_FIN) {
    // Trim what precedes RCV.NXT (already received) before handing the rest on.
    if (seqLt(seq, c.rcvNxt)) seq = c.rcvNxt;
    text(ctx, c, seg, seq, now);
  }
}

/**
 * The fifth check for an established-or-later connection. Returns false when the segment must be
 * dropped now.
 */
function processAck(ctx: TcpContext, c: Connection, seg: TcpSegment, now: number): boolean {
  const config = ctx.config;
  const ack = seg.ack;
  // RFC 5961 §5.2: acceptable only within [SND.UNA − MAX.SND.WND, SND.MAX]. (SND.MAX rather than
  // SND.NXT: after a timeout rewinds SND.NXT, ACKs for data sent earlier are still good.)
  if (seqGt(ack, c.sndMax)) {
    ctx.drop('ack-of-unsent');
    if (config.rfc5961Ack) ctx.challengeAck(c, now);
    else sendAck(ctx, c, now);
    return false;
  }
  if (config.rfc5961Ack && seqLt(ack, seqAdd(c.sndUna, -c.v[MAX_SND_WND]))) {
    ctx.drop('ack-challenged');
    ctx.challengeAck(c, now);
    return false;
  }
  return takeAck(ctx, c, seg, now);
}

/**
 * The fifth check's work once the ACK is acceptable: SACK blocks, data acknowledged, duplicate
 * ACKs, the send window. Returns false when the segment must be dropped now.
 */
function takeAck(ctx: TcpContext, c: Connection, seg: TcpSegment, now: number): boolean {
  const config = ctx.config, v = c.v;
  const ack = seg.ack;
  if ((c.flags & SACK_OK) !== 0 && seg.options.sackCount > 0) takeSackBlocks(c, seg);
  const window = seg.window << v[SND_SCALE];
  // The peer is alive and answering (also when it only answers window probes, RFC 6429).
  v[LAST_ACK_AT] = now;
  if (seqGt(ack, c.sndUna)) {
    let acked = seqDiff(ack, c.sndUna);
    // RTT: from the echoed timestamp when there is one (RFC 7323 §4), else Karn's timed segment.
    // An echo of a transmission older than our last retransmission is left out: its ACKs were
    // lost or held behind a hole, so it measures the recovery, and under heavy loss such samples
    // would push the RTO to its cap and keep it there (Karn's rule, RFC 6298 §3, in its spirit).
    if ((c.flags & TS_OK) !== 0 && seg.options.hasTimestamps && seg.options.tsEcr !== 0) {
      if (v[LAST_RTX_AT] < 0 || seqGeq(seg.options.tsEcr, v[LAST_RTX_AT] >>> 0)) sampleRtt(ctx, c, ((now >>> 0) - seg.options.tsEcr) >>> 0);
      v[RTT_START] = -1;
    } else if (v[RTT_START] >= 0 && seqGeq(ack, v[RTT_SEQ])) {
      if (v[RTX_COUNT] === 0) sampleRtt(ctx, c, now - v[RTT_START]);
      v[RTT_START] = -1;
    }
    // The ACK covers our FIN when it passes the end of our data, the FIN's sequence number being
    // the only one after it; also when a timeout cleared FIN_SENT to send the FIN again and this
    // ACK of the first one overtook the resend.
    const queued = c.sendBuffer.length;
    const dataEnd = seqAdd(c.sndUna, queued);
    const finAcked = (c.flags & FIN_QUEUED) !== 0 && seqGt(ack, dataEnd);
    if (finAcked) {
      c.flags |= FIN_SENT;
      v[FIN_SEQ] = dataEnd;
      acked--;
    }
    const dataAcked = acked < queued ? acked : queued;
    c.sendBuffer.consume(dataAcked);
    c.sndUna = ack;
    if (seqLt(c.sndNxt, ack)) c.sndNxt = ack;
    if (v[SACKED_COUNT] > 0) trimScoreboard(c);
    v[RTX_COUNT] = 0;
    v[RTX_FIRST_AT] = -1;
    if (ccNewAck(c, dataAcked, now)) {
      // RFC 6582 §3.2 step 3: a partial ACK in recovery; resend the next hole at once.
      v[FAST_RETRANSMITS]++;
      v[REXMIT_HIGH] = retransmitAt(ctx, c, c.sndUna, now);
    }
    c.rtxAt = c.sndUna === c.sndMax ? Infinity : now + v[RTO];
    if (c.rtxAt !== Infinity) ctx.armed(c.rtxAt);
    if (dataAcked > 0) ctx.notifyWritable(c);
    if (finAcked) {
      if (c.state === FIN_WAIT_1) {
        ctx.setState(c, FIN_WAIT_2, 'fin-acked');
        if ((c.flags & READ_CLOSED) !== 0) {
          c.closeAt = now + config.finWait2TimeoutMs;
          ctx.armed(c.closeAt);
        }
      } else if (c.state === CLOSING) {
        ctx.enterTimeWait(c, now);
        return false;
      } else if (c.state === LAST_ACK) {
        ctx.finish(c, now);
        return false;
      }
    }
  } else if (ack === c.sndUna && seg.payloadLength === 0 && !(seg.flags & (TCP_SYN | TCP_FIN)) && window > 0 &&
      c.sndUna !== c.sndMax && (window === c.sndWnd || ((c.flags & SACK_OK) !== 0 && seg.options.sackCount > 0))) {
    // RFC 5681 §2 duplicate ACK: nothing new, same window, data outstanding; with SACK, RFC 6675 §2
    // counts an ACK carrying SACK information even if the window moved (receivers grow it while
    // they SACK). Answers to window probes, with a zero window, are not loss signals.
    v[DUP_ACKS_IN]++;
    ctx.counters.dupAcks++;
    if (ccDupAck(c, config.congestionControl, now)) {
      v[FAST_RETRANSMITS]++;
      ctx.counters.fastRetransmits++;
      v[REXMIT_HIGH] = retransmitAt(ctx, c, c.sndUna, now);
    } else if ((c.flags & IN_RECOVERY) !== 0 && v[SACKED_COUNT] > 0) retransmitHole(ctx, c, now);
  }
  updateWindow(c, seg.seq, ack, window);
  if ((c.state === CLOSING || c.state === LAST_ACK) && !(seg.flags & TCP_FIN) && seg.payloadLength === 0) {
    return false;
  }
  return true;
}

/** Window update (§3.10.7.4 fifth): only from a segment newer than the last one used. */
function updateWindow(c: Connection, seq: number, ack: number, window: number): void {
  const v = c.v, wl1 = v[SND_WL1];
  if (seqLt(wl1, seq) || (wl1 === seq && seqLeq(v[SND_WL2], ack))) {
    // MAX.SND.WND >= SND.WND always (both are set together), so an unchanged window needs no look.
    if (window !== c.sndWnd) {
      c.sndWnd = window;
      if (window > v[MAX_SND_WND]) v[MAX_SND_WND] = window;
    }
    v[SND_WL1] = seq;
    v[SND_WL2] = ack;
    if (window > 0) {
      v[PERSIST_BACKOFF] = 0;
      c.persistAt = Infinity;
    }
  }
}

/**
 * RFC 7323 §4.3: remember the timestamp of a segment that covers Last.ACK.sent — only once its
 * ACK passed the checks, so a forged or corrupted segment cannot poison PAWS.
 */
function rememberTimestamp(c: Connection, seg: TcpSegment): void {
  const o = seg.options, v = c.v;
  if ((c.flags & TS_OK) !== 0 && o.hasTimestamps && seqGeq(o.tsVal, v[TS_RECENT]) && seqLeq(seg.seq, v[LAST_ACK_SENT])) v[TS_RECENT] = o.tsVal;
}

/** Merge the peer's SACK blocks (RFC 2018 §3) into the scoreboard, keeping only plausible ones. */
function takeSackBlocks(c: Connection, seg: TcpSegment): void {
  const o = seg.options;
  const dataEnd = seqAdd(c.sndUna, c.sendBuffer.length);
  for (let b = 0; b < o.sackCount; b++) {
    let left = o.sackBlocks[2 * b]!, right = o.sackBlocks[2 * b + 1]!;
    // Blocks must lie within what we sent and above what is acknowledged; others are ignored.
    if (!seqLt(left, right) || seqGt(right, c.sndMax) || seqLeq(right, c.sndUna)) continue;
    if (seqLt(left, c.sndUna)) left = c.sndUna;
    // SACK covers data (RFC 2018 §3); a block that also covers our FIN is cut at the data's end.
    if (seqGt(right, dataEnd)) right = dataEnd;
    if (!seqLt(left, right)) continue;
    // Merge with every range it touches.
    const r = c.sacked;
    for (let i = 0; i < c.v[SACKED_COUNT]; ) {
      const l = r[2 * i]!, h = r[2 * i + 1]!;
      if (seqLeq(l, right) && seqLeq(left, h)) {
        if (seqLt(l, left)) left = l;
        if (seqGt(h, right)) right = h;
        removeRange(c, i);
      } else i++;
    }
    if (c.v[SACKED_COUNT] === SCOREBOARD_RANGES) {
      // Full: forget the range farthest from SND.UNA (it matters last).
      let far = 0;
      for (let i = 1; i < c.v[SACKED_COUNT]; i++) if (seqGt(r[2 * i]!, r[2 * far]!)) far = i;
      removeRange(c, far);
    }
    r[2 * c.v[SACKED_COUNT]] = left;
    r[2 * c.v[SACKED_COUNT] + 1] = right;
    c.v[SACKED_COUNT]++;
  }
}

function removeRange(c: Connection, i: number): void {
  const last = c.v[SACKED_COUNT] - 1;
  c.sacked[2 * i] = c.sacked[2 * last]!;
  c.sacked[2 * i + 1] = c.sacked[2 * last + 1]!;
  c.v[SACKED_COUNT] = last;
}

/** Drop scoreboard ranges now below SND.UNA. */
function trimScoreboard(c: Connection): void {
  for (let i = 0; i < c.v[SACKED_COUNT]; ) {
    if (seqLeq(c.sacked[2 * i + 1]!, c.sndUna)) removeRange(c, i);
    else {
      if (seqLt(c.sacked[2 * i]!, c.sndUna)) c.sacked[2 * i] = c.sndUna;
      i++;
    }
  }
}

/**
 * In SACK-assisted recovery, each further duplicate ACK may resend the next hole below the highest
 * SACKed byte that was not resent yet in this recovery (the loss-recovery idea of RFC 6675 §5).
 */
function retransmitHole(ctx: TcpContext, c: Connection, now: number): void {
  let highest = c.sndUna;
  for (let i = 0; i < c.v[SACKED_COUNT]; i++) highest = seqMax(highest, c.sacked[2 * i + 1]!);
  let seq = seqMax(c.sndUna, c.v[REXMIT_HIGH]);
  // Skip SACKed ranges to the start of the next hole.
  for (let moved = true, guard = 0; moved && guard <= c.v[SACKED_COUNT]; guard++) {
    moved = false;
    for (let i = 0; i < c.v[SACKED_COUNT]; i++) {
      if (seqGeq(seq, c.sacked[2 * i]!) && seqLt(seq, c.sacked[2 * i + 1]!)) {
        seq = c.sacked[2 * i + 1]!;
        moved = true;
      }
    }
  }
  if (!seqLt(seq, highest)) return;
  const end = retransmitAt(ctx, c, seq, now);
  if (end !== seq) {
    c.v[REXMIT_HIGH] = end;
    c.v[FAST_RETRANSMITS]++;
    ctx.counters.fastRetransmits++;
  }
}

/** RFC 9293 §3.8.5: a new urgent pointer. */
function urgent(ctx: TcpContext, c: Connection, up: number): void {
  if ((c.flags & URGENT_PENDING) !== 0 && !seqGt(up, c.v[RCV_UP])) return;
  c.v[RCV_UP] = up;
  c.flags |= URGENT_PENDING;
  ctx.counters.urgentIn++;
  ctx.notifyUrgent(c);
}

/** Seventh and eighth: take text into the receive ring (in order, or held out of order), then FIN. */
function text(ctx: TcpContext, c: Connection, seg: TcpSegment, seq: number, now: number): void {
  if (!canReceive(c.state)) {
    // CLOSE-WAIT, CLOSING, LAST-ACK: the peer already sent FIN; a retransmitted FIN is re-ACKed.
    if (seg.flags & TCP_FIN || seg.payloadLength > 0) c.flags |= ACK_NOW;
    return;
  }
  const skip = seqDiff(seq, seg.seq) - (seg.flags & TCP_SYN ? 1 : 0);
  const have = Math.max(0, seg.payloadLength - skip);
  const q = c.reassembly;
  if (have > 0 && (c.flags & READ_CLOSED) !== 0) {
    // RFC 9293 §3.10.7.4 / RFC 1122 §4.2.2.13: nobody will read it; reset.
    ctx.drop('data-after-close');
    ctx.fail(c, 'aborted', true, now);
    return;
  }
  if (seq !== c.rcvNxt) {
    // Out of order: hold what fits in the window (RFC 9293 §3.10.7.4), ACK at once with SACK
    // blocks so the sender learns of the gap (RFC 5681 §4.2, RFC 2018 §4).
    c.v[OUT_OF_ORDER_IN]++;
    ctx.counters.outOfOrder++;
    c.flags |= ACK_NOW | OUT_OF_ORDER_HELD;
    const offset = seqDiff(seq, c.rcvNxt);
    const room = c.receiveBuffer.free - offset;
    const n = Math.min(have, room);
    if (n > 0 && q.add(c.rcvNxt, seq, n)) {
      c.receiveBuffer.writeAt(offset, seg.bytes, seg.payloadOffset + skip, n);
      if (seg.flags & TCP_FIN && n === have) q.finSeq = seqAdd(seq, n);
    } else if (have > 0) ctx.drop('reassembly-full');
    else if (seg.flags & TCP_FIN) q.finSeq = seq;
    return;
  }
  const hadHoles = q.count > 0;
  let fin = (seg.flags & TCP_FIN) !== 0;
  if (have > 0) {
    const took = c.receiveBuffer.write(seg.bytes, seg.payloadOffset + skip, have);
    c.rcvNxt = seqAdd(c.rcvNxt, took);
    c.v[BYTES_RECEIVED] += took;
    ctx.counters.bytesIn += took;
    c.unackedBytes += took;
    // A FIN only counts when every byte before it was taken.
    if (took < have) fin = false;
    // Data held beyond the gap may now be contiguous.
    const more = q.advance(c.rcvNxt);
    if (more > 0) {
      const committed = c.receiveBuffer.commit(more);
      c.rcvNxt = seqAdd(c.rcvNxt, committed);
      c.v[BYTES_RECEIVED] += committed;
      ctx.counters.bytesIn += committed;
      q.advance(c.rcvNxt);
    }
    if (q.finSeq >= 0 && q.finSeq === c.rcvNxt) fin = true;
    if (q.count === 0 && q.finSeq < 0) c.flags &= ~OUT_OF_ORDER_HELD;
    ackInOrder(ctx, c, hadHoles);
    if (took + more > 0) ctx.notifyReadable(c);
    // The delayed ACK, if one is still owed after the application's callback (see ackInOrder).
    if (c.unackedBytes > 0 && (c.flags & ACK_NOW) === 0) delayAck(ctx, c, now);
  }
  if (fin) {
    q.clear();
    c.rcvNxt = seqAdd(c.rcvNxt, 1);
    c.flags |= FIN_RECEIVED;
    c.flags |= ACK_NOW;
    switch (c.state) {
      case ESTABLISHED:
        ctx.setState(c, CLOSE_WAIT, 'fin');
        break;
      case FIN_WAIT_1:
        // Our FIN not yet acknowledged (else we would be in FIN-WAIT-2): simultaneous close.
        ctx.setState(c, CLOSING, 'fin');
        break;
      case FIN_WAIT_2:
        sendAck(ctx, c, now);
        ctx.notifyPeerClosed(c);
        ctx.enterTimeWait(c, now);
        return;
    }
    ctx.notifyPeerClosed(c);
  }
}
