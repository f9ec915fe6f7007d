// The DHCP client (RFC 2131, options of RFC 2132) for one Interface.
//
//   INIT ─(random 1–10 s)─> SELECTING ─OFFER─> REQUESTING ─ACK─> PROBING ─(RFC 5227)─> BOUND
//     ^                     (DISCOVER, backoff)  (REQUEST, backoff,        │ conflict:          │ T1
//     │                                           gives up -> INIT)       │ DECLINE, INIT      v
//     ├──────────────── NAK (REQUESTING, RENEWING, REBINDING) ─────────── RENEWING (unicast) ─ T2 ─> REBINDING
//     └──────────────── lease expiry: address removed ─────────────────────────────────────── (broadcast)
//
// The client binds UDP port 68 and registers with the interface as a poll participant: it reads
// its socket and fires its one deadline from `poll(now)`, so time only comes from `now`. It writes
// its datagrams straight into the interface's transmit buffer and sends them with `sendIpv4`,
// because before it has an address they leave from 0.0.0.0 (RFC 2131 §4.1), which a UDP socket
// refuses. Everything it keeps is allocated at construction; a malformed or foreign message is
// dropped and counted by reason, never thrown. The message format (building what it sends,
// checking and reading what it receives) is in dhcp-message.ts.
//
// Choices, where the RFC leaves them open or where this client does less:
// - The first acceptable DHCPOFFER is taken (RFC 2131 §4.4.1 lets a client wait for several).
// - No INIT-REBOOT (§4.4.2) and no DHCPINFORM (§4.4.3): every start begins at INIT.
// - The BROADCAST flag is set while the client has no address (§4.1), so the interface never
//   needs to accept unicast to an address it does not hold yet.
// - Lease times count from the first DHCPREQUEST of the exchange (§4.4.1: "the time at which the
//   original request was sent"; §4.4.5: when "the client sent the DHCPREQUEST"), the earlier and
//   so the safer time when a retransmission was answered. A renewal keeps its xid when it turns
//   into a rebinding, so a late answer to the unicast request is still accepted.
// - An ACK in RENEWING/REBINDING for another address than ours is dropped ('bad-address').

import type { Entropy, Log } from '../platform';
import { silentLog } from '../platform';
import { read32 } from '../wire/bytes';
import { IP_PROTO_UDP, IPV4_BROADCAST, ipv4ToString } from '../wire/ipv4';
import { emitUdp, UDP_HEADER_LEN } from '../wire/udp';
import {
  DHCP_CLIENT_PORT, DHCP_SERVER_PORT, DHCPACK, DHCPDECLINE, DHCPDISCOVER, DHCPNAK, DHCPOFFER, DHCPRELEASE, DHCPREQUEST,
  type DhcpClientMessage, type DhcpParseError, DhcpReply, emitDhcpClientMessage, INFINITE_LEASE, MAX_DNS,
} from './dhcp-message';
import type { Interface, PollParticipant } from './interface';
import { TX_IP_PAYLOAD } from './ip-layer';
import type { UdpSocket } from './udp';

const MAX_HOSTNAME = 63;

export type DhcpState =
  | 'stopped' | 'init' | 'selecting' | 'requesting' | 'probing' | 'bound' | 'renewing' | 'rebinding';

export type DhcpDropReason =
  | 'wrong-port'         // not from UDP port 67 (RFC 2131 §4.1)
  | DhcpParseError       // malformed, or not DHCP (dhcp-message.ts)
  | 'bad-message-type'   // not OFFER, ACK or NAK
  | 'wrong-xid'          // not an answer to our current exchange
  | 'wrong-chaddr'       // for another client
  | 'unexpected'         // a type this state does not wait for
  | 'no-server-id'       // OFFER/ACK/NAK without option 54 (RFC 2131 §4.3.1 Table 3: MUST)
  | 'wrong-server'       // from a server other than the one we talk to
  | 'bad-address'        // yiaddr unusable or not the address requested
  | 'no-lease-time'      // ACK without option 51 (Table 3: MUST)
  | 'bad-subnet-mask';   // mask bits not contiguous

