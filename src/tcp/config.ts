// TCP configuration and counters. Every capacity is fixed when the Tcp layer is built.

import type { CongestionControl } from './congestion';
import { type SynDefenceConfig, defaultSynDefenceConfig } from './syndefence';

export interface KeepaliveConfig {
  /** Idle time before the first probe (RFC 1122 §4.2.3.6: at least two hours by default). */
  idleMs: number;
  intervalMs: number;
  /** Unanswered probes before the peer is declared dead. */
  count: number;
}

export interface TcpConfig {
  /**
   * Header prediction (input.ts): the next data in order and pure ACKs on an ESTABLISHED
   * connection take a short path that does what the full checks would. Off: every segment goes
   * through all of RFC 9293 §3.10.7.4 (for comparison; the result is the same). First in the
   * object because it is read for every segment.
   */
  headerPrediction: boolean;
  /** Connection blocks (each with its two rings), allocated at construction. */
  connections: number;
  sendBuffer: number;
  receiveBuffer: number;
  /** Compact TIME-WAIT entries; when full the oldest is recycled. */
  timeWaitEntries: number;
  listeners: number;
  /** Our window-scale shift (RFC 7323 §2.3), or -1 to not offer the option. */
  windowScale: number;
  /** SYN retransmissions before connect() fails (1 s initial, doubling). */
  synRetries: number;
  /** SYN-ACK retransmissions before a half-open connection is dropped. */
  synAckRetries: number;
  /** Data/FIN retransmissions before the connection fails with a timeout. */
  maxRetries: number;
  initialRtoMs: number;
  minRtoMs: number;
  /**
   * Added to every RTO computed from RTT samples (FreeBSD's net.inet.tcp.rexmit_slop, 200 ms there,
   * with a 30 ms minimum instead of synstack's 200 ms floor). 0: RFC 6298 §2.3 as written.
   */
  rtoSlopMs: number;
  maxRtoMs: number;
  /** Maximum segment lifetime; TIME-WAIT lasts 2 × MSL (RFC 9293 §3.4.2). */
  mslMs: number;
  /** How long an orphaned FIN-WAIT-2 connection waits for the peer's FIN. */
  finWait2TimeoutMs: number;
  keepalive: KeepaliveConfig;
  /** RFC 5961 §3 for RSTs (false: RFC 793 — any in-window RST resets). */
  rfc5961Rst: boolean;
  /** RFC 5961 §4 for SYNs in synchronized states (false: RFC 793 — an in-window SYN resets). */
  rfc5961Syn: boolean;
  /** RFC 5961 §5 ACK validity check against MAX.SND.WND. */
  rfc5961Ack: boolean;
  /** Drop segments with both SYN and FIN (they have no legitimate use). */
  dropSynFin: boolean;
  /**
   * BSD: a segment that lies wholly before RCV.NXT (an old duplicate) is trimmed to nothing and its
   * ACK field is still processed, then answered with an ACK. Off (RFC 9293 §3.10.7.4): it is
   * unacceptable, answered with an ACK and dropped, ACK field and all.
   */
  trimOldSegments: boolean;
  /**
   * BSD: while our FIN is unacknowledged, every ACK we owe (other than a challenge ACK) carries the
   * FIN again, numbered as the FIN. Off: a bare ACK numbered SND.MAX; the FIN is resent only by the
   * retransmission timer.
   */
  resendFinWithAck: boolean;
  /**
   * Let a SYN reopen a tuple in TIME-WAIT by its sequence number alone (SEG.SEQ > RCV.NXT, RFC 1122
   * §4.2.2.13, and RFC 6191's rules when timestamps are not on both sides), as BSD does. Off: only
   * a SYN whose timestamp shows a new incarnation reopens (RFC 9293 §3.10.7.4, RFC 6191); any other
   * SYN draws a challenge ACK (RFC 5961 §4.2).
   */
  timeWaitReopenBySequence: boolean;
  /**
   * BSD: in TIME-WAIT, a segment without ACK (other than a SYN) is dropped without a reply even
   * when it is unacceptable. Off: RFC 9293 §3.10.7.4's first check ACKs it.
   */
  timeWaitIgnoresNoAck: boolean;
  /** Challenge ACKs per connection per second, and for the whole stack (RFC 5961 §7). */
  challengeAcksPerConnection: number;
  challengeAcksPerSecond: number;
  /** RSTs per second sent for segments that match no connection. */
  resetsPerSecond: number;
  /** Listen backlog when listen() is not given one. */
  defaultBacklog: number;
  /** Offer timestamps (RFC 7323) and SACK (RFC 2018) in our SYNs, and accept them in the peer's. */
  timestamps: boolean;
  sack: boolean;
  /** Delayed ACK (RFC 1122 §4.2.3.2: under 0.5 s; every second full segment is ACKed at once). */
  delayedAckMs: number;
  /** Initial window in segments (RFC 6928 caps it at 10 and 14600 bytes). */
  initialWindowSegments: number;
  /** Give up on retransmissions (and on unanswered window probes) after this long. */
  maxRetransmitTimeMs: number;
  /** Out-of-order ranges a connection may hold (their bytes live in the receive ring). */
  reassemblyRanges: number;
  /** Loss response: RFC 5681/6582 NewReno, or Westwood+ for links with random loss (congestion.ts). */
  congestionControl: CongestionControl;
  /** The SYN cache and cookies (syncache.ts); give a partial object to change some fields. */
  synDefence: SynDefenceConfig;
}

