// The XS benchmark's floor (hosttest/bench/xs.ts, kind `floor`): the least work an interpreted
// receive path can do for one in-order 1460-byte data segment, written as tightly as we know how,
// so the stack's own figure can be read against what XS itself allows. It is a model, not a stack:
// one connection, no options, no reassembly, no timers, no sending, header prediction only
// (RFC 9293's fast path, Van Jacobson's "header prediction"): anything unexpected returns false.
//
// What it still does, because no receive path can skip it:
//   Ethernet  the EtherType (the MAC filter is left to the hardware);
//   IPv4      version/IHL, total length, fragment bits, protocol, header checksum (accelerator),
//             source, destination;
//   TCP       checksum with the pseudo-header (accelerator), ports, sequence and ACK numbers, data
//             offset, flags, window; the 4-tuple lookup (accelerator hash + compare);
//   data      into a receive ring and out to the application (accelerator copies);
//   ACK       every second segment (RFC 9293 §3.8.6.3, RFC 5681 §4.2), patched into a prebuilt
//             frame: IP ident and checksum, sequence, ACK, window, TCP checksum.
// The accelerators are the benchmark's stand-ins (bench-xs.ts), so as for the stack, the C work is
// not counted, only the calls into it. Written for XS's costs, measured: a DataView read or write
// of 2 or 4 bytes is cheaper than 2 or 4 Uint8Array accesses, and one new DataView per frame is
// cheaper than keeping one and checking it still fits the frame.

import type { Accelerators, CopyBytes } from '../../../src/platform';

const RING = 2048;
const ACK_FRAME = 54;

/**
 * The IPv4 and TCP checks both models make: an unfragmented IPv4 datagram without options, to
 * `address`, carrying TCP, both checksums right (the accelerator). The TCP length, or -1.
 */
function ipv4Tcp(f: Uint8Array, v: DataView, address: number, checksum: Accelerators['checksum']): number {
  if (f.length < 54 || f[12] !== 0x08 || f[13] !== 0 || f[14] !== 0x45 || f[23] !== 6) return -1;
  const total = v.getUint16(16);
  if (total + 14 > f.length || (v.getUint16(20) & 0x3fff) !== 0) return -1;
  if (checksum(f, 14, 20, 0) !== 0xffff) return -1;
  const src = v.getUint32(26), dst = v.getUint32(30);
  if (dst !== address) return -1;
  const tcpLength = total - 20;
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + tcpLength;
  return checksum(f, 34, tcpLength, pseudo) === 0xffff ? tcpLength : -1;
}

export class FloorReceiver {
  // The connection, as one small object: the fields the path touches, first.
  rcvNxt = 0;
  sndUna = 0;
  sndWnd = 0;
  unacked = 0;
  head = 0;
  tail = 0;
  remoteIp = 0;
  ports = 0;
  hash = 0;
  ident = 0;
  readonly ring = new Uint8Array(RING);
  readonly ack = new Uint8Array(ACK_FRAME);
  private readonly ackView = new DataView(this.ack.buffer);

  constructor(
    private readonly address: number,
    private readonly checksum: Accelerators['checksum'],
    private readonly mac: Accelerators['mac'],
    private readonly copy: CopyBytes,
    private readonly key: Uint8Array,
    private readonly send: (frame: Uint8Array) => void,
  ) {}