export interface DhcpCounters {
  /** Datagrams read from port 68: each is accepted (received.*) or dropped (drops). */
  datagramsIn: number;
  sent: { discover: number; request: number; decline: number; release: number };
  received: { offer: number; ack: number; nak: number };
  drops: Partial<Record<DhcpDropReason, number>>;
  /** Messages the interface refused to send (see SendResult). */
  sendFailed: number;
  probesOut: number;
  /** RFC 5227 conflicts seen while probing (each one sends a DHCPDECLINE). */
  conflicts: number;
  /** Addresses taken into use. */
  leases: number;
  /** ACKs that extended a lease in RENEWING or REBINDING. */
  renewals: number;
  /** REQUESTING exchanges that ran out of retransmissions. */
  requestTimeouts: number;
  expired: number;
}

export interface DhcpConfig {
  /** Host name sent in option 12 (printable ASCII, at most 63 bytes); '' sends none. */
  hostname: string;
  /** Lease asked for in option 51 (seconds); 0 asks for none. */
  requestedLeaseSeconds: number;
  /** RFC 2131 §4.1: first retransmission delay, doubling up to the maximum, ± the jitter. */
  initialRetransmitMs: number;
  maxRetransmitMs: number;
  retransmitJitterMs: number;
  /** REQUEST retransmissions in REQUESTING before going back to INIT (RFC 2131 §4.4.1). */
  requestRetransmissions: number;
  /** RFC 2131 §4.4.5: smallest gap between retransmissions in RENEWING and REBINDING. */
  renewMinRetransmitMs: number;
  /** RFC 2131 §4.4.1: random wait before the first DISCOVER, uniform in [min, max]. */
  startDelayMinMs: number;
  startDelayMaxMs: number;
  /** RFC 2131 §3.1 step 5: wait at least ten seconds after a DHCPDECLINE. */
  declineDelayMs: number;
  /** RFC 5227 §1.1: PROBE_NUM (0 skips the check), PROBE_WAIT, PROBE_MIN, PROBE_MAX, ANNOUNCE_WAIT. */
  probeNum: number;
  probeWaitMs: number;
  probeMinMs: number;
  probeMaxMs: number;
  announceWaitMs: number;
  log: Log;
}

export const defaultDhcpConfig: DhcpConfig = Object.freeze({
  hostname: '',
  requestedLeaseSeconds: 0,
  initialRetransmitMs: 4_000,
  maxRetransmitMs: 64_000,
  retransmitJitterMs: 1_000,
  requestRetransmissions: 4,
  renewMinRetransmitMs: 60_000,
  startDelayMinMs: 1_000,
  startDelayMaxMs: 10_000,
  declineDelayMs: 10_000,
  probeNum: 3,
  probeWaitMs: 1_000,
  probeMinMs: 1_000,
  probeMaxMs: 2_000,
  announceWaitMs: 2_000,
  log: silentLog,
});

export class DhcpClient implements PollParticipant {
  readonly config: DhcpConfig;
  readonly counters: DhcpCounters = {
    datagramsIn: 0,
    sent: { discover: 0, request: 0, decline: 0, release: 0 },
    received: { offer: 0, ack: 0, nak: 0 },
    drops: {}, sendFailed: 0, probesOut: 0, conflicts: 0, leases: 0, renewals: 0, requestTimeouts: 0, expired: 0,
  };

  private current: DhcpState = 'stopped';
  private deadline = Infinity;
  private xid = 0;
  /** When the exchange began (for 'secs'), when its first REQUEST left, and the lease's start. */
  private exchangeStart = 0;
  private requestAt = 0;
  private leaseBase = 0;
  private tries = 0;
  /** 'secs' of the last DISCOVER, which the REQUEST answering its OFFER repeats (§4.4.1). */
  private discoverSecs = 0;
  private probesSent = 0;
  private conflict = false;
  /** The interface holds our address (we set it and must remove it). */
  private applied = false;

