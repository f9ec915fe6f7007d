// The connection block (TCB, RFC 9293 §3.3.1): the send and receive sequence variables, the
// negotiated options, the timers, and the two rings. Blocks are allocated once by the Tcp layer and
// reused; `generation` changes on every reuse so a stale handle can be recognised.
//
// Memory per block: two rings (sendBuffer + receiveBuffer bytes), the hot variables as
// properties, the others in one Float64Array (see below), the SACK scoreboard and the reassembly
// queue; measured under XS by `npm run bench -- xs` (xs_bytes_per_connection).
// The application's calls (write, read, shutdown, close, abort) are methods here; they act
// through the owning Tcp layer, and never call the application back from inside the call.

import type { CopyBytes } from '../platform';
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

// Where the block's variables live. On the ESP32 an XS object spends a 16-byte slot on every
// property and finds a property by walking the list of them (about 190 instructions for one near
// the front, 600 for one 150 places in), while a Float64Array holds a variable in 8 bytes and
// costs about the same to reach wherever it is. So the variables every segment touches are
// properties declared first in Connection; the rest live in `Connection.v` at the indices below
// (sequence numbers, sizes, times in ms; Infinity means a timer is off); yes/no variables are bits
// of `Connection.flags` (the bits follow the indices).

/** Index of the listener that created it, or -1. */
export const LISTENER_INDEX = 0;
export const LOCAL_IP = 1;
export const LOCAL_PORT = 2;
export const REMOTE_IP = 3;
export const REMOTE_PORT = 4;

// Send sequence space (RFC 9293 §3.3.1).
export const ISS = 5;
export const SND_WL1 = 6;
export const SND_WL2 = 7;
/** Largest window the peer has offered (RFC 5961 §5 MAX.SND.WND). */
export const MAX_SND_WND = 8;
export const FIN_SEQ = 9;

// Receive sequence space.
export const IRS = 10;
/**
* Bytes of text that came on the peer's SYN in a simultaneous open, held unreadable in the
* receive ring just past RCV.NXT until the handshake completes (RFC 9293 §3.10.7.3).
*/
export const SYN_TEXT = 11;
/** The MSS we announce. */
export const RCV_MSS = 12;
/** Shifts applied to windows we receive / send (RFC 7323 §2.3); 0 when not negotiated. */
export const SND_SCALE = 13;
export const RCV_SCALE = 14;
export const TS_RECENT = 15;
export const LAST_ACK_SENT = 16;
export const SACKED_COUNT = 17;
/** Right edge of urgent data received (RFC 9293 §3.8.5 RCV.UP), valid while urgentPending. */
export const RCV_UP = 18;

// Retransmission (RFC 6298) and congestion (RFC 5681).
export const RTO = 19;
/** Smoothed RTT in ms, or -1 before the first measurement. */
export const SRTT = 20;
export const RTTVAR = 21;
/** Sequence number being timed for an RTT sample, and when it was sent; -1 when none. */
export const RTT_SEQ = 22;
export const RTT_START = 23;
/** Consecutive retransmissions of the same data (backoff exponent). */
export const RTX_COUNT = 24;
export const SSTHRESH = 25;
/** Bytes acknowledged towards the next congestion-avoidance increase. */
export const CA_BYTES = 26;
export const DUP_ACKS = 27;
export const RECOVER = 28;
/** Highest sequence number retransmitted from the scoreboard in this recovery. */
export const REXMIT_HIGH = 29;
/** Delivery rate the ACKs show (bytes per ms, filtered), and the sample being gathered. */
export const BW_ESTIMATE = 30;
export const BW_SAMPLE_START = 31;
export const BW_SAMPLE_BYTES = 32;
/** When we last sent a segment with data (restart after idle), -1 never. */
export const LAST_SEND_AT = 33;
/** When the current run of retransmissions began (total-time limit), -1 when none. */
export const RTX_FIRST_AT = 34;
/** When the peer last acknowledged anything (persist: is it still answering?). */
export const LAST_ACK_AT = 35;
export const KEEPALIVE_PROBES = 36;
export const PERSIST_BACKOFF = 37;
/** When the last window probe went out, and since when probes have gone unanswered (-1: none). */
export const LAST_PROBE_AT = 38;
export const PROBES_UNANSWERED_SINCE = 39;

