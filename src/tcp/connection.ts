// The connection block (TCB, RFC 9293 §3.3.1): the send and receive sequence variables, the
// negotiated options, the timers, and the two rings. Blocks are allocated once by the Tcp layer and
// reused; `generation` changes on every reuse so a stale handle can be recognised.
//
// Memory per block: two rings (sendBuffer + receiveBuffer bytes) plus about 60 scalar fields.
// The application's calls (write, read, shutdown, close, abort) are methods here; they act
// through the owning Tcp layer, and never call the application back from inside the call.

import { ByteRing } from './ring';
import { ReassemblyQueue } from './reassembly';
import { CLOSED, ESTABLISHED, STATE_NAMES, type TcpFailure, type TcpState, canSend } from './state';

/** What the application hears about its connection. Every member is optional. */
export interface ConnectionHandler {
  /** The handshake completed (ESTABLISHED). */
  onConnected?(c: Connection): void;
  /** `available` bytes can be read. */
  onReadable?(c: Connection, available: number): void;
  /** Room in the send buffer: `free` bytes can be written. */
  onWritable?(c: Connection, free: number): void;
  /** The peer sent FIN: everything it will send has arrived (reads drain what is left). */
  onPeerClosed?(c: Connection): void;
  /** Both directions closed in order (the connection left the table or entered TIME-WAIT). */
  onClosed?(c: Connection): void;
  /** The connection failed; it is now CLOSED. */
  onError?(c: Connection, failure: TcpFailure): void;
  /**
   * The peer marked urgent data (RFC 9293 §3.8.5); it stays inline in the stream. `ahead` is how many
   * bytes past what read() returns next the urgent data ends.
   */
  onUrgent?(c: Connection, ahead: number): void;
}

/** The Tcp layer as seen by a connection block (implemented in tcp.ts). */
export interface ConnectionOwner {
  userSend(c: Connection): void;
  userShutdown(c: Connection): void;
  userClose(c: Connection): void;
  userAbort(c: Connection): void;
  userRead(c: Connection, n: number): void;
}

/** Ranges the sender's SACK scoreboard keeps (RFC 6675 §3; ours is bounded). */
export const SCOREBOARD_RANGES = 8;

export class Connection {
  readonly slot: number;
  /** Changes every time the block is reused. */
  generation = 0;
  state: TcpState = CLOSED;
  /** Opened by a listener (passive OPEN) rather than connect(). */
  passive = false;
  /** Index of the listener that created it, or -1. */
  listenerIndex = -1;
  /** A passive block counted in its listener's `halfOpen` while in SYN-RECEIVED (one block per SYN). */
  halfOpenCounted = false;
  /** The application holds this block (false for passive ones not accepted yet, and after close). */
  held = false;
  /** The application will read no more (close() rather than shutdown()). */
  readClosed = false;
  /** The block is in the 4-tuple index (false once moved to the TIME-WAIT table or freed). */
  indexed = false;

  localIp = 0;
  localPort = 0;
  remoteIp = 0;
  remotePort = 0;

  // Send sequence space (RFC 9293 §3.3.1).
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** Highest sequence number sent so far (sndNxt rewinds on retransmission timeout). */
  sndMax = 0;
  /** Peer's window, already scaled. */
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** Largest window the peer has offered (RFC 5961 §5 MAX.SND.WND). */
  maxSndWnd = 0;
  /** The application asked for FIN after the queued data. */
  finQueued = false;
  /** Our FIN has been sent (it occupies sequence number finSeq). */
  finSent = false;
  finSeq = 0;

  // Receive sequence space.
  irs = 0;
  rcvNxt = 0;
  /** Right edge of the window we last advertised (RCV.NXT + RCV.WND then). */
  rcvAdv = 0;
  finReceived = false;
  /**
   * Bytes of text that came on the peer's SYN in a simultaneous open, held unreadable in the
   * receive ring just past RCV.NXT until the handshake completes (RFC 9293 §3.10.7.3).
   */
  synText = 0;

  // Options.
  /** Effective send MSS (RFC 9293 §3.7.1, RFC 6691): peer's MSS option bounded by our MTU. */
  sndMss = 536;
  /** The MSS we announce. */
  rcvMss = 536;
  /** Shifts applied to windows we receive / send (RFC 7323 §2.3); 0 when not negotiated. */
  sndScale = 0;
  rcvScale = 0;
  /** The peer offered window scaling in its SYN. */
  peerOfferedScale = false;
  /** Timestamps (RFC 7323 §3) in use; TS.Recent and Last.ACK.sent of §4.3. */
  tsOk = false;
  tsRecent = 0;
  lastAckSent = 0;
  /** SACK (RFC 2018) in use. */
  sackOk = false;
  /** Sender's scoreboard: byte ranges above SND.UNA the peer reported holding, [left, right) pairs. */
  readonly sacked = new Uint32Array(2 * SCOREBOARD_RANGES);
  sackedCount = 0;
  /** Nagle's algorithm is off (RFC 896; RFC 1122 §4.2.3.4 lets the application say so). */
  noDelay = false;
  /** Right edge of urgent data received (RFC 9293 §3.8.5 RCV.UP), valid while urgentPending. */
  rcvUp = 0;
  urgentPending = false;