  // The lease: offered address and server while selecting, then what the ACK said.
  private offered = 0;
  private server = 0;
  private leased = 0;
  private mask = 0;
  private prefix = 0;
  private gateway = 0;
  private readonly dnsList = new Uint32Array(MAX_DNS);
  private dnsCount = 0;
  private leaseSecs = 0;
  private t1At = Infinity;
  private t2At = Infinity;
  private expiry = Infinity;

  // The message being parsed, and the one being sent.
  private readonly rx: Uint8Array;
  private readonly reply = new DhcpReply();
  private readonly out: DhcpClientMessage;

  private readonly socket: UdpSocket;
  private readonly hostname: Uint8Array;
  private readonly random = new Uint8Array(4);
  private readonly log: Log;

  constructor(private readonly iface: Interface, private readonly entropy: Entropy, config: Partial<DhcpConfig> = {}) {
    const c = { ...defaultDhcpConfig, ...config };
    this.config = c;
    this.log = c.log;
    if (c.hostname.length > MAX_HOSTNAME || !/^[\x21-\x7e]*$/.test(c.hostname)) {
      throw new RangeError('DHCP hostname must be at most 63 printable ASCII characters');
    }
    if (!(c.startDelayMinMs >= 0 && c.startDelayMaxMs >= c.startDelayMinMs && c.probeMaxMs >= c.probeMinMs &&
        c.requestedLeaseSeconds >= 0 && c.requestedLeaseSeconds <= INFINITE_LEASE)) {
      throw new RangeError('DHCP client: inconsistent configuration');
    }
    this.hostname = new Uint8Array(c.hostname.length);
    for (let i = 0; i < c.hostname.length; i++) this.hostname[i] = c.hostname.charCodeAt(i);
    const socket = iface.udp.bind(DHCP_CLIENT_PORT);
    if (socket === null) throw new Error('DHCP client: UDP port 68 is taken or the socket table is full');
    this.socket = socket;
    // A queued datagram is at most queueBytes - 8 long, so any of them fits.
    this.rx = new Uint8Array(iface.udp.config.queueBytes);
    this.out = {
      type: 0, renewal: false, xid: 0, secs: 0, broadcast: false, ciaddr: 0, mac: iface.mac, requestedIp: 0, serverId: 0,
      mtu: iface.mtu, hostname: this.hostname, leaseSeconds: 0,
    };
    iface.addPollParticipant(this);
  }

  // ---- state ---------------------------------------------------------------------------------

  get state(): DhcpState {
    return this.current;
  }
  /** The leased address while BOUND, RENEWING or REBINDING (the one being probed in PROBING), else 0. */
  get address(): number {
    return this.applied ? this.leased : this.current === 'probing' ? this.offered : 0;
  }
  get subnetMask(): number {
    return this.mask;
  }
  get prefixLength(): number {
    return this.prefix;
  }
  get router(): number {
    return this.gateway;
  }
  /** The server we talk to (option 54 of its last message), or 0. */
  get serverId(): number {
    return this.server;
  }
  /** Up to three DNS servers (option 6), in the server's order. */
  get dnsServers(): number[] {
    return Array.from(this.dnsList.subarray(0, this.dnsCount));
  }
  /** Lease length granted by the last ACK (seconds; 0xffffffff = infinite). */
  get leaseSeconds(): number {
    return this.leaseSecs;
  }
  /** Absolute times (ms) the lease counts from, and of T1, T2 and expiry (Infinity: never). */
  get leaseStart(): number {
    return this.leaseBase;
  }
  get renewAt(): number {
    return this.t1At;
  }
  get rebindAt(): number {
    return this.t2At;
  }
  get expiresAt(): number {
    return this.expiry;
  }

