// TCP header (RFC 9293 §3.1) and options: EOL, NOP, MSS (RFC 9293 §3.2), window scale and
// timestamps (RFC 7323 §2.2, §3.2), SACK-permitted and SACK blocks (RFC 2018 §2, §3). Options of
// unknown kind are skipped by their length (RFC 9293 §3.2 "MUST be prepared to handle" them); an
// option whose length is impossible or runs past the header makes the segment unusable.

import { read16, read32, viewOf } from './bytes';
import { type ChecksumFn, onesSum, pseudoHeaderSum } from './checksum';
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
        // On every segment of a connection with timestamps: inline, as TcpSegment.parse reads.
        out.tsVal = ((bytes[i + 2]! << 24) | (bytes[i + 3]! << 16) | (bytes[i + 4]! << 8) | bytes[i + 5]!) >>> 0;
        out.tsEcr = ((bytes[i + 6]! << 24) | (bytes[i + 7]! << 16) | (bytes[i + 8]! << 8) | bytes[i + 9]!) >>> 0;
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
  urgentPointer = 0;
  payloadOffset = 0;
  payloadLength = 0;
  /** The options of the segment parsed last; written only by `parse` (read, never write it). */
  readonly options = new TcpOptions();
  /** `options` is in its reset state (the last header had none): a header without any skips it. */
  private optionsClear = true;

  /**
   * Bind to the IP payload bytes[offset, offset+length) sent from `src` to `dst`, verify the
   * checksum (unless `sum` is null) and parse the options. Header fields are read inline, as
   * Ipv4Packet.parse reads its own.
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
    // Most segments of a connection carry no options (or the same few): no walk for none, and
    // no reset either after another header without any.
    if (hl === TCP_HEADER_LEN) {
      if (!this.optionsClear) {
        this.options.reset();
        this.optionsClear = true;
      }
    } else {
      this.optionsClear = false;
      const err = parseTcpOptions(bytes, offset + TCP_HEADER_LEN, hl - TCP_HEADER_LEN, this.options);
      if (err !== null) return err;
    }
    const b = bytes, o = offset;
    this.srcPort = (b[o]! << 8) | b[o + 1]!;
    this.dstPort = (b[o + 2]! << 8) | b[o + 3]!;
    this.seq = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
    this.ack = ((b[o + 8]! << 24) | (b[o + 9]! << 16) | (b[o + 10]! << 8) | b[o + 11]!) >>> 0;
    this.headerLength = hl;
    this.flags = b[o + 13]!;
    this.window = (b[o + 14]! << 8) | b[o + 15]!;
    this.urgentPointer = (b[o + 18]! << 8) | b[o + 19]!;
    this.payloadOffset = offset + hl;
    this.payloadLength = length - hl;
    return null;
  }

  /** The checksum field as received. */
  get checksum(): number {
    return read16(this.bytes, this.offset + 16);
  }
  get optionsOffset(): number {
    return this.offset + TCP_HEADER_LEN;
  }
  get optionsLength(): number {
    return this.headerLength - TCP_HEADER_LEN;
  }

  /** SEG.LEN: payload plus one for each of SYN and FIN (RFC 9293 §3.4). */
  get segmentLength(): number {
    return this.payloadLength + (this.flags & TCP_SYN ? 1 : 0) + (this.flags & TCP_FIN ? 1 : 0);
  }
}

// The kind and length bytes of each option as the 32-bit word writeTcpOptions stores at once, in
// network order, NOPs included: MSS, 4 (then the value); NOP, NOP, TS, 10; SACK-permitted, 2, TS,
// 10; NOP, NOP, SACK-permitted, 2; NOP, WS, 3 (then the shift); NOP, NOP, SACK (then the length).
const MSS_WORD = (TCPOPT_MSS << 24) | (4 << 16);
const TS_WORD = (TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) | (TCPOPT_TIMESTAMP << 8) | 10;
const SACK_PERMITTED_TS_WORD = (TCPOPT_SACK_PERMITTED << 24) | (2 << 16) | (TCPOPT_TIMESTAMP << 8) | 10;
const SACK_PERMITTED_WORD = (TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) | (TCPOPT_SACK_PERMITTED << 8) | 2;
const WSCALE_WORD = (TCPOPT_NOP << 24) | (TCPOPT_WSCALE << 16) | (3 << 8);
const SACK_WORD = (TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) | (TCPOPT_SACK << 8);

