// npm run conformance -- [paths...] [options]
//
// Runs packetdrill scripts against synstack and prints PASS / FAIL / SKIP per script with the
// reason; the last line is exactly `N passed, N failed, N skipped`. With no paths it runs the
// whole shared suite (../shared/conformance/, read in place). Any .pkt file or directory may be
// given. The exit status is 0 even when scripts fail, unless --floor N is given and fewer than N
// passed (2), or the command line is wrong (1).
//
//   --report FILE      write the Markdown report (docs/conformance.md)
//   --floor N          exit 2 when fewer than N scripts pass
//   --profile NAME     freebsd-vs-synstack (default) or strict
//   -D NAME, --define NAME
//                      define NAME for #ifdef (default: STANDARD; --define none for nothing)
//   --exclusions FILE  another exclusions file (default hosttest/packetdrill/exclusions.json)
//   --json FILE        write every outcome as JSON
//   --ignore-command RE
//                      run shell lines matching the regular expression RE as no-ops (for lines
//                      that only prepare a Linux host, e.g. 'defaults.sh'); listed as warnings
//   -v, --verbose      print expected/actual and context under each failure
//   --trace            print the exchange of each failing script (of every script with -v)

import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXCLUSIONS_FILE, loadExclusions } from './exclusions';
import { PROFILES } from './profile';
import { type Explanation, renderReport, summaryLine } from './report';
import { REPO_ROOT, SHARED_CONFORMANCE, discover, runFiles, type ScriptOutcome } from './suite';

interface Args {
  paths: string[];
  report: string | null;
  json: string | null;
  floor: number | null;
  profile: string;
  defines: string[] | null;
  exclusions: string;
  verbose: boolean;
  trace: boolean;
  ignoreCommands: RegExp[];
}

function usage(msg: string): never {
  process.stderr.write(`conformance: ${msg}\nusage: npm run conformance -- [paths...] [--report FILE] [--floor N] [--profile NAME] [-D NAME[=VALUE]] [--exclusions FILE] [--json FILE] [--ignore-command RE] [-v] [--trace]\n`);
  process.exit(1);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { paths: [], report: null, json: null, floor: null, profile: 'freebsd-vs-synstack', defines: null, exclusions: EXCLUSIONS_FILE, verbose: false, trace: false, ignoreCommands: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const eq = arg.indexOf('=');
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v;
    };
    const name = arg.startsWith('--') && arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    switch (name) {
      case '--report': a.report = value(); break;
      case '--json': a.json = value(); break;
      case '--floor': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 0) usage('--floor needs a non-negative integer');
        a.floor = v;
        break;
      }
      case '--profile': a.profile = value(); break;
      case '-D': case '--define': {
        const v = value();
        a.defines ??= [];
        if (v !== 'none') a.defines.push(v);
        break;
      }
      case '--exclusions': a.exclusions = value(); break;
      case '--ignore-command': {
        const v = value();
        try {
          a.ignoreCommands.push(new RegExp(v));
        } catch {
          usage(`--ignore-command: bad regular expression ${v}`);
        }
        break;
      }
      case '-v': case '--verbose': a.verbose = true; break;
      case '--trace': a.trace = true; break;
      case '-h': case '--help': usage('help');
      default:
        if (arg.startsWith('-')) usage(`unknown option ${arg}`);
        a.paths.push(arg);
    }
  }
  return a;
}

function print(o: ScriptOutcome, args: Args): void {
  const tag = o.status === 'pass' ? 'PASS' : o.status === 'fail' ? 'FAIL' : 'SKIP';
  const out: string[] = [`${tag} ${o.rel}${o.reason ? `: ${o.reason}` : ''}`];
  const f = o.failure;
  if (o.status === 'fail' && f !== null && (args.verbose || args.trace)) {
    if (f.expected !== undefined) out.push(`    expected: ${f.expected}`);
    if (f.actual !== undefined) out.push(`    actual:   ${f.actual}`);
    for (const d of f.detail) out.push(`    ${d}`);
  }
  for (const w of o.warnings) out.push(`    warning: ${w}`);
  if ((args.trace && o.status === 'fail') || (args.trace && args.verbose)) for (const t of o.trace) out.push(`    | ${t}`);
  process.stdout.write(out.join('\n') + '\n');
}

/** Why the scripts that still fail fail, for the report. */
const EXPLANATIONS_FILE = fileURLToPath(new URL('./explanations.json', import.meta.url));

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const profile = PROFILES[args.profile];
  if (profile === undefined) usage(`unknown profile ${args.profile} (${Object.keys(PROFILES).join(', ')})`);
  const defines = args.defines ?? ['STANDARD'];
  let exclusions;
  try {
    exclusions = loadExclusions(resolve(args.exclusions));
  } catch (e) {
    usage((e as Error).message);
  }
  let files: string[];
  try {
    files = discover(args.paths.length > 0 ? args.paths : [SHARED_CONFORMANCE]);
  } catch (e) {
    usage((e as Error).message);
  }
  if (files.length === 0) usage('no .pkt scripts found');
  const outcomes = runFiles(files, { exclusions, profile, defines, ignoreCommands: args.ignoreCommands }, (o) => print(o, args));
  if (args.json !== null) writeFileSync(args.json, JSON.stringify(outcomes, null, 1) + '\n');
  if (args.report !== null) {
    const cmd = ['npm run conformance --', ...process.argv.slice(2)].join(' ');
    const explanations = (JSON.parse(readFileSync(EXPLANATIONS_FILE, 'utf8')) as { rules: Explanation[] }).rules;
    writeFileSync(args.report, renderReport(outcomes, { profile, defines, command: cmd, explanations }));
    process.stdout.write(`report written to ${relative(REPO_ROOT, resolve(args.report))}\n`);
  }
  const passed = outcomes.filter((o) => o.status === 'pass').length;
  process.stdout.write(`${summaryLine(outcomes)}\n`);
  if (args.floor !== null && passed < args.floor) {
    process.stderr.write(`conformance: ${passed} passed, below the floor of ${args.floor}\n`);
    process.exitCode = 2;
  }
}

main();