  // ---- control -------------------------------------------------------------------------------

  /** Begin acquiring an address (RFC 2131 §4.4.1: after a random 1–10 s wait by default). */
  start(now: number): void {
    if (this.current !== 'stopped') return;
    this.restart(now, this.startDelay());
  }

  /** Stop; a held lease is released first (RFC 2131 §4.4.6) and the address removed. */
  stop(now: number): void {
    if (this.current === 'stopped') return;
    if (this.applied) {
      this.xid = this.newXid();
      this.send(DHCPRELEASE, now);
    }
    this.restart(now, Infinity);
    this.setState('stopped');
  }

  // ---- poll model ----------------------------------------------------------------------------

  nextDeadline(): number {
    return this.socket.pending > 0 || this.conflict ? 0 : this.deadline;
  }

  poll(now: number): void {
    this.drain(now);
    if (this.conflict) {
      this.conflict = false;
      if (this.current === 'probing') this.decline(now);
    }
    if (this.deadline <= now) this.timer(now);
  }

  private timer(now: number): void {
    const c = this.config;
    switch (this.current) {
      case 'init':
        // RFC 2131 §4.4.1: a new xid, DHCPDISCOVER broadcast, then SELECTING.
        this.xid = this.newXid();
        this.exchangeStart = now;
        this.tries = 0;
        this.setState('selecting');
        this.send(DHCPDISCOVER, now);
        this.deadline = now + this.backoff(0);
        return;
      case 'selecting':
        // RFC 2131 §4.1: keep asking, the delay doubling up to 64 s.
        this.tries++;
        this.send(DHCPDISCOVER, now);
        this.deadline = now + this.backoff(this.tries);
        return;
      case 'requesting':
        if (this.tries >= c.requestRetransmissions) {
          // RFC 2131 §4.4.1: neither ACK nor NAK after the retransmissions: back to INIT.
          this.counters.requestTimeouts++;
          this.restart(now, this.startDelay());
          return;
        }
        this.tries++;
        this.send(DHCPREQUEST, now);
        this.deadline = now + this.backoff(this.tries);
        return;
      case 'probing':
        // RFC 5227 §2.1.1: PROBE_NUM probes PROBE_MIN..PROBE_MAX apart, then ANNOUNCE_WAIT.
        if (this.probesSent < c.probeNum) {
          this.iface.sendArpProbe(this.offered);
          this.counters.probesOut++;
          this.probesSent++;
          this.deadline = now + (this.probesSent < c.probeNum ? this.uniform(c.probeMinMs, c.probeMaxMs) : c.announceWaitMs);
        } else {
          this.bind(now);
        }
        return;
      case 'bound':
      case 'renewing':
      case 'rebinding':
        this.leaseTimer(now);
        return;
      case 'stopped':
        this.deadline = Infinity;
        return;
    }
  }

  /** RFC 2131 §4.4.5: T1 → RENEWING (unicast), T2 → REBINDING (broadcast), expiry → INIT. */
  private leaseTimer(now: number): void {
    if (now >= this.expiry) {
      this.counters.expired++;
      this.log.log('warn', 'dhcp-expired', { address: ipv4ToString(this.leased) });
      this.restart(now, this.startDelay());
      return;
    }
    if (this.current === 'bound') {
      this.xid = this.newXid();
      this.exchangeStart = now;
      this.requestAt = now;
      this.setState('renewing');
    }
    if (this.current === 'renewing' && now >= this.t2At) this.setState('rebinding');
    this.send(DHCPREQUEST, now);
    // Half the time left until T2 (RENEWING) or expiry (REBINDING), at least 60 s, never past it.
    const until = this.current === 'renewing' ? this.t2At : this.expiry;
    this.deadline = Math.min(until, now + Math.max(this.config.renewMinRetransmitMs, (until - now) / 2));
  }

