// What the upper layers (ICMP, UDP, TCP) see of the interface: the transmit buffer they write
// into, and the IPv4 send and receive hooks. Kept apart from interface.ts so those layers import
// a small interface, not the whole Interface class.

import type { ChecksumFn } from '../wire/checksum';
import { ETH_HEADER_LEN } from '../wire/ethernet';
import { IPV4_HEADER_LEN, type Ipv4Packet } from '../wire/ipv4';
import type { DropReason } from './drops';

/** Offset in the transmit buffer where an upper layer writes its IPv4 payload. */
export const TX_IP_PAYLOAD = ETH_HEADER_LEN + IPV4_HEADER_LEN;

export type SendResult =
  | 'sent'
  | 'queued'          // waiting on ARP resolution
  | 'no-address'      // the interface has no address yet
  | 'no-route'        // off-link destination and no gateway
  | 'too-big'         // larger than the MTU and fragmentation was not allowed
  | 'arp-queue-full'; // resolution pending and no queue slot free

export interface IpLayer {
  /** Our IPv4 address (uint32), 0 while unconfigured. */
  readonly address: number;
  /** Largest IPv4 payload one frame carries (MTU − 20). */
  readonly maxPayload: number;
  /** Transmit buffer: write the IPv4 payload at TX_IP_PAYLOAD, then call sendIpv4. */
  readonly tx: Uint8Array;
  /** A DataView over all of `tx`, for writing its 16- and 32-bit fields (src/wire/bytes.ts viewOf). */
  readonly txView: DataView;
  readonly checksum: ChecksumFn;
  /** Send the payload already in `tx` at TX_IP_PAYLOAD. `dontFragment` sets DF. */
  sendIpv4(dst: number, protocol: number, payloadLength: number, now: number, dontFragment: boolean): SendResult;
}

/** A transport protocol (TCP) registered with the interface. */
export interface Transport {
  /** A datagram for us with this protocol number; returns null when consumed. */
  input(ip: Ipv4Packet, now: number): DropReason | null;
  /**
   * An ICMP error quoting a datagram we sent with this protocol. `quoted` is bound to the quoted
   * header (checksum not verified) with at least 8 payload bytes. Returns true when a flow owned it.
   */
  icmpError(type: number, code: number, nextHopMtu: number, quoted: Ipv4Packet, now: number): boolean;
  /** Fire the transport's timers due at or before `now` (called from Interface.poll). */
  poll(now: number): void;
  /** Earliest pending timer of the transport, or Infinity. */
  nextDeadline(): number;
}
