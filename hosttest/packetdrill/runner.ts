// Runs a parsed script against one synstack (Interface + Tcp, net.ts) on a virtual clock. The
// script's remote end is the runner:
//
// - `<` lines are injected at their time. Their sequence numbers are the remote's own, used as
//   written; their ACK numbers (and SACK blocks) count from synstack's ISS, which the runner learns
//   from the first SYN synstack sends after connect() or the first SYN-ACK after an inbound SYN,
//   as packetdrill does. TS ecr values are mapped back to the TS val synstack sent where the
//   script wrote that value.
// - `>` lines take the next segment synstack sent; it must come within --tolerance_usecs of the
//   line's time (default 4 ms, packetdrill's), and its flags, sequence and ACK numbers, payload
//   length and SACK blocks must be as written; window, option layout and a few values only as the
//   Profile allows (profile.ts). A segment nobody expects, or an expected one that does not come,
//   fails the script at that line, saying what was expected and what came.
// - system calls go to the socket layer (sockets.ts); a call written `+t...end` may block, and
//   must return at `end` (within the tolerance) while later lines run.
// - back-quoted lines are sysctl / sockstat (shell.ts); `%{ }%` blocks are assertions (code.ts).
//
// Relative times count from when the previous line finished: an outbound packet finishes when it
// was sent, a blocking call when it started, anything else at its own time.

import type { IpInfo, Script, ScriptEvent, Syscall, TcpOption, TcpPacket } from './ast';
import { runCode, tcpInfo } from './code';
import { type ExpectedTcp, flagsFromText, formatCaptured, matchTcp } from './match';
import { type Captured, defaultNetConfig, StackUnderTest } from './net';
import { printAction, printEvent, usToSeconds } from './printer';
import { type Profile, type Relaxation, synstackProfile } from './profile';
import { FREEBSD_DEFAULTS, buildSettings, freebsdReceiveRing, runCommand } from './shell';
import { type CallResult, type Done, SocketLayer, Unsupported, evalInt } from './sockets';
import { ERRNO, ICMP_CODES, ICMP_TYPES } from './symbols';
import type { TcpConfigInput } from '../../src/tcp/tcp';

export interface RunOptions {
  profile?: Profile;
  seed?: number;
  /** synstack configuration under what the script's sysctls set. */
  tcpConfig?: TcpConfigInput;
  /** How long a `*` line waits for a packet (virtual µs). */
  anyTimeLimitUs?: number;
  /**
   * Shell lines matching one of these run as no-ops (for commands that only prepare a Linux host,
   * e.g. google/packetdrill's `defaults.sh`); each is noted in the trace and the warnings.
   */
  ignoreCommands?: RegExp[];
}

export type FailureKind =
  | 'mismatch'     // a segment came, but not the one expected
  | 'missing'      // an expected segment did not come
  | 'unexpected'   // synstack sent a segment no line expects
  | 'timing'       // the right segment or return, at the wrong time
  | 'syscall'      // a system call returned something else
  | 'command'      // a shell line failed (sockstat count, ...)
  | 'code'         // a %{ assert }% failed
  | 'unsupported'  // the script uses something the runner or synstack cannot do
  | 'error';       // the script itself is wrong (or the runner broke)

export interface Failure {
  line: number;
  kind: FailureKind;
  /** One line: what went wrong. */
  message: string;
  /** The script line as the runner understood it. */
  expected?: string;
  /** What synstack did instead (a segment in script syntax, a return value). */
  actual?: string;
  /** Context: synstack's drop reasons and connection state. */
  detail: string[];
  /** Why synstack dropped the last segment the script sent, when it did (its drop counters). */
  drops?: string[];
}

export interface RunResult {
  status: 'pass' | 'fail';
  failure: Failure | null;
  /** How often each profile relaxation was needed. */
  relaxed: Partial<Record<Relaxation, number>>;
  /** Failures downgraded by --non_fatal. */
  warnings: string[];
  /** The exchange, one line per event: `0.100 > S. 0:0(0) ack 1 ... (line 12)`. */
  trace: string[];
}

class RunFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

const DEFAULT_TOLERANCE_US = 4000;
/** How far past a `>` line's window the runner looks, after the fact, to describe what came instead. */
const LOOK_AHEAD_US = 60_000_000;
/** The remote's port for connections synstack accepts (packetdrill picks an ephemeral one). */
const REMOTE_PORT = 48000;
const ACK = 0x10, SYN = 0x02;

const KNOWN_NOOP_OPTIONS = new Set(['ip_version', 'tolerance_usecs', 'tolerance_percent', 'verbose', 'define', 'bind_port', 'connect_port', 'local_ip', 'remote_ip', 'gateway_ip', 'netmask_ip', 'mtu', 'tcp_ts_tick_usecs', 'non_fatal', 'speed', 'init_delay']);


export function runScript(script: Script, options: RunOptions = {}): RunResult {
  return new Runner(script, options).run();
}

interface PendingCall {
  event: ScriptEvent & { type: 'syscall' };
  /** When it must return, µs since the start. */
  endUs: number;
  retry: () => Done | null;
}

class Runner {
  private readonly profile: Profile;
  private tolerance = DEFAULT_TOLERANCE_US;
  private tolerancePercent = 0;
  private tsTickUs = 0;
  private nonFatal = new Set<string>();
  private stack!: StackUnderTest;
  private sockets!: SocketLayer;
  private readonly socketDefaults = { keepInitMs: 75_000, receiveSpace: 0, sendSpace: 0 };
  private flow = { localPort: 8080, remotePort: REMOTE_PORT };
  private readonly flows = new Map<string, [number, number]>();
  private localIss: number | null = null;
  private expectIss = false;
  private readonly tsMap = new Map<number, number>();
  private firstTs: { script: number; actual: number } | null = null;
  private lastEnd = 0;
  private lastEventTime = 0;
  private pending: PendingCall | null = null;
  private readonly relaxed: Partial<Record<Relaxation, number>> = {};
  private readonly warnings: string[] = [];
  private readonly trace: string[] = [];
  /** What happened to the last inbound segment inside synstack (drop reasons). */
  private lastInbound: { line: number; drops: string[] } | null = null;
  private bindPort = 8080;
  private connectPort = 8080;

  constructor(private readonly script: Script, private readonly options: RunOptions) {
    this.profile = options.profile ?? synstackProfile;
  }

  run(): RunResult {
    let failure: Failure | null = null;
    try {
      this.setUp();
      if (this.script.initCommand) this.command(this.script.initCommand.line, this.script.initCommand.command);
      for (const e of this.script.events) this.event(e);
      this.finish();
      if (this.script.cleanupCommand) this.command(this.script.cleanupCommand.line, this.script.cleanupCommand.command);
    } catch (err) {
      failure = this.toFailure(err);
    }
    return { status: failure === null ? 'pass' : 'fail', failure, relaxed: this.relaxed, warnings: this.warnings, trace: this.trace };
  }

  private toFailure(err: unknown): Failure {
    if (err instanceof RunFailure) return err.failure;
    const line = this.currentLine;
    if (err instanceof Unsupported) return { line, kind: 'unsupported', message: err.message, detail: [] };
    const e = err instanceof Error ? err : new Error(String(err));
    return { line, kind: 'error', message: `runner error: ${e.message}`, detail: (e.stack ?? '').split('\n').slice(1, 6).map((s) => s.trim()) };
  }

  private currentLine = 0;

  private fail(kind: FailureKind, message: string, extra: Partial<Failure> = {}): never {
    const drops = this.lastInbound !== null && this.lastInbound.drops.length > 0 ? { drops: this.lastInbound.drops } : {};
    throw new RunFailure({ line: this.currentLine, kind, message, detail: [], ...drops, ...extra });
  }

