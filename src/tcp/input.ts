// SEGMENT ARRIVES for a connection block (RFC 9293 §3.10.7.3 for SYN-SENT, §3.10.7.4 for the
// rest), with RFC 5961's defences against blind RST, SYN and data injection. Segments for no block
// (CLOSED, LISTEN) and for TIME-WAIT are handled in tcp.ts, listener.ts and the TIME-WAIT table.
// The numbered comments follow the RFC's "first ... eighth" checks.

import { seqAdd, seqDiff, seqGeq, seqGt, seqInRange, seqLeq, seqLt } from '../wire/seq';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from '../wire/tcp';
import type { Connection } from './connection';
import type { TcpContext } from './context';
import { output, sendAck, sendSegment, sendSyn } from './output';
import { rttSample } from './rtt';
import {
  CLOSE_WAIT, CLOSING, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK, SYN_RECEIVED, SYN_SENT, canReceive,
} from './state';

/** Largest MSS option value we accept from a peer before bounding it by our own MTU. */
const DEFAULT_MSS = 536; // RFC 9293 §3.7.1: assume 536 when the option is absent (RFC 6691)

/** Options of the peer's SYN: MSS (RFC 9293 §3.7.1) and window scale (RFC 7323 §2.2). */
export function takeSynOptions(ctx: TcpContext, c: Connection, seg: TcpSegment): void {
  const o = seg.options;
  const peerMss = o.mss > 0 ? o.mss : DEFAULT_MSS;
  c.sndMss = Math.max(64, Math.min(peerMss, ctx.ip.maxPayload - 20));
  c.peerOfferedScale = o.windowScale >= 0;
  if (c.peerOfferedScale && ctx.config.windowScale >= 0) {
    // RFC 7323 §2.3: a shift above 14 is used as 14.
    c.sndScale = Math.min(o.windowScale, 14);
  } else {
    c.sndScale = 0;
    c.rcvScale = 0;
  }
}

export function segmentArrives(ctx: TcpContext, c: Connection, seg: TcpSegment, now: number): void {
  c.segmentsIn++;
  if (c.state === SYN_SENT) synSent(ctx, c, seg, now);
  else synchronizedOrReceived(ctx, c, seg, now);
  // The block may have left the table (closed, reset, or moved to TIME-WAIT) while processing.
  if (c.indexed) output(ctx, c, now);
}

