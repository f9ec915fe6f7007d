// TCP header (RFC 9293 §3.1) and options: EOL, NOP, MSS (RFC 9293 §3.2), window scale and
// timestamps (RFC 7323 §2.2, §3.2), SACK-permitted and SACK blocks (RFC 2018 §2, §3). Options of
// unknown kind are skipped by their length (RFC 9293 §3.2 "MUST be prepared to handle" them); an
// option whose length is impossible or runs past the header makes the segment unusable.

import { read16, read32, write16, write32 } from './bytes';
import { type ChecksumFn, onesSum, finish, pseudoHeaderSum } from './checksum';
import { IP_PROTO_TCP } from './ipv4';

export const TCP_HEADER_LEN = 20;
export const TCP_MAX_OPTIONS_LEN = 40;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WSCALE = 3;
export const TCPOPT_SACK_PERMITTED = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;

/** Most SACK blocks an option can hold (RFC 2018 §3: 4, or 3 beside timestamps). */
export const MAX_SACK_BLOCKS = 4;

export type TcpError =
  | 'tcp-too-short'
  | 'tcp-bad-data-offset'
  | 'tcp-bad-checksum'
  | 'tcp-option-overrun'
  | 'tcp-option-length';

/** Parsed options of one segment. Reused: `parseTcpOptions` resets it first. */
export class TcpOptions {
  /** Peer's MSS, or -1 when absent. */
  mss = -1;
  /** Shift count as received (not yet clamped to 14), or -1 when absent. */
  windowScale = -1;
  sackPermitted = false;
  hasTimestamps = false;
  tsVal = 0;
  tsEcr = 0;
  /** SACK blocks as [left0, right0, left1, right1, ...]; `sackCount` of them are valid. */
  readonly sackBlocks = new Uint32Array(MAX_SACK_BLOCKS * 2);
  sackCount = 0;
  /** Options of unknown kind that were skipped. */
  unknown = 0;

  reset(): void {
    this.mss = -1;
    this.windowScale = -1;
    this.sackPermitted = false;
    this.hasTimestamps = false;
    this.tsVal = 0;
    this.tsEcr = 0;
    this.sackCount = 0;
    this.unknown = 0;
  }
}