// RFC 5961 §7 challenge ACK limit for this connection.
export const CHALLENGE_WINDOW_START = 40;
export const CHALLENGE_COUNT = 41;

// Statistics (readable by the application).
export const SEGMENTS_IN = 42;
export const SEGMENTS_OUT = 43;
export const RETRANSMITS = 44;
export const FAST_RETRANSMITS = 45;
export const DUP_ACKS_IN = 46;
export const OUT_OF_ORDER_IN = 47;
export const BYTES_SENT = 48;
export const BYTES_RECEIVED = 49;
export const RTT_MIN = 50;
/**
 * When we last retransmitted anything (by timeout or fast retransmit), -1 never: an echoed
 * timestamp older than this measures loss recovery, not the path, and gives no RTT sample.
 */
export const LAST_RTX_AT = 51;
/** Number of entries in Connection.v. */
export const VALUE_COUNT = 52;

// Bits of Connection.flags.
/** Opened by a listener (passive OPEN) rather than connect(). */
export const PASSIVE = 1 << 0;
/** A passive block counted in its listener's `halfOpen` while in SYN-RECEIVED (one block per SYN). */
export const HALF_OPEN_COUNTED = 1 << 1;
/** The application holds this block (false for passive ones not accepted yet, and after close). */
export const HELD = 1 << 2;
/** The application will read no more (close() rather than shutdown()). */
export const READ_CLOSED = 1 << 3;
/** The block is in the 4-tuple index (false once moved to the TIME-WAIT table or freed). */
export const INDEXED = 1 << 4;
/** The application asked for FIN after the queued data. */
export const FIN_QUEUED = 1 << 5;
/** Our FIN has been sent (it occupies sequence number finSeq). */
export const FIN_SENT = 1 << 6;
export const FIN_RECEIVED = 1 << 7;
/** The peer offered window scaling in its SYN. */
export const PEER_OFFERED_SCALE = 1 << 8;
/** Timestamps (RFC 7323 §3) in use; TS.Recent and Last.ACK.sent of §4.3. */
export const TS_OK = 1 << 9;
/** SACK (RFC 2018) in use. */
export const SACK_OK = 1 << 10;
/** Nagle's algorithm is off (RFC 896; RFC 1122 §4.2.3.4 lets the application say so). */
export const NO_DELAY = 1 << 11;
export const URGENT_PENDING = 1 << 12;
/** NewReno (RFC 6582): in fast recovery, and the `recover` point. */
export const IN_RECOVERY = 1 << 13;
export const RECOVER_VALID = 1 << 14;
export const KEEPALIVE = 1 << 15;
/** An ACK should go out with the next output. */
export const ACK_NOW = 1 << 16;
/** The persist timer fired on an open window: send what fits, silly or not. */
export const FORCE_SEND = 1 << 17;
/** Last ICMP soft error (RFC 1122 §4.2.3.9), reported if the connection then times out. */
export const SOFT_ERROR = 1 << 18;
/**
 * Out-of-order data or a FIN may be held in `reassembly`: set whenever a segment arrives beyond
 * RCV.NXT (input.ts text), cleared when in-order data finds the queue empty. So while it is clear
 * the queue holds no range and no FIN (the converse need not hold). Header prediction reads this
 * bit instead of the queue, which under XS costs two getter calls.
 */
export const OUT_OF_ORDER_HELD = 1 << 19;

/** Every entry of Connection.v as a fresh (or reset) block has it. */
export const INITIAL_VALUES: Float64Array = makeInitialValues();

function makeInitialValues(): Float64Array {
  const v = new Float64Array(VALUE_COUNT);
  v[LISTENER_INDEX] = -1;
  v[RCV_MSS] = 536;
  v[RTO] = 1000;
  v[SRTT] = -1;
  v[RTT_START] = -1;
  v[SSTHRESH] = 0x7fffffff;
  v[BW_SAMPLE_START] = -1;
  v[LAST_SEND_AT] = -1;
  v[RTX_FIRST_AT] = -1;
  v[LAST_RTX_AT] = -1;
  v[LAST_PROBE_AT] = -1;
  v[PROBES_UNANSWERED_SINCE] = -1;
  v[CHALLENGE_WINDOW_START] = -Infinity;
  v[RTT_MIN] = Infinity;
  return v;
}