/**
 * Write options at buf[off] in the order Linux and FreeBSD use (MSS, SACK-permitted beside
 * timestamps, window scale, SACK blocks), NOP-padded to a multiple of 4; returns their length.
 * Fields of `opts` at their "absent" values are left out; SACK blocks beyond what fits in 40
 * bytes are dropped (most recent first is the caller's ordering, RFC 2018 §4).
 */
export function writeTcpOptions(buf: Uint8Array, off: number, opts: TcpOptions, view: DataView = viewOf(buf)): number {
  let i = off + writeSynOptions(view, off, opts.mss, opts.windowScale, opts.sackPermitted, opts.hasTimestamps, opts.tsVal, opts.tsEcr);
  const room = (TCP_MAX_OPTIONS_LEN - (i - off) - 4) >> 3;
  let n = opts.sackCount;
  if (n > room) n = room;
  if (n > MAX_SACK_BLOCKS) n = MAX_SACK_BLOCKS;
  if (n > 0) {
    view.setUint32(i, SACK_WORD | ((2 + n * 8) & 0xff));
    i += 4;
    const blocks = opts.sackBlocks;
    for (let b = 0; b < n; b++, i += 8) {
      view.setUint32(i, blocks[b * 2]!);
      view.setUint32(i + 4, blocks[b * 2 + 1]!);
    }
  }
  return i - off;
}

/**
 * Write MSS (`mss` >= 0), timestamps or SACK-permitted, and window scale (`windowScale` >= 0) at
 * off, in writeTcpOptions's layout, without a TcpOptions object (a SYN-ACK from the SYN cache or a
 * cookie). Returns the bytes written.
 */
export function writeSynOptions(
  view: DataView, off: number, mss: number, windowScale: number, sackPermitted: boolean, timestamps: boolean,
  tsVal: number, tsEcr: number,
): number {
  let i = off;
  if (mss >= 0) {
    view.setUint32(i, MSS_WORD | (mss & 0xffff));
    i += 4;
  }
  if (timestamps) {
    // SACK-permitted takes the place of the two NOPs that align the timestamps.
    view.setUint32(i, sackPermitted ? SACK_PERMITTED_TS_WORD : TS_WORD);
    view.setUint32(i + 4, tsVal);
    view.setUint32(i + 8, tsEcr);
    i += 12;
  } else if (sackPermitted) {
    view.setUint32(i, SACK_PERMITTED_WORD);
    i += 4;
  }
  if (windowScale >= 0) {
    view.setUint32(i, WSCALE_WORD | (windowScale & 0xff));
    i += 4;
  }
  return i - off;
}

/**
 * Write NOP, NOP, timestamps (RFC 7323 §3.2, the layout of its Appendix A) at off: the 12 option
 * bytes writeTcpOptions writes for timestamps alone, for the segments that carry nothing else.
 */
export function writeTimestampsOption(view: DataView, off: number, tsVal: number, tsEcr: number): number {
  view.setUint32(off, TS_WORD);
  view.setUint32(off + 4, tsVal);
  view.setUint32(off + 8, tsEcr);
  return 12;
}

/**
 * Write a TCP header at buf[off] whose options (optionsLength bytes, a multiple of 4) are already
 * at off+20 and payload after them; fills in the checksum; returns the header length. `view` is a
 * DataView over `buf` (a caller that keeps one passes it).
 */
export function emitTcp(
  buf: Uint8Array, off: number, srcPort: number, dstPort: number, seq: number, ack: number,
  flags: number, window: number, urgentPointer: number, optionsLength: number, payloadLength: number,
  src: number, dst: number, sum: ChecksumFn = onesSum, view: DataView = viewOf(buf),
): number {
  const hl = TCP_HEADER_LEN + optionsLength;
  // Two 16-bit fields a store where they are neighbours: ports; data offset (high 4 bits of byte
  // 12) and flags (byte 13); checksum (0 while summing) and urgent pointer.
  view.setUint32(off, (srcPort << 16) | (dstPort & 0xffff));
  view.setUint32(off + 4, seq);
  view.setUint32(off + 8, ack);
  view.setUint16(off + 12, ((((hl / 4) << 4) & 0xff) << 8) | (flags & 0xff));
  view.setUint16(off + 14, window);
  view.setUint32(off + 16, urgentPointer & 0xffff);
  const len = hl + payloadLength;
  view.setUint16(off + 16, ~sum(buf, off, len, pseudoHeaderSum(src, dst, IP_PROTO_TCP, len))); // finish()
  return hl;
}
