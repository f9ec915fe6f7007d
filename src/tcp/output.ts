// Building and sending segments for a connection: SYN and SYN-ACK with their options, data and
// FIN from the send ring, ACKs (with timestamps and SACK blocks), RSTs, window probes and fast
// retransmissions. `output` decides what may go now: the send window (RFC 9293 §3.8.6) and the
// congestion window (RFC 5681), Nagle (RFC 896) and sender-side silly window avoidance
// (RFC 1122 §4.2.3.4), and the persist timer when the peer's window is closed.

import { TX_IP_PAYLOAD } from '../iface/ip-layer';
import { IP_PROTO_TCP } from '../wire/ipv4';
import { seqAdd, seqDiff, seqGt, seqGeq, seqLeq, seqLt } from '../wire/seq';
import {
  MAX_SACK_BLOCKS, TCP_ACK, TCP_FIN, TCP_HEADER_LEN, TCP_PSH, TCP_RST, TCP_SYN, TcpOptions, emitTcp, writeSynOptions,
  writeTcpOptions, writeTimestampsOption,
} from '../wire/tcp';
import { ccRestartAfterIdle } from './congestion';
import type { TcpConfig } from './config';
import type { Connection } from './connection';
import type { TcpContext } from './context';
import { clampRto, rttStart } from './rtt';
import { CLOSE_WAIT, CLOSING, ESTABLISHED, FIN_WAIT_1, LAST_ACK, SYN_RECEIVED, SYN_SENT } from './state';
import {
  ACK_NOW, BYTES_SENT, FIN_QUEUED, FIN_SENT, FIN_SEQ, FORCE_SEND, ISS, LAST_ACK_SENT, LAST_RTX_AT,
  LAST_SEND_AT, LOCAL_IP, LOCAL_PORT, MAX_SND_WND, NO_DELAY, PEER_OFFERED_SCALE, PERSIST_BACKOFF, RCV_MSS,
  RCV_SCALE, REMOTE_IP, REMOTE_PORT, RETRANSMITS, RTO, RTT_START, RTX_COUNT, SACKED_COUNT, SACK_OK,
  SEGMENTS_OUT, TS_OK, TS_RECENT, OUT_OF_ORDER_HELD,
} from './connection';

const options = new TcpOptions();

/**
 * SACK blocks an ACK of `c` carries now (RFC 2018 §4: 3 beside timestamps, else 4): none unless
 * out-of-order data is held (a clear OUT_OF_ORDER_HELD means the reassembly queue is empty).
 */
function sackBlocksNow(c: Connection): number {
  const held = SACK_OK | OUT_OF_ORDER_HELD;
  if ((c.flags & held) !== held) return 0;
  const ranges = c.reassembly.count;
  const most = (c.flags & TS_OK) !== 0 ? 3 : MAX_SACK_BLOCKS;
  return ranges < most ? ranges : most;
}

/** Option bytes every non-SYN segment of `c` carries now; payload shrinks by as much (RFC 6691). */
export function optionSpace(c: Connection): number {
  const blocks = sackBlocksNow(c);
  return ((c.flags & TS_OK) !== 0 ? 12 : 0) + (blocks > 0 ? 4 + 8 * blocks : 0);
}

/**
 * The window to advertise now, bytes, with receiver-side silly window avoidance (RFC 1122
 * §4.2.3.3); `scale` is our window scale (RCV.WIND.SHIFT).
 */
function advertisedWindow(c: Connection, scale: number): number {
  const room = c.receiveBuffer.free, most = 0xffff << scale;
  const offer = room < most ? room : most;
  // The window the right edge we announced last leaves (RCV.ADV - RCV.NXT), and how far the edge
  // would move if we offered all we can (RCV.NXT + offer - RCV.ADV, modulo 2^32).
  const current = seqDiff(c.rcvAdv, c.rcvNxt);
  const moved = (offer - current) | 0;
  // Move the right edge only by at least min(MSS, half the buffer), never backwards.
  if (moved > 0 && (moved >= windowStep(c) || current <= 0)) {
    c.rcvAdv = seqAdd(c.rcvNxt, offer);
    return offer;
  }
  return current > 0 ? current : 0;
}

/**
 * Receiver silly window avoidance (RFC 9293 §3.8.6.2.2, RFC 1122 §4.2.3.3): the least the right
 * edge moves, min(a full segment, half the buffer). A full segment is the MSS we announced less
 * the timestamp option every segment then carries: the peer's full-sized segments hold that much,
 * and a step of the bare MSS would never be reached by one of them.
 */
export function windowStep(c: Connection): number {
  const full = c.v[RCV_MSS] - ((c.flags & TS_OK) !== 0 ? 12 : 0), half = c.receiveBuffer.capacity >> 1;
  return full < half ? full : half;
}

