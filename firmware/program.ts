// The firmware program: one raw-frame link, one synstack Stack (static address or DHCP), the
// status server (app/status-server.ts) on synstack's ECMA-419 sockets, one timer, and trace
// lines for what a person at xsbug wants to see (link, address, connections, attacks, drops).
// main.ts gives it the Moddable pieces (RawLink, Timer, Time, trace, the native accelerators);
// the host tests give it simulated ones (hosttest/firmware), so this whole file runs under XS on
// the host exactly as on the board. Portable: no Moddable modules, no Native API.
//
// Driving the stack (DESIGN.md "the poll model"): frames enter with stack.input() when the link's
// message arrives; the one timer fires at stack.nextDeadline() (and at least once a second, for
// the server's timeouts and the housekeeping below) and calls stack.poll(). After either, the
// timer is re-armed at the new earliest deadline.

import { StatusServer } from '../app/status-server';
import { synstackStats } from '../app/synstack-stats';
import Listener from '../src/api/listener';
import { Stack, setDefaultStack } from '../src/api/stack';
import TCP from '../src/api/tcp';
import { DhcpClient } from '../src/iface/dhcp';
import type { Accelerators, Clock, Entropy } from '../src/platform';
import { ipv4ToString } from '../src/wire/ipv4';
import { type FrameLink, type LinkHandlers, type LinkStatistics, LINK_STATISTICS_BYTES, decodeLinkStatistics } from './link-types';
import type { FirmwareSettings } from './settings';
import { TraceLog } from './trace-log';

export interface FirmwarePlatform {
  /** Open the raw-frame link with these handlers (RawLink on the device). */
  openLink(handlers: LinkHandlers): FrameLink;
  clock: Clock;
  entropy: Entropy;
  accelerators?: Partial<Accelerators>;
  /** Arm the one timer to call wake() after `delayMs` (0 = as soon as possible); replaces the previous arming. */
  schedule(delayMs: number): void;
  /** One line for the debugger's console (no newline). */
  print(line: string): void;
  /** XS heap figures for the status page, where the build can read them. */
  heap?(): Record<string, number> | undefined;
}

/** Receive buffer: the largest frame (1514) plus one 802.1Q tag, rounded up. */
export const RX_BUFFER_BYTES = 1536;
/** The timer fires at least this often (server timeouts, housekeeping, the safety drain). */
export const HOUSEKEEPING_MS = 1000;
/** Frames read per timer wake when no message came (a post that failed); bounded work per turn. */
export const TIMER_DRAIN_LIMIT = 256;
/** While under attack, a summary line this often. */
export const ATTACK_REPORT_MS = 10_000;

/**
 * The interface's tables, sized for the board rather than with the core's defaults (which suit a
 * PC host): 8 ARP entries with 2 frames waiting for resolution, one reassembly slot for a
 * datagram of up to two full fragments, and 2 UDP sockets (DHCP needs one) of 1 KiB queue each.
 * Together about 12 KB less XS heap than the defaults (docs/esp32.md, memory).
 */
export const BOARD_INTERFACE = Object.freeze({
  arp: Object.freeze({ entries: 8, queueSlots: 2 }),
  reassembly: Object.freeze({ slots: 1, maxBytes: 2960 }),
  udp: Object.freeze({ sockets: 2, queueBytes: 1024 }),
});
/** Listeners: the status server's and one for an application. */
export const BOARD_LISTENERS = 2;

export interface FirmwareFigures {
  link: string;
  linkUp: boolean;
  mac: string;
  address: string;
  dhcp: string;
  uptimeSeconds: number;
  rx: LinkStatistics;
  /** Frames handed to the stack, messages that brought them, timer drains that found some. */
  framesToStack: number;
  readableCalls: number;
  timerDrains: number;
  trace: { printed: number; suppressed: number };
  heap?: Record<string, number>;
}

export class Firmware {
  readonly settings: FirmwareSettings;
  readonly link: FrameLink;
  readonly stack: Stack;
  readonly dhcp: DhcpClient | null;
  readonly server: StatusServer<TCP>;
  readonly log: TraceLog;
  readonly mac = new Uint8Array(6);

  framesToStack = 0;
  readableCalls = 0;
  timerDrains = 0;