  /** Bind the model's one connection to the tuple of `frame` (a data segment of it), and build the ACK frame. */
  open(frame: Uint8Array): void {
    const f = frame;
    this.remoteIp = ((f[26]! << 24) | (f[27]! << 16) | (f[28]! << 8) | f[29]!) >>> 0;
    this.ports = ((f[34]! << 24) | (f[35]! << 16) | (f[36]! << 8) | f[37]!) >>> 0;
    this.hash = this.mac(this.key, f, 26, 12);
    this.rcvNxt = ((f[38]! << 24) | (f[39]! << 16) | (f[40]! << 8) | f[41]!) >>> 0;
    this.sndUna = ((f[42]! << 24) | (f[43]! << 16) | (f[44]! << 8) | f[45]!) >>> 0;
    const a = this.ack;
    for (let i = 0; i < 6; i++) {
      a[i] = f[6 + i]!;
      a[6 + i] = f[i]!;
    }
    a[12] = 0x08; a[14] = 0x45; a[17] = 40; a[20] = 0x40; a[22] = 64; a[23] = 6;
    for (let i = 0; i < 4; i++) {
      a[26 + i] = f[30 + i]!;
      a[30 + i] = f[26 + i]!;
      a[34 + i] = f[36 + (i ^ 2)]!;
    }
    for (let i = 0; i < 4; i++) a[38 + i] = f[42 + i]!; // our SEQ: the peer's ACK (we send no data)
    a[46] = 0x50; a[47] = 0x10;
    this.sndWnd = (f[48]! << 8) | f[49]!;
  }

  /** One frame in: the bytes the application got, or -1 off the fast path. */
  input(f: Uint8Array, appBuffer: Uint8Array): number {
    const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
    const tcpLength = ipv4Tcp(f, v, this.address, this.checksum);
    if (tcpLength < 0) return -1;
    const src = v.getUint32(26), dst = this.address;
    // The lookup: a keyed hash of the tuple as it lies in the frame, then the compare.
    if (this.mac(this.key, f, 26, 12) !== this.hash || src !== this.remoteIp || v.getUint32(34) !== this.ports) return -1;
    const seq = v.getUint32(38);
    const ack = v.getUint32(42);
    // Header prediction: no options, only ACK (and PSH), the next byte expected, nothing new acked.
    if (f[46] !== 0x50 || (f[47]! & 0xf7) !== 0x10 || seq !== this.rcvNxt || ack !== this.sndUna) return -1;
    this.sndWnd = v.getUint16(48);
    const length = tcpLength - 20;
    let head = this.head;
    if (length > RING - (head - this.tail)) return -1;
    // Into the ring (two pieces when it wraps) ...
    const at = head & (RING - 1), first = Math.min(length, RING - at);
    this.copy(f, 54, this.ring, at, first);
    if (first < length) this.copy(f, 54 + first, this.ring, 0, length - first);
    head += length;
    this.rcvNxt = (seq + length) >>> 0;
    // ... and out to the application, which reads all of it.
    let tail = this.tail;
    const from = tail & (RING - 1), part = Math.min(length, RING - from);
    this.copy(this.ring, from, appBuffer, 0, part);
    if (part < length) this.copy(this.ring, 0, appBuffer, part, length - part);
    tail += length;
    this.head = head;
    this.tail = tail;
    if (++this.unacked >= 2) this.sendAck(dst, src);
    return length;
  }

  private sendAck(src: number, dst: number): void {
    this.unacked = 0;
    const a = this.ack, w = this.ackView;
    w.setUint16(18, this.ident = (this.ident + 1) & 0xffff);
    w.setUint16(24, 0);
    w.setUint16(24, ~this.checksum(a, 14, 20, 0));
    w.setUint32(42, this.rcvNxt);
    w.setUint16(48, RING - (this.head - this.tail));
    w.setUint16(50, 0);
    const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + 20;
    w.setUint16(50, ~this.checksum(a, 34, 20, pseudo));
    this.send(a);
  }
}

const SYN_ACK_FRAME = 66;

/**
 * The floor of a SYN answered in cookie mode: the least an interpreted listener does for a SYN
 * from a new source. Checks as FloorReceiver does, reads the options a SYN carries (MSS, window
 * scale, SACK-permitted, skipping the rest), makes a cookie (one keyed-hash call over the tuple and
 * the peer's ISN as they lie in the frame, the period and the options in the low bits) and patches
 * a prebuilt SYN-ACK with MSS, window scale and SACK-permitted: IP ident, destination and checksum,
 * ports, sequence (the cookie) and ACK numbers, TCP checksum. Returns the cookie, or -1.
 */
