// Matching one segment synstack sent against the `>` line that expects it, field by field, with
// the relaxations of a Profile; and printing segments in script syntax (relative numbers) for
// failure messages.

import type { TcpOption } from './ast';
import type { Captured, WireOption } from './net';
import { TCP_AE } from './net';
import { printTcpOption } from './printer';
import type { Profile, Relaxation } from './profile';

export const FLAG_BITS: Readonly<Record<string, number>> = Object.freeze({
  F: 0x01, S: 0x02, R: 0x04, P: 0x08, '.': 0x10, U: 0x20, E: 0x40, W: 0x80, A: TCP_AE,
});

export function flagsFromText(text: string): number {
  if (text === '-') return 0;
  let f = 0;
  for (const ch of text) f |= FLAG_BITS[ch] ?? 0;
  return f;
}

/** Flags in script spelling: letters in S F R P U E W A order, then '.' for ACK. */
export function flagsToText(f: number): string {
  let s = '';
  for (const ch of ['S', 'F', 'R', 'P', 'U', 'E', 'W', 'A']) if (f & FLAG_BITS[ch]!) s += ch;
  if (f & 0x10) s += '.';
  return s === '' ? '-' : s;
}

/** A `>` line with its numbers translated to live ones. */
export interface ExpectedTcp {
  flags: number;
  /** null: `...` (any sequence number). */
  seq: number | null;
  ack: number;
  /** null: no `win` written (not compared). */
  win: number | null;
  urg: number;
  len: number;
  /** 'any': `<...>` (not compared). SACK blocks already translated. */
  options: TcpOption[] | 'any';
  srcPort: number;
  dstPort: number;
  ttl: number | null;
  tos: number | null;
}

export interface MatchResult {
  mismatches: string[];
  relaxed: Relaxation[];
}

function optionText(o: WireOption): string {
  return o.kind === 'unknown' ? `opt-${o.code}(len ${o.length})` : printTcpOption(o);
}

/** TS val is not compared (packetdrill compares it only with --tcp_ts_tick_usecs; the runner checks that itself). */
function sameOption(e: TcpOption, a: WireOption, p: Profile, relaxed: Set<Relaxation>): boolean {
  if (e.kind !== a.kind) return false;
  switch (e.kind) {
    case 'mss': {
      const v = (a as { value: number }).value;
      if (v === e.value) return true;
      if (p.mssValue === 'any') {
        relaxed.add('mss-value');
        return true;
      }
      return false;
    }
    case 'wscale': {
      const v = (a as { value: number }).value;
      if (v === e.value) return true;
      if (p.wscaleValue === 'any') {
        relaxed.add('wscale-value');
        return true;
      }
      return false;
    }
    case 'sack': {
      const b = (a as { blocks: [number, number][] }).blocks;
      return b.length === e.blocks.length && b.every(([l, r], i) => l === e.blocks[i]![0] >>> 0 && r === e.blocks[i]![1] >>> 0);
    }
    default:
      return true;
  }
}

function compareOptions(exp: TcpOption[], act: WireOption[], p: Profile, out: string[], relaxed: Set<Relaxation>): void {
  const show = (l: readonly WireOption[]): string => `<${l.map(optionText).join(',')}>`;
  // packetdrill's rule first: same list, same order, same padding.
  const exactTry = new Set<Relaxation>();
  const sameLayout = exp.length === act.length && exp.every((o, i) => sameOption(o, act[i]!, p, exactTry));
  if (sameLayout) {
    for (const r of exactTry) relaxed.add(r);
    return;
  }
  const e = exp.filter((o) => o.kind !== 'nop' && o.kind !== 'eol');
  const a = act.filter((o) => o.kind !== 'nop' && o.kind !== 'eol');
  const setTry = new Set<Relaxation>();
  let sameSet = e.length === a.length;
  if (sameSet) {
    const left = [...a];
    for (const o of e) {
      const i = left.findIndex((x) => sameOption(o, x, p, setTry));
      if (i < 0) {
        sameSet = false;
        break;
      }
      left.splice(i, 1);
    }
  }
  if (sameSet && p.optionLayout === 'set') {
    relaxed.add('option-layout');
    for (const r of setTry) relaxed.add(r);
    return;
  }
  out.push(`options: expected ${show(exp)}, got ${show(act)}`);
}