  private readonly platform: FirmwarePlatform;
  private readonly rx = new Uint8Array(RX_BUFFER_BYTES);
  /** Views of rx by length, so a flood of equal-sized frames allocates nothing per frame. */
  private readonly viewLengths = new Int32Array(4);
  private readonly views: Uint8Array[] = [];
  private viewNext = 0;
  private readonly statistics = new Uint8Array(LINK_STATISTICS_BYTES);
  private readonly startedAt: number;
  private started = false;
  private housekeepingAt = 0;
  private linkIsUp = false;
  private overflowsSeen = 0;
  private attack = false;
  private attackStartedAt = 0;
  private attackReportAt = 0;
  private synsAtStart = 0;
  private cookiesAtStart = 0;
  private synsLastSecond = 0;
  private cookieMode = false;

  constructor(settings: FirmwareSettings, platform: FirmwarePlatform) {
    this.settings = settings;
    this.platform = platform;
    const clock = platform.clock;
    this.startedAt = clock.now();
    this.log = new TraceLog(platform.print, settings.trace, settings.traceRate, clock);
    for (let i = 0; i < this.viewLengths.length; i++) {
      this.viewLengths[i] = -1;
      this.views.push(this.rx);
    }
    this.link = platform.openLink({
      onReadable: (frames) => this.onReadable(frames),
      onLinkChange: (up) => this.onLinkChange(up),
    });
    this.link.getMAC(this.mac);
    const link = this.link;
    this.stack = new Stack({
      device: { mac: this.mac, mtu: 1500, send: (frame) => void link.send(frame) },
      entropy: platform.entropy,
      clock,
      log: this.log,
      accelerators: platform.accelerators,
      address: settings.address ?? undefined,
      prefixLength: settings.prefixLength,
      gateway: settings.gateway ?? undefined,
      iface: BOARD_INTERFACE,
      tcp: {
        listeners: BOARD_LISTENERS,
        connections: settings.connections,
        sendBuffer: settings.buffer,
        receiveBuffer: settings.buffer,
        synDefence: {
          mode: settings.synMode, entries: settings.synCache, buckets: settings.synBuckets, bucketLimit: settings.synBucketLimit,
        },
      },
    });
    // Moddable apps make sockets without naming a stack: this one is the default.
    setDefaultStack(this.stack);
    this.dhcp = settings.address === null
      ? new DhcpClient(this.stack.iface, platform.entropy, { hostname: settings.hostname, log: this.log })
      : null;
    const stackFigures = synstackStats(this.stack);
    this.server = new StatusServer<TCP>({
      Listener, TCP,
      port: settings.port,
      now: () => clock.now(),
      stats: () => ({ firmware: this.figures(), ...stackFigures() }),
      listenerOptions: { stack: this.stack, backlog: settings.backlog },
      maxConnections: settings.httpConnections,
      requestBuffer: settings.httpRequestBuffer,
      // One MSS per write: the send ring is small, larger writes would only be cut by its room.
      chunk: 1460,
      title: 'synstack',
    });
  }

  /** Log the configuration and arm the timer; main.ts calls it once its timer exists. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const s = this.settings;
    this.log.log('info', 'boot', {
      link: this.link.kind, mac: formatMac(this.mac), address: s.address ?? 'dhcp', port: s.port, connections: s.connections,
      buffer: s.buffer, synCache: s.synCache, synMode: s.synMode,
    });
    if (this.link.up) this.onLinkChange(true);
    this.housekeepingAt = this.platform.clock.now() + HOUSEKEEPING_MS;
    this.arm();
  }

  /** The timer fired. */
  wake(): void {
    const now = this.platform.clock.now();
    try {
      // Normally frames come with the link's message; this picks up those whose message could
      // not be posted (ring.h: post failures), a batch at a time.
      if (this.drain(TIMER_DRAIN_LIMIT, now) > 0) this.timerDrains++;
      this.stack.poll(now);
      if (now >= this.housekeepingAt) {
        this.housekeepingAt = now + HOUSEKEEPING_MS;
        this.server.tick();
        this.watch(now);
      }
    } catch (error) {
      this.log.log('error', 'exception', { where: 'timer', error: String(error) });
    }
    this.arm();
  }

  /** Frames are waiting in the link's ring (a message from the driver side). */
  private onReadable(frames: number): void {
    this.readableCalls++;
    try {
      this.drain(frames, this.platform.clock.now());
    } catch (error) {
      this.log.log('error', 'exception', { where: 'receive', error: String(error) });
    }
    this.arm();
  }

  private onLinkChange(up: boolean): void {
    if (up === this.linkIsUp) return;
    this.linkIsUp = up;
    const now = this.platform.clock.now();
    this.log.log(up ? 'info' : 'warn', up ? 'link-up' : 'link-down', { link: this.link.kind, mac: formatMac(this.mac) });
    // DHCP starts with the first carrier; a lease survives a short outage (it is renewed at T1).
    if (up && this.dhcp !== null && this.dhcp.state === 'stopped') this.dhcp.start(now);
    this.arm();
  }

