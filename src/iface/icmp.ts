// ICMP for the host (RFC 792, RFC 1122 §3.2.2): echo replies, echo requests for a ping client,
// errors received handed up to whoever owns the quoted flow, and protocol/port unreachable sent
// under a token-bucket rate limit, never about an ICMP error, a broadcast, or a non-initial
// fragment (RFC 1122 §3.2.2).

import {
  ICMP_DEST_UNREACHABLE, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_HEADER_LEN, ICMP_PARAMETER_PROBLEM,
  ICMP_TIME_EXCEEDED, IcmpMessage, UNREACH_FRAG_NEEDED, emitIcmp,
} from '../wire/icmp';
import { IP_PROTO_ICMP, IP_PROTO_UDP, IPV4_HEADER_LEN, Ipv4Packet } from '../wire/ipv4';
import type { DropReason } from './drops';
import { type IpLayer, type SendResult, type Transport, TX_IP_PAYLOAD } from './ip-layer';
import type { UdpLayer } from './udp';

export interface IcmpConfig {
  /** Errors we may send per second on average, and in a burst. */
  errorsPerSecond: number;
  errorBurst: number;
}

export const defaultIcmpConfig: IcmpConfig = Object.freeze({ errorsPerSecond: 10, errorBurst: 10 });

/** Most of the offending datagram we quote: an error stays within 576 bytes (RFC 1812 §4.3.2.3). */
const MAX_QUOTE = 576 - IPV4_HEADER_LEN - ICMP_HEADER_LEN;

export interface IcmpCounters {
  echoRequestsIn: number;
  echoRepliesOut: number;
  echoRequestsOut: number;
  echoRepliesIn: number;
  errorsIn: number;
  errorsOut: number;
  errorsRateLimited: number;
}

export type EchoReplyHandler = (
  src: number, identifier: number, sequence: number, data: Uint8Array, dataOffset: number, dataLength: number, now: number,
) => void;

export class IcmpLayer {
  readonly counters: IcmpCounters = {
    echoRequestsIn: 0, echoRepliesOut: 0, echoRequestsOut: 0, echoRepliesIn: 0, errorsIn: 0,
    errorsOut: 0, errorsRateLimited: 0,
  };
  /** Set by a ping client to receive echo replies. */
  onEchoReply: EchoReplyHandler | null = null;
  private readonly message = new IcmpMessage();
  private readonly quoted = new Ipv4Packet();
  private tokens: number;
  private refilledAt = -Infinity;

  constructor(
    readonly config: IcmpConfig,
    private readonly ip: IpLayer,
    private readonly udp: UdpLayer,
    private readonly transport: (protocol: number) => Transport | null,
  ) {
    this.tokens = config.errorBurst;
  }

  /** An ICMP datagram addressed to us (`toBroadcast`: sent to a broadcast address). */
  input(ip: Ipv4Packet, toBroadcast: boolean, now: number): DropReason | null {
    const m = this.message;
    const err = m.parse(ip.bytes, ip.payloadOffset, ip.payloadLength, this.ip.checksum);
    if (err !== null) return err;
    switch (m.type) {
      case ICMP_ECHO_REQUEST:
        return this.answerEcho(ip, toBroadcast, now);
      case ICMP_ECHO_REPLY:
        if (this.onEchoReply === null) return 'icmp-no-listener';
        this.counters.echoRepliesIn++;
        this.onEchoReply(ip.src, m.identifier, m.sequence, m.bytes, m.dataOffset, m.dataLength, now);
        return null;
      case ICMP_DEST_UNREACHABLE:
      case ICMP_TIME_EXCEEDED:
      case ICMP_PARAMETER_PROBLEM:
        return this.errorIn(m, now);
      default:
        return 'icmp-unhandled-type';
    }
  }

  /** Send an echo request carrying `dataLength` bytes of a pattern derived from `sequence`. */
  ping(dst: number, identifier: number, sequence: number, dataLength: number, now: number): SendResult {
    if (ICMP_HEADER_LEN + dataLength > this.ip.maxPayload) return 'too-big';
    const tx = this.ip.tx, at = TX_IP_PAYLOAD + ICMP_HEADER_LEN;
    for (let i = 0; i < dataLength; i++) tx[at + i] = (sequence + i) & 0xff;
    emitIcmp(tx, TX_IP_PAYLOAD, ICMP_HEADER_LEN + dataLength, ICMP_ECHO_REQUEST, 0,
      ((identifier & 0xffff) << 16 | (sequence & 0xffff)) >>> 0, this.ip.checksum);
    const r = this.ip.sendIpv4(dst, IP_PROTO_ICMP, ICMP_HEADER_LEN + dataLength, now, false);
    if (r === 'sent' || r === 'queued') this.counters.echoRequestsOut++;
    return r;
  }