  // Retransmission (RFC 6298) and congestion (RFC 5681).
  rto = 1000;
  /** Smoothed RTT in ms, or -1 before the first measurement. */
  srtt = -1;
  rttvar = 0;
  /** Sequence number being timed for an RTT sample, and when it was sent; -1 when none. */
  rttSeq = 0;
  rttStart = -1;
  /** Consecutive retransmissions of the same data (backoff exponent). */
  rtxCount = 0;
  cwnd = 0;
  ssthresh = 0x7fffffff;
  /** Bytes acknowledged towards the next congestion-avoidance increase. */
  caBytes = 0;
  dupAcks = 0;
  /** NewReno (RFC 6582): in fast recovery, and the `recover` point. */
  inRecovery = false;
  recover = 0;
  recoverValid = false;
  /** Highest sequence number retransmitted from the scoreboard in this recovery. */
  rexmitHigh = 0;
  /** Delivery rate the ACKs show (bytes per ms, filtered), and the sample being gathered. */
  bwEstimate = 0;
  bwSampleStart = -1;
  bwSampleBytes = 0;
  /** When we last sent a segment with data (restart after idle), -1 never. */
  lastSendAt = -1;
  /** When the current run of retransmissions began (total-time limit), -1 when none. */
  rtxFirstAt = -1;
  /** When the peer last acknowledged anything (persist: is it still answering?). */
  lastAckAt = 0;

  // Timers: absolute times in ms, Infinity when off.
  rtxAt = Infinity;
  /** FIN-WAIT-2 timeout or TIME-WAIT (2 MSL) expiry. */
  closeAt = Infinity;
  keepaliveAt = Infinity;
  keepaliveProbes = 0;
  keepalive = false;
  /** An ACK should go out with the next output. */
  ackNow = false;
  /** Delayed ACK deadline (RFC 1122 §4.2.3.2), and in-order bytes received since our last ACK. */
  ackAt = Infinity;
  unackedBytes = 0;
  /** Persist timer for a zero window (RFC 9293 §3.8.6.1) and its backoff exponent. */
  persistAt = Infinity;
  persistBackoff = 0;
  /** The persist timer fired on an open window: send what fits, silly or not. */
  forceSend = false;
  /** When the last window probe went out, and since when probes have gone unanswered (-1: none). */
  lastProbeAt = -1;
  probesUnansweredSince = -1;

  // RFC 5961 §7 challenge ACK limit for this connection.
  challengeWindowStart = -Infinity;
  challengeCount = 0;

  /** Failure reported to the application, once. */
  failure: TcpFailure | null = null;
  /** Last ICMP soft error (RFC 1122 §4.2.3.9), reported if the connection then times out. */
  softError = false;
  handler: ConnectionHandler | null = null;

  readonly sendBuffer: ByteRing;
  readonly receiveBuffer: ByteRing;
  /** Out-of-order ranges held in receiveBuffer past RCV.NXT. */
  readonly reassembly: ReassemblyQueue;

  // Statistics (readable by the application).
  segmentsIn = 0;
  segmentsOut = 0;
  retransmits = 0;
  fastRetransmits = 0;
  dupAcksIn = 0;
  outOfOrderIn = 0;
  bytesSent = 0;
  bytesReceived = 0;
  rttMin = Infinity;

  constructor(
    private readonly owner: ConnectionOwner,
    slot: number,
    sendBytes: number,
    receiveBytes: number,
    reassemblyRanges: number,
  ) {
    this.slot = slot;
    this.sendBuffer = new ByteRing(sendBytes);
    this.receiveBuffer = new ByteRing(receiveBytes);
    this.reassembly = new ReassemblyQueue(reassemblyRanges);
  }

  get stateName(): string {
    return STATE_NAMES[this.state]!;
  }

  /** Bytes waiting to be read. */
  get readable(): number {
    return this.receiveBuffer.length;
  }

  /** Bytes write() would accept now (0 once the sending side is closed). */
  get writable(): number {
    return canSend(this.state) && !this.finQueued ? this.sendBuffer.free : 0;
  }

  /** Bytes written but not yet acknowledged by the peer. */
  get unacknowledged(): number {
    return this.sendBuffer.length;
  }

  get isEstablished(): boolean {
    return this.state === ESTABLISHED;
  }

  /**
   * Queue bytes for sending; returns how many were taken (limited by free space). Only once the
   * connection can send (ESTABLISHED, CLOSE-WAIT) and before shutdown; otherwise 0.
   */
  write(src: Uint8Array, offset = 0, length = src.length - offset): number {
    if (!canSend(this.state) || this.finQueued) return 0;
    const n = this.sendBuffer.write(src, offset, length);
    if (n > 0) this.owner.userSend(this);
    return n;
  }

  /** Take up to `length` received bytes into dst; returns how many. */
  read(dst: Uint8Array, offset = 0, length = dst.length - offset): number {
    const n = this.receiveBuffer.read(dst, offset, length);
    if (n > 0) this.owner.userRead(this, n);
    return n;
  }

  /** Copy up to `length` received bytes without consuming them (MSG_PEEK). */
  peek(dst: Uint8Array, offset = 0, length = dst.length - offset): number {
    return this.receiveBuffer.peek(0, dst, offset, length);
  }

  /** Close the sending side after the queued data (half-close); reading goes on. */
  shutdown(): void {
    this.owner.userShutdown(this);
  }

  /** Close both sides: FIN after the queued data, no more reading; releases the block when done. */
  close(): void {
    this.owner.userClose(this);
  }

  /** Reset the connection now (RST) and release the block. */
  abort(): void {
    this.owner.userAbort(this);
  }
}