  // ---- set-up ---------------------------------------------------------------------------------

  private setUp(): void {
    const net = { ...defaultNetConfig };
    for (const o of this.script.options) {
      this.currentLine = o.line;
      const v = o.value ?? '';
      switch (o.name) {
        case 'ip_version':
          if (v !== 'ipv4') throw new Unsupported(`--ip_version=${v} (synstack is IPv4 only)`);
          break;
        case 'tolerance_usecs': this.tolerance = Number(v); break;
        case 'tolerance_percent': this.tolerancePercent = Number(v); break;
        case 'tcp_ts_tick_usecs': this.tsTickUs = Number(v); break;
        case 'local_ip': net.localIp = v; break;
        case 'remote_ip': net.remoteIp = v; break;
        case 'gateway_ip': net.gatewayIp = v; break;
        case 'mtu': net.mtu = Number(v); break;
        case 'bind_port': this.bindPort = Number(v); break;
        case 'connect_port': this.connectPort = Number(v); break;
        case 'non_fatal': for (const k of v.split(',')) this.nonFatal.add(k.trim()); break;
        default:
          if (!KNOWN_NOOP_OPTIONS.has(o.name)) throw new Unsupported(`option --${o.name}${o.value !== null ? `=${o.value}` : ''}`);
      }
    }
    this.currentLine = this.script.events[0]?.line ?? 0;
    const b = buildSettings(this.script);
    this.socketDefaults.receiveSpace = b.receiveBuffer;
    this.socketDefaults.sendSpace = b.sendBuffer;
    this.stack = new StackUnderTest({
      ...net,
      seed: this.options.seed ?? 1,
      tcp: {
        connections: 16, ...FREEBSD_DEFAULTS, ...this.options.tcpConfig,
        receiveBuffer: freebsdReceiveRing(b.receiveBuffer, net.mtu), sendBuffer: b.sendBuffer,
      },
    });
    this.flow = { localPort: this.bindPort, remotePort: REMOTE_PORT };
    this.sockets = new SocketLayer({
      stack: this.stack,
      profile: this.profile,
      defaults: this.socketDefaults,
      bindPort: this.bindPort,
      connectPort: this.connectPort,
      onFlow: (localPort, remotePort) => {
        this.flow = { localPort, remotePort: remotePort < 0 ? REMOTE_PORT : remotePort };
      },
      onActiveOpen: () => {
        this.expectIss = true;
      },
      relaxed: (r) => this.relax(r),
    });
  }

  private relax(r: Relaxation): void {
    this.relaxed[r] = (this.relaxed[r] ?? 0) + 1;
  }

  /** µs since the script started. */
  private get t(): number {
    return this.stack.now - this.stack.start;
  }

  private toleranceFor(scriptTime: number): number {
    if (this.tolerancePercent <= 0) return this.tolerance;
    return Math.max(this.tolerance, (this.tolerancePercent / 100) * (scriptTime - this.lastEventTime));
  }

  private noteFlow(): void {
    this.flows.set(`${this.flow.localPort}:${this.flow.remotePort}`, [this.flow.localPort, this.flow.remotePort]);
  }

  // ---- the event loop -------------------------------------------------------------------------

  /** Line of the last event that finished (packets sent while time passes belong after it). */
  private lastDoneLine = 0;

  private event(e: ScriptEvent): void {
    this.currentLine = e.line;
    this.stack.tag = this.lastDoneLine;
    const base = this.lastEnd;
    let at: number;
    switch (e.time.kind) {
      case 'absolute': at = e.time.us; break;
      case 'relative': at = base + e.time.us; break;
      case 'any': at = this.t; break;
      case 'range': at = (e.time.relative ? base : 0) + e.time.startUs; break;
    }
    if (e.type === 'packet' && e.packet.direction === '>') {
      this.outbound(e, at, base);
    } else {
      this.advance(at);
      this.checkUnexpected(e, at);
      this.stack.tag = e.line;
      switch (e.type) {
        case 'packet': this.inbound(e); break;
        case 'syscall': this.syscall(e, at, base); break;
        case 'command': this.command(e.line, e.command); break;
        case 'code': this.code(e.code); break;
      }
      this.checkPending();
    }
    this.lastEventTime = at;
    if (!(e.type === 'syscall' && this.pending?.event === e)) this.lastEnd = this.t;
    else this.lastEnd = at;
    this.lastDoneLine = e.line;
    this.stack.tag = e.line;
  }