  // ---- receive -------------------------------------------------------------------------------

  private drain(now: number): void {
    const s = this.socket;
    for (let n = s.pending; n > 0; n--) {
      const len = s.readInto(this.rx, 0);
      if (len < 0) return;
      this.counters.datagramsIn++;
      let reason: DhcpDropReason | null = s.lastPort !== DHCP_SERVER_PORT ? 'wrong-port' : this.reply.parse(this.rx, len);
      if (reason === null) reason = this.accept(now);
      if (reason !== null) {
        const d = this.counters.drops;
        d[reason] = (d[reason] ?? 0) + 1;
        if (this.log.enabled('debug')) this.log.log('debug', 'dhcp-drop', { reason, state: this.current });
      }
    }
  }

  /** The message in rx parsed cleanly: does it answer us, now? */
  private accept(now: number): DhcpDropReason | null {
    const r = this.reply, t = r.type;
    if (t !== DHCPOFFER && t !== DHCPACK && t !== DHCPNAK) return 'bad-message-type';
    if (r.xid !== this.xid) return 'wrong-xid';
    if (!r.chaddrIs(this.iface.mac)) return 'wrong-chaddr';
    const state = this.current;
    if (state === 'selecting') return t === DHCPOFFER ? this.onOffer(now) : 'unexpected';
    if (state !== 'requesting' && state !== 'renewing' && state !== 'rebinding') return 'unexpected';
    if (t === DHCPOFFER) return 'unexpected';
    if (r.serverId === 0) return 'no-server-id';
    // REQUESTING and RENEWING talk to one server; REBINDING takes an answer from any (§4.4.5).
    if (state !== 'rebinding' && r.serverId !== this.server) return 'wrong-server';
    return t === DHCPACK ? this.onAck(now) : this.onNak(now);
  }

  private onOffer(now: number): DhcpDropReason | null {
    const r = this.reply, yiaddr = r.yiaddr;
    if (r.serverId === 0) return 'no-server-id';
    if (!usable(yiaddr)) return 'bad-address';
    this.counters.received.offer++;
    this.offered = yiaddr;
    this.server = r.serverId;
    // RFC 2131 §4.4.1: DHCPREQUEST with the server identifier and the requested address.
    this.tries = 0;
    this.requestAt = now;
    this.setState('requesting');
    this.send(DHCPREQUEST, now);
    this.deadline = now + this.backoff(0);
    return null;
  }

  private onAck(now: number): DhcpDropReason | null {
    const r = this.reply, yiaddr = r.yiaddr;
    const want = this.current === 'requesting' ? this.offered : this.leased;
    if (yiaddr !== want) return 'bad-address';
    if (r.lease < 0) return 'no-lease-time';
    const prefix = r.hasMask ? maskToPrefix(r.mask) : classfulPrefix(yiaddr);
    if (prefix < 0) return 'bad-subnet-mask';
    this.counters.received.ack++;
    this.server = r.serverId;
    this.dnsList.set(r.dns.subarray(0, r.dnsCount));
    this.dnsCount = r.dnsCount;
    this.setLease(r.lease, r.t1, r.t2);
    const changed = prefix !== this.prefix || r.router !== this.gateway;
    this.prefix = prefix;
    this.mask = r.hasMask ? r.mask : prefixToMask(prefix);
    this.gateway = r.router;
    if (this.current === 'requesting') {
      this.enterProbing(now);
      return null;
    }
    // RENEWING / REBINDING: the lease goes on; apply a changed mask or router.
    this.counters.renewals++;
    if (changed) this.iface.setAddress(this.leased, this.prefix, this.gateway, now);
    this.setState('bound');
    this.deadline = this.t1At;
    return null;
  }

