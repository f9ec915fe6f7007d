// Running many scripts: finding them, applying the exclusions, parsing and running each on a fresh
// stack, and classifying the outcome (PASS, FAIL with the first failure, SKIP with the rule).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constructs, excluded, type Exclusions } from './exclusions';
import { ScriptError, parseScript } from './parser';
import type { Profile, Relaxation } from './profile';
import { type Failure, runScript } from './runner';

/** The repository root (hosttest/packetdrill/../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The shared conformance scripts, read in place (never copied into the repository). */
export const SHARED_CONFORMANCE = resolve(REPO_ROOT, '..', 'shared', 'conformance');

export interface ScriptOutcome {
  /** Absolute path. */
  path: string;
  /** Relative to the shared conformance directory when inside it, else to the working directory. */
  rel: string;
  /** e.g. `state-event-engine`, `snippets`, `socket-api`, or the directory of another script. */
  group: string;
  /** e.g. `rcv-rst-syn-rcvd` (the directory below the group), or '' */
  subgroup: string;
  status: 'pass' | 'fail' | 'skip';
  /** SKIP: `rule id: reason`; FAIL: `line N: message`. */
  reason: string;
  failure: Failure | null;
  relaxed: Partial<Record<Relaxation, number>>;
  warnings: string[];
  trace: string[];
}

export interface SuiteOptions {
  exclusions: Exclusions;
  profile: Profile;
  defines: string[];
  seed?: number;
  ignoreCommands?: RegExp[];
}

/** The given files, and every .pkt file under the given directories (sorted), in the order given. */
export function discover(paths: string[]): string[] {
  const out = new Set<string>();
  const walk = (p: string): void => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) walk(join(p, name));
    } else if (p.endsWith('.pkt')) out.add(resolve(p));
  };
  for (const p of paths) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (st === undefined) throw new Error(`no such file or directory: ${p}`);
    if (st.isFile()) out.add(resolve(p)); // any file named explicitly, .pkt or not
    else walk(p);
  }
  return [...out];
}

function classify(path: string): { rel: string; group: string; subgroup: string } {
  const inShared = path.startsWith(SHARED_CONFORMANCE + sep);
  const rel = (inShared ? relative(SHARED_CONFORMANCE, path) : relative(process.cwd(), path)).split(sep).join('/');
  const parts = rel.split('/');
  if (inShared && parts[0] === 'freebsd-tcp-testsuite' && parts.length >= 3) {
    return { rel, group: parts[1]!, subgroup: parts.length >= 4 ? parts[2]! : '' };
  }
  return { rel, group: parts.length > 1 ? parts.slice(0, -1).join('/') : '.', subgroup: '' };
}

export function runOne(path: string, opts: SuiteOptions): ScriptOutcome {
  const { rel, group, subgroup } = classify(path);
  const base = { path, rel, group, subgroup, failure: null, relaxed: {}, warnings: [], trace: [] };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ...base, status: 'fail', reason: `cannot read: ${(e as Error).message}` };
  }
  let script;
  try {
    script = parseScript(text, rel, { defines: opts.defines });
  } catch (e) {
    const pathRule = excluded(opts.exclusions, rel, null);
    if (pathRule) return { ...base, status: 'skip', reason: `${pathRule.rule.id}: ${pathRule.rule.reason}` };
    if (e instanceof ScriptError) {
      const failure: Failure = { line: e.line, kind: 'error', message: `parse error: ${e.detail}`, detail: [] };
      return { ...base, status: 'fail', reason: `line ${e.line}: parse error: ${e.detail}`, failure };
    }
    throw e;
  }
  const ex = excluded(opts.exclusions, rel, constructs(script));
  if (ex) return { ...base, status: 'skip', reason: `${ex.rule.id}${ex.tag ? ` (${ex.tag})` : ''}: ${ex.rule.reason}` };
  const r = runScript(script, { profile: opts.profile, seed: opts.seed, ignoreCommands: opts.ignoreCommands });
  if (r.status === 'pass') return { ...base, status: 'pass', reason: '', relaxed: r.relaxed, warnings: r.warnings, trace: r.trace };
  const f = r.failure!;
  return { ...base, status: 'fail', reason: `line ${f.line}: ${f.message}`, failure: f, relaxed: r.relaxed, warnings: r.warnings, trace: r.trace };
}

export function runFiles(files: string[], opts: SuiteOptions, onResult?: (o: ScriptOutcome) => void): ScriptOutcome[] {
  const out: ScriptOutcome[] = [];
  for (const f of files) {
    const o = runOne(f, opts);
    out.push(o);
    onResult?.(o);
  }
  return out;
}

/**
 * A short name for what went wrong, the same for failures of the same cause: the kind, and for
 * segment mismatches the fields that differ (flags with their values).
 */
export function causeKey(f: Failure): string {
  const base = baseCause(f);
  return f.drops !== undefined && f.drops.length > 0 && (f.kind === 'unexpected' || f.kind === 'missing' || f.kind === 'mismatch' || f.kind === 'syscall' || f.kind === 'command')
    ? `${base} (synstack dropped the segment before: ${f.drops.join(', ')})`
    : base;
}

function baseCause(f: Failure): string {
  const norm = (s: string): string => s.replace(/\d+(\.\d+)?/g, 'N');
  switch (f.kind) {
    case 'mismatch':
    case 'unexpected': {
      const fields = f.message.split('; ').map((m) => {
        const flags = /^flags: expected (\S+), got (\S+)$/.exec(m);
        if (flags) return `flags ${flags[1]} → ${flags[2]}`;
        return m.split(':')[0]!;
      });
      if (f.kind === 'unexpected' && f.actual) {
        return `unexpected segment ${f.actual.split(' ')[0]}${f.message.startsWith('synstack sent') ? '' : ` (${fields.join(', ')})`}`;
      }
      return `segment differs: ${fields.join(', ')}`;
    }
    case 'missing':
      return `missing segment ${(f.expected ?? '').split(' ').slice(0, 2).join(' ')}`;
    case 'syscall':
      return `system call: ${norm(f.message)}`;
    case 'timing':
      return `timing: ${norm(f.message).replace(/at N s/g, 'at t')}`;
    default:
      return `${f.kind}: ${norm(f.message)}`;
  }
}