  private advance(toUs: number): void {
    this.stack.advanceTo(this.stack.start + toUs, false, () => this.checkPending());
    this.checkPending();
  }

  /** Segments synstack sent long enough before this line that no later line can expect them. */
  private checkUnexpected(e: ScriptEvent, at: number): void {
    const p = this.stack.pending[0];
    if (p === undefined) return;
    const sent = p.time - this.stack.start;
    if (sent >= at - this.toleranceFor(at)) return;
    this.currentLine = p.tag || e.line;
    this.fail('unexpected', `synstack sent a segment no line expects, at ${usToSeconds(sent)} s after line ${p.tag} (seen before line ${e.line} at ${usToSeconds(at)} s)`, {
      actual: formatCaptured(p, this.localIss), expected: `(nothing) after line ${p.tag}`, detail: this.context(),
    });
  }

  private finish(): void {
    this.currentLine = this.script.events[this.script.events.length - 1]?.line ?? 0;
    if (this.pending !== null) {
      const p = this.pending;
      this.stack.advanceTo(this.stack.start + p.endUs + this.tolerance, false, () => this.checkPending());
      this.checkPending();
      if (this.pending !== null) {
        this.currentLine = p.event.line;
        this.fail('syscall', `${p.event.call.name}() did not return by ${usToSeconds(p.endUs + this.tolerance)} s`, { expected: printEvent(p.event), detail: this.context() });
      }
    }
    const p = this.stack.pending[0];
    if (p !== undefined) {
      this.currentLine = p.tag || this.currentLine;
      this.fail('unexpected', `synstack sent a segment no line expects, at ${usToSeconds(p.time - this.stack.start)} s after line ${p.tag} (no later line expects it)`, {
        actual: formatCaptured(p, this.localIss), expected: '(nothing)', detail: this.context(),
      });
    }
  }

  // ---- packets --------------------------------------------------------------------------------

  private ipFields(ip: IpInfo | null): { ttl: number | null; tos: number | null } {
    let ttl: number | null = null, tos: number | null = null;
    for (const it of ip?.items ?? []) {
      const num = (): number => {
        const n = Number(it.value);
        if (it.value === null || !Number.isInteger(n)) throw new Unsupported(`IP field ${it.key} ${it.value ?? ''}`);
        return n;
      };
      switch (it.key) {
        case 'ttl': case 'hlim': ttl = num(); break;
        case 'tos': tos = num(); break;
        case 'noecn': tos = (tos ?? 0) & ~3; break;
        case 'ect0': tos = ((tos ?? 0) & ~3) | 2; break;
        case 'ect1': tos = ((tos ?? 0) & ~3) | 1; break;
        case 'ce': tos = (tos ?? 0) | 3; break;
        default: throw new Unsupported(`IP field ${it.key}`);
      }
    }
    return { ttl, tos };
  }

