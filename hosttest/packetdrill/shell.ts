// The back-quoted shell lines of the FreeBSD scripts, mapped onto synstack:
//
// - `sysctl -w name=value`: the FreeBSD knobs of ../shared/conformance/README.md become fields of
//   synstack's TcpConfig. Most are read by the stack at run time and are set on `tcp.config` when
//   the line runs. The ring sizes (recvspace, sendspace) are fixed when the stack is built: the
//   runner reads them from the script before building it (buildSettings), and a later line that
//   asks for another size is unsupported.
// - `sockstat ... | grep ... | grep -c STATE | grep N`: sockstat's listing is produced from the
//   stack (our descriptors as the "packetdrill" process, the rest as "?": connections the
//   application closed, TIME-WAIT entries, and a listener's SYN cache entries as SYN_RCVD, as the
//   README asks) and the grep stages run over it, so the line passes exactly when the pipeline
//   would exit 0.
// Anything else throws Unsupported.

import type { Script } from './ast';
import { Unsupported, type SocketLayer } from './sockets';
import type { StackUnderTest } from './net';
import { BSD_STATE } from './sockets';
import { ipv4ToString } from '../../src/wire/ipv4';
import { LISTENER_INDEX, LOCAL_PORT, PASSIVE, REMOTE_PORT } from '../../src/tcp/connection';

export interface BuildSettings {
  receiveBuffer: number;
  sendBuffer: number;
}

/** FreeBSD's defaults for the socket buffer sizes when a script does not set them. */
export const FREEBSD_BUFFERS: BuildSettings = Object.freeze({ receiveBuffer: 65536, sendBuffer: 32768 });

/**
 * The receive ring a FreeBSD socket buffer of `size` bytes becomes. Once a connection knows its
 * MSS, FreeBSD grows the receive buffer to a whole number of segments (tcp_mss(): 65536 becomes
 * 45 × 1460 = 65700), and its window is the free space of that buffer even where the 16-bit
 * window field (without scaling) cannot say more than 65535. synstack's rings are fixed when the
 * stack is built, so the runner builds the ring at the rounded size for the link's MSS; SO_RCVBUF
 * reports the requested size until a connection is synchronized, as FreeBSD does.
 */
export function freebsdReceiveRing(size: number, mtu: number): number {
  const mss = mtu - 40;
  return Math.ceil(size / mss) * mss;
}

/**
 * The stack starts configured as a FreeBSD host with default sysctls would behave (the scripts
 * set only what they change from there): where synstack's own defaults differ, FreeBSD's value
 * is used. net.inet.tcp.drop_synfin is 0 on FreeBSD (synstack: dropSynFin on); keepcnt is 8
 * (synstack: 9); rexmit_min 30 and rexmit_slop 200, which FreeBSD adds to every computed RTO
 * (synstack: a 200 ms floor, no slop). insecure_rst/insecure_syn 0, rexmit_initial 1000, keepidle
 * 7200000, keepintvl 75000, rfc1323 1, sack.enable 1 and syncookies 1 already agree. Behaviours
 * that are FreeBSD's own and no sysctl's are synstack options turned on here (docs/tcp.md): old
 * duplicates trimmed and their ACK taken (trimOldSegments, tcp_input.c's trimming of a segment
 * before rcv_nxt), the FIN resent with every ACK while unacknowledged (resendFinWithAck,
 * tcp_output.c keeps TH_FIN in the flags of those states), and segments without ACK dropped in
 * TIME-WAIT (timeWaitIgnoresNoAck, tcp_twcheck). FreeBSD also reopens TIME-WAIT by sequence
 * number (timeWaitReopenBySequence), but the runner judges the scripts that test it by their
 * `#ifdef STANDARD` branches, which expect RFC 5961's challenge ACK, so that stays off.
 */
export const FREEBSD_DEFAULTS = Object.freeze({
  dropSynFin: false,
  trimOldSegments: true,
  resendFinWithAck: true,
  timeWaitIgnoresNoAck: true,
  rfc5961Rst: true,
  rfc5961Syn: true,
  initialRtoMs: 1000,
  minRtoMs: 30,
  rtoSlopMs: 200,
  keepalive: Object.freeze({ idleMs: 7_200_000, intervalMs: 75_000, count: 8 }),
  timestamps: true,
  sack: true,
});

