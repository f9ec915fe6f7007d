// ICMP for IPv4 (RFC 792), with the unreachable codes of RFC 1122 §3.2.2.1 and RFC 1812 §5.2.7.1
// and the next-hop MTU of fragmentation-needed messages (RFC 1191 §4).

import { read16, write16, write32 } from './bytes';
import { type ChecksumFn, onesSum, finish } from './checksum';

export const ICMP_HEADER_LEN = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;

// Destination-unreachable codes.
export const UNREACH_NET = 0;
export const UNREACH_HOST = 1;
export const UNREACH_PROTOCOL = 2;
export const UNREACH_PORT = 3;
export const UNREACH_FRAG_NEEDED = 4;
export const UNREACH_SOURCE_ROUTE = 5;
export const UNREACH_NET_UNKNOWN = 6;
export const UNREACH_HOST_UNKNOWN = 7;
export const UNREACH_HOST_ISOLATED = 8;
export const UNREACH_NET_PROHIBITED = 9;
export const UNREACH_HOST_PROHIBITED = 10;
export const UNREACH_NET_TOS = 11;
export const UNREACH_HOST_TOS = 12;
export const UNREACH_ADMIN_PROHIBITED = 13;
export const UNREACH_PRECEDENCE_VIOLATION = 14;
export const UNREACH_PRECEDENCE_CUTOFF = 15;

// Time-exceeded codes.
export const TIME_EXCEEDED_TTL = 0;
export const TIME_EXCEEDED_REASSEMBLY = 1;

export type IcmpError = 'icmp-too-short' | 'icmp-bad-checksum';

export class IcmpMessage {
  bytes: Uint8Array = new Uint8Array(0);
  offset = 0;
  length = 0;
  type = 0;
  code = 0;

  parse(bytes: Uint8Array, offset: number, length: number, sum: ChecksumFn = onesSum): IcmpError | null {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
    if (length < ICMP_HEADER_LEN) return 'icmp-too-short';
    if (sum(bytes, offset, length, 0) !== 0xffff) return 'icmp-bad-checksum';
    this.type = bytes[offset]!;
    this.code = bytes[offset + 1]!;
    return null;
  }

  /** Echo identifier and sequence (RFC 792, echo / echo reply). */
  get identifier(): number {
    return read16(this.bytes, this.offset + 4);
  }
  get sequence(): number {
    return read16(this.bytes, this.offset + 6);
  }
  /** Next-hop MTU of a fragmentation-needed message (RFC 1191 §4); 0 from old routers. */
  get nextHopMtu(): number {
    return read16(this.bytes, this.offset + 6);
  }
  /** Everything after the 8-byte header: echo data, or the quoted datagram of an error. */
  get dataOffset(): number {
    return this.offset + ICMP_HEADER_LEN;
  }
  get dataLength(): number {
    return this.length - ICMP_HEADER_LEN;
  }
  get isError(): boolean {
    return this.type === ICMP_DEST_UNREACHABLE || this.type === ICMP_TIME_EXCEEDED || this.type === ICMP_PARAMETER_PROBLEM;
  }
}

/**
 * Write an ICMP header at buf[off] whose body (length - 8 bytes) is already in place at off+8,
 * then its checksum over the whole message; returns `length`.
 * `rest` is the 32-bit second word (echo id << 16 | seq, or the MTU for fragmentation needed).
 */
export function emitIcmp(
  buf: Uint8Array, off: number, length: number, type: number, code: number, rest: number,
  sum: ChecksumFn = onesSum,
): number {
  buf[off] = type;
  buf[off + 1] = code;
  write16(buf, off + 2, 0);
  write32(buf, off + 4, rest);
  write16(buf, off + 2, finish(sum(buf, off, length, 0)));
  return length;
}
