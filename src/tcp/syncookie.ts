// SYN cookies: a stateless answer to a SYN. Instead of remembering a half-open connection, the
// listener puts what it would have remembered into the ISS of its SYN-ACK, protected by a keyed
// MAC. A real client echoes that ISS + 1 in its final ACK. From that ACK alone this module checks
// the cookie and gives back the peer's options, and only then does a connection block get used.
// A flood of spoofed SYNs costs no memory at all (the technique of RFC 4987 §3.6).
//
// ---- Layout of the cookie (the 32-bit ISS) -----------------------------------------------------
//
//    31                                        8   7   6   5   4   3   2   1   0
//   +-------------------------------------------+-----------+-----------+---+---+
//   |  MAC: top 24 bits of HalfSipHash-2-4      | MSS index | WS index  |SCK|SLT|
//   +-------------------------------------------+-----------+-----------+---+---+
//
//   MSS index  (bits 7..5) into COOKIE_MSS_TABLE: the largest entry <= the peer's MSS.
//   WS index   (bits 4..2) 0 = the peer sent no Window Scale option (RFC 7323 §2.2: then neither
//              side scales); 1..7 = COOKIE_WSCALE_TABLE[index - 1], the largest entry <= the
//              peer's shift. Rounding the shift down only makes the peer's window look smaller than
//              it is, so we may send less than we could, never more than the peer allows.
//   SCK        (bit 1) the peer sent SACK-permitted (RFC 2018 §2).
//   SLT        (bit 0) which of the two secrets made the MAC: the parity of the period it was
//              made in.
//
// The MAC is HalfSipHash-2-4 (src/crypto/halfsiphash.ts; 32-bit output, the top 24 bits kept)
// under the secret of slot SLT, over 20 bytes, each 32-bit word big-endian:
//
//   localIp | remoteIp | localPort << 16 | remotePort | IRS | (period << 8) | (cookie & 0xff)
//
// where IRS is the peer's ISN from its SYN and `period` is the low 24 bits of the number of the
// period the secret was made for. So the 4-tuple, the peer's ISN, the time slot and every option
// bit are authenticated: change any of them and the MAC no longer matches.
//
// ---- Secrets and lifetime ---------------------------------------------------------------------
//
// Time is cut into periods of `periodMs` (default 15 s): period P = floor(now / periodMs), and a
// cookie made in P uses slot P & 1. Each slot has an 8-byte secret drawn from Entropy and the number
// of the period it was drawn for. The first cookie made in period P finds its slot holding the
// secret of P - 2 (or nothing) and replaces it with a fresh one. A cookie is accepted only if its
// slot's secret belongs to the current period or the one before: so it lives at least one full
// period (one made in the last millisecond of P still checks throughout P + 1) and less than two
// (one made in the first millisecond of P dies when P + 2 starts). One period is far longer than
// any handshake, SYN-ACK retransmissions included; two bounds how long a harvested cookie stays
// useful. Once a slot is rotated its old secret is gone: nothing made under it checks again, even
// if the clock were to step back. The slot bit lets a check compute one MAC, not try two.
//
// ---- Threat model -----------------------------------------------------------------------------
//
// - Blind spoofed ACKs trying to create connections. An off-path attacker never sees our SYN-ACKs,
//   so for any tuple and IRS it chooses it must guess 24 MAC bits (the low 8 bits it may set as it
//   likes; they only select options and a slot, and each cookie is checked under exactly one
//   secret). One guess succeeds with probability 2^-24. At 1 M forged ACKs per second that is
//   10^6 / 2^24 ≈ 0.06 accepted forgeries per second: about one every 17 s, some 215 an hour. Each
//   costs one connection block to a peer that does not exist, reclaimed like any dead connection
//   (retransmission limit, idle timeout, the application closing it); the accept queue limit caps
//   how many can wait at once. An ESP32 cannot even receive 1 M packets per second; at the
//   ~10^4 per second it might process the rate is one per half hour. Nothing is learnt from a
//   failed guess: while cookies are being sent a failed check is dropped silently (syncache.ts),
//   so a forged-ACK flood gets no answer at all.
// - Replays from other tuples. The MAC covers both addresses, both ports and the IRS, so a cookie
//   obtained for one connection (say, from the attacker's own real address) is worthless for any
//   other tuple or for another ISN on the same tuple. The time slot in the MAC and the rotation
//   bound its use to two periods.
// - Cookies harvested by an on-path observer. One who sees a SYN-ACK can complete that handshake
//   (it knows ISS and IRS), or replay the client's final ACK while the cookie lives; if the tuple's
//   connection already exists the replay is only a duplicate segment of it. But such an observer
//   could as well send its own SYN from that address. It cannot mint cookies for tuples it has not
//   seen, cannot stretch a cookie past its second period, and learns nothing about the secret from
//   any number of cookies (HalfSipHash is a keyed PRF; the secret changes every period anyway).
// - Cost to the server. One 20-byte HalfSipHash per cookie made and per cookie checked (the ACK
//   to a listener that matched no cache entry), 8 bytes of entropy per period in which cookies are
//   made, and 2 × 8 bytes of secrets plus a 20-byte scratch buffer in all: no memory per SYN, no
//   allocation in `make` or `check`. What a cookie cannot keep: an exact MSS (it is rounded down to
//   the table), an exact window shift (rounded down), other options (timestamps must carry their
//   own state), data on the SYN, and the RFC 6528 clock ordering of ISSs for one tuple.

