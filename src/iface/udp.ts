// UDP sockets (RFC 768, RFC 1122 §4.1) on a fixed table. Each bound socket owns a receive queue of
// fixed byte capacity holding whole datagrams with their source; a datagram that does not fit is
// dropped and counted. Ephemeral ports are chosen at random in 49152–65535 (RFC 6056 §3.3.1).

import type { Entropy } from '../platform';
import { IP_PROTO_UDP, type Ipv4Packet } from '../wire/ipv4';
import { UdpDatagram, emitUdp, UDP_HEADER_LEN } from '../wire/udp';
import { read16, read32, write16, write32 } from '../wire/bytes';
import type { DropReason } from './drops';
import { type IpLayer, type SendResult, TX_IP_PAYLOAD } from './ip-layer';

export interface UdpConfig {
  /** Sockets that may be bound at once. */
  sockets: number;
  /** Receive queue of each socket (bytes, 8 of them per datagram for its source). */
  queueBytes: number;
}

export const defaultUdpConfig: UdpConfig = Object.freeze({ sockets: 8, queueBytes: 4096 });

export interface UdpCounters {
  datagramsIn: number;
  datagramsOut: number;
  noSocket: number;
  queueFull: number;
  icmpErrors: number;
}

const RECORD_HEADER = 8; // source address (4), source port (2), length (2)
const EPHEMERAL_LOW = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_LOW;

export class UdpSocket {
  readonly port: number;
  /** Called when datagrams are waiting, with their count. */
  onReadable: ((count: number) => void) | null = null;
  /** Called when an ICMP error quotes a datagram this socket sent. */
  onError: ((type: number, code: number, address: number, port: number) => void) | null = null;
  /** Source of the datagram most recently read. */
  lastAddress = 0;
  lastPort = 0;

  private readonly ring: Uint8Array;
  private head = 0; // next byte to read
  private used = 0;
  private count = 0;
  private closed = false;

  constructor(private readonly layer: UdpLayer, port: number, queueBytes: number) {
    this.port = port;
    this.ring = new Uint8Array(queueBytes);
  }

  /** Datagrams waiting. */
  get pending(): number {
    return this.count;
  }

  /** Length of the next datagram, or -1 when none waits. */
  peekLength(): number {
    if (this.count === 0) return -1;
    this.copyOut(this.head + 6, scratch, 0, 2);
    return read16(scratch, 0);
  }

  /**
   * Copy the next datagram into `into` (which must hold peekLength() bytes), set lastAddress and
   * lastPort, and return its length; -1 when none waits or `into` is too small.
   */
  readInto(into: Uint8Array, offset = 0): number {
    const len = this.peekLength();
    if (len < 0 || into.length - offset < len) return -1;
    this.copyOut(this.head, scratch, 0, RECORD_HEADER);
    this.lastAddress = read32(scratch, 0);
    this.lastPort = read16(scratch, 4);
    this.copyOut(this.head + RECORD_HEADER, into, offset, len);
    this.head = (this.head + RECORD_HEADER + len) % this.ring.length;
    this.used -= RECORD_HEADER + len;
    this.count--;
    return len;
  }

  /** Send bytes[offset, offset+length) to address:port. */
  send(address: number, port: number, bytes: Uint8Array, offset: number, length: number, now: number): SendResult {
    return this.layer.send(this.port, address, port, bytes, offset, length, now);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.layer.release(this);
  }

  /** @internal Queue a datagram from the interface; false when it does not fit. */
  push(address: number, port: number, bytes: Uint8Array, offset: number, length: number): boolean {
    const need = RECORD_HEADER + length;
    if (this.used + need > this.ring.length) return false;
    write32(scratch, 0, address);
    write16(scratch, 4, port);
    write16(scratch, 6, length);
    const tail = (this.head + this.used) % this.ring.length;
    this.copyIn(scratch, 0, tail, RECORD_HEADER);
    this.copyIn(bytes, offset, (tail + RECORD_HEADER) % this.ring.length, length);
    this.used += need;
    this.count++;
    return true;
  }

  private copyIn(src: Uint8Array, srcOffset: number, at: number, n: number): void {
    const first = Math.min(n, this.ring.length - at);
    this.ring.set(src.subarray(srcOffset, srcOffset + first), at);
    if (first < n) this.ring.set(src.subarray(srcOffset + first, srcOffset + n), 0);
  }

