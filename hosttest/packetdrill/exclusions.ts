// Which scripts are skipped, and why. Only a rule of exclusions.json can make a script SKIP; each
// rule names a reason and matches by path (a glob relative to the suite root, `*` within a path
// segment, `**` across them) or by construct: a tag the parser's output carries, such as
// `sockopt:TCP_MD5SIG`, `tcp-option:md5`, `flag:E`, `udp-encapsulation`, `option:udp_encapsulation`,
// `sysctl:net.inet.tcp.ecn.enable=1`, `command:kldstat`, `syscall:poll`, `ip:tos`. A rule with
// both matches when both do. Constructs may be globs too (`sockopt:TCP_RACK_*`).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Expr, Script } from './ast';

export interface ExclusionRule {
  id: string;
  path?: string;
  construct?: string;
  reason: string;
}

export interface Exclusions {
  rules: ExclusionRule[];
}

export const EXCLUSIONS_FILE = fileURLToPath(new URL('./exclusions.json', import.meta.url));

export function loadExclusions(file = EXCLUSIONS_FILE): Exclusions {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const rules = (raw as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) throw new Error(`${file}: expected { "rules": [...] }`);
  const seen = new Set<string>();
  for (const r of rules as ExclusionRule[]) {
    if (typeof r.id !== 'string' || typeof r.reason !== 'string' || r.reason.trim() === '') throw new Error(`${file}: every rule needs an id and a reason`);
    if (r.path === undefined && r.construct === undefined) throw new Error(`${file}: rule ${r.id} matches nothing (give path or construct)`);
    if (seen.has(r.id)) throw new Error(`${file}: duplicate rule id ${r.id}`);
    seen.add(r.id);
  }
  return { rules: rules as ExclusionRule[] };
}

/** A glob as a regular expression: `**` any characters, `*` any but '/', `?` one but '/'. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function exprWords(e: Expr, out: Set<string>): void {
  switch (e.kind) {
    case 'word': out.add(e.name); break;
    case 'binary': exprWords(e.lhs, out); exprWords(e.rhs, out); break;
    case 'array': for (const i of e.items) exprWords(i, out); break;
    case 'struct': for (const f of e.fields) exprWords(f.value, out); break;
    case 'call': for (const a of e.args) exprWords(a, out); break;
    default: break;
  }
}

/** The constructs a script uses, as tags. */
export function constructs(script: Script): Set<string> {
  const tags = new Set<string>();
  for (const o of script.options) {
    tags.add(`option:${o.name}`);
    if (o.value !== null) tags.add(`option:${o.name}=${o.value}`);
  }
  const commands = [...(script.initCommand ? [script.initCommand.command] : []), ...(script.cleanupCommand ? [script.cleanupCommand.command] : [])];
  for (const e of script.events) {
    switch (e.type) {
      case 'packet': {
        const p = e.packet;
        tags.add(p.proto);
        for (const it of p.ip?.items ?? []) tags.add(`ip:${it.key}`);
        if (p.proto === 'tcp') {
          for (const ch of p.flags) if ('UEWA'.includes(ch)) tags.add(`flag:${ch}`);
          if (p.udpEncaps !== null) tags.add('udp-encapsulation');
          if (p.options !== null && p.options !== 'any') for (const o of p.options) tags.add(`tcp-option:${o.kind}`);
          if (p.urg !== null) tags.add('urgent');
        }
        break;
      }
      case 'syscall': {
        tags.add(`syscall:${e.call.name}`);
        if (e.call.name === 'setsockopt' || e.call.name === 'getsockopt') {
          const name = e.call.args[2];
          if (name?.kind === 'word') tags.add(`sockopt:${name.name}`);
        }
        const words = new Set<string>();
        for (const a of e.call.args) exprWords(a, words);
        for (const w of words) if (/^(MSG|O)_/.test(w)) tags.add(`flag:${w}`);
        break;
      }
      case 'command':
        commands.push(e.command);
        break;
      case 'code':
        tags.add('code');
        break;
    }
  }
  for (const c of commands) {
    for (const part of c.split(/[;|&]+/)) {
      const w = part.trim().split(/\s+/);
      if (w[0] === undefined || w[0] === '') continue;
      tags.add(`command:${w[0]}`);
      if (w[0] === 'sysctl') {
        for (const a of w.slice(1)) {
          if (a.startsWith('-')) continue;
          const [name, value] = a.split('=');
          tags.add(`sysctl:${name}`);
          if (value !== undefined) tags.add(`sysctl:${name}=${value}`);
        }
      }
    }
  }
  return tags;
}

export interface ExclusionMatch {
  rule: ExclusionRule;
  /** The construct tag that matched, if the rule names one. */
  tag: string | null;
}

/** The first rule that excludes the script, or null. `relPath` is relative to the suite root, '/'-separated. */
export function excluded(ex: Exclusions, relPath: string, tags: ReadonlySet<string> | null): ExclusionMatch | null {
  for (const rule of ex.rules) {
    if (rule.path !== undefined && !globToRegExp(rule.path).test(relPath)) continue;
    let tag: string | null = null;
    if (rule.construct !== undefined) {
      if (tags === null) continue;
      const re = globToRegExp(rule.construct);
      tag = [...tags].find((t) => re.test(t)) ?? null;
      if (tag === null) continue;
    }
    return { rule, tag };
  }
  return null;
}