export class FloorListener {
  ident = 0;
  readonly synAck = new Uint8Array(SYN_ACK_FRAME);
  private readonly view = new DataView(this.synAck.buffer);

  constructor(
    private readonly address: number,
    private readonly port: number,
    private readonly checksum: Accelerators['checksum'],
    private readonly mac: Accelerators['mac'],
    private readonly secret: Uint8Array,
    private readonly send: (frame: Uint8Array) => void,
    template: Uint8Array,
  ) {
    // Ethernet and the fixed IP and TCP fields from a frame the listener would answer.
    const a = this.synAck, f = template;
    for (let i = 0; i < 6; i++) {
      a[i] = f[6 + i]!;
      a[6 + i] = f[i]!;
    }
    a[12] = 0x08; a[14] = 0x45; a[17] = SYN_ACK_FRAME - 14; a[20] = 0x40; a[22] = 64; a[23] = 6;
    a[26] = address >>> 24; a[27] = (address >>> 16) & 0xff; a[28] = (address >>> 8) & 0xff; a[29] = address & 0xff;
    a[34] = port >>> 8; a[35] = port & 0xff;
    a[46] = 0x80; a[47] = 0x12; a[48] = 0xff; a[49] = 0xff;
    a[54] = 2; a[55] = 4; a[56] = 1460 >>> 8; a[57] = 1460 & 0xff; // MSS
    a[58] = 1; a[59] = 3; a[60] = 3; a[61] = 0; // NOP, window scale 0
    a[62] = 1; a[63] = 1; a[64] = 4; a[65] = 2; // NOP, NOP, SACK-permitted
  }

  input(f: Uint8Array, now: number): number {
    const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
    const tcpLength = ipv4Tcp(f, v, this.address, this.checksum);
    if (tcpLength < 0) return -1;
    const src = v.getUint32(26), dst = this.address;
    if (v.getUint16(36) !== this.port || (f[47]! & 0x17) !== 0x02) return -1;
    const offset = (f[46]! >> 4) * 4;
    if (offset < 20 || offset > tcpLength) return -1;
    // The options (RFC 9293 §3.1): kind, length, value; malformed ends the walk.
    let mss = 536, scale = -1, sack = 0;
    for (let o = 54, end = 34 + offset; o < end;) {
      const kind = f[o]!;
      if (kind === 0) break;
      if (kind === 1) { o++; continue; }
      const length = f[o + 1]!;
      if (length < 2 || o + length > end) break;
      if (kind === 2 && length === 4) mss = (f[o + 2]! << 8) | f[o + 3]!;
      else if (kind === 3 && length === 3) scale = f[o + 2]!;
      else if (kind === 4 && length === 2) sack = 1;
      o += length;
    }
    const irs = v.getUint32(38);
    // The cookie: a keyed hash of the tuple and the ISN, the period, and the options in the low bits.
    const low = (mss >= 1460 ? 3 << 5 : mss >= 1200 ? 2 << 5 : mss >= 536 ? 1 << 5 : 0) | (scale >= 0 ? (Math.min(scale, 14) >> 1) << 1 : 0) | sack;
    const cookie = (((this.mac(this.secret, f, 26, 16) ^ ((now >>> 16) << 8)) & ~0xff) | low) >>> 0;
    const a = this.synAck, w = this.view;
    w.setUint16(18, this.ident = (this.ident + 1) & 0xffff);
    w.setUint16(24, 0);
    w.setUint32(30, src);
    w.setUint16(24, ~this.checksum(a, 14, 20, 0));
    w.setUint16(36, v.getUint16(34));
    w.setUint32(38, cookie);
    w.setUint32(42, irs + 1);
    w.setUint16(50, 0);
    const tcpPseudo = (dst >>> 16) + (dst & 0xffff) + (src >>> 16) + (src & 0xffff) + 6 + (SYN_ACK_FRAME - 34);
    w.setUint16(50, ~this.checksum(a, 34, SYN_ACK_FRAME - 34, tcpPseudo));
    this.send(a);
    return cookie;
  }
}