/**
 * Send one segment of `c`: `dataLength` bytes taken from the send ring starting `dataOffset`
 * bytes after SND.UNA. Returns false when the interface could not take it (no route, no address).
 */
export function sendSegment(ctx: TcpContext, c: Connection, seq: number, flags: number, dataOffset: number, dataLength: number, now: number): boolean {
  const ip = ctx.ip, tx = ip.tx, view = ip.txView, at = TX_IP_PAYLOAD, v = c.v;
  let optLen = 0;
  if (flags & TCP_SYN) {
    // RFC 7323 §2.2, §3.2 and RFC 2018 §2: offer in a SYN; in a SYN-ACK only what the peer offered.
    const offering = c.state === SYN_SENT;
    optLen = writeOurSynOptions(view, at + TCP_HEADER_LEN, ctx.config, v[RCV_MSS], v[RCV_SCALE], offering || (c.flags & PEER_OFFERED_SCALE) !== 0,
      offering || (c.flags & TS_OK) !== 0, offering || (c.flags & SACK_OK) !== 0, offering ? 0 : v[TS_RECENT], now);
  } else if (!(flags & TCP_RST)) {
    // After the handshake: timestamps if agreed (RFC 7323 §3.2), SACK blocks while the
    // reassembly queue holds data (RFC 2018 §4). Most segments carry no options or the
    // timestamps alone, written without filling the options object.
    const blocks = flags & TCP_ACK ? sackBlocksNow(c) : 0;
    if (blocks > 0) {
      const o = options;
      o.reset();
      if ((c.flags & TS_OK) !== 0) {
        o.hasTimestamps = true;
        o.tsVal = now >>> 0;
        o.tsEcr = v[TS_RECENT];
      }
      o.sackCount = c.reassembly.sackBlocks(o.sackBlocks, blocks);
      optLen = writeTcpOptions(tx, at + TCP_HEADER_LEN, o, view);
    } else if ((c.flags & TS_OK) !== 0) {
      optLen = writeTimestampsOption(view, at + TCP_HEADER_LEN, now >>> 0, v[TS_RECENT]);
    }
  }
  const payloadAt = at + TCP_HEADER_LEN + optLen;
  if (dataLength > 0) c.sendBuffer.peek(dataOffset, tx, payloadAt, dataLength);
  // RFC 7323 §2.2: the window field of a SYN is never scaled.
  let window: number;
  if (flags & TCP_SYN) {
    const room = c.receiveBuffer.free;
    window = room < 0xffff ? room : 0xffff;
  } else {
    const scale = v[RCV_SCALE];
    window = advertisedWindow(c, scale) >>> scale;
  }
  // A SYN-ACK's window is advertised too: remember its right edge (else the first read would
  // announce the window again).
  if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && seqGt(seqAdd(c.rcvNxt, window), c.rcvAdv)) c.rcvAdv = seqAdd(c.rcvNxt, window);
  const ack = flags & TCP_ACK ? c.rcvNxt : 0;
  const remoteIp = v[REMOTE_IP];
  emitTcp(tx, at, v[LOCAL_PORT], v[REMOTE_PORT], seq, ack, flags, window, 0, optLen, dataLength, v[LOCAL_IP], remoteIp, ip.checksum, view);
  const r = ip.sendIpv4(remoteIp, IP_PROTO_TCP, TCP_HEADER_LEN + optLen + dataLength, now, true);
  if (flags & TCP_ACK) {
    // Any ACK we send satisfies the pending one (RFC 1122 §4.2.3.2), and is Last.ACK.sent (RFC 7323 §4.3).
    c.flags &= ~ACK_NOW;
    c.ackAt = Infinity;
    c.unackedBytes = 0;
    v[LAST_ACK_SENT] = c.rcvNxt;
  }
  if (dataLength > 0) {
    v[LAST_SEND_AT] = now;
    v[BYTES_SENT] += dataLength;
  }
  v[SEGMENTS_OUT]++;
  const counters = ctx.counters;
  counters.segmentsOut++;
  counters.bytesOut += dataLength;
  if (flags & TCP_RST) counters.resetsOut++;
  return r === 'sent' || r === 'queued';
}

/**
 * Write the options of our SYN or SYN-ACK at tx[off] (RFC 9293 §3.7.1 MSS; RFC 7323 window scale
 * and timestamps; RFC 2018 SACK-permitted), each only if configured and if `scale`/`ts`/`sack` say
 * so (in a SYN-ACK: only what the peer offered). Returns their length. Shared by connection blocks
 * and the SYN cache and cookies (Tcp.sendSynAck).
 */