import type { Accelerators, Entropy } from '../platform';
import { halfSipHashWords5 } from '../crypto/halfsiphash';

/**
 * MSS values a cookie can carry, ascending. What common paths make peers announce (IPv4: MSS =
 * MTU - 40), so a typical peer's MSS is encoded exactly:
 *   216   the floor. A peer announcing less still gets 216: an MSS that small mostly serves to make
 *         a host cut its data into a flood of tiny segments, and stacks clamp it upward (FreeBSD's
 *         net.inet.tcp.minmss is 216 by default).
 *   536   the default when a SYN carries no MSS option (RFC 9293 §3.7.1, RFC 1122 §4.2.2.6), and
 *         576-byte paths.
 *   1240  1280-byte paths (the IPv6 minimum MTU, which many tunnels and VPNs use).
 *   1360  1400-byte paths: common VPN / IPsec / GRE clamps.
 *   1380  WireGuard's default 1420-byte MTU, and a common clamp of firewalls and mobile networks.
 *   1440  1480-byte paths (IP-in-IP and 6in4 tunnels).
 *   1452  PPPoE (1492-byte MTU), most DSL.
 *   1460  Ethernet and Wi-Fi (1500). Our own MTU is at most 1500, so larger values gain nothing.
 * The widest gap, 536..1239, holds few real peers; a peer there gets 536 (safe, slower).
 */
export const COOKIE_MSS_TABLE: readonly number[] = Object.freeze([216, 536, 1240, 1360, 1380, 1440, 1452, 1460]);

/**
 * Window shifts (RFC 7323 §2.3, 0..14) for WS indexes 1..7, ascending; index 0 means no Window
 * Scale option. 0 must be present: a peer offering shift 0 still lets *us* scale our window. 6, 7
 * and 8 are what the common desktop and phone systems usually announce (7 is Linux with its default
 * buffers, 8 Windows), 9 covers hosts with larger buffers, and 2 and 4 keep the loss for uncommon
 * small shifts to a factor of 2. Larger shifts (10..14, rare) become 9, so such a peer's window is
 * read 2 to 32 times too small: safe, only slower.
 */
export const COOKIE_WSCALE_TABLE: readonly number[] = Object.freeze([0, 2, 4, 6, 7, 8, 9]);

/** What a valid cookie carries: the peer's options as the connection should use them. */
export interface CookieOptions {
  /** The peer's MSS, rounded down to COOKIE_MSS_TABLE. */
  mss: number;
  /** The peer's window shift, rounded down to COOKIE_WSCALE_TABLE; -1 = no window scaling. */
  windowScale: number;
  sackPermitted: boolean;
}

// Bit positions of the low byte.
const SLOT_BIT = 0x01;
const SACK_BIT = 0x02;
const WS_SHIFT = 2;
const MSS_SHIFT = 5;
const INDEX_MASK = 0x7;
const MAC_MASK = 0xffffff00;

/** Bytes of one secret (a HalfSipHash key) and of the MAC input. */
const SECRET_BYTES = 8;
const MAC_INPUT_BYTES = 20;

// The argument checks of `make` and `check` are written out inline rather than as small
// functions: under XS a call costs more than the comparisons it holds (measured). For a word
// (uint32, or int32 from `|` or subtraction): `x >>> 0 === x || (x | 0) === x`; for a port
// `(x & 0xffff) === x`; for a time (a safe non-negative integer, as Number.isSafeInteger(x) && x >=
// 0): `typeof x === 'number' && x >= 0 && x <= MAX_TIME && x % 1 === 0`. Inside, words are handled
// as int32 (`x | 0`): V8 keeps those unboxed, where a uint32 above 2^31 may be boxed.
const MAX_TIME = Number.MAX_SAFE_INTEGER;

/** The highest MSS index a cookie holds (COOKIE_MSS_TABLE's last). */
const MSS_TOP = COOKIE_MSS_TABLE.length - 1;

/**
 * The WS index of each shift 0..14 (a shift above 14 is read as 14, RFC 7323 §2.3): 1 + the index of
 * the largest COOKIE_WSCALE_TABLE entry <= the shift. One typed-array read per cookie, not a search.
 */
