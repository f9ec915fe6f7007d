// The far side of the XS benchmark (hosttest/bench/xs.ts), portable so it runs inside XS next to
// the stack it feeds: frames a router on the stack's LAN would deliver (everything arrives from the
// gateway's MAC, so the stack resolves one neighbour once and never ARPs during a measurement),
// built with src/wire's own emitters and the TypeScript checksum whatever the stack under test uses.
// Frames are built once and then patched in place (sequence number and, with RFC 1624, the
// checksum), so a driver's per-unit work is small and the same in every run that is compared.

import { emitArp, ARP_OP_REQUEST } from '../../../src/wire/arp';
import { read16, read32, write16, write32 } from '../../../src/wire/bytes';
import { onesSum, updateChecksum } from '../../../src/wire/checksum';
import { emitEthernet, ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../../src/wire/ethernet';
import { emitIpv4, IPV4_FLAG_DF, IPV4_HEADER_LEN, IP_PROTO_TCP } from '../../../src/wire/ipv4';
import { emitTcp, TCP_HEADER_LEN, TCPOPT_MSS, TCPOPT_NOP, TCPOPT_SACK_PERMITTED, TCPOPT_WSCALE } from '../../../src/wire/tcp';

export const STACK_MAC = new Uint8Array([0x02, 0x53, 0x59, 0x4e, 0x00, 0x01]);
export const GATEWAY_MAC = new Uint8Array([0x02, 0x52, 0x4f, 0x55, 0x54, 0x45]);
/** 10.9.0.1/24, gateway 10.9.0.254; peers are off-link, reached through the gateway. */
export const STACK_IP = 0x0a090001;
export const GATEWAY_IP = 0x0a0900fe;
/** The sending client of the segment benchmark (RFC 5737 TEST-NET-2). */
export const CLIENT_IP = 0xc6336407;
export const SERVER_PORT = 80;

const IP_AT = ETH_HEADER_LEN;
const TCP_AT = ETH_HEADER_LEN + IPV4_HEADER_LEN;

/** An ARP request from the gateway for the stack's address: the stack learns the gateway (RFC 826). */
export function gatewayArpRequest(): Uint8Array {
  const f = new Uint8Array(ETH_HEADER_LEN + 28);
  emitEthernet(f, 0, STACK_MAC, GATEWAY_MAC, ETHERTYPE_ARP);
  emitArp(f, ETH_HEADER_LEN, ARP_OP_REQUEST, GATEWAY_MAC, GATEWAY_IP, new Uint8Array(6), STACK_IP);
  return f;
}

/**
 * A TCP segment from `src:srcPort` to the stack's port 80, `payload` bytes of filler, and the
 * SYN options a Linux client sends without timestamps (MSS 1460, SACK-permitted, window scale 7)
 * when `synOptions` is set.
 */
export function tcpFrame(
  src: number, srcPort: number, seq: number, ack: number, flags: number, payload: number, synOptions = false,
): Uint8Array {
  const optLen = synOptions ? 12 : 0;
  const tcpLen = TCP_HEADER_LEN + optLen + payload;
  const f = new Uint8Array(TCP_AT + tcpLen);
  emitEthernet(f, 0, STACK_MAC, GATEWAY_MAC, ETHERTYPE_IPV4);
  if (synOptions) {
    const o = TCP_AT + TCP_HEADER_LEN;
    f.set([TCPOPT_MSS, 4, 1460 >> 8, 1460 & 0xff, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK_PERMITTED, 2, TCPOPT_NOP, TCPOPT_WSCALE, 3, 7], o);
  }
  for (let i = 0; i < payload; i++) f[TCP_AT + TCP_HEADER_LEN + optLen + i] = (i * 31 + 7) & 0xff;
  emitTcp(f, TCP_AT, srcPort, SERVER_PORT, seq, ack, flags, 0xffff, 0, optLen, payload, src, STACK_IP, onesSum);
  emitIpv4(f, IP_AT, tcpLen, IP_PROTO_TCP, src, STACK_IP, 64, 1, IPV4_FLAG_DF, onesSum);
  return f;
}

/** Set the 32-bit TCP field at `at` of a frame from tcpFrame, keeping its TCP checksum right (RFC 1624). */
function patchWord(f: Uint8Array, at: number, value: number): void {
  let sum = read16(f, TCP_AT + 16);
  sum = updateChecksum(sum, read16(f, at), value >>> 16);
  sum = updateChecksum(sum, read16(f, at + 2), value & 0xffff);
  write32(f, at, value);
  write16(f, TCP_AT + 16, sum);
}

/** Set the sequence number of a frame from tcpFrame, keeping its TCP checksum right. */
export function patchSeq(f: Uint8Array, seq: number): void {
  patchWord(f, TCP_AT + 4, seq);
}

/** Set the acknowledgment number of a frame from tcpFrame, keeping its TCP checksum right. */
export function patchAck(f: Uint8Array, ack: number): void {
  patchWord(f, TCP_AT + 8, ack);
}

/**
 * Give a SYN from tcpFrame a new source address, port and ISN, keeping both checksums right: the
 * addresses are in the IPv4 header and in TCP's pseudo-header (RFC 1624 for each changed word).
 */
export function patchSource(f: Uint8Array, src: number, srcPort: number, seq: number): void {
  let ipSum = read16(f, IP_AT + 10), tcpSum = read16(f, TCP_AT + 16);
  const oldHi = read16(f, IP_AT + 12), oldLo = read16(f, IP_AT + 14);
  ipSum = updateChecksum(ipSum, oldHi, src >>> 16);
  ipSum = updateChecksum(ipSum, oldLo, src & 0xffff);
  tcpSum = updateChecksum(tcpSum, oldHi, src >>> 16);
  tcpSum = updateChecksum(tcpSum, oldLo, src & 0xffff);
  tcpSum = updateChecksum(tcpSum, read16(f, TCP_AT), srcPort);
  tcpSum = updateChecksum(tcpSum, read16(f, TCP_AT + 4), seq >>> 16);
  tcpSum = updateChecksum(tcpSum, read16(f, TCP_AT + 6), seq & 0xffff);
  write32(f, IP_AT + 12, src);
  write16(f, TCP_AT, srcPort);
  write32(f, TCP_AT + 4, seq);
  write16(f, IP_AT + 10, ipSum);
  write16(f, TCP_AT + 16, tcpSum);
}

/** The fields of a TCP frame the stack sent (for the handshake), or null if it is not one. */
export function sentTcp(f: Uint8Array): { seq: number; ack: number; flags: number; dstPort: number } | null {
  if (f.length < TCP_AT + TCP_HEADER_LEN || read16(f, 12) !== ETHERTYPE_IPV4 || f[IP_AT + 9] !== IP_PROTO_TCP) return null;
  return { seq: read32(f, TCP_AT + 4), ack: read32(f, TCP_AT + 8), flags: f[TCP_AT + 13]!, dstPort: read16(f, TCP_AT + 2) };
}

/** Offsets in a frame from tcpFrame without options. */
export const PAYLOAD_AT = TCP_AT + TCP_HEADER_LEN;
