// What input.ts, output.ts and timers.ts need from the Tcp layer (tcp.ts implements it), so those
// files depend on a small interface rather than on the layer itself.

import type { Log } from '../platform';
import type { IpLayer } from '../iface/ip-layer';
import type { TcpConfig, TcpCounters, TcpDropReason } from './config';
import type { Connection } from './connection';
import type { TcpFailure, TcpState } from './state';

export interface TcpContext {
  readonly config: TcpConfig;
  readonly counters: TcpCounters;
  readonly ip: IpLayer;
  readonly log: Log;

  drop(reason: TcpDropReason): void;
  setState(c: Connection, to: TcpState, cause: string): void;
  /** The handshake completed: tell the application or queue for accept(). */
  established(c: Connection, now: number): void;
  /** The connection failed: report `failure`, optionally send RST, and go to CLOSED. */
  fail(c: Connection, failure: TcpFailure, sendReset: boolean, now: number): void;
  /** Both sides closed without TIME-WAIT (we were the passive closer): go to CLOSED. */
  finish(c: Connection, now: number): void;
  /** Enter TIME-WAIT (moves the tuple to the compact table). */
  enterTimeWait(c: Connection, now: number): void;
  /** A passively opened connection in SYN-RECEIVED was reset: forget it (RFC 9293 §3.10.7.4). */
  forgetHalfOpen(c: Connection, cause: string): void;
  /** Send a challenge ACK if the limits allow (RFC 5961 §7). */
  challengeAck(c: Connection, now: number): void;
  /** Tell the application about new data, room, or the peer's FIN. */
  notifyReadable(c: Connection): void;
  notifyWritable(c: Connection): void;
  notifyPeerClosed(c: Connection): void;
  notifyUrgent(c: Connection): void;
  /**
   * Move the connection's keepalive timer after traffic from the peer. input.ts calls it only for
   * connections with keepalive on (KEEPALIVE): it does nothing for the others.
   */
  touchKeepalive(c: Connection, now: number): void;
  /** A timer field of `c` changed to `at`: make sure the layer's deadline covers it. */
  armed(at: number): void;
}