/** Compare what synstack sent with the translated expectation. */
export function matchTcp(exp: ExpectedTcp, c: Captured, p: Profile, localIss: number | null = null): MatchResult {
  const out: string[] = [];
  const relaxed = new Set<Relaxation>();
  const t = c.tcp;
  if (t === null) return { mismatches: [`expected a TCP segment, got an IP protocol ${c.protocol} packet`], relaxed: [] };
  if (t.srcPort !== exp.srcPort || t.dstPort !== exp.dstPort) {
    out.push(`ports: expected ${exp.srcPort} > ${exp.dstPort}, got ${t.srcPort} > ${t.dstPort}`);
  }
  if (t.flags !== exp.flags) out.push(`flags: expected ${flagsToText(exp.flags)}, got ${flagsToText(t.flags)}`);
  if (exp.seq !== null && t.seq !== exp.seq >>> 0) {
    // In script numbers (relative to synstack's ISS) when it is known.
    const rel = (v: number): number => (v - (localIss ?? 0)) >>> 0;
    out.push(`seq: expected ${rel(exp.seq)}, got ${rel(t.seq)}${localIss === null ? '' : ' (relative to ISS)'}`);
  }
  if (t.ack !== exp.ack >>> 0) out.push(`ack: expected ${exp.ack >>> 0}, got ${t.ack}`);
  if (t.payload.length !== exp.len) out.push(`length: expected ${exp.len}, got ${t.payload.length}`);
  if (t.urg !== exp.urg) out.push(`urgent pointer: expected ${exp.urg}, got ${t.urg}`);
  if (exp.win !== null && t.win !== exp.win) {
    const rst = (t.flags & 0x04) !== 0 && (exp.flags & 0x04) !== 0;
    if (rst && p.rstWindow === 'ignore') relaxed.add('rst-window');
    else if (!rst && p.window === 'zero-agrees' && (t.win === 0) === (exp.win === 0)) relaxed.add('window');
    else out.push(`window: expected ${exp.win}, got ${t.win}`);
  }
  if (exp.options !== 'any') compareOptions(exp.options, t.options, p, out, relaxed);
  if (exp.ttl !== null && c.ttl !== exp.ttl) out.push(`ttl: expected ${exp.ttl}, got ${c.ttl}`);
  if (exp.tos !== null && c.tos !== exp.tos) out.push(`tos: expected 0x${exp.tos.toString(16)}, got 0x${c.tos.toString(16)}`);
  return { mismatches: out, relaxed: out.length === 0 ? [...relaxed] : [] };
}

/**
 * A captured segment in script syntax, with synstack's sequence numbers relative to `localIss`
 * (when known) and the remote's as they are, e.g. `R. 1:1(0) ack 2 win 0`.
 */
export function formatCaptured(c: Captured, localIss: number | null): string {
  const t = c.tcp;
  if (t === null) return c.icmp ? `icmp type ${c.icmp.type} code ${c.icmp.code}` : `IP protocol ${c.protocol}`;
  const base = localIss ?? 0;
  const rel = (v: number): number => (v - base) >>> 0;
  const start = rel(t.seq), len = t.payload.length;
  const ip: string[] = [];
  if (c.tos !== 0) ip.push(`tos 0x${c.tos.toString(16)}`);
  if (c.ttl !== 64) ip.push(`ttl ${c.ttl}`);
  let s = `${ip.length > 0 ? `(${ip.join(', ')}) ` : ''}${flagsToText(t.flags)} ${start}:${(start + len) >>> 0}(${len})`;
  if (t.flags & 0x10 || t.ack !== 0) s += ` ack ${t.ack}`;
  s += ` win ${t.win}`;
  if (t.urg !== 0) s += ` urg ${t.urg}`;
  if (t.options.length > 0) s += ` <${t.options.map(optionText).join(',')}>`;
  return s;
}