  private inbound(e: ScriptEvent & { type: 'packet' }): void {
    const p = e.packet;
    if (p.proto === 'tcp' && p.udpEncaps !== null) throw new Unsupported('UDP encapsulation (/udp(...))');
    const ip = this.ipFields(p.ip);
    const before = { ...this.stack.tcp.counters.drops };
    if (p.proto === 'tcp') {
      const flags = flagsFromText(p.flags);
      if (p.seq.kind !== 'range') throw new Unsupported('... sequence in an inbound segment');
      const iss = this.localIss ?? 0;
      const ack = flags & ACK ? ((p.ack ?? 0) + iss) >>> 0 : (p.ack ?? 0) >>> 0;
      const options = (p.options === null || p.options === 'any' ? [] : p.options).map((o) => this.inboundOption(o, iss));
      const srcPort = p.ports?.src ?? this.flow.remotePort, dstPort = p.ports?.dst ?? this.flow.localPort;
      this.noteFlow();
      if (flags & SYN && !(flags & ACK)) this.expectIss = true;
      this.stack.injectTcp({
        srcPort, dstPort, seq: p.seq.start, ack, flags, win: p.win ?? 0, urg: p.urg ?? 0, options,
        payloadLength: p.seq.len, ttl: ip.ttl ?? 64, tos: ip.tos ?? 0,
      });
    } else if (p.proto === 'icmp') {
      const type = ICMP_TYPES[p.type];
      if (type === undefined) throw new Unsupported(`ICMP type ${p.type}`);
      const code = p.code === null ? 0 : ICMP_CODES[p.code];
      if (code === undefined) throw new Unsupported(`ICMP code ${p.code}`);
      const seq = p.echoed === null ? 0 : p.echoed.kind === 'range' ? (p.echoed.absolute ? p.echoed.start : p.echoed.start + (this.localIss ?? 0)) : 0;
      const quoted = this.stack.buildQuotedTcp(this.flow.localPort, this.flow.remotePort, seq >>> 0);
      this.stack.injectIcmp(type, code, p.mtu ?? 0, quoted, ip.ttl ?? 64, ip.tos ?? 0);
    } else {
      throw new Unsupported('UDP packets');
    }
    const drops: string[] = [];
    for (const [k, v] of Object.entries(this.stack.tcp.counters.drops)) {
      const d = (v ?? 0) - (before[k as keyof typeof before] ?? 0);
      if (d > 0) drops.push(k);
    }
    this.lastInbound = { line: e.line, drops };
    this.trace.push(`${usToSeconds(this.t)} ${printAction(e)}  (line ${e.line}${drops.length ? `; synstack dropped it: ${drops.join(', ')}` : ''})`);
  }

  private inboundOption(o: TcpOption, iss: number): TcpOption {
    if (o.kind === 'sack') return { kind: 'sack', blocks: o.blocks.map(([l, r]) => [(l + iss) >>> 0, (r + iss) >>> 0]) };
    if (o.kind === 'ts' && !o.ecrAbsolute && o.ecr !== 0) {
      const live = this.tsMap.get(o.ecr);
      if (live === undefined) this.fail('error', `unable to find mapping for timestamp ecr ${o.ecr} (no > line has TS val ${o.ecr})`);
      return { ...o, ecr: live };
    }
    if (o.kind === 'md5' || o.kind === 'fo') throw new Unsupported(`TCP option ${o.kind}`);
    return o;
  }

  private expectation(p: TcpPacket): ExpectedTcp {
    const flags = flagsFromText(p.flags);
    const ip = this.ipFields(p.ip);
    let seq: number | null = null;
    if (p.seq.kind === 'range') seq = p.seq.absolute ? p.seq.start : (p.seq.start + (this.localIss ?? 0)) >>> 0;
    return {
      flags, seq, ack: p.ack ?? 0, win: p.win, urg: p.urg ?? 0, len: p.seq.len,
      options: p.options === null ? [] : p.options,
      srcPort: p.ports?.src ?? this.flow.localPort, dstPort: p.ports?.dst ?? this.flow.remotePort,
      ttl: ip.ttl, tos: ip.tos,
    };
  }