/** RFC 9293 §3.10.7.3. */
function synSent(ctx: TcpContext, c: Connection, seg: TcpSegment, now: number): void {
  const f = seg.flags;
  // First: the ACK must acknowledge our SYN and nothing beyond it.
  let ackOk = false;
  if (f & TCP_ACK) {
    if (seqLeq(seg.ack, c.iss) || seqGt(seg.ack, c.sndNxt)) {
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
  c.irs = seg.seq;
  c.rcvNxt = seqAdd(seg.seq, 1);
  c.rcvAdv = c.rcvNxt;
  takeSynOptions(ctx, c, seg);
  if (ackOk) {
    ackOurSyn(ctx, c, seg, now);
    c.sndWnd = seg.window; // RFC 7323 §2.2: the window of a SYN is never scaled
    c.maxSndWnd = c.sndWnd;
    c.sndWl1 = seg.seq;
    c.sndWl2 = seg.ack;
    ctx.setState(c, ESTABLISHED, 'syn-ack');
    c.ackNow = true;
    ctx.established(c, now);
    // Data or FIN riding on the SYN-ACK: process it as in ESTABLISHED (RFC 9293 §3.10.7.3 "queue them").
    if (seg.payloadLength > 0 || f & TCP_FIN) text(ctx, c, seg, seqAdd(seg.seq, 1), now);
  } else {
    // Simultaneous open (RFC 9293 §3.5, Figure 8): our SYN crossed theirs.
    ctx.setState(c, SYN_RECEIVED, 'simultaneous-open');
    c.sndWnd = seg.window;
    c.maxSndWnd = c.sndWnd;
    c.sndWl1 = seg.seq;
    c.rtxCount = 0;
    sendSyn(ctx, c, now);
  }
}

/** Our SYN is acknowledged: SND.UNA moves past ISS, and the handshake RTT is sampled (Karn). */
function ackOurSyn(ctx: TcpContext, c: Connection, seg: TcpSegment, now: number): void {
  c.sndUna = seg.ack;
  if (c.rtxCount === 0 && c.rttStart >= 0) rttSample(c, now - c.rttStart, ctx.config);
  c.rttStart = -1;
  c.rtxCount = 0;
  c.rtxAt = Infinity;
}

/** RFC 9293 §3.10.7.4 for SYN-RECEIVED and the synchronized states (TIME-WAIT excepted). */
function synchronizedOrReceived(ctx: TcpContext, c: Connection, seg: TcpSegment, now: number): void {
  const f = seg.flags;
  const config = ctx.config;
  let seq = seg.seq;
  const segLen = seg.segmentLength;
  const window = c.receiveBuffer.free;

  if (c.state === SYN_RECEIVED && f & TCP_SYN && !(f & TCP_RST) && seg.seq === c.irs) {
    if (!(f & TCP_ACK)) {
      // A duplicate of the peer's SYN: our SYN-ACK was lost; send it again.
      sendSyn(ctx, c, now);
      return;
    }
    if (seqLt(c.sndUna, seg.ack) && seqLeq(seg.ack, c.sndNxt)) {
      // Simultaneous open, RFC 9293 Figure 8 line 6: the peer's SYN-ACK acknowledges our SYN.
      ackOurSyn(ctx, c, seg, now);
      c.sndWnd = seg.window; // a SYN's window is never scaled
      c.maxSndWnd = c.sndWnd;
      c.sndWl1 = seg.seq;
      c.sndWl2 = seg.ack;
      ctx.setState(c, ESTABLISHED, 'syn-ack');
      ctx.established(c, now);
      return;
    }
  }

  // First: is the segment acceptable (the four cases of §3.10.7.4)?
  const acceptable = segLen === 0
    ? window === 0 ? seq === c.rcvNxt : seqInRange(seq, c.rcvNxt, seqAdd(c.rcvNxt, window))
    : window > 0 && (seqInRange(seq, c.rcvNxt, seqAdd(c.rcvNxt, window)) ||
        seqInRange(seqAdd(seq, segLen - 1), c.rcvNxt, seqAdd(c.rcvNxt, window)));
  if (!acceptable) {
    if (f & TCP_RST) {
      ctx.drop('rst-out-of-window');
      return;
    }
    ctx.drop('out-of-window');
    sendAck(ctx, c, now);
    return;
  }
  ctx.touchKeepalive(c, now);

  // Second: RST (RFC 5961 §3.2: only an exact match resets; in-window gets a challenge ACK).
  if (f & TCP_RST) {
    ctx.counters.resetsIn++;
    if (config.rfc5961Rst && seq !== c.rcvNxt) {
      ctx.drop('rst-challenged');
      ctx.challengeAck(c, now);
      return;
    }
    if (c.state === SYN_RECEIVED && c.passive) ctx.forgetHalfOpen(c, 'rst');
    else if (c.state === SYN_RECEIVED) ctx.fail(c, 'refused', false, now);
    else if (c.state === CLOSING || c.state === LAST_ACK) ctx.finish(c, now);
    else ctx.fail(c, 'reset', false, now);
    return;
  }

  // Fourth: SYN in a synchronized state, or a new SYN in SYN-RECEIVED.
  if (f & TCP_SYN) {
    if (c.state === SYN_RECEIVED && c.passive) {
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
    // RFC 793: an in-window SYN is an error; reset the connection.
    ctx.fail(c, 'reset', true, now);
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
    ackOurSyn(ctx, c, seg, now);
    c.sndWnd = seg.window << c.sndScale;
    c.maxSndWnd = c.sndWnd;
    c.sndWl1 = seg.seq;
    c.sndWl2 = seg.ack;
    ctx.setState(c, ESTABLISHED, 'ack');
    ctx.established(c, now);
  }
  if (!processAck(ctx, c, seg, now)) return;

  // Sixth (URG) is left to the data-transfer issue; the pointer is ignored for now.
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
  // RFC 5961 §5.2: acceptable only within [SND.UNA − MAX.SND.WND, SND.NXT].
  if (seqGt(ack, c.sndNxt)) {
    ctx.drop('ack-of-unsent');
    if (config.rfc5961Ack) ctx.challengeAck(c, now);
    else sendAck(ctx, c, now);
    return false;
  }
  if (config.rfc5961Ack && seqLt(ack, seqAdd(c.sndUna, -c.maxSndWnd))) {
    ctx.drop('ack-challenged');
    ctx.challengeAck(c, now);
    return false;
  }
  if (seqGt(ack, c.sndUna)) {
    let acked = seqDiff(ack, c.sndUna);
    // Karn: sample only a segment that was not retransmitted.
    if (c.rttStart >= 0 && seqGeq(ack, c.rttSeq)) {
      if (c.rtxCount === 0) rttSample(c, now - c.rttStart, config);
      c.rttStart = -1;
    }
    const finAcked = c.finSent && seqGt(ack, c.finSeq);
    if (finAcked) acked--;
    const dataAcked = Math.min(acked, c.sendBuffer.length);
    c.sendBuffer.consume(dataAcked);
    c.sndUna = ack;
    if (seqLt(c.sndNxt, ack)) c.sndNxt = ack;
    c.rtxCount = 0;
    // Slow start until the congestion module refines it (RFC 5681 §3.1).
    c.cwnd += Math.min(dataAcked, c.sndMss);
    c.rtxAt = c.sndUna === c.sndMax ? Infinity : now + c.rto;
    if (c.rtxAt !== Infinity) ctx.armed(c.rtxAt);
    if (dataAcked > 0) ctx.notifyWritable(c);
    if (finAcked) {
      if (c.state === FIN_WAIT_1) {
        ctx.setState(c, FIN_WAIT_2, 'fin-acked');
        if (c.readClosed) {
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
  }
  // Window update (§3.10.7.4 fifth, ESTABLISHED): only from a segment newer than the last one used.
  if (seqLt(c.sndWl1, seg.seq) || (c.sndWl1 === seg.seq && seqLeq(c.sndWl2, ack))) {
    c.sndWnd = seg.window << c.sndScale;
    if (c.sndWnd > c.maxSndWnd) c.maxSndWnd = c.sndWnd;
    c.sndWl1 = seg.seq;
    c.sndWl2 = ack;
  }
  if ((c.state === CLOSING || c.state === LAST_ACK) && !(seg.flags & TCP_FIN) && seg.payloadLength === 0) {
    return false;
  }
  return true;
}

/** Seventh and eighth: take in-order text into the receive ring, then a FIN that follows it. */
function text(ctx: TcpContext, c: Connection, seg: TcpSegment, seq: number, now: number): void {
  if (!canReceive(c.state)) {
    // CLOSE-WAIT, CLOSING, LAST-ACK: the peer already sent FIN; a retransmitted FIN is re-ACKed.
    if (seg.flags & TCP_FIN || seg.payloadLength > 0) c.ackNow = true;
    return;
  }
  const skip = seqDiff(seq, seg.seq) - (seg.flags & TCP_SYN ? 1 : 0);
  const have = Math.max(0, seg.payloadLength - skip);
  if (seq !== c.rcvNxt) {
    // Out of order: without a reassembly queue (next issue) the segment is dropped and the gap ACKed.
    ctx.drop('out-of-order');
    c.ackNow = true;
    return;
  }
  if (have > 0) {
    if (c.readClosed) {
      // RFC 9293 §3.10.7.4 / RFC 1122 §4.2.2.13: nobody will read it; reset.
      ctx.drop('data-after-close');
      ctx.fail(c, 'aborted', true, now);
      return;
    }
    const took = c.receiveBuffer.write(seg.bytes, seg.payloadOffset + skip, have);
    c.rcvNxt = seqAdd(c.rcvNxt, took);
    ctx.counters.bytesIn += took;
    c.ackNow = true;
    if (took > 0) ctx.notifyReadable(c);
    // A FIN only counts when every byte before it was taken.
    if (took < have) return;
  }
  if (seg.flags & TCP_FIN) {
    c.rcvNxt = seqAdd(c.rcvNxt, 1);
    c.finReceived = true;
    c.ackNow = true;
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