  /** Read up to `limit` frames into the stack; how many were read. */
  private drain(limit: number, now: number): number {
    let n = 0;
    while (n < limit) {
      const length = this.link.read(this.rx);
      if (length <= 0) break;
      n++;
      this.framesToStack++;
      this.stack.input(this.view(length), now);
    }
    return n;
  }

  private view(length: number): Uint8Array {
    const lengths = this.viewLengths;
    for (let i = 0; i < lengths.length; i++) if (lengths[i] === length) return this.views[i]!;
    const i = this.viewNext;
    this.viewNext = (i + 1) % lengths.length;
    lengths[i] = length;
    const v = this.rx.subarray(0, length);
    this.views[i] = v;
    return v;
  }

  /** Re-arm the one timer at the earliest deadline (at most a second away). */
  private arm(): void {
    if (!this.started) return;
    const now = this.platform.clock.now();
    const next = Math.min(this.stack.nextDeadline(), this.housekeepingAt);
    const delay = next <= now ? 0 : Math.min(next - now, HOUSEKEEPING_MS);
    this.platform.schedule(delay);
  }

  /** Once a second: attack state, cookie mode, receive-ring overflows. */
  private watch(now: number): void {
    const s = this.stack.tcp.synDefenceStatus();
    const c = s.counters;
    const synRate = c.synsReceived - this.synsLastSecond;
    this.synsLastSecond = c.synsReceived;
    if (s.underAttack && !this.attack) {
      this.attack = true;
      this.attackStartedAt = now;
      this.attackReportAt = now + ATTACK_REPORT_MS;
      this.synsAtStart = c.synsReceived;
      this.cookiesAtStart = c.cookiesSent;
      this.log.log('warn', 'attack-start', {
        halfOpen: s.halfOpen, capacity: s.capacity, cookieMode: s.cookieMode, synsPerSecond: synRate, sources: s.distinctSources,
      });
    } else if (!s.underAttack && this.attack) {
      this.attack = false;
      this.log.log('warn', 'attack-end', {
        seconds: Math.round((now - this.attackStartedAt) / 1000), syns: c.synsReceived - this.synsAtStart,
        cookiesSent: c.cookiesSent - this.cookiesAtStart, cookiesAccepted: c.cookiesAccepted, established: this.stack.tcp.counters.established,
      });
    } else if (s.underAttack && now >= this.attackReportAt) {
      this.attackReportAt = now + ATTACK_REPORT_MS;
      this.log.log('info', 'attack-ongoing', {
        seconds: Math.round((now - this.attackStartedAt) / 1000), synsPerSecond: synRate, halfOpen: s.halfOpen,
        cookieMode: s.cookieMode, sources: s.distinctSources, connections: this.stack.tcp.activeConnections,
      });
    }
    if (s.cookieMode !== this.cookieMode) {
      this.cookieMode = s.cookieMode;
      this.log.log('info', 'cookie-mode', { on: s.cookieMode, halfOpen: s.halfOpen });
    }
    const rx = this.linkStatistics();
    if (rx.overflows !== this.overflowsSeen) {
      this.log.log('warn', 'rx-overflow', { dropped: (rx.overflows - this.overflowsSeen) >>> 0, total: rx.overflows, ringBytes: rx.ringBytes });
      this.overflowsSeen = rx.overflows;
    }
  }

  linkStatistics(): LinkStatistics {
    this.link.getStatistics(this.statistics);
    return decodeLinkStatistics(this.statistics);
  }

  /** The "firmware" table of the status page. */
  figures(): FirmwareFigures {
    const heap = this.platform.heap?.();
    return {
      link: this.link.kind,
      linkUp: this.linkIsUp,
      mac: formatMac(this.mac),
      address: ipv4ToString(this.stack.iface.address),
      dhcp: this.dhcp === null ? 'static' : this.dhcp.state,
      uptimeSeconds: Math.floor((this.platform.clock.now() - this.startedAt) / 1000),
      rx: this.linkStatistics(),
      framesToStack: this.framesToStack,
      readableCalls: this.readableCalls,
      timerDrains: this.timerDrains,
      trace: { printed: this.log.printed, suppressed: this.log.suppressed },
      ...(heap !== undefined ? { heap } : {}),
    };
  }
}

export function formatMac(mac: Uint8Array): string {
  let s = '';
  for (let i = 0; i < mac.length; i++) s += (i > 0 ? ':' : '') + (mac[i]! < 16 ? '0' : '') + mac[i]!.toString(16);
  return s;
}
