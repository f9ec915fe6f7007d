// Whole frames built with src/wire's emitters, for the tests and the `wire` benchmark.

import { emitArp, ARP_LEN, ARP_OP_REQUEST } from '../../src/wire/arp';
import { emitEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETH_HEADER_LEN } from '../../src/wire/ethernet';
import { emitIcmp, ICMP_ECHO_REQUEST, ICMP_HEADER_LEN } from '../../src/wire/icmp';
import { emitIpv4, IPV4_FLAG_DF, IPV4_HEADER_LEN, IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP } from '../../src/wire/ipv4';
import { emitTcp, writeTcpOptions, TcpOptions, TCP_HEADER_LEN, TCP_ACK, TCP_PSH } from '../../src/wire/tcp';
import { emitUdp, UDP_HEADER_LEN } from '../../src/wire/udp';

import type { Prng } from './helpers';

export const MAC_A = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x0a]);
export const MAC_B = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x0b]);
export const IP_A = 0x0a000001; // 10.0.0.1
export const IP_B = 0x0a000002; // 10.0.0.2

const IP_AT = ETH_HEADER_LEN;
const L4_AT = ETH_HEADER_LEN + IPV4_HEADER_LEN;

/** Pad to the 60-byte Ethernet minimum the way a sender does. */
function padded(frame: Uint8Array, used: number): Uint8Array {
  return frame.subarray(0, Math.max(used, 60));
}

export function buildArpRequest(): Uint8Array {
  const f = new Uint8Array(60);
  emitEthernet(f, 0, new Uint8Array(6).fill(0xff), MAC_A, ETHERTYPE_ARP);
  emitArp(f, ETH_HEADER_LEN, ARP_OP_REQUEST, MAC_A, IP_A, new Uint8Array(6), IP_B);
  return padded(f, ETH_HEADER_LEN + ARP_LEN);
}

export function buildIcmpEcho(dataLength = 56): Uint8Array {
  const len = ICMP_HEADER_LEN + dataLength;
  const f = new Uint8Array(Math.max(60, L4_AT + len));
  emitEthernet(f, 0, MAC_B, MAC_A, ETHERTYPE_IPV4);
  for (let i = 0; i < dataLength; i++) f[L4_AT + ICMP_HEADER_LEN + i] = (i * 7 + 1) & 0xff;
  emitIcmp(f, L4_AT, len, ICMP_ECHO_REQUEST, 0, (0x1234 << 16) | 1);
  emitIpv4(f, IP_AT, len, IP_PROTO_ICMP, IP_A, IP_B, 64, 0x4d2, IPV4_FLAG_DF);
  return padded(f, L4_AT + len);
}

export function buildUdp(payloadLength = 64): Uint8Array {
  const len = UDP_HEADER_LEN + payloadLength;
  const f = new Uint8Array(Math.max(60, L4_AT + len));
  emitEthernet(f, 0, MAC_B, MAC_A, ETHERTYPE_IPV4);
  for (let i = 0; i < payloadLength; i++) f[L4_AT + UDP_HEADER_LEN + i] = (i * 13 + 5) & 0xff;
  emitUdp(f, L4_AT, 40000, 53, payloadLength, IP_A, IP_B);
  emitIpv4(f, IP_AT, len, IP_PROTO_UDP, IP_A, IP_B, 64, 0x4d3, 0);
  return padded(f, L4_AT + len);
}

/** A TCP segment with timestamps and SACK blocks (like a Linux duplicate ACK with data). */
export function buildTcp(payloadLength = 100, sackCount = 2): Uint8Array {
  const opts = new TcpOptions();
  opts.hasTimestamps = true;
  opts.tsVal = 0x01020304;
  opts.tsEcr = 0x05060708;
  for (let i = 0; i < sackCount; i++) {
    opts.sackBlocks[i * 2] = 1000 + i * 300;
    opts.sackBlocks[i * 2 + 1] = 1100 + i * 300;
  }
  opts.sackCount = sackCount;
  const scratch = new Uint8Array(40);
  const optLen = writeTcpOptions(scratch, 0, opts);
  const len = TCP_HEADER_LEN + optLen + payloadLength;
  const f = new Uint8Array(Math.max(60, L4_AT + len));
  emitEthernet(f, 0, MAC_B, MAC_A, ETHERTYPE_IPV4);
  f.set(scratch.subarray(0, optLen), L4_AT + TCP_HEADER_LEN);
  for (let i = 0; i < payloadLength; i++) f[L4_AT + TCP_HEADER_LEN + optLen + i] = (i * 31 + 3) & 0xff;
  emitTcp(f, L4_AT, 40001, 80, 0x11223344, 0x55667788, TCP_ACK | TCP_PSH, 502, 0, optLen, payloadLength, IP_A, IP_B);
  emitIpv4(f, IP_AT, len, IP_PROTO_TCP, IP_A, IP_B, 64, 0x4d4, IPV4_FLAG_DF);
  return padded(f, L4_AT + len);
}

/** Random options; `sackCount` may exceed what fits (the writer drops the excess). */
export function randomOptions(rng: Prng): TcpOptions {
  const o = new TcpOptions();
  if (rng.bool()) o.mss = rng.u16();
  if (rng.bool()) o.windowScale = rng.int(0, 14);
  o.sackPermitted = rng.bool();
  if (rng.bool()) {
    o.hasTimestamps = true;
    o.tsVal = rng.u32();
    o.tsEcr = rng.u32();
  }
  if (rng.bool()) {
    o.sackCount = rng.int(1, 4);
    for (let i = 0; i < o.sackCount * 2; i++) o.sackBlocks[i] = rng.u32();
  }
  return o;
}

