// ARP for IPv4 over Ethernet (RFC 826). Only hardware type 1 / protocol 0x0800 / lengths 6 and 4
// are ours; anything else is refused with a reason.

import { copyMac, read16, read32, write16, write32 } from './bytes';

export const ARP_LEN = 28;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;

export type ArpError = 'arp-too-short' | 'arp-unsupported' | 'arp-bad-op';

export class ArpPacket {
  bytes: Uint8Array = new Uint8Array(0);
  offset = 0;
  op = 0;
  /** Sender and target protocol addresses as uint32. */
  senderIp = 0;
  targetIp = 0;

  parse(bytes: Uint8Array, offset: number, length: number): ArpError | null {
    this.bytes = bytes;
    this.offset = offset;
    if (length < ARP_LEN) return 'arp-too-short';
    if (read16(bytes, offset) !== 1 || read16(bytes, offset + 2) !== 0x0800 ||
        bytes[offset + 4] !== 6 || bytes[offset + 5] !== 4) return 'arp-unsupported';
    this.op = read16(bytes, offset + 6);
    if (this.op !== ARP_OP_REQUEST && this.op !== ARP_OP_REPLY) return 'arp-bad-op';
    this.senderIp = read32(bytes, offset + 14);
    this.targetIp = read32(bytes, offset + 24);
    return null;
  }

  /** Offset in `bytes` of the sender hardware address (6 bytes). */
  get senderMacOffset(): number {
    return this.offset + 8;
  }
  get targetMacOffset(): number {
    return this.offset + 18;
  }
}

/** Write an ARP packet at buf[off]; returns its length. */
export function emitArp(
  buf: Uint8Array, off: number, op: number,
  senderMac: Uint8Array, senderIp: number, targetMac: Uint8Array, targetIp: number,
): number {
  write16(buf, off, 1);
  write16(buf, off + 2, 0x0800);
  buf[off + 4] = 6;
  buf[off + 5] = 4;
  write16(buf, off + 6, op);
  copyMac(senderMac, 0, buf, off + 8);
  write32(buf, off + 14, senderIp);
  copyMac(targetMac, 0, buf, off + 18);
  write32(buf, off + 24, targetIp);
  return ARP_LEN;
}