/** Set or clear one bit of `c.flags`. */
export function setFlag(c: Connection, bit: number, on: boolean): void {
  c.flags = on ? c.flags | bit : c.flags & ~bit;
}

export class Connection {
  // The variables every segment touches come first (see above); resetVariables() gives them and
  // the rest their initial values.
  state!: TcpState;
  /** The yes/no variables, as the bits listed above. */
  flags!: number;
  /**
   * The other variables, at the indices above. Third in the list: every segment in and out reads
   * or writes a dozen or more of them, each access finding `v` first.
   */
  readonly v: Float64Array = new Float64Array(VALUE_COUNT);
  /** RCV.NXT, SND.UNA, SND.NXT (RFC 9293 §3.3.1). */
  rcvNxt!: number;
  sndUna!: number;
  sndNxt!: number;
  /** Highest sequence number sent so far (sndNxt rewinds on retransmission timeout). */
  sndMax!: number;
  /** SND.WND: the peer's window, already scaled. */
  sndWnd!: number;
  /** Right edge of the window we last advertised (RCV.NXT + RCV.WND then). */
  rcvAdv!: number;
  /** Congestion window, bytes (RFC 5681). */
  cwnd!: number;
  /** Effective send MSS (RFC 9293 §3.7.1, RFC 6691): peer's MSS option bounded by our MTU. */
  sndMss!: number;
  // Timers: absolute times in ms, Infinity when off.
  /** Retransmission timeout (RFC 6298). */
  rtxAt!: number;
  /** Delayed ACK deadline (RFC 1122 §4.2.3.2). */
  ackAt!: number;
  /** Persist timer for a zero window (RFC 9293 §3.8.6.1). */
  persistAt!: number;
  /** Next keepalive probe (RFC 1122 §4.2.3.6). */
  keepaliveAt!: number;
  /** FIN-WAIT-2 timeout or TIME-WAIT (2 MSL) expiry. */
  closeAt!: number;
  /** In-order bytes received since our last ACK (an ACK goes at once for every second full segment). */
  unackedBytes!: number;
  readonly slot: number;
  /** Changes every time the block is reused. */
  generation = 0;
  /** Sender's scoreboard: byte ranges above SND.UNA the peer reported holding, [left, right) pairs. */
  readonly sacked = new Uint32Array(2 * SCOREBOARD_RANGES);

  /** Failure reported to the application, once. */
  failure: TcpFailure | null = null;
  handler: ConnectionHandler | null = null;

  readonly sendBuffer: ByteRing;
  readonly receiveBuffer: ByteRing;
  /** Out-of-order ranges held in receiveBuffer past RCV.NXT. */
  readonly reassembly: ReassemblyQueue;

  constructor(
    private readonly owner: ConnectionOwner,
    slot: number,
    sendBytes: number,
    receiveBytes: number,
    reassemblyRanges: number,
    copy?: CopyBytes,
  ) {
    this.resetVariables();
    this.slot = slot;
    this.sendBuffer = new ByteRing(sendBytes, copy);
    this.receiveBuffer = new ByteRing(receiveBytes, copy);
    this.reassembly = new ReassemblyQueue(reassemblyRanges);
  }

  /** Every variable to its initial value: a new block, or one being reused. */
  resetVariables(): void {
    this.state = CLOSED;
    this.flags = 0;
    this.rcvNxt = 0;
    this.sndUna = 0;
    this.sndNxt = 0;
    this.sndMax = 0;
    this.sndWnd = 0;
    this.rcvAdv = 0;
    this.cwnd = 0;
    this.sndMss = 536;
    this.rtxAt = Infinity;
    this.ackAt = Infinity;
    this.persistAt = Infinity;
    this.keepaliveAt = Infinity;
    this.closeAt = Infinity;
    this.unackedBytes = 0;
    this.v.set(INITIAL_VALUES);
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
    return canSend(this.state) && (this.flags & FIN_QUEUED) === 0 ? this.sendBuffer.free : 0;
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
    if (!canSend(this.state) || (this.flags & FIN_QUEUED) !== 0) return 0;
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