  private outbound(e: ScriptEvent & { type: 'packet' }, at: number, base: number): void {
    const p = e.packet;
    if (p.proto !== 'tcp') throw new Unsupported(`outbound ${p.proto} packets`);
    if (p.udpEncaps !== null) throw new Unsupported('UDP encapsulation (/udp(...))');
    const tol = this.toleranceFor(at);
    let lo: number, hi: number;
    if (e.time.kind === 'any') {
      lo = -Infinity;
      hi = this.t + (this.options.anyTimeLimitUs ?? 600_000_000);
    } else if (e.time.kind === 'range') {
      lo = at - tol;
      hi = (e.time.relative ? base : 0) + e.time.endUs + tol;
    } else {
      lo = at - tol;
      hi = at + tol;
    }
    if (this.stack.pending.length === 0) this.stack.advanceTo(this.stack.start + Math.max(hi, this.t), true, () => this.checkPending());
    const c = this.stack.take();
    const when = e.time.kind === 'any' ? 'at any time' : e.time.kind === 'range' ? `between ${usToSeconds(lo + tol)} and ${usToSeconds(hi - tol)} s` : `at ${usToSeconds(at)} s`;
    if (c === undefined) {
      const by = this.t;
      // Nothing in the window. Look further ahead (the script fails either way) to say whether the
      // segment came late or something else came.
      this.stack.advanceTo(this.stack.start + by + LOOK_AHEAD_US, true);
      const later = this.stack.take();
      if (later !== undefined && matchTcp(this.expectation(p), later, this.profile, this.localIss).mismatches.length === 0) {
        this.fail('timing', `sent at ${usToSeconds(later.time - this.stack.start)} s, expected ${when} (±${usToSeconds(tol)} s)`, {
          expected: printAction(e), actual: `${formatCaptured(later, this.localIss)} at ${usToSeconds(later.time - this.stack.start)} s`, detail: this.context(),
        });
      }
      this.fail('missing', `expected a segment ${when} (±${usToSeconds(tol)} s); synstack sent nothing by ${usToSeconds(by)} s`, {
        expected: printAction(e),
        actual: later === undefined ? `(nothing within ${usToSeconds(LOOK_AHEAD_US)} s more)` : `(nothing; next: ${formatCaptured(later, this.localIss)} at ${usToSeconds(later.time - this.stack.start)} s)`,
        detail: this.context(),
      });
    }
    const sent = c.time - this.stack.start;
    // A SYN synstack sends after connect() or after an inbound SYN starts its sequence space.
    const learning = this.expectIss && p.seq.kind === 'range' && !p.seq.absolute && (flagsFromText(p.flags) & SYN) !== 0 && c.tcp !== null && (c.tcp.flags & SYN) !== 0;
    const savedIss = this.localIss;
    if (learning) this.localIss = (c.tcp!.seq - (p.seq as { start: number }).start) >>> 0;
    const exp = this.expectation(p);
    const m = matchTcp(exp, c, this.profile, learning ? savedIss : this.localIss);
    const early = sent < lo, late = sent > hi;
    if (m.mismatches.length > 0 || early || late) {
      const actual = `${formatCaptured(c, learning ? savedIss : this.localIss)} at ${usToSeconds(sent)} s`;
      if (learning) this.localIss = savedIss;
      const kind = m.mismatches.length > 0 ? (early ? 'unexpected' : 'mismatch') : 'timing';
      const msg = m.mismatches.length > 0 ? m.mismatches.join('; ') : `sent at ${usToSeconds(sent)} s, expected ${when} (±${usToSeconds(tol)} s)`;
      const failure: Failure = { line: e.line, kind, message: msg, expected: `${printAction(e)} ${when}`, actual, detail: this.context() };
      if (this.lastInbound !== null && this.lastInbound.drops.length > 0) failure.drops = this.lastInbound.drops;
      if (this.nonFatal.has('packet')) {
        this.warnings.push(`line ${e.line}: ${msg}`);
      } else throw new RunFailure(failure);
    }
    for (const r of m.relaxed) this.relax(r);
    if (learning || (c.tcp!.flags & SYN) === 0) this.expectIss = false;
    this.timestamps(p, c, e.line);
    this.noteFlow();
    this.trace.push(`${usToSeconds(sent)} > ${formatCaptured(c, this.localIss)}  (line ${e.line})`);
  }