export const defaultTcpConfig: TcpConfig = Object.freeze({
  headerPrediction: true,
  connections: 8,
  sendBuffer: 2048,
  receiveBuffer: 2048,
  timeWaitEntries: 16,
  listeners: 4,
  windowScale: 0,
  synRetries: 6,
  synAckRetries: 3,
  maxRetries: 12,
  initialRtoMs: 1000,
  minRtoMs: 200,
  rtoSlopMs: 0,
  maxRtoMs: 60_000,
  mslMs: 30_000,
  finWait2TimeoutMs: 60_000,
  keepalive: Object.freeze({ idleMs: 7_200_000, intervalMs: 75_000, count: 9 }),
  rfc5961Rst: true,
  rfc5961Syn: true,
  rfc5961Ack: true,
  dropSynFin: true,
  trimOldSegments: false,
  resendFinWithAck: false,
  timeWaitReopenBySequence: false,
  timeWaitIgnoresNoAck: false,
  challengeAcksPerConnection: 10,
  challengeAcksPerSecond: 100,
  resetsPerSecond: 100,
  defaultBacklog: 4,
  timestamps: true,
  sack: true,
  delayedAckMs: 100,
  initialWindowSegments: 10,
  maxRetransmitTimeMs: 300_000,
  reassemblyRanges: 8,
  congestionControl: 'newreno',
  synDefence: defaultSynDefenceConfig,
});

/** Why TCP discarded a segment it had parsed. */
export type TcpDropReason =
  | 'bad-port'            // source or destination port 0
  | 'syn-fin'             // SYN and FIN together (dropSynFin)
  | 'syn-rst'             // SYN and RST together
  | 'no-connection'       // answered with RST (or silently, for an RST) — RFC 9293 §3.10.7.1
  | 'rst-rate-limited'    // would have been answered with RST, over the rate limit
  | 'listen-rst'          // RST to a listener
  | 'listen-ack'          // ACK to a listener: answered with RST
  | 'listen-no-syn'       // neither SYN, ACK nor RST to a listener
  | 'listen-overflow'     // SYN to a listener whose backlog is full
  | 'no-memory'           // SYN to a listener with no free connection block
  | 'syn-sent-bad-ack'    // RFC 9293 §3.10.7.3: unacceptable ACK, answered with RST
  | 'syn-sent-rst-ignored'// RST without an acceptable ACK in SYN-SENT
  | 'syn-sent-no-syn'     // neither SYN nor RST in SYN-SENT
  | 'out-of-window'       // RFC 9293 §3.10.7.4 first check failed (answered with ACK)
  | 'rst-out-of-window'   // RFC 5961 §3.2: silently dropped
  | 'rst-challenged'      // in-window RST not at RCV.NXT: challenge ACK
  | 'syn-challenged'      // SYN in a synchronized state: challenge ACK
  | 'ack-challenged'      // ACK outside [SND.UNA − MAX.SND.WND, SND.NXT]: challenge ACK
  | 'no-ack'              // ACK bit off in a synchronized state
  | 'ack-of-unsent'       // SEG.ACK > SND.NXT: answered with ACK
  | 'syn-received-bad-ack'// unacceptable ACK in SYN-RECEIVED: answered with RST
  | 'out-of-order'        // data beyond RCV.NXT (no reassembly yet): answered with ACK
  | 'data-after-close'    // data for a connection the application closed: answered with RST
  | 'time-wait-rst'       // RST in TIME-WAIT, ignored (RFC 1337)
  | 'time-wait-segment'   // other segment in TIME-WAIT
  | 'time-wait-syn'       // SYN in TIME-WAIT, RFC 793 mode: reset (in the window) or ACKed
  | 'closing-ignored'     // segment in CLOSING/LAST-ACK that did not ack our FIN
  | 'paws'                // RFC 7323 §5: timestamp older than TS.Recent (answered with ACK)
  | 'reassembly-full';    // out-of-order segment with no room in the reassembly queue or ring

export interface TcpCounters {
  segmentsIn: number;
  segmentsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Segments taken by header prediction (input.ts): the next data in order, and pure ACKs. */
  predictedData: number;
  predictedAcks: number;
  activeOpens: number;
  passiveOpens: number;
  established: number;
  resetsIn: number;
  resetsOut: number;
  challengeAcks: number;
  challengeAcksLimited: number;
  retransmits: number;
  fastRetransmits: number;
  dupAcks: number;
  /** Old duplicates whose ACK field was processed (`trimOldSegments`). */
  oldSegments: number;
  outOfOrder: number;
  delayedAcks: number;
  persistProbes: number;
  urgentIn: number;
  synRetransmits: number;
  timeouts: number;
  keepaliveProbes: number;
  keepaliveDrops: number;
  timeWaitEntered: number;
  timeWaitRecycled: number;
  timeWaitReused: number;
  finWait2Timeouts: number;
  icmpErrors: number;
  connectionsFull: number;
  drops: Partial<Record<TcpDropReason, number>>;
}

export function newTcpCounters(): TcpCounters {
  return {
    segmentsIn: 0, segmentsOut: 0, bytesIn: 0, bytesOut: 0, predictedData: 0, predictedAcks: 0, activeOpens: 0, passiveOpens: 0,
    established: 0, resetsIn: 0, resetsOut: 0, challengeAcks: 0, challengeAcksLimited: 0,
    retransmits: 0, fastRetransmits: 0, dupAcks: 0, oldSegments: 0, outOfOrder: 0, delayedAcks: 0, persistProbes: 0,
    urgentIn: 0, synRetransmits: 0, timeouts: 0, keepaliveProbes: 0, keepaliveDrops: 0,
    timeWaitEntered: 0, timeWaitRecycled: 0, timeWaitReused: 0, finWait2Timeouts: 0,
    icmpErrors: 0, connectionsFull: 0, drops: {},
  };
}