interface Sysctl {
  name: string;
  value: string;
}

function parseSysctl(cmd: string): Sysctl[] | null {
  const words = cmd.trim().split(/\s+/);
  if (words[0] !== 'sysctl') return null;
  const out: Sysctl[] = [];
  for (const w of words.slice(1)) {
    if (w.startsWith('-')) {
      if (!/^-[wqn]+$/.test(w)) throw new Unsupported(`sysctl flag ${w}`);
      continue;
    }
    const eq = w.indexOf('=');
    if (eq < 0) out.push({ name: w, value: '' }); // a read: nothing to do
    else out.push({ name: w.slice(0, eq), value: w.slice(eq + 1) });
  }
  return out;
}

/** Ring sizes a script asks for before it first touches the stack. */
export function buildSettings(script: Script): BuildSettings {
  const s = { ...FREEBSD_BUFFERS };
  for (const e of script.events) {
    if (e.type === 'packet' || (e.type === 'syscall' && e.call.name !== 'setsockopt' && e.call.name !== 'getsockopt')) break;
    if (e.type !== 'command') continue;
    let list: Sysctl[] | null;
    try {
      list = parseSysctl(e.command);
    } catch {
      list = null;
    }
    for (const { name, value } of list ?? []) {
      if (name === 'net.inet.tcp.recvspace') s.receiveBuffer = Number(value);
      if (name === 'net.inet.tcp.sendspace') s.sendBuffer = Number(value);
    }
  }
  return s;
}

export interface ShellEnv {
  stack: StackUnderTest;
  sockets: SocketLayer;
  /** Every (local port, remote port) the script's remote has used, for TIME-WAIT lookups. */
  flows(): Iterable<[number, number]>;
  setKeepInitMs(ms: number): void;
  /** The socket buffer sizes the stack was built for (before FreeBSD's rounding). */
  buffers: BuildSettings;
}

export interface CommandResult {
  ok: boolean;
  /** What the command printed or why it failed. */
  detail: string;
}

const boolValue = (name: string, v: string): boolean => {
  if (v !== '0' && v !== '1') throw new Unsupported(`${name}=${v}`);
  return v === '1';
};

const intValue = (name: string, v: string): number => {
  if (!/^\d+$/.test(v)) throw new Unsupported(`${name}=${v}`);
  return Number(v);
};