  /** Remember which TS val synstack used where the script wrote one; check it with --tcp_ts_tick_usecs. */
  private timestamps(p: TcpPacket, c: Captured, line: number): void {
    if (p.options === null || p.options === 'any') return;
    const st = p.options.find((o) => o.kind === 'ts');
    const at = c.tcp!.options.find((o) => o.kind === 'ts');
    if (st?.kind !== 'ts' || at?.kind !== 'ts' || st.val === null || at.val === null) return;
    this.tsMap.set(st.val, at.val);
    if (this.firstTs === null) this.firstTs = { script: st.val, actual: at.val };
    if (this.tsTickUs > 0) {
      const mapped = (this.firstTs.script + (at.val - this.firstTs.actual)) >>> 0;
      const off = Math.abs(((mapped - st.val) | 0)) * this.tsTickUs;
      if (off > this.tolerance) {
        this.currentLine = line;
        this.fail('mismatch', `TS val: expected ${st.val}, got ${mapped} (in script units; tolerance ${this.tolerance} µs)`);
      }
    }
  }

  // ---- system calls, commands, code -------------------------------------------------------------

  private syscall(e: ScriptEvent & { type: 'syscall' }, at: number, base: number): void {
    if (this.pending !== null) {
      this.fail('syscall', `blocking system call while another blocking system call (line ${this.pending.event.line}) is in progress`);
    }
    const call = e.call;
    let r: CallResult;
    try {
      const fd = (call.name === 'socket' || call.name === 'accept') && call.result.kind === 'int' && call.result.value >= 0 ? call.result.value : null;
      r = this.sockets.call(call.name, call.args, fd);
    } catch (err) {
      if (err instanceof Unsupported && this.nonFatal.has('syscall')) {
        this.warnings.push(`line ${e.line}: ${err.message}`);
        return;
      }
      throw err;
    }
    const endUs = call.endUs === null ? null : (e.time.kind === 'relative' ? base : 0) + call.endUs;
    if (r.kind === 'blocked') {
      if (endUs === null) {
        // A call without ...end may block only within the line's time window (the tolerance): the
        // script cannot go on while it blocks, so nothing but timers can complete it.
        const retry = r.retry;
        let done: Done | null = null;
        this.stack.advanceTo(this.stack.start + at + this.toleranceFor(at), false, () => {
          done ??= retry();
        });
        done ??= retry();
        if (done === null) {
          this.fail('syscall', `${call.name}() would block past its time window (only a call written with ...end may block longer)`, { expected: printEvent(e), detail: this.context() });
        }
        r = done;
      } else {
        this.pending = { event: e, endUs, retry: r.retry };
        this.trace.push(`${usToSeconds(this.t)} ${call.name}() blocks  (line ${e.line})`);
        return;
      }
    }
    if (endUs !== null) {
      const tol = this.toleranceFor(at);
      if (Math.abs(this.t - endUs) > tol) {
        this.fail('timing', `${call.name}() returned at ${usToSeconds(this.t)} s, expected at ${usToSeconds(endUs)} s (±${usToSeconds(tol)} s)`, { expected: printEvent(e) });
      }
    }
    this.checkResult(e, r);
  }

  private checkPending(): void {
    const p = this.pending;
    if (p === null) return;
    const r = p.retry();
    if (r === null) return;
    this.pending = null;
    const saved = this.currentLine;
    this.currentLine = p.event.line;
    const tol = this.toleranceFor(p.endUs);
    if (Math.abs(this.t - p.endUs) > tol) {
      this.fail('timing', `${p.event.call.name}() returned at ${usToSeconds(this.t)} s, expected at ${usToSeconds(p.endUs)} s (±${usToSeconds(tol)} s)`, { expected: printEvent(p.event) });
    }
    this.checkResult(p.event, r);
    this.currentLine = saved;
  }