const WS_INDEX = new Uint8Array(15);
for (let shift = 0, i = 0; shift < WS_INDEX.length; shift++) {
  while (i + 1 < COOKIE_WSCALE_TABLE.length && COOKIE_WSCALE_TABLE[i + 1]! <= shift) i++;
  WS_INDEX[shift] = i + 1;
}

/**
 * The cookie engine of one stack: two rotating secrets. `make` answers a SYN, `check` validates a
 * final ACK. Neither allocates; `check` never throws and fails closed on anything malformed.
 */
export class SynCookies {
  private readonly entropy: Entropy;
  private readonly periodMs: number;
  private readonly mac: Accelerators['mac'] | undefined;
  private readonly secret0 = new Uint8Array(SECRET_BYTES);
  private readonly secret1 = new Uint8Array(SECRET_BYTES);
  /** Period each slot's secret was drawn for; -Infinity = never drawn (matches no period). */
  private period0 = Number.NEGATIVE_INFINITY;
  private period1 = Number.NEGATIVE_INFINITY;
  private readonly input = new Uint8Array(MAC_INPUT_BYTES);
  private readonly inputWords = new DataView(this.input.buffer);
  /**
   * The period `makeForSegment` last made a cookie in, and its times [periodStart, periodEnd): a
   * cookie made inside them needs no division (nor a rotation: its slot was rotated on entry).
   * For an integer time below 2^53 and an integer period, floor(now / periodMs) is exact, so
   * periodStart <= now < periodEnd holds exactly when it gives `period`.
   */
  private period = 0;
  private periodStart = Number.POSITIVE_INFINITY;
  private periodEnd = Number.NEGATIVE_INFINITY;

  /**
   * `periodMs`: how often the secrets rotate (a positive integer; a cookie lives one to two
   * periods). `mac`: a native HalfSipHash-2-4 (Accelerators.mac); without it the TypeScript one
   * runs. No entropy is drawn until the first cookie is made.
   */
  constructor(entropy: Entropy, periodMs: number, mac?: Accelerators['mac']) {
    if (!(Number.isSafeInteger(periodMs) && periodMs > 0)) {
      throw new RangeError(`SynCookies: periodMs must be a positive integer, got ${periodMs}`);
    }
    this.entropy = entropy;
    this.periodMs = periodMs;
    this.mac = mac;
  }

  /**
   * The ISS for a SYN from remoteIp:remotePort to localIp:localPort whose sequence number (the
   * peer's ISN) is `irs`. `mss` is the peer's MSS option (536 when it sent none, RFC 9293 §3.7.1),
   * `windowScale` its shift (-1 when it sent no Window Scale option; above 14 is read as 14 would
   * be, RFC 7323 §2.3), `sackPermitted` whether it sent SACK-permitted. `now` is integer ms.
   * Draws 8 bytes from Entropy when this period's slot still holds an older secret. Throws
   * RangeError on arguments no parser produces (programming errors).
   */
  make(
    localIp: number, localPort: number, remoteIp: number, remotePort: number, irs: number,
    mss: number, windowScale: number, sackPermitted: boolean, now: number,
  ): number {
    if (!((localIp >>> 0 === localIp || (localIp | 0) === localIp) && (remoteIp >>> 0 === remoteIp || (remoteIp | 0) === remoteIp)
      && (irs >>> 0 === irs || (irs | 0) === irs) && (localPort & 0xffff) === localPort && (remotePort & 0xffff) === remotePort
      && (mss & 0xffff) === mss && typeof windowScale === 'number' && windowScale >= -1 && windowScale % 1 === 0)) {
      throw new RangeError('SynCookies.make: argument out of range');
    }
    return this.makeForSegment(localIp, localPort, remoteIp, remotePort, irs, mss, windowScale, sackPermitted, now);
  }

  /**
   * `make` for the values of a parsed SYN, which the parser already guarantees (addresses and
   * sequence numbers read as uint32, ports as uint16, the MSS as uint16 or 536, the shift as a
   * byte or -1): only `now`, which comes from the platform, is checked here (RangeError).
   */
  makeForSegment(
    localIp: number, localPort: number, remoteIp: number, remotePort: number, irs: number,
    mss: number, windowScale: number, sackPermitted: boolean, now: number,
  ): number {
    if (!(typeof now === 'number' && now >= 0 && now <= MAX_TIME && now % 1 === 0)) {
      throw new RangeError('SynCookies.make: argument out of range');
    }
    if (!(now >= this.periodStart && now < this.periodEnd)) this.enterPeriod(now);
    const period = this.period, slot = period & 1;
    const secret = slot === 0 ? this.secret0 : this.secret1;
    // The low byte: each option rounded down to its table (the largest entry <= the peer's value).
    let mssIndex = MSS_TOP;
    while (mssIndex > 0 && COOKIE_MSS_TABLE[mssIndex]! > mss) mssIndex--;
    const wsIndex = windowScale < 0 ? 0 : WS_INDEX[windowScale > 14 ? 14 : windowScale]!;
    const low = (mssIndex << MSS_SHIFT) | (wsIndex << WS_SHIFT) | (sackPermitted ? SACK_BIT : 0) | slot;
    return (this.tag(secret, period, localIp, localPort, remoteIp, remotePort, irs, low) | low) >>> 0;
  }