function applySysctl(env: ShellEnv, { name, value }: Sysctl): void {
  if (value === '') return;
  const cfg = env.stack.tcp.config;
  switch (name) {
    case 'net.inet.tcp.insecure_rst': cfg.rfc5961Rst = !boolValue(name, value); return;
    case 'net.inet.tcp.insecure_syn': cfg.rfc5961Syn = !boolValue(name, value); return;
    case 'net.inet.tcp.drop_synfin': cfg.dropSynFin = boolValue(name, value); return;
    case 'net.inet.tcp.rexmit_initial': cfg.initialRtoMs = intValue(name, value); return;
    case 'net.inet.tcp.rexmit_slop': cfg.rtoSlopMs = intValue(name, value); return;
    case 'net.inet.tcp.rexmit_min': cfg.minRtoMs = intValue(name, value); return;
    case 'net.inet.tcp.keepidle': cfg.keepalive = { ...cfg.keepalive, idleMs: intValue(name, value) }; return;
    case 'net.inet.tcp.keepintvl': cfg.keepalive = { ...cfg.keepalive, intervalMs: intValue(name, value) }; return;
    case 'net.inet.tcp.keepcnt': cfg.keepalive = { ...cfg.keepalive, count: intValue(name, value) }; return;
    case 'net.inet.tcp.keepinit': env.setKeepInitMs(intValue(name, value)); return;
    case 'net.inet.tcp.rfc1323': {
      const on = boolValue(name, value);
      cfg.timestamps = on;
      cfg.windowScale = on ? Math.max(0, cfg.windowScale) : -1;
      return;
    }
    case 'net.inet.tcp.sack.enable': cfg.sack = boolValue(name, value); return;
    case 'net.inet.tcp.ecn.enable':
      // 0: never; 2: only when the peer asks (synstack never answers ECN: a script whose remote asks
      // uses E/W flags, a construct the exclusions name). 1 (ask ourselves) is not possible.
      if (value === '0' || value === '2') return;
      throw new Unsupported(`${name}=${value} (synstack does not negotiate ECN)`);
    case 'net.inet.tcp.recvspace': case 'net.inet.tcp.sendspace': {
      const have = name.endsWith('recvspace') ? env.buffers.receiveBuffer : env.buffers.sendBuffer;
      if (intValue(name, value) !== have) throw new Unsupported(`${name}=${value} after the stack was built with ${have}-byte buffers`);
      return;
    }
    case 'net.inet.tcp.syncookies': case 'net.inet.tcp.syncookies_only': {
      // The SYN defence mode sizes the SYN cache and sets up its path when the stack is built
      // (SynDefenceConfig): a script may only ask for the mode it was built with.
      const built = cfg.synDefence.mode;
      const on = boolValue(name, value);
      let mode = built;
      if (name.endsWith('_only')) mode = on ? 'cookies' : built === 'cookies' ? 'overflow' : built;
      else if (built !== 'cookies') mode = on ? 'overflow' : 'cache';
      if (mode !== built) throw new Unsupported(`${name}=${value} (SYN defence mode ${mode}) after the stack was built in mode ${built}`);
      return;
    }
    case 'net.inet.tcp.rexmit_drop_options':
      // synstack never drops options from a retransmitted SYN: the same as 0.
      if (value === '0') return;
      throw new Unsupported(`${name}=${value}`);
    case 'net.inet.tcp.blackhole':
      if (value === '0') return;
      throw new Unsupported(`${name}=${value}`);
    case 'net.inet.tcp.hostcache.purgenow': case 'kern.ipc.maxsockbuf':
      // No host cache; no socket-buffer ceiling (the rings are what they are).
      return;
    default:
      throw new Unsupported(`sysctl ${name}`);
  }
}