  private checkResult(e: ScriptEvent & { type: 'syscall' }, r: Done): void {
    const call: Syscall = e.call;
    const problems: string[] = [];
    if (call.result.kind !== 'ellipsis') {
      const want = evalInt(call.result);
      if (want !== r.ret) problems.push(`returned ${r.ret}${r.errno ? ` ${r.errno}` : ''}, expected ${want}${call.errno ? ` ${call.errno}` : ''}`);
      else if (want === -1 && call.errno !== null && (r.errno === null || ERRNO[r.errno] !== ERRNO[call.errno])) {
        problems.push(`failed with ${r.errno ?? '(no errno)'}, expected ${call.errno}`);
      }
    }
    if (r.mismatch !== null) problems.push(r.mismatch);
    const actual = `${r.ret}${r.errno ? ` ${r.errno}` : ''}`;
    this.trace.push(`${usToSeconds(this.t)} ${call.name}() = ${actual}  (line ${e.line})`);
    if (problems.length === 0) return;
    const msg = `${call.name}(): ${problems.join('; ')}`;
    if (this.nonFatal.has('syscall')) {
      this.warnings.push(`line ${e.line}: ${msg}`);
      return;
    }
    this.fail('syscall', msg, { expected: printEvent(e), actual, detail: this.context() });
  }

  private command(line: number, command: string): void {
    this.currentLine = line;
    if ((this.options.ignoreCommands ?? []).some((re) => re.test(command))) {
      this.warnings.push(`line ${line}: ignored \`${command.replace(/\s+/g, ' ').trim()}\``);
      this.trace.push(`${usToSeconds(this.t)} \`${command}\` ignored  (line ${line})`);
      return;
    }
    const r = runCommand({
      stack: this.stack, sockets: this.sockets, flows: () => this.flows.values(),
      setKeepInitMs: (ms) => { this.socketDefaults.keepInitMs = ms; },
      buffers: { receiveBuffer: this.socketDefaults.receiveSpace, sendBuffer: this.socketDefaults.sendSpace },
    }, command);
    this.trace.push(`${usToSeconds(this.t)} \`${command}\` ${r.ok ? 'ok' : 'failed'}  (line ${line})`);
    if (!r.ok) this.fail('command', r.detail.split('\n')[0]!, { detail: r.detail.split('\n').slice(1) });
  }

  private code(code: string): void {
    const r = runCode(code, tcpInfo(this.sockets, this.stack.tcp.config.windowScale >= 0));
    this.trace.push(`${usToSeconds(this.t)} %{ ${code} }% ${r === null ? 'ok' : 'failed'}  (line ${this.currentLine})`);
    if (r !== null) this.fail('code', r, { detail: this.context() });
  }

  /** What synstack's side looks like now, for failure messages. */
  private context(): string[] {
    const out: string[] = [];
    if (this.lastInbound !== null && this.lastInbound.drops.length > 0) {
      out.push(`synstack dropped the segment of line ${this.lastInbound.line}: ${this.lastInbound.drops.join(', ')}`);
    }
    const states = [...this.sockets.sockets.values()].map((s) => `fd ${s.fd}: ${s.state}${s.error ? ` (pending ${s.error})` : ''}`);
    if (states.length > 0) out.push(`sockets: ${states.join(', ')}`);
    const tw = [...this.flows.values()].filter(([l, r]) => this.stack.tcp.timeWait.find(this.stack.localIp, l, this.stack.remoteIp, r) >= 0);
    if (tw.length > 0) out.push(`TIME-WAIT entries: ${tw.map(([l, r]) => `${l}>${r}`).join(', ')}`);
    const half = this.stack.tcp.listeners.filter((l) => l.open && l.halfOpen > 0).map((l) => `port ${l.port}: ${l.halfOpen}`);
    if (half.length > 0) out.push(`half-open: ${half.join(', ')}`);
    return out;
  }
}

