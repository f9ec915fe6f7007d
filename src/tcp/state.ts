// The eleven states of RFC 9293 §3.3.2 (Figure 5). LISTEN belongs to listeners, never to a
// connection block; TIME-WAIT connections are usually moved to the compact table (timewait.ts).

export const CLOSED = 0;
export const LISTEN = 1;
export const SYN_SENT = 2;
export const SYN_RECEIVED = 3;
export const ESTABLISHED = 4;
export const FIN_WAIT_1 = 5;
export const FIN_WAIT_2 = 6;
export const CLOSE_WAIT = 7;
export const CLOSING = 8;
export const LAST_ACK = 9;
export const TIME_WAIT = 10;

export type TcpState = number;

export const STATE_NAMES: readonly string[] = Object.freeze([
  'CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2',
  'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT',
]);

/** States in which both sequence spaces are synchronized (RFC 9293 §3.5.2). */
export function isSynchronized(s: TcpState): boolean {
  return s >= ESTABLISHED;
}

/** States in which we may still send data (the user has not closed the sending side). */
export function canSend(s: TcpState): boolean {
  return s === ESTABLISHED || s === CLOSE_WAIT;
}

/** States in which the peer may still send us data (no FIN received). */
export function canReceive(s: TcpState): boolean {
  return s === ESTABLISHED || s === FIN_WAIT_1 || s === FIN_WAIT_2;
}

/** Why a connection failed, as the application is told (RFC 9293 §3.9.1 error responses). */
export type TcpFailure =
  | 'refused'      // RST in answer to our SYN
  | 'reset'        // RST on a synchronized connection
  | 'timeout'      // retransmission or keepalive limit reached
  | 'unreachable'  // ICMP hard error (RFC 1122 §4.2.3.9), or soft errors then a timeout
  | 'aborted';     // the stack dropped it (listener closed, TIME-WAIT recycling, ...)
