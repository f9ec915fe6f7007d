// The DHCP message (RFC 2131 §2, options of RFC 2132) as the client of dhcp.ts sends and receives
// it: the BOOTP fixed part, the magic cookie, and the options it writes or reads. A received
// message is checked and read into a DhcpReply, or refused with a reason; a client message is laid
// out by emitDhcpClientMessage from the fields the client fills in.
//
// Choices, where the RFC leaves them open or where this parser does less:
// - Option overload (52, RFC 2132 §9.3) is refused: such a message is dropped, counted as
//   'overload-refused'. Split options (RFC 3396) are not joined: an instance of a fixed-length
//   option with the wrong length drops the message; DNS lists are appended across instances.

import { bytesEqual, copyMac, read32, write16, write32 } from '../wire/bytes';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

// RFC 2132 §9.6 message types.
export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;

// RFC 2131 §2 (Table 1): the fixed part of a message, then the magic cookie (RFC 2132 §2).
const OP_BOOTREQUEST = 1;
const OP_BOOTREPLY = 2;
const HTYPE_ETHERNET = 1;
const FLAG_BROADCAST = 0x8000;
const OFF_XID = 4;
const OFF_SECS = 8;
const OFF_FLAGS = 10;
const OFF_CIADDR = 12;
const OFF_YIADDR = 16;
const OFF_CHADDR = 28;
const OFF_COOKIE = 236;
const OFF_OPTIONS = 240;
const MAGIC_COOKIE = 0x63825363; // 99.130.83.99
/** RFC 951: a BOOTP message is at least 300 octets (64-octet vend field); pad up to it. */
const MIN_MESSAGE = 300;

// RFC 2132 option codes.
const OPT_PAD = 0;            // §3.1
const OPT_SUBNET_MASK = 1;    // §3.3
const OPT_ROUTER = 3;         // §3.5
const OPT_DNS = 6;            // §3.8
const OPT_HOSTNAME = 12;      // §3.14
const OPT_REQUESTED_IP = 50;  // §9.1
const OPT_LEASE_TIME = 51;    // §9.2
const OPT_OVERLOAD = 52;      // §9.3
const OPT_MESSAGE_TYPE = 53;  // §9.6
const OPT_SERVER_ID = 54;     // §9.7
const OPT_PARAMETERS = 55;    // §9.8
const OPT_MAX_SIZE = 57;      // §9.10
const OPT_T1 = 58;            // §9.11
const OPT_T2 = 59;            // §9.12
const OPT_CLIENT_ID = 61;     // §9.14
const OPT_END = 255;          // §3.2

/** RFC 2131 §3.3: a lease of 0xffffffff seconds is infinite. */
export const INFINITE_LEASE = 0xffffffff;
/** DNS servers kept from option 6. */
export const MAX_DNS = 3;
const PARAMETER_LIST = [OPT_SUBNET_MASK, OPT_ROUTER, OPT_DNS, OPT_LEASE_TIME, OPT_T1, OPT_T2];

/** Why a received message is not a well-formed DHCP reply. */
export type DhcpParseError =
  | 'truncated'          // shorter than the fixed part and the magic cookie
  | 'not-bootreply'      // op is not BOOTREPLY
  | 'bad-hardware'       // htype/hlen are not Ethernet's 1/6
  | 'bad-cookie'         // no DHCP magic cookie (RFC 2132 §2)
  | 'option-overrun'     // an option's length runs past the message
  | 'bad-option-length'  // an option we use with a length it cannot have
  | 'overload-refused'   // option 52: sname/file carry options; not supported
  | 'not-dhcp';          // no message type: a plain BOOTP reply

