// UDP (RFC 768). A zero checksum means the sender computed none; a computed zero is sent as 0xffff.

import { read16, write16 } from './bytes';
import { type ChecksumFn, onesSum, finish, pseudoHeaderSum } from './checksum';
import { IP_PROTO_UDP } from './ipv4';

export const UDP_HEADER_LEN = 8;

export type UdpError = 'udp-too-short' | 'udp-bad-length' | 'udp-bad-checksum';

export class UdpDatagram {
  bytes: Uint8Array = new Uint8Array(0);
  offset = 0;
  srcPort = 0;
  dstPort = 0;
  /** The UDP length field (header + payload). */
  length = 0;
  checksum = 0;
  payloadOffset = 0;
  payloadLength = 0;

  /** Bind to the IP payload bytes[offset, offset+ipPayloadLength) sent from `src` to `dst`. */
  parse(
    bytes: Uint8Array, offset: number, ipPayloadLength: number, src: number, dst: number,
    sum: ChecksumFn = onesSum,
  ): UdpError | null {
    this.bytes = bytes;
    this.offset = offset;
    if (ipPayloadLength < UDP_HEADER_LEN) return 'udp-too-short';
    const len = read16(bytes, offset + 4);
    if (len < UDP_HEADER_LEN || len > ipPayloadLength) return 'udp-bad-length';
    const ck = read16(bytes, offset + 6);
    if (ck !== 0 && sum(bytes, offset, len, pseudoHeaderSum(src, dst, IP_PROTO_UDP, len)) !== 0xffff) {
      return 'udp-bad-checksum';
    }
    this.srcPort = read16(bytes, offset);
    this.dstPort = read16(bytes, offset + 2);
    this.length = len;
    this.checksum = ck;
    this.payloadOffset = offset + UDP_HEADER_LEN;
    this.payloadLength = len - UDP_HEADER_LEN;
    return null;
  }
}

/** Write a UDP header at buf[off] for a payload already at off+8, with its checksum; returns 8. */
export function emitUdp(
  buf: Uint8Array, off: number, srcPort: number, dstPort: number, payloadLength: number,
  src: number, dst: number, sum: ChecksumFn = onesSum,
): number {
  const len = UDP_HEADER_LEN + payloadLength;
  write16(buf, off, srcPort);
  write16(buf, off + 2, dstPort);
  write16(buf, off + 4, len);
  write16(buf, off + 6, 0);
  const ck = finish(sum(buf, off, len, pseudoHeaderSum(src, dst, IP_PROTO_UDP, len)));
  write16(buf, off + 6, ck === 0 ? 0xffff : ck);
  return UDP_HEADER_LEN;
}