  private onNak(now: number): DhcpDropReason | null {
    // RFC 2131 §4.4.1, §4.4.5: stop using the address, start over at INIT.
    this.counters.received.nak++;
    this.log.log('info', 'dhcp-nak', { state: this.current, server: ipv4ToString(this.reply.serverId) });
    this.restart(now, this.startDelay());
    return null;
  }

  /** RFC 2131 §4.4.5: T1 and T2 from options 58/59, else 0.5 and 0.875 of the lease. */
  private setLease(lease: number, t1: number, t2: number): void {
    this.leaseSecs = lease;
    this.leaseBase = this.requestAt;
    if (lease === INFINITE_LEASE) {
      this.t1At = this.t2At = this.expiry = Infinity;
      return;
    }
    // Values that break T1 <= T2 <= lease are ignored in favour of the defaults.
    if (t2 < 0 || t2 > lease) t2 = lease * 0.875;
    if (t1 < 0 || t1 > t2) t1 = Math.min(lease * 0.5, t2);
    this.t1At = this.leaseBase + t1 * 1000;
    this.t2At = this.leaseBase + t2 * 1000;
    this.expiry = this.leaseBase + lease * 1000;
  }

  // ---- probing and binding -------------------------------------------------------------------

  private enterProbing(now: number): void {
    this.setState('probing');
    this.probesSent = 0;
    this.conflict = false;
    if (this.config.probeNum <= 0) {
      this.bind(now);
      return;
    }
    const iface = this.iface;
    iface.probeAddress = this.offered;
    iface.onProbeConflict = this.onConflict;
    // RFC 5227 §2.1.1: wait uniform [0, PROBE_WAIT] before the first probe.
    this.deadline = now + this.uniform(0, this.config.probeWaitMs);
  }

  private readonly onConflict = (address: number): void => {
    if (this.current === 'probing' && address === this.offered) this.conflict = true;
  };

  /** RFC 2131 §3.1 step 5: the address is in use: DHCPDECLINE, then INIT after ten seconds. */
  private decline(now: number): void {
    this.counters.conflicts++;
    this.log.log('warn', 'dhcp-conflict', { address: ipv4ToString(this.offered) });
    this.send(DHCPDECLINE, now);
    this.restart(now, this.config.declineDelayMs);
  }

  private bind(now: number): void {
    this.clearProbe();
    this.leased = this.offered;
    this.applied = true;
    this.iface.setAddress(this.leased, this.prefix, this.gateway, now); // announces (RFC 5227 §2.3)
    this.counters.leases++;
    this.setState('bound');
    this.deadline = this.t1At;
    this.log.log('info', 'dhcp-bound', {
      address: ipv4ToString(this.leased), prefixLength: this.prefix, router: ipv4ToString(this.gateway),
      server: ipv4ToString(this.server), leaseSeconds: this.leaseSecs,
    });
  }

  private clearProbe(): void {
    if (this.iface.probeAddress !== 0 && this.iface.onProbeConflict === this.onConflict) {
      this.iface.probeAddress = 0;
      this.iface.onProbeConflict = null;
    }
    this.conflict = false;
  }

  /** Drop the lease (removing the address if we set it) and wait in INIT `delay` ms. */
  private restart(now: number, delay: number): void {
    this.clearProbe();
    if (this.applied) {
      this.applied = false;
      this.iface.setAddress(0, 0, 0, now);
    }
    this.offered = this.server = this.leased = this.mask = this.prefix = this.gateway = 0;
    this.dnsCount = 0;
    this.leaseSecs = 0;
    this.t1At = this.t2At = this.expiry = Infinity;
    this.setState('init');
    this.deadline = now + delay;
  }

  private setState(next: DhcpState): void {
    if (next === this.current) return;
    if (this.log.enabled('debug')) this.log.log('debug', 'dhcp-state', { from: this.current, to: next });
    this.current = next;
  }

  // ---- send ----------------------------------------------------------------------------------