/** A received message (a server's BOOTREPLY): its fixed part checked and the options we use read. */
export class DhcpReply {
  bytes: Uint8Array = new Uint8Array(0);
  /** Option 53; 0 until parsed. */
  type = 0;
  /** Option 54, 0 when absent. */
  serverId = 0;
  /** Option 1, when hasMask. */
  mask = 0;
  hasMask = false;
  /** Option 3: the first router, 0 when absent. */
  router = 0;
  /** Option 6: the first MAX_DNS servers. */
  readonly dns = new Uint32Array(MAX_DNS);
  dnsCount = 0;
  /** Options 51, 58 and 59 (seconds), -1 when absent. */
  lease = -1;
  t1 = -1;
  t2 = -1;

  /** Check the fixed part and walk the options of bytes[0, len) into the fields above. */
  parse(bytes: Uint8Array, len: number): DhcpParseError | null {
    this.bytes = bytes;
    const b = bytes;
    if (len < OFF_OPTIONS) return 'truncated';
    if (b[0] !== OP_BOOTREPLY) return 'not-bootreply';
    if (b[1] !== HTYPE_ETHERNET || b[2] !== 6) return 'bad-hardware';
    if (read32(b, OFF_COOKIE) !== MAGIC_COOKIE) return 'bad-cookie';
    this.type = 0;
    this.serverId = 0;
    this.hasMask = false;
    this.router = 0;
    this.dnsCount = 0;
    this.lease = this.t1 = this.t2 = -1;
    // Each step moves i forward by at least one byte, so the walk is bounded by len.
    for (let i = OFF_OPTIONS; i < len;) {
      const code = b[i]!;
      if (code === OPT_PAD) {
        i++;
        continue;
      }
      if (code === OPT_END) break;
      if (i + 2 > len) return 'option-overrun';
      const n = b[i + 1]!, v = i + 2;
      if (v + n > len) return 'option-overrun';
      switch (code) {
        case OPT_MESSAGE_TYPE:
          if (n !== 1) return 'bad-option-length';
          this.type = b[v]!;
          break;
        case OPT_SERVER_ID:
          if (n !== 4) return 'bad-option-length';
          this.serverId = read32(b, v);
          break;
        case OPT_SUBNET_MASK:
          if (n !== 4) return 'bad-option-length';
          this.mask = read32(b, v);
          this.hasMask = true;
          break;
        case OPT_ROUTER:
          if (n < 4 || n % 4 !== 0) return 'bad-option-length';
          this.router = read32(b, v); // RFC 2132 §3.5: in order of preference
          break;
        case OPT_DNS:
          if (n < 4 || n % 4 !== 0) return 'bad-option-length';
          for (let k = 0; k < n && this.dnsCount < MAX_DNS; k += 4) this.dns[this.dnsCount++] = read32(b, v + k);
          break;
        case OPT_LEASE_TIME:
        case OPT_T1:
        case OPT_T2: {
          if (n !== 4) return 'bad-option-length';
          const secs = read32(b, v);
          if (code === OPT_LEASE_TIME) this.lease = secs;
          else if (code === OPT_T1) this.t1 = secs;
          else this.t2 = secs;
          break;
        }
        case OPT_OVERLOAD:
          return 'overload-refused';
        default:
          break; // RFC 2132 §2: options we do not know are skipped by their length
      }
      i = v + n;
    }
    if (this.type === 0) return 'not-dhcp';
    return null;
  }

  get xid(): number {
    return read32(this.bytes, OFF_XID);
  }
  get yiaddr(): number {
    return read32(this.bytes, OFF_YIADDR);
  }
  /** True when chaddr is `mac` (6 bytes). */
  chaddrIs(mac: Uint8Array): boolean {
    return bytesEqual(this.bytes, OFF_CHADDR, mac, 0, 6);
  }
}

