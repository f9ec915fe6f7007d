// Building and sending segments for a connection: SYN and SYN-ACK with their options, data and
// FIN from the send ring, pure ACKs, and RSTs. `output` decides what may go now (RFC 9293 §3.8.6
// send window; the congestion window joins it in congestion.ts).

import { TX_IP_PAYLOAD } from '../iface/ip-layer';
import { IP_PROTO_TCP } from '../wire/ipv4';
import { seqAdd, seqDiff, seqGt } from '../wire/seq';
import {
  TCP_ACK, TCP_FIN, TCP_HEADER_LEN, TCP_PSH, TCP_RST, TCP_SYN, TcpOptions, emitTcp, writeTcpOptions,
} from '../wire/tcp';
import type { Connection } from './connection';
import type { TcpContext } from './context';
import { rttStart } from './rtt';
import { CLOSE_WAIT, CLOSING, ESTABLISHED, FIN_WAIT_1, LAST_ACK, SYN_RECEIVED, SYN_SENT } from './state';

const synOptions = new TcpOptions();

/** The window to advertise now, unscaled bytes, never shrinking the right edge (RFC 9293 §3.8.6.2.2). */
function advertisedWindow(c: Connection): number {
  const free = Math.min(c.receiveBuffer.free, 0xffff << c.rcvScale);
  const edge = seqAdd(c.rcvNxt, free);
  if (seqGt(edge, c.rcvAdv) || c.rcvAdv === 0) c.rcvAdv = edge;
  return seqDiff(c.rcvAdv, c.rcvNxt);
}

/**
 * Send one segment of `c`: `dataLength` bytes taken from the send ring starting `dataOffset`
 * bytes after SND.UNA. Returns false when the interface could not take it (no route, no address).
 */
export function sendSegment(ctx: TcpContext, c: Connection, seq: number, flags: number, dataOffset: number, dataLength: number, now: number): boolean {
  const ip = ctx.ip, tx = ip.tx, at = TX_IP_PAYLOAD;
  let optLen = 0;
  if (flags & TCP_SYN) {
    const o = synOptions;
    o.reset();
    o.mss = c.rcvMss;
    // RFC 7323 §2.2: offer scaling in a SYN; in a SYN-ACK only if the peer offered it.
    if (ctx.config.windowScale >= 0 && (c.state === SYN_SENT || c.peerOfferedScale)) o.windowScale = c.rcvScale;
    optLen = writeTcpOptions(tx, at + TCP_HEADER_LEN, o);
  }
  const payloadAt = at + TCP_HEADER_LEN + optLen;
  if (dataLength > 0) c.sendBuffer.peek(dataOffset, tx, payloadAt, dataLength);
  // RFC 7323 §2.2: the window field of a SYN is never scaled.
  const window = flags & TCP_SYN ? Math.min(c.receiveBuffer.free, 0xffff) : advertisedWindow(c) >>> c.rcvScale;
  const ack = flags & TCP_ACK ? c.rcvNxt : 0;
  emitTcp(tx, at, c.localPort, c.remotePort, seq, ack, flags, window, 0, optLen, dataLength, c.localIp, c.remoteIp, ip.checksum);
  const r = ip.sendIpv4(c.remoteIp, IP_PROTO_TCP, TCP_HEADER_LEN + optLen + dataLength, now, true);
  if (flags & TCP_ACK) c.ackNow = false;
  c.segmentsOut++;
  ctx.counters.segmentsOut++;
  ctx.counters.bytesOut += dataLength;
  if (flags & TCP_RST) ctx.counters.resetsOut++;
  return r === 'sent' || r === 'queued';
}

/** (Re)send our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) and arm the retransmission timer. */
export function sendSyn(ctx: TcpContext, c: Connection, now: number): void {
  const flags = c.state === SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK;
  sendSegment(ctx, c, c.iss, flags, 0, 0, now);
  if (seqGt(seqAdd(c.iss, 1), c.sndMax)) c.sndMax = seqAdd(c.iss, 1);
  if (c.rtxCount === 0) rttStart(c, c.iss, now);
  c.rtxAt = now + c.rto;
  ctx.armed(c.rtxAt);
}

/** A pure ACK: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
export function sendAck(ctx: TcpContext, c: Connection, now: number): void {
  sendSegment(ctx, c, c.sndNxt, TCP_ACK, 0, 0, now);
}

/** RFC 9293 §3.10.4 ABORT: <SEQ=SND.NXT><CTL=RST>. */
export function sendReset(ctx: TcpContext, c: Connection, now: number): void {
  sendSegment(ctx, c, c.sndNxt, TCP_RST, 0, 0, now);
}

/**
 * Send what the windows allow: new data from the send ring, then FIN once the application has
 * closed and everything before it has gone; else a pending ACK.
 */
export function output(ctx: TcpContext, c: Connection, now: number): void {
  const s = c.state;
  if (s === SYN_SENT || s === SYN_RECEIVED) {
    // No data before the handshake completes; a challenge or duplicate ACK may still be due.
    if (c.ackNow && s === SYN_RECEIVED) sendAck(ctx, c, now);
    return;
  }
  const mayData = s === ESTABLISHED || s === CLOSE_WAIT || s === FIN_WAIT_1 || s === CLOSING || s === LAST_ACK;
  if (mayData) {
    // Bounded: each turn sends at least one byte or the FIN, or stops.
    for (;;) {
      const queued = c.sendBuffer.length;
      const sentData = Math.min(seqDiff(c.sndNxt, c.sndUna), queued);
      const unsent = queued - sentData;
      const window = Math.min(c.sndWnd, c.cwnd);
      const usable = window - seqDiff(c.sndNxt, c.sndUna);
      const len = Math.max(0, Math.min(unsent, usable, c.sndMss));
      // The FIN follows the last byte; it may exceed the window by its one sequence number.
      const fin = c.finQueued && !c.finSent && len === unsent && usable >= len;
      if (len === 0 && !fin) break;
      let flags = TCP_ACK;
      if (len > 0 && len === unsent) flags |= TCP_PSH;
      if (fin) flags |= TCP_FIN;
      const seq = c.sndNxt;
      sendSegment(ctx, c, seq, flags, sentData, len, now);
      const end = seqAdd(seq, len + (fin ? 1 : 0));
      if (fin) {
        c.finSent = true;
        c.finSeq = seqAdd(seq, len);
      }
      if (seqGt(end, c.sndMax)) {
        rttStart(c, end, now);
        c.sndMax = end;
      } else ctx.counters.retransmits++;
      c.sndNxt = end;
      if (c.rtxAt === Infinity) {
        c.rtxAt = now + c.rto;
        ctx.armed(c.rtxAt);
      }
      if (fin) break;
    }
  }
  if (c.ackNow) sendAck(ctx, c, now);
}