/** Split on `|` outside quotes. */
function pipeline(cmd: string): string[] {
  const out: string[] = [];
  let cur = '', q: string | null = null;
  for (const ch of cmd) {
    if (q !== null) {
      if (ch === q) q = null;
      cur += ch;
    } else if (ch === '"' || ch === "'") {
      q = ch;
      cur += ch;
    } else if (ch === '|') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

function words(stage: string): string[] {
  return (stage.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, ''));
}

/** sockstat's listing (FreeBSD columns, -s adds the TCP state). */
function sockstat(env: ShellEnv, args: string[]): string[] {
  let v4 = true, tcp = true, withState = false, listening = false, connected = false;
  let ports: number[] | null = null;
  let header = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    switch (a) {
      case '-4': break;
      case '-6': v4 = false; break;
      case '-s': withState = true; break;
      case '-l': listening = true; break;
      case '-c': connected = true; break;
      case '-q': header = false; break;
      case '-P': tcp = (args[++i] ?? '').split(',').includes('tcp'); break;
      case '-p': ports = (args[++i] ?? '').split(',').map(Number); break;
      default: throw new Unsupported(`sockstat ${a}`);
    }
  }
  const local = ipv4ToString(env.stack.localIp), remote = ipv4ToString(env.stack.remoteIp);
  type Row = { user: string; fd: string; lport: number | null; rport: number | null; state: string };
  const rows: Row[] = [];
  const ours = env.sockets.describe();
  for (const s of ours) rows.push({ user: 'root     packetdrill 4242', fd: String(s.fd), lport: s.localPort, rport: s.remotePort, state: s.state });
  const held = new Set([...env.sockets.sockets.values()].map((s) => s.conn).filter((c) => c !== null));
  const tcp_ = env.stack.tcp;
  for (const c of tcp_.connections) {
    if (held.has(c) || c.stateName === 'CLOSED') continue;
    rows.push({ user: '?        ?           ?', fd: '?', lport: c.v[LOCAL_PORT], rport: c.v[REMOTE_PORT], state: BSD_STATE[c.stateName] ?? c.stateName });
  }
  for (const [lp, rp] of env.flows()) {
    if (tcp_.timeWait.find(env.stack.localIp, lp, env.stack.remoteIp, rp) < 0) continue;
    const mine = ours.some((s) => s.state === 'TIME_WAIT' && s.localPort === lp && s.remotePort === rp);
    if (!mine) rows.push({ user: '?        ?           ?', fd: '?', lport: lp, rport: rp, state: 'TIME_WAIT' });
  }
  for (const l of tcp_.listeners) {
    if (!l.open) continue;
    const blocks = tcp_.connections.filter((c) => (c.flags & PASSIVE) !== 0 && c.v[LISTENER_INDEX] === l.index && c.stateName === 'SYN-RECEIVED').length;
    for (let i = 0; i < l.halfOpen - blocks; i++) rows.push({ user: '?        ?           ?', fd: '?', lport: l.port, rport: null, state: 'SYN_RCVD' });
  }
  const lines: string[] = [];
  if (header) lines.push(`USER     COMMAND     PID   FD  PROTO  LOCAL ADDRESS         FOREIGN ADDRESS       ${withState ? 'PATH STATE   CONN STATE' : ''}`.trimEnd());
  if (!v4 || !tcp) return lines;
  for (const r of rows) {
    if (ports !== null && !ports.some((p) => p === r.lport || p === r.rport)) continue;
    if (listening && r.state !== 'LISTEN') continue;
    if (connected && r.state === 'LISTEN') continue;
    const la = r.lport === null ? '*:*' : `${local}:${r.lport}`;
    const ra = r.rport === null ? '*:*' : `${remote}:${r.rport}`;
    lines.push(`${r.user} ${r.fd.padStart(4)} tcp4   ${la.padEnd(21)} ${ra.padEnd(21)}${withState ? ` ${r.state}` : ''}`);
  }
  return lines;
}

function grep(args: string[], input: string[]): { out: string[]; status: number } {
  let count = false, invert = false, quiet = false, ignoreCase = false;
  let pattern: string | null = null;
  for (const a of args) {
    if (pattern === null && /^-[cvqi]+$/.test(a)) {
      for (const f of a.slice(1)) {
        if (f === 'c') count = true;
        if (f === 'v') invert = true;
        if (f === 'q') quiet = true;
        if (f === 'i') ignoreCase = true;
      }
    } else if (pattern === null) pattern = a;
    else throw new Unsupported(`grep with files (${a})`);
  }
  if (pattern === null) throw new Unsupported('grep without a pattern');
  const re = new RegExp(pattern, ignoreCase ? 'i' : '');
  const hits = input.filter((l) => re.test(l) !== invert);
  const status = hits.length > 0 ? 0 : 1;
  if (quiet) return { out: [], status };
  return { out: count ? [String(hits.length)] : hits, status };
}

/** Run one back-quoted line. */
export function runCommand(env: ShellEnv, command: string): CommandResult {
  const cmd = command.trim();
  const sysctls = parseSysctl(cmd);
  if (sysctls !== null) {
    for (const s of sysctls) applySysctl(env, s);
    return { ok: true, detail: '' };
  }
  const stages = pipeline(cmd);
  const first = words(stages[0]!);
  if (first[0] !== 'sockstat') throw new Unsupported(`shell command \`${cmd.split(/\s+/)[0]}\``);
  let out = sockstat(env, first.slice(1));
  let status = 0;
  for (const stage of stages.slice(1)) {
    const w = words(stage);
    if (w[0] !== 'grep') throw new Unsupported(`${w[0]} in a sockstat pipeline`);
    const r = grep(w.slice(1), out);
    out = r.out;
    status = r.status;
  }
  return { ok: status === 0, detail: status === 0 ? '' : `\`${cmd}\` exited with status ${status}\nsockstat listed:\n${sockstat(env, first.slice(1)).join('\n')}` };
}