/** Parse the option bytes bytes[offset, offset+length) into `out`. */
export function parseTcpOptions(bytes: Uint8Array, offset: number, length: number, out: TcpOptions): TcpError | null {
  out.reset();
  const end = offset + length;
  let i = offset;
  while (i < end) {
    const kind = bytes[i]!;
    if (kind === TCPOPT_EOL) break;
    if (kind === TCPOPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return 'tcp-option-overrun';
    const len = bytes[i + 1]!;
    if (len < 2) return 'tcp-option-length';
    if (i + len > end) return 'tcp-option-overrun';
    switch (kind) {
      case TCPOPT_MSS:
        if (len !== 4) return 'tcp-option-length';
        out.mss = read16(bytes, i + 2);
        break;
      case TCPOPT_WSCALE:
        if (len !== 3) return 'tcp-option-length';
        out.windowScale = bytes[i + 2]!;
        break;
      case TCPOPT_SACK_PERMITTED:
        if (len !== 2) return 'tcp-option-length';
        out.sackPermitted = true;
        break;
      case TCPOPT_SACK: {
        const n = (len - 2) >> 3;
        if (n < 1 || n > MAX_SACK_BLOCKS || len !== 2 + n * 8) return 'tcp-option-length';
        for (let b = 0; b < n; b++) {
          out.sackBlocks[b * 2] = read32(bytes, i + 2 + b * 8);
          out.sackBlocks[b * 2 + 1] = read32(bytes, i + 6 + b * 8);
        }
        out.sackCount = n;
        break;
      }
      case TCPOPT_TIMESTAMP:
        if (len !== 10) return 'tcp-option-length';
        out.hasTimestamps = true;
        out.tsVal = read32(bytes, i + 2);
        out.tsEcr = read32(bytes, i + 6);
        break;
      default:
        out.unknown++;
    }
    i += len;
  }
  return null;
}

export class TcpSegment {
  bytes: Uint8Array = new Uint8Array(0);
  offset = 0;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  headerLength = 0;
  flags = 0;
  window = 0;
  checksum = 0;
  urgentPointer = 0;
  optionsOffset = 0;
  optionsLength = 0;
  payloadOffset = 0;
  payloadLength = 0;
  readonly options = new TcpOptions();

  /**
   * Bind to the IP payload bytes[offset, offset+length) sent from `src` to `dst`, verify the
   * checksum (unless `sum` is null) and parse the options.
   */
  parse(
    bytes: Uint8Array, offset: number, length: number, src: number, dst: number,
    sum: ChecksumFn | null = onesSum,
  ): TcpError | null {
    this.bytes = bytes;
    this.offset = offset;
    if (length < TCP_HEADER_LEN) return 'tcp-too-short';
    const hl = (bytes[offset + 12]! >> 4) * 4;
    if (hl < TCP_HEADER_LEN || hl > length) return 'tcp-bad-data-offset';
    if (sum !== null && sum(bytes, offset, length, pseudoHeaderSum(src, dst, IP_PROTO_TCP, length)) !== 0xffff) {
      return 'tcp-bad-checksum';
    }
    const err = parseTcpOptions(bytes, offset + TCP_HEADER_LEN, hl - TCP_HEADER_LEN, this.options);
    if (err !== null) return err;
    this.srcPort = read16(bytes, offset);
    this.dstPort = read16(bytes, offset + 2);
    this.seq = read32(bytes, offset + 4);
    this.ack = read32(bytes, offset + 8);
    this.headerLength = hl;
    this.flags = bytes[offset + 13]!;
    this.window = read16(bytes, offset + 14);
    this.checksum = read16(bytes, offset + 16);
    this.urgentPointer = read16(bytes, offset + 18);
    this.optionsOffset = offset + TCP_HEADER_LEN;
    this.optionsLength = hl - TCP_HEADER_LEN;
    this.payloadOffset = offset + hl;
    this.payloadLength = length - hl;
    return null;
  }

  /** SEG.LEN: payload plus one for each of SYN and FIN (RFC 9293 §3.4). */
  get segmentLength(): number {
    return this.payloadLength + (this.flags & TCP_SYN ? 1 : 0) + (this.flags & TCP_FIN ? 1 : 0);
  }
}

/**
 * Write options at buf[off] in the order Linux and FreeBSD use (MSS, SACK-permitted beside
 * timestamps, window scale, SACK blocks), NOP-padded to a multiple of 4; returns their length.
 * Fields of `opts` at their "absent" values are left out; SACK blocks beyond what fits in 40
 * bytes are dropped (most recent first is the caller's ordering, RFC 2018 §4).
 */
export function writeTcpOptions(buf: Uint8Array, off: number, opts: TcpOptions): number {
  let i = off;
  if (opts.mss >= 0) {
    buf[i] = TCPOPT_MSS; buf[i + 1] = 4; write16(buf, i + 2, opts.mss); i += 4;
  }
  if (opts.sackPermitted && opts.hasTimestamps) {
    buf[i] = TCPOPT_SACK_PERMITTED; buf[i + 1] = 2; i += 2;
    buf[i] = TCPOPT_TIMESTAMP; buf[i + 1] = 10; write32(buf, i + 2, opts.tsVal); write32(buf, i + 6, opts.tsEcr); i += 10;
  } else if (opts.hasTimestamps) {
    buf[i] = TCPOPT_NOP; buf[i + 1] = TCPOPT_NOP; i += 2;
    buf[i] = TCPOPT_TIMESTAMP; buf[i + 1] = 10; write32(buf, i + 2, opts.tsVal); write32(buf, i + 6, opts.tsEcr); i += 10;
  } else if (opts.sackPermitted) {
    buf[i] = TCPOPT_NOP; buf[i + 1] = TCPOPT_NOP; buf[i + 2] = TCPOPT_SACK_PERMITTED; buf[i + 3] = 2; i += 4;
  }
  if (opts.windowScale >= 0) {
    buf[i] = TCPOPT_NOP; buf[i + 1] = TCPOPT_WSCALE; buf[i + 2] = 3; buf[i + 3] = opts.windowScale; i += 4;
  }
  const room = Math.floor((TCP_MAX_OPTIONS_LEN - (i - off) - 4) / 8);
  const n = Math.min(opts.sackCount, room, MAX_SACK_BLOCKS);
  if (n > 0) {
    buf[i] = TCPOPT_NOP; buf[i + 1] = TCPOPT_NOP; buf[i + 2] = TCPOPT_SACK; buf[i + 3] = 2 + n * 8; i += 4;
    for (let b = 0; b < n; b++) {
      write32(buf, i, opts.sackBlocks[b * 2]!);
      write32(buf, i + 4, opts.sackBlocks[b * 2 + 1]!);
      i += 8;
    }
  }
  return i - off;
}

/**
 * Write a TCP header at buf[off] whose options (optionsLength bytes, a multiple of 4) are already
 * at off+20 and payload after them; fills in the checksum; returns the header length.
 */
export function emitTcp(
  buf: Uint8Array, off: number, srcPort: number, dstPort: number, seq: number, ack: number,
  flags: number, window: number, urgentPointer: number, optionsLength: number, payloadLength: number,
  src: number, dst: number, sum: ChecksumFn = onesSum,
): number {
  const hl = TCP_HEADER_LEN + optionsLength;
  write16(buf, off, srcPort);
  write16(buf, off + 2, dstPort);
  write32(buf, off + 4, seq);
  write32(buf, off + 8, ack);
  buf[off + 12] = (hl / 4) << 4;
  buf[off + 13] = flags;
  write16(buf, off + 14, window);
  write16(buf, off + 16, 0);
  write16(buf, off + 18, urgentPointer);
  const len = hl + payloadLength;
  write16(buf, off + 16, finish(sum(buf, off, len, pseudoHeaderSum(src, dst, IP_PROTO_TCP, len))));
  return hl;
}