export function writeOurSynOptions(
  view: DataView, off: number, config: TcpConfig, rcvMss: number, rcvScale: number, scale: boolean, ts: boolean,
  sack: boolean, tsEcr: number, now: number,
): number {
  return writeSynOptions(view, off, rcvMss, config.windowScale >= 0 && scale ? rcvScale : -1, config.sack && sack,
    config.timestamps && ts, now >>> 0, tsEcr);
}

/** (Re)send our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) and arm the retransmission timer. */
export function sendSyn(ctx: TcpContext, c: Connection, now: number): void {
  const flags = c.state === SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK;
  sendSegment(ctx, c, c.v[ISS], flags, 0, 0, now);
  if (seqGt(seqAdd(c.v[ISS], 1), c.sndMax)) c.sndMax = seqAdd(c.v[ISS], 1);
  if (c.v[RTX_COUNT] === 0) rttStart(c, c.v[ISS], now);
  c.rtxAt = now + c.v[RTO];
  ctx.armed(c.rtxAt);
}

/**
 * A pure ACK: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with SND.MAX for SND.NXT as BSD does: after a
 * timeout rewinds SND.NXT, an ACK numbered below what the peer already has would be unacceptable
 * to it and draw an ACK back.
 */
export function sendPureAck(ctx: TcpContext, c: Connection, now: number): void {
  sendSegment(ctx, c, c.sndMax, TCP_ACK, 0, 0, now);
}

/**
 * The ACK the connection owes (delayed, immediate, or for an unacceptable segment). With
 * `resendFinWithAck` (BSD), while our FIN is unacknowledged it goes as the FIN again, numbered as
 * the FIN: a retransmission RFC 9293 always allows. Challenge ACKs stay bare (sendPureAck).
 */
export function sendAck(ctx: TcpContext, c: Connection, now: number): void {
  if ((c.flags & FIN_SENT) !== 0 && ctx.config.resendFinWithAck && seqLeq(c.sndUna, c.v[FIN_SEQ])) {
    sendSegment(ctx, c, c.v[FIN_SEQ], TCP_ACK | TCP_FIN, 0, 0, now);
  } else sendPureAck(ctx, c, now);
}

/** RFC 9293 §3.10.4 ABORT: <SEQ=SND.NXT><CTL=RST>. */
export function sendReset(ctx: TcpContext, c: Connection, now: number): void {
  sendSegment(ctx, c, c.sndNxt, TCP_RST, 0, 0, now);
}

/** If `seq` lies in a range the peer SACKed, the end of that range; else `seq`. */
function pastSacked(c: Connection, seq: number): number {
  const r = c.sacked;
  for (let moved = true, guard = 0; moved && guard < c.v[SACKED_COUNT] + 1; guard++) {
    moved = false;
    for (let i = 0; i < c.v[SACKED_COUNT]; i++) {
      if (seqGeq(seq, r[2 * i]!) && seqLt(seq, r[2 * i + 1]!)) {
        seq = r[2 * i + 1]!;
        moved = true;
      }
    }
  }
  return seq;
}

/** Bytes from `seq` to the start of the next SACKed range above it, or Infinity. */
function untilSacked(c: Connection, seq: number): number {
  let d = Infinity;
  for (let i = 0; i < c.v[SACKED_COUNT]; i++) {
    const left = c.sacked[2 * i]!;
    if (seqGt(left, seq)) d = Math.min(d, seqDiff(left, seq));
  }
  return d;
}

/**
 * Retransmit one segment starting at `seq` (SND.UNA for fast retransmit and NewReno partial ACKs,
 * or a hole the scoreboard shows), with the FIN if it is due right after. Does not move SND.NXT.
 * Returns the sequence number just past what was resent, or `seq` when nothing was.
 */
export function retransmitAt(ctx: TcpContext, c: Connection, seq: number, now: number): number {
  const offset = seqDiff(seq, c.sndUna);
  const queued = c.sendBuffer.length;
  if (offset < 0 || offset > queued) return seq;
  const len = Math.min(queued - offset, c.sndMss - optionSpace(c), untilSacked(c, seq));
  const fin = (c.flags & FIN_SENT) !== 0 && offset + len === queued && !seqGt(c.sndUna, c.v[FIN_SEQ]);
  if (len <= 0 && !fin) return seq;
  sendSegment(ctx, c, seq, TCP_ACK | (fin ? TCP_FIN : 0), offset, len, now);
  c.v[RTT_START] = -1; // Karn
  c.v[LAST_RTX_AT] = now;
  c.v[RETRANSMITS]++;
  ctx.counters.retransmits++;
  c.rtxAt = now + c.v[RTO];
  ctx.armed(c.rtxAt);
  return seqAdd(seq, len);
}

