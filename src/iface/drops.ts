// Every frame the interface receives ends either delivered to a consumer (the ARP table, ICMP, a
// UDP socket, a transport such as TCP, or the fragment reassembler) or dropped with exactly one of
// these reasons, so that received = delivered + dropped always holds.

import type { ArpError } from '../wire/arp';
import type { EthernetError } from '../wire/ethernet';
import type { IcmpError } from '../wire/icmp';
import type { Ipv4Error } from '../wire/ipv4';
import type { TcpError } from '../wire/tcp';
import type { UdpError } from '../wire/udp';

export type DropReason =
  | EthernetError | ArpError | Ipv4Error | IcmpError | UdpError | TcpError
  | 'eth-too-long'            // longer than the MTU allows
  | 'eth-not-for-us'          // unicast to another MAC
  | 'eth-vlan-foreign'        // tagged with a VLAN id other than 0
  | 'eth-unknown-type'        // neither IPv4 nor ARP
  | 'arp-not-for-us'          // target is not ours and the sender is not in our cache (RFC 826)
  | 'arp-bad-sender'          // sender address is broadcast, zero-with-reply, or our own MAC
  | 'ipv4-not-for-us'         // destination is neither ours nor a broadcast we accept
  | 'ipv4-bad-source'         // source is broadcast or multicast (RFC 1122 §3.2.1.3)
  | 'ipv4-unknown-protocol'   // answered with protocol unreachable (rate-limited)
  | 'frag-bad-length'         // a non-final fragment not a multiple of 8 bytes
  | 'frag-too-big'            // datagram would exceed the reassembly buffer
  | 'frag-overlap'            // overlaps received data with different bytes: datagram discarded
  | 'frag-duplicate'          // every byte already held
  | 'frag-after-end'          // data past the end a final fragment set, or two different ends
  | 'icmp-broadcast-echo'     // echo to a broadcast address (RFC 1122 §3.2.2.6: MAY ignore)
  | 'icmp-too-big-to-answer'  // echo reply would not fit our buffers
  | 'icmp-no-listener'        // echo reply with nobody pinging
  | 'icmp-unhandled-type'     // timestamp, redirect, router advertisement...
  | 'icmp-bad-quote'          // error message whose quoted datagram is truncated or not ours
  | 'icmp-error-unclaimed'    // error about a flow no transport owns
  | 'udp-no-socket'           // answered with port unreachable (rate-limited)
  | 'udp-queue-full'          // the socket's receive queue has no room
  | 'transport-rejected';     // a transport (TCP) counted the segment as dropped itself

/** Counts by reason; a key appears when its first drop happens. */
export type DropCounts = Partial<Record<DropReason, number>>;
