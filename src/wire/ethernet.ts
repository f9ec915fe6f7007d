// Ethernet II framing (IEEE 802.3 §3.2.6 "Type" interpretation). Frames reach us without preamble
// and FCS. One 802.1Q tag is parsed and skipped: its VLAN id is exposed and the interface decides
// (it accepts untagged and priority-tagged VID 0 frames and drops other VLANs). Stacked tags
// (802.1ad) are refused here.

import { copyMac, viewOf } from './bytes';

export const ETH_HEADER_LEN = 14;
export const ETH_ADDR_LEN = 6;
export const VLAN_TAG_LEN = 4;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
/** Smallest frame on the wire without FCS; shorter frames are padded by the sender. */
export const ETH_MIN_FRAME = 60;

/** ff:ff:ff:ff:ff:ff. Shared: never write into it. */
export const BROADCAST_MAC = new Uint8Array([255, 255, 255, 255, 255, 255]);

export type EthernetError = 'eth-too-short' | 'eth-length-field' | 'eth-vlan-stacked';

/** A re-bindable view of an Ethernet II frame. */
export class EthernetFrame {
  bytes: Uint8Array = new Uint8Array(0);
  offset = 0;
  length = 0;
  /** EtherType after any 802.1Q tag. */
  etherType = 0;
  /** 802.1Q VLAN id, or -1 when the frame is untagged. */
  vlanId = -1;
  /** Offset of the payload in `bytes`. */
  payloadOffset = 0;
  payloadLength = 0;

  /** Bind to bytes[offset, offset+length); null when the frame is usable, else why not. */
  parse(bytes: Uint8Array, offset: number, length: number): EthernetError | null {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
    if (length < ETH_HEADER_LEN) return 'eth-too-short';
    // Fields of a received frame are read byte by byte, inline: a DataView per frame would cost
    // more than it saves (~60 ns to make under V8; see viewOf).
    let type = (bytes[offset + 12]! << 8) | bytes[offset + 13]!;
    let header = ETH_HEADER_LEN;
    this.vlanId = -1;
    if (type === ETHERTYPE_VLAN) {
      if (length < ETH_HEADER_LEN + VLAN_TAG_LEN) return 'eth-too-short';
      this.vlanId = ((bytes[offset + 14]! << 8) | bytes[offset + 15]!) & 0x0fff;
      type = (bytes[offset + 16]! << 8) | bytes[offset + 17]!;
      header += VLAN_TAG_LEN;
    }
    if (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) return 'eth-vlan-stacked';
    // Values below 0x0600 are 802.3 lengths (LLC frames), not EtherTypes: not ours.
    if (type < 0x0600) return 'eth-length-field';
    this.etherType = type;
    this.payloadOffset = offset + header;
    this.payloadLength = length - header;
    return null;
  }

  /** Byte i (0..5) of the destination address. */
  dst(i: number): number {
    return this.bytes[this.offset + i]!;
  }
  src(i: number): number {
    return this.bytes[this.offset + 6 + i]!;
  }
  get isBroadcast(): boolean {
    const b = this.bytes, o = this.offset;
    return (b[o]! & b[o + 1]! & b[o + 2]! & b[o + 3]! & b[o + 4]! & b[o + 5]!) === 0xff;
  }
  /** Group bit set: broadcast or multicast. */
  get isGroup(): boolean {
    return (this.bytes[this.offset]! & 1) === 1;
  }
  /** Copy the source address into out[outOffset..+6). */
  copySrc(out: Uint8Array, outOffset = 0): void {
    copyMac(this.bytes, this.offset + 6, out, outOffset);
  }
}

/**
 * Write an untagged Ethernet II header at buf[off]; returns the header length. The destination is
 * dst[dstOffset, dstOffset+6) (a MAC inside a table or a frame need not be cut out first). `view`
 * is a DataView over `buf` (a caller that keeps one passes it).
 */
export function emitEthernet(
  buf: Uint8Array, off: number, dst: Uint8Array, src: Uint8Array, etherType: number, dstOffset = 0, view: DataView = viewOf(buf),
): number {
  copyMac(dst, dstOffset, buf, off);
  copyMac(src, 0, buf, off + 6);
  view.setUint16(off + 12, etherType);
  return ETH_HEADER_LEN;
}

export function macToString(mac: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + (mac[off + i]! < 16 ? '0' : '') + mac[off + i]!.toString(16);
  return s;
}