  /**
   * Send an error about `original` (bound to the whole offending datagram), if RFC 1122 §3.2.2
   * allows one and the rate limit has a token. The caller has checked that `original` was not
   * addressed to a broadcast. Returns true when sent or queued.
   */
  sendError(type: number, code: number, rest: number, original: Ipv4Packet, now: number): boolean {
    if (original.fragmentOffset !== 0) return false;
    if (original.protocol === IP_PROTO_ICMP && this.isErrorType(original)) return false;
    const src = original.src;
    if (src === 0 || src === 0xffffffff || src >>> 28 === 0xe || src >>> 24 === 127) return false;
    if (!this.takeToken(now)) {
      this.counters.errorsRateLimited++;
      return false;
    }
    const quote = Math.min(original.totalLength, MAX_QUOTE, this.ip.maxPayload - ICMP_HEADER_LEN);
    const tx = this.ip.tx;
    tx.set(original.bytes.subarray(original.offset, original.offset + quote), TX_IP_PAYLOAD + ICMP_HEADER_LEN);
    emitIcmp(tx, TX_IP_PAYLOAD, ICMP_HEADER_LEN + quote, type, code, rest, this.ip.checksum);
    const r = this.ip.sendIpv4(src, IP_PROTO_ICMP, ICMP_HEADER_LEN + quote, now, false);
    if (r !== 'sent' && r !== 'queued') return false;
    this.counters.errorsOut++;
    return true;
  }

  private answerEcho(ip: Ipv4Packet, toBroadcast: boolean, now: number): DropReason | null {
    const m = this.message;
    this.counters.echoRequestsIn++;
    if (toBroadcast) return 'icmp-broadcast-echo';
    if (m.length > this.ip.maxPayload) return 'icmp-too-big-to-answer';
    const tx = this.ip.tx;
    tx.set(m.bytes.subarray(m.dataOffset, m.dataOffset + m.dataLength), TX_IP_PAYLOAD + ICMP_HEADER_LEN);
    // RFC 792: the reply carries the request's identifier, sequence number and data.
    const rest = ((m.identifier << 16) | m.sequence) >>> 0;
    emitIcmp(tx, TX_IP_PAYLOAD, m.length, ICMP_ECHO_REPLY, 0, rest, this.ip.checksum);
    const r = this.ip.sendIpv4(ip.src, IP_PROTO_ICMP, m.length, now, false);
    if (r === 'sent' || r === 'queued') this.counters.echoRepliesOut++;
    return null;
  }

  private errorIn(m: IcmpMessage, now: number): DropReason | null {
    this.counters.errorsIn++;
    const q = this.quoted;
    // RFC 792: the error quotes the internet header plus at least 64 bits of the original data.
    if (q.parse(m.bytes, m.dataOffset, m.dataLength, null, true) !== null) return 'icmp-bad-quote';
    if (q.payloadLength < 8 || q.src !== this.ip.address) return 'icmp-bad-quote';
    const mtu = m.type === ICMP_DEST_UNREACHABLE && m.code === UNREACH_FRAG_NEEDED ? m.nextHopMtu : 0;
    let claimed = false;
    if (q.protocol === IP_PROTO_UDP) claimed = this.udp.icmpError(m.type, m.code, q);
    else {
      const t = this.transport(q.protocol);
      if (t !== null) claimed = t.icmpError(m.type, m.code, mtu, q, now);
    }
    return claimed ? null : 'icmp-error-unclaimed';
  }

  private isErrorType(original: Ipv4Packet): boolean {
    if (original.payloadLength < 1) return false;
    const t = original.bytes[original.payloadOffset]!;
    return t !== ICMP_ECHO_REQUEST && t !== ICMP_ECHO_REPLY && t !== 13 && t !== 14;
  }

  private takeToken(now: number): boolean {
    const c = this.config;
    if (this.refilledAt === -Infinity) this.refilledAt = now;
    this.tokens = Math.min(c.errorBurst, this.tokens + ((now - this.refilledAt) * c.errorsPerSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