/** May a segment shorter than the maximum go now? (Nagle, RFC 896; SWS, RFC 1122 §4.2.3.4.) */
function smallSegmentMayGo(c: Connection, len: number, unsent: number): boolean {
  if ((c.flags & FORCE_SEND) !== 0) return true;
  if (seqLt(c.sndNxt, c.sndMax)) return true; // a retransmission
  const idle = c.sndUna === c.sndMax;
  if (len === unsent && (idle || (c.flags & NO_DELAY) !== 0)) return true;
  return c.v[MAX_SND_WND] > 0 && len >= c.v[MAX_SND_WND] / 2;
}

/**
 * Send what the windows allow: data from the send ring (skipping what the peer SACKed when
 * resending), then FIN once the application has closed and everything before it has gone; else
 * a pending ACK. Arms the persist timer when data waits on a closed or silly window.
 */
export function output(ctx: TcpContext, c: Connection, now: number): void {
  const s = c.state;
  if (s === SYN_SENT || s === SYN_RECEIVED) {
    // No data before the handshake completes; a challenge or duplicate ACK may still be due.
    if ((c.flags & ACK_NOW) !== 0 && s === SYN_RECEIVED) sendAck(ctx, c, now);
    return;
  }
  // Nothing queued, nothing to resend, no FIN to go (the common case of a receiver): the loop
  // below would send nothing and arm nothing, so all that can be due is the ACK we owe.
  if (c.sendBuffer.length === 0 && c.sndNxt === c.sndMax && (c.flags & FIN_QUEUED) === 0) {
    if ((c.flags & ACK_NOW) !== 0) sendAck(ctx, c, now);
    return;
  }
  const mayData = s === ESTABLISHED || s === CLOSE_WAIT || s === FIN_WAIT_1 || s === CLOSING || s === LAST_ACK;
  if (mayData) {
    if (c.sndNxt === c.sndMax && c.sendBuffer.length > seqDiff(c.sndMax, c.sndUna)) {
      ccRestartAfterIdle(c, now, ctx.config.initialWindowSegments);
    }
    // Bounded: each turn sends at least one byte or the FIN, or stops.
    // (Comparisons rather than Math.min/max calls: this runs for every segment sent.)
    for (;;) {
      let resending = seqLt(c.sndNxt, c.sndMax);
      if (resending) {
        c.sndNxt = pastSacked(c, c.sndNxt);
        resending = seqLt(c.sndNxt, c.sndMax);
      }
      const queued = c.sendBuffer.length;
      const inFlight = seqDiff(c.sndNxt, c.sndUna);
      const sentData = inFlight < queued ? inFlight : queued;
      const unsent = queued - sentData;
      const usable = (c.sndWnd < c.cwnd ? c.sndWnd : c.cwnd) - inFlight;
      const maxSegment = c.sndMss - optionSpace(c);
      let len = unsent < usable ? unsent : usable;
      if (maxSegment < len) len = maxSegment;
      if (len < 0) len = 0;
      if (resending) len = Math.min(len, untilSacked(c, c.sndNxt));
      // The FIN follows the last byte; it may exceed the window by its one sequence number.
      const fin = (c.flags & FIN_QUEUED) !== 0 && (c.flags & FIN_SENT) === 0 && len === unsent && usable >= len;
      if (len === 0 && !fin) break;
      if (len > 0 && len < maxSegment && !fin && !smallSegmentMayGo(c, len, unsent)) break;
      let flags = TCP_ACK;
      if (len > 0 && len === unsent) flags |= TCP_PSH;
      if (fin) flags |= TCP_FIN;
      const seq = c.sndNxt;
      sendSegment(ctx, c, seq, flags, sentData, len, now);
      const end = seqAdd(seq, len + (fin ? 1 : 0));
      if (fin) {
        c.flags |= FIN_SENT;
        c.v[FIN_SEQ] = seqAdd(seq, len);
      }
      if (seqGt(end, c.sndMax)) {
        rttStart(c, end, now);
        c.sndMax = end;
      } else {
        c.v[LAST_RTX_AT] = now;
        c.v[RETRANSMITS]++;
        ctx.counters.retransmits++;
      }
      c.sndNxt = end;
      if (c.rtxAt === Infinity) {
        c.rtxAt = now + c.v[RTO];
        ctx.armed(c.rtxAt);
      }
      if (fin) break;
    }
    // Data waits but nothing is in flight to bring an ACK back: the persist timer probes a closed
    // window and overrides silly window avoidance (RFC 9293 §3.8.6.1, RFC 1122 §4.2.3.4).
    if (c.sndUna === c.sndMax && c.sendBuffer.length > 0 && c.persistAt === Infinity && c.rtxAt === Infinity) {
      c.persistAt = now + clampRto(c.v[RTO] * 2 ** c.v[PERSIST_BACKOFF], ctx.config);
      ctx.armed(c.persistAt);
    }
  }
  if ((c.flags & ACK_NOW) !== 0) sendAck(ctx, c, now);
}