  /** Build one client message (RFC 2131 §4.4.1 Table 5) in the interface's buffer and send it. */
  private send(type: number, now: number): void {
    const iface = this.iface, b = iface.tx, m = this.out, state = this.current;
    const renewal = state === 'renewing' || state === 'rebinding';
    const selecting = state === 'selecting' || state === 'requesting';
    // 'secs': seconds since the exchange began (Table 5); a REQUEST answering an OFFER MUST carry
    // the same value as the DISCOVER (§4.4.1).
    const secs = Math.min(0xffff, Math.floor((now - this.exchangeStart) / 1000));
    if (type === DHCPDISCOVER) this.discoverSecs = secs;
    m.type = type;
    m.renewal = renewal;
    m.xid = this.xid;
    m.secs = selecting ? this.discoverSecs : secs;
    // ciaddr is set only when we hold the address (RENEWING, REBINDING, RELEASE), and the server
    // is then told to answer it by unicast; otherwise ask for a broadcast answer (§4.1).
    m.ciaddr = renewal || type === DHCPRELEASE ? this.leased : 0;
    m.broadcast = selecting && type !== DHCPDECLINE;
    m.requestedIp = this.offered;
    m.serverId = this.server;
    m.leaseSeconds = this.config.requestedLeaseSeconds;
    const len = emitDhcpClientMessage(b, TX_IP_PAYLOAD + UDP_HEADER_LEN, m);
    // RFC 2131 §4.4.4: broadcast, except RELEASE and RENEWING requests, unicast to the server.
    const dst = type === DHCPRELEASE || state === 'renewing' ? this.server : IPV4_BROADCAST;
    emitUdp(b, TX_IP_PAYLOAD, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, len, iface.address, dst, iface.checksum);
    const r = iface.sendIpv4(dst, IP_PROTO_UDP, UDP_HEADER_LEN + len, now, false);
    if (r !== 'sent' && r !== 'queued') {
      this.counters.sendFailed++;
      return;
    }
    const sent = this.counters.sent;
    if (type === DHCPDISCOVER) sent.discover++;
    else if (type === DHCPREQUEST) sent.request++;
    else if (type === DHCPDECLINE) sent.decline++;
    else sent.release++;
  }

  // ---- randomness ----------------------------------------------------------------------------

  private newXid(): number {
    this.entropy.fill(this.random);
    return read32(this.random, 0);
  }

  /** Uniform integer in [lo, hi]. */
  private uniform(lo: number, hi: number): number {
    if (hi <= lo) return lo;
    this.entropy.fill(this.random);
    return lo + (read32(this.random, 0) % (hi - lo + 1));
  }

  /** RFC 2131 §4.1: 4 s, 8 s, ... up to 64 s, each randomised by ±1 s. */
  private backoff(retransmissions: number): number {
    const c = this.config;
    const base = Math.min(c.maxRetransmitMs, c.initialRetransmitMs * 2 ** Math.min(retransmissions, 30));
    return Math.max(0, base + this.uniform(-c.retransmitJitterMs, c.retransmitJitterMs));
  }

  private startDelay(): number {
    return this.uniform(this.config.startDelayMinMs, this.config.startDelayMaxMs);
  }
}

/** An address a host may take: not 0/8, loopback, multicast, class E or broadcast (RFC 1122 §3.2.1.3). */
function usable(a: number): boolean {
  const top = a >>> 24;
  return top !== 0 && top !== 127 && top < 224;
}

/** Prefix length of a contiguous mask, or -1. */
function maskToPrefix(mask: number): number {
  const inverted = ~mask >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return -1; // the host part must be 2^k - 1
  let n = 0;
  for (let m = mask >>> 0; m !== 0; m = (m << 1) >>> 0) n++;
  return n;
}

function prefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** No option 1: the mask of the address's class (RFC 791 address classes A, B, C). */
function classfulPrefix(a: number): number {
  const top = a >>> 24;
  return top < 128 ? 8 : top < 192 ? 16 : 24;
}