  private copyOut(from: number, dst: Uint8Array, dstOffset: number, n: number): void {
    from %= this.ring.length;
    const first = Math.min(n, this.ring.length - from);
    dst.set(this.ring.subarray(from, from + first), dstOffset);
    if (first < n) dst.set(this.ring.subarray(0, n - first), dstOffset + first);
  }
}

const scratch = new Uint8Array(RECORD_HEADER);

export class UdpLayer {
  readonly config: UdpConfig;
  readonly counters: UdpCounters = { datagramsIn: 0, datagramsOut: 0, noSocket: 0, queueFull: 0, icmpErrors: 0 };
  private readonly sockets: (UdpSocket | null)[];
  private readonly datagram = new UdpDatagram();
  private readonly random = new Uint8Array(2);

  constructor(config: UdpConfig, private readonly ip: IpLayer, private readonly entropy: Entropy) {
    this.config = config;
    this.sockets = new Array<UdpSocket | null>(config.sockets).fill(null);
  }

  /** Bind a port (0 picks an ephemeral one). Null when the port is taken or the table is full. */
  bind(port: number): UdpSocket | null {
    const slot = this.sockets.indexOf(null);
    if (slot < 0) return null;
    if (port === 0) port = this.ephemeralPort();
    if (port <= 0 || port > 65535 || this.lookup(port) !== null) return null;
    const socket = new UdpSocket(this, port, this.config.queueBytes);
    this.sockets[slot] = socket;
    return socket;
  }

  lookup(port: number): UdpSocket | null {
    for (const s of this.sockets) if (s !== null && s.port === port) return s;
    return null;
  }

  /** @internal */
  release(socket: UdpSocket): void {
    const i = this.sockets.indexOf(socket);
    if (i >= 0) this.sockets[i] = null;
  }

  /** A datagram for one of our addresses. Returns null when queued, else why it was dropped. */
  input(ip: Ipv4Packet): DropReason | null {
    const d = this.datagram;
    const err = d.parse(ip.bytes, ip.payloadOffset, ip.payloadLength, ip.src, ip.dst, this.ip.checksum);
    if (err !== null) return err;
    this.counters.datagramsIn++;
    const socket = this.lookup(d.dstPort);
    if (socket === null) {
      this.counters.noSocket++;
      return 'udp-no-socket';
    }
    if (!socket.push(ip.src, d.srcPort, d.bytes, d.payloadOffset, d.payloadLength)) {
      this.counters.queueFull++;
      return 'udp-queue-full';
    }
    socket.onReadable?.(socket.pending);
    return null;
  }

  /** An ICMP error about a datagram we sent: tell the socket that sent it. */
  icmpError(type: number, code: number, quoted: Ipv4Packet): boolean {
    const b = quoted.bytes, o = quoted.payloadOffset;
    const socket = this.lookup(read16(b, o));
    if (socket === null) return false;
    this.counters.icmpErrors++;
    socket.onError?.(type, code, quoted.dst, read16(b, o + 2));
    return true;
  }

  /** @internal */
  send(srcPort: number, dst: number, dstPort: number, bytes: Uint8Array, offset: number, length: number, now: number): SendResult {
    const ip = this.ip;
    if (ip.address === 0) return 'no-address';
    if (UDP_HEADER_LEN + length > ip.maxPayload) return 'too-big';
    const tx = ip.tx;
    tx.set(bytes.subarray(offset, offset + length), TX_IP_PAYLOAD + UDP_HEADER_LEN);
    emitUdp(tx, TX_IP_PAYLOAD, srcPort, dstPort, length, ip.address, dst, ip.checksum);
    const r = ip.sendIpv4(dst, IP_PROTO_UDP, UDP_HEADER_LEN + length, now, false);
    if (r === 'sent' || r === 'queued') this.counters.datagramsOut++;
    return r;
  }

  private ephemeralPort(): number {
    this.entropy.fill(this.random);
    const start = read16(this.random, 0) % EPHEMERAL_COUNT;
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = EPHEMERAL_LOW + ((start + i) % EPHEMERAL_COUNT);
      if (this.lookup(port) === null) return port;
    }
    return -1;
  }
}