/** What one client message says (RFC 2131 §4.4.1 Table 5); emitDhcpClientMessage lays it out. */
export interface DhcpClientMessage {
  type: number;
  /** RENEWING or REBINDING: the REQUEST carries neither option 50 nor 54 (Table 5). */
  renewal: boolean;
  xid: number;
  /** 'secs', written in DISCOVER and REQUEST only. */
  secs: number;
  /** Set the BROADCAST flag (§4.1). */
  broadcast: boolean;
  ciaddr: number;
  /** chaddr and the client identifier (6 bytes). */
  mac: Uint8Array;
  /** Option 50, in a REQUEST when not renewing and in a DECLINE. */
  requestedIp: number;
  /** Option 54, in a REQUEST when not renewing, a DECLINE and a RELEASE. */
  serverId: number;
  /** The interface MTU, for option 57 in DISCOVER and REQUEST. */
  mtu: number;
  /** Option 12 in DISCOVER and REQUEST; empty sends none. */
  hostname: Uint8Array;
  /** Option 51 in DISCOVER and REQUEST (seconds); 0 sends none. */
  leaseSeconds: number;
}

/** Write a client message (BOOTREQUEST) at b[o]; returns its length, padded to at least 300. */
export function emitDhcpClientMessage(b: Uint8Array, o: number, m: DhcpClientMessage): number {
  const type = m.type, renewal = m.renewal;
  b.fill(0, o, o + OFF_OPTIONS);
  b[o] = OP_BOOTREQUEST;
  b[o + 1] = HTYPE_ETHERNET;
  b[o + 2] = 6;
  write32(b, o + OFF_XID, m.xid);
  if (type === DHCPDISCOVER || type === DHCPREQUEST) write16(b, o + OFF_SECS, m.secs);
  if (m.broadcast) write16(b, o + OFF_FLAGS, FLAG_BROADCAST);
  write32(b, o + OFF_CIADDR, m.ciaddr);
  copyMac(m.mac, 0, b, o + OFF_CHADDR);
  write32(b, o + OFF_COOKIE, MAGIC_COOKIE);
  let p = o + OFF_OPTIONS;
  b[p++] = OPT_MESSAGE_TYPE;
  b[p++] = 1;
  b[p++] = type;
  // RFC 2132 §9.14: client identifier = hardware type 1 + MAC.
  b[p++] = OPT_CLIENT_ID;
  b[p++] = 7;
  b[p++] = HTYPE_ETHERNET;
  copyMac(m.mac, 0, b, p);
  p += 6;
  if ((type === DHCPREQUEST && !renewal) || type === DHCPDECLINE) p = option32(b, p, OPT_REQUESTED_IP, m.requestedIp);
  // Server identifier: in REQUEST only when selecting (Table 5: MUST NOT when renewing).
  if ((type === DHCPREQUEST && !renewal) || type === DHCPDECLINE || type === DHCPRELEASE) p = option32(b, p, OPT_SERVER_ID, m.serverId);
  if (type === DHCPDISCOVER || type === DHCPREQUEST) {
    b[p++] = OPT_MAX_SIZE; // RFC 2132 §9.10: the largest message we take, IP and UDP headers included
    b[p++] = 2;
    write16(b, p, Math.max(576, Math.min(0xffff, m.mtu)));
    p += 2;
    b[p++] = OPT_PARAMETERS;
    b[p++] = PARAMETER_LIST.length;
    for (let i = 0; i < PARAMETER_LIST.length; i++) b[p++] = PARAMETER_LIST[i]!;
    if (m.hostname.length > 0) {
      b[p++] = OPT_HOSTNAME;
      b[p++] = m.hostname.length;
      b.set(m.hostname, p);
      p += m.hostname.length;
    }
    if (m.leaseSeconds > 0) p = option32(b, p, OPT_LEASE_TIME, m.leaseSeconds);
  }
  b[p++] = OPT_END;
  const len = Math.max(MIN_MESSAGE, p - o);
  b.fill(0, p, o + len);
  return len;
}

function option32(b: Uint8Array, p: number, code: number, value: number): number {
  b[p] = code;
  b[p + 1] = 4;
  write32(b, p + 2, value);
  return p + 6;
}
