// IPv4 header (RFC 791 §3.1). Options are skipped by IHL, not interpreted (RFC 1122 §3.2.1.8 lets
// a host ignore the ones it does not implement). Addresses are carried as uint32 numbers so that
// they compare, hash and copy without allocating.

import { read16, viewOf } from './bytes';
import { type ChecksumFn, onesSum } from './checksum';

export const IPV4_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;
export const IP_PROTO_ICMP = 1;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;
export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
/** MF and the fragment offset: a datagram with either set is a fragment (RFC 791 §2.3). */
export const IPV4_FRAGMENT_BITS = IPV4_FLAG_MF | 0x1fff;
export const IPV4_BROADCAST = 0xffffffff;

export type Ipv4Error =
  | 'ipv4-too-short'
  | 'ipv4-bad-version'
  | 'ipv4-bad-header-length'
  | 'ipv4-total-length'
  | 'ipv4-bad-checksum';

export class Ipv4Packet {
  bytes: Uint8Array = new Uint8Array(0);
  offset = 0;
  headerLength = 0;
  totalLength = 0;
  /** The flags and fragment offset field as received (RFC 791 §3.1); the getters below decode it. */
  flagsFragment = 0;
  protocol = 0;
  src = 0;
  dst = 0;
  payloadOffset = 0;
  payloadLength = 0;

  /**
   * Bind to a datagram at bytes[offset] of which `length` bytes were received. Bytes past the
   * total length (Ethernet padding) are ignored. With `sum` null the header checksum is not
   * verified; with `quote` set the datagram may be cut short of its total length, as the copy
   * inside an ICMP error is (payloadLength is then what is present). Fields no layer reads per
   * datagram (TOS, ident, TTL, checksum) are read from the bytes when asked for. The fields read
   * here are read inline, byte by byte: under XS a call to read16/read32 costs more than the
   * arithmetic, and a DataView per frame costs more than either (see viewOf).
   */
  parse(bytes: Uint8Array, offset: number, length: number, sum: ChecksumFn | null = onesSum, quote = false): Ipv4Error | null {
    this.bytes = bytes;
    this.offset = offset;
    if (length < IPV4_HEADER_LEN) return 'ipv4-too-short';
    const vihl = bytes[offset]!;
    if (vihl >> 4 !== 4) return 'ipv4-bad-version';
    const hl = (vihl & 0x0f) * 4;
    if (hl < IPV4_HEADER_LEN || hl > length) return 'ipv4-bad-header-length';
    const total = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    if (total < hl || (total > length && !quote)) return 'ipv4-total-length';
    if (sum !== null && sum(bytes, offset, hl, 0) !== 0xffff) return 'ipv4-bad-checksum';
    this.headerLength = hl;
    this.totalLength = total;
    this.flagsFragment = (bytes[offset + 6]! << 8) | bytes[offset + 7]!;
    this.protocol = bytes[offset + 9]!;
    this.src = ((bytes[offset + 12]! << 24) | (bytes[offset + 13]! << 16) | (bytes[offset + 14]! << 8) | bytes[offset + 15]!) >>> 0;
    this.dst = ((bytes[offset + 16]! << 24) | (bytes[offset + 17]! << 16) | (bytes[offset + 18]! << 8) | bytes[offset + 19]!) >>> 0;
    this.payloadOffset = offset + hl;
    this.payloadLength = (total < length ? total : length) - hl;
    return null;
  }

  get tos(): number {
    return this.bytes[this.offset + 1]!;
  }
  get ident(): number {
    return read16(this.bytes, this.offset + 4);
  }
  get ttl(): number {
    return this.bytes[this.offset + 8]!;
  }
  get dontFragment(): boolean {
    return (this.flagsFragment & IPV4_FLAG_DF) !== 0;
  }
  get moreFragments(): boolean {
    return (this.flagsFragment & IPV4_FLAG_MF) !== 0;
  }
  /** Fragment offset in bytes (the field counts 8-byte units). */
  get fragmentOffset(): number {
    return (this.flagsFragment & 0x1fff) * 8;
  }
  /** MF set or a fragment offset: a piece of a larger datagram (RFC 791 §2.3). */
  get isFragment(): boolean {
    return (this.flagsFragment & IPV4_FRAGMENT_BITS) !== 0;
  }
  get optionsLength(): number {
    return this.headerLength - IPV4_HEADER_LEN;
  }
  get headerChecksum(): number {
    return read16(this.bytes, this.offset + 10);
  }
}

/**
 * Write a 20-byte IPv4 header (no options) at buf[off] with its checksum; returns 20.
 * `flagsFragment` is the raw 16-bit flags + fragment-offset field (IPV4_FLAG_DF for TCP). `view`
 * is a DataView over `buf` (a caller that keeps one passes it).
 */
export function emitIpv4(
  buf: Uint8Array, off: number, payloadLength: number, protocol: number, src: number, dst: number,
  ttl: number, ident: number, flagsFragment: number, sum: ChecksumFn = onesSum, view: DataView = viewOf(buf),
): number {
  // 32 bits a store: version 4, IHL 5, TOS 0, total length; ident, flags and fragment offset;
  // TTL, protocol, and the checksum 0 while summing.
  view.setUint32(off, 0x45000000 | ((IPV4_HEADER_LEN + payloadLength) & 0xffff));
  view.setUint32(off + 4, (ident << 16) | (flagsFragment & 0xffff));
  view.setUint32(off + 8, ((ttl & 0xff) << 24) | ((protocol & 0xff) << 16));
  view.setUint32(off + 12, src);
  view.setUint32(off + 16, dst);
  view.setUint16(off + 10, ~sum(buf, off, IPV4_HEADER_LEN, 0)); // finish(): the complement, 16 bits
  return IPV4_HEADER_LEN;
}

/** Dotted-quad text for a uint32 address. */
export function ipv4ToString(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** Parse dotted-quad text; returns -1 when it is not an address. */
export function parseIpv4Address(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) return -1;
  let a = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return -1;
    const n = Number(p);
    if (n > 255) return -1;
    a = a * 256 + n;
  }
  return a >>> 0;
}

/** Subnet mask from a prefix length (0..32). */
export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}