  /**
   * Make the period of `now` the current one for `makeForSegment`. Rotate: the first cookie of a
   * period replaces the secret of two periods ago (or none) in its slot.
   */
  private enterPeriod(now: number): void {
    const periodMs = this.periodMs, period = Math.floor(now / periodMs);
    this.period = period;
    this.periodStart = period * periodMs;
    this.periodEnd = this.periodStart + periodMs;
    const slot = period & 1;
    if ((slot === 0 ? this.period0 : this.period1) !== period) {
      this.entropy.fill(slot === 0 ? this.secret0 : this.secret1);
      if (slot === 0) this.period0 = period;
      else this.period1 = period;
    }
  }

  /**
   * Is `cookie` (SEG.ACK - 1 of a final ACK) one we made, within its lifetime, for this tuple and
   * `irs` (SEG.SEQ - 1)? On success fills `out` with the peer's options and returns true; otherwise
   * returns false and leaves `out` alone. 32-bit values may be given as uint32 or int32. Never
   * throws on bad input (fails closed), never allocates, draws no entropy; the MAC comparison is a
   * single integer comparison.
   */
  check(
    cookie: number, localIp: number, localPort: number, remoteIp: number, remotePort: number,
    irs: number, now: number, out: CookieOptions,
  ): boolean {
    if (!((cookie >>> 0 === cookie || (cookie | 0) === cookie) && (localIp >>> 0 === localIp || (localIp | 0) === localIp)
      && (remoteIp >>> 0 === remoteIp || (remoteIp | 0) === remoteIp) && (irs >>> 0 === irs || (irs | 0) === irs)
      && (localPort & 0xffff) === localPort && (remotePort & 0xffff) === remotePort
      && typeof now === 'number' && now >= 0 && now <= MAX_TIME && now % 1 === 0)) {
      return false;
    }
    const c = cookie | 0;
    const current = now >= this.periodStart && now < this.periodEnd ? this.period : Math.floor(now / this.periodMs);
    const slot = c & SLOT_BIT;
    const made = slot === 0 ? this.period0 : this.period1;
    // Only a secret of this period or the last one counts (a never-drawn slot is -Infinity).
    if (made !== current && made !== current - 1) return false;
    const low = c & 0xff;
    const secret = slot === 0 ? this.secret0 : this.secret1;
    // One comparison of the whole word: no early exit that would time how many MAC bits matched.
    if ((this.tag(secret, made, localIp, localPort, remoteIp, remotePort, irs, low) | low) !== c) return false;
    out.mss = COOKIE_MSS_TABLE[(low >>> MSS_SHIFT) & INDEX_MASK]!;
    const wsIndex = (low >>> WS_SHIFT) & INDEX_MASK;
    out.windowScale = wsIndex === 0 ? -1 : COOKIE_WSCALE_TABLE[wsIndex - 1]!;
    out.sackPermitted = (low & SACK_BIT) !== 0;
    return true;
  }

  /**
   * The MAC field (top 24 bits, low 8 zero; as int32) of the documented 20-byte input under
   * `secret`. Callers have checked the arguments; 32-bit words may be uint32 or int32.
   */
  private tag(
    secret: Uint8Array, period: number, localIp: number, localPort: number, remoteIp: number,
    remotePort: number, irs: number, low: number,
  ): number {
    const ports = (localPort << 16) | remotePort;
    // `period & 0xffffff` takes the period modulo 2^32 (ToInt32), then its low 24 bits.
    const last = ((period & 0xffffff) << 8) | low;
    const mac = this.mac;
    // The TypeScript MAC takes the five words as they are; a native one takes the 20 bytes.
    if (mac === undefined) return halfSipHashWords5(secret, localIp, remoteIp, ports, irs, last) & MAC_MASK;
    // Written through a DataView: one setUint32 (modulo 2^32) costs XS a fifth of four byte stores.
    const w = this.inputWords;
    w.setUint32(0, localIp);
    w.setUint32(4, remoteIp);
    w.setUint32(8, ports);
    w.setUint32(12, irs);
    w.setUint32(16, last);
    return mac(secret, this.input, 0, MAC_INPUT_BYTES) & MAC_MASK;
  }
}
