// The XS runner: bundles a TypeScript scenario together with the core (src/) and runs it inside
// Moddable's XS engine, so an XS incompatibility in the core fails the tests.
//
// API
//   const run = await runInXs('hosttest/xs/scenarios/ping.ts', { timeoutMs: 5000, args: { n: 3 } });
//   run.ok      true only if the scenario reported exactly one result, nothing threw (synchronously
//               or in a promise job), XS exited cleanly and the time limit was not hit
//   run.result  the JSON value the scenario reported (undefined if none)
//   run.output  the lines it printed with log(...) or print(...), in order
//   run.error   why ok is false: the exception (message + XS stack mapped back to the .ts files),
//               a bundle error, "timed out", "no result reported", XS's exit status...
//   run.stderr  what xsnap-worker itself wrote to stderr (e.g. "Unhandled exception ...")
//   run.timings { bundleMs, runMs }
// A scenario (hosttest/xs/scenarios/*.ts) imports ../scenario-api.ts and calls
// `scenario(args => result)` (or `report(result)` once); see that file. It may import anything
// under src/ but nothing from Node: the bundle uses platform "neutral", so importing a Node
// built-in fails the bundle, and using a Node global (process, Buffer) throws in XS. XS has no
// setTimeout; promise jobs run to completion before the run ends. Relative entry paths are
// resolved against the repository root. Infrastructure problems (no xsnap binary, cannot spawn)
// throw; everything the scenario does wrong comes back as ok=false. Each call bundles afresh and
// runs in a new XS machine (~35 ms in all). hosttest/xs/fixtures/ holds the runner's own failing
// scenarios (smoke.test.ts); real scenarios go in hosttest/xs/scenarios/.
//
// How XS is run. The @agoric/xsnap package builds `xsnap-worker` from C at install (see
// "allowScripts" in package.json) and wraps it in a JS API, but that API imports SES
// (@endo/init), which locks down the globals of whatever process imports it; vitest must not be
// that process. Rather than a Node driver process in between (one more process start plus SES
// initialisation per run), we spawn the worker binary directly and speak its small protocol:
// netstrings ("<length>:<bytes>,") on fd 3 (to XS) and fd 4 (from XS). We send "e<code>" (evaluate
// a script), XS answers "." (done, promise jobs drained) or "!<message>" (uncaught exception);
// while running, the scenario's issueCommand(buffer) arrives as "?<bytes>" and we answer "/<bytes>";
// "q" makes the worker exit. Only the worker binary of the pinned @agoric/xsnap is used.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { build, type BuildFailure, type Message } from 'esbuild';
import type { ScenarioMessage } from './scenario-api';

export interface XsRunOptions {
  /**
   * Wall-clock limit (ms) for starting XS and running the scenario, bundling excluded; default 4000,
   * under vitest's 5 s test timeout. A longer scenario raises both.
   */
  timeoutMs?: number;
  /** A JSON value the scenario reads with `args()` (or receives from `scenario(body)`). */
  args?: unknown;
}

export interface XsRunResult {
  ok: boolean;
  output: string[];
  result: unknown;
  error?: string;
  stderr: string;
  timings: { bundleMs: number; runMs: number };
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Path of the xsnap-worker binary built by @agoric/xsnap's install script. */
export function xsnapWorkerPath(): string {
  const packageJson = createRequire(import.meta.url).resolve('@agoric/xsnap/package.json');
  const platform = process.platform === 'darwin' ? 'mac' : 'lin';
  return path.join(path.dirname(packageJson), 'xsnap-native/xsnap/build/bin', platform, 'release/xsnap-worker');
}

interface Bundle {
  code: string;
  /** Maps a line of `code` (1-based) to "file.ts:line" in the sources. */
  sourceOf(line: number): string | undefined;
}

async function bundle(entry: string): Promise<Bundle | { error: string }> {
  try {
    const built = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      // Never written (write: false); it only makes source paths in the map relative to the repo.
      outfile: path.join(repoRoot, 'xs-bundle.js'),
      format: 'iife',
      platform: 'neutral',
      target: 'es2022',
      sourcemap: 'external',
      sourcesContent: false,
      legalComments: 'none',
      logLevel: 'silent',
      absWorkingDir: repoRoot,
    });
    const js = built.outputFiles.find((file) => file.path.endsWith('.js'));
    const map = built.outputFiles.find((file) => file.path.endsWith('.js.map'));
    if (js === undefined || map === undefined) return { error: 'esbuild produced no bundle' };
    const lines = decodeLineMappings(JSON.parse(map.text) as RawSourceMap);
    return {
      code: js.text,
      sourceOf: (line) => lines.get(line),
    };
  } catch (error) {
    const messages: Message[] = (error as BuildFailure).errors ?? [];
    if (messages.length === 0) return { error: `bundle failed: ${String(error)}` };
    const text = messages.map((m) => {
      const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : '';
      return where + m.text;
    });
    return { error: `bundle failed: ${text.join('\n')}` };
  }
}

interface RawSourceMap {
  sources: string[];
  mappings: string;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Source map v3 "mappings" → for each generated line (1-based) the source file and line (1-based)
 * of its first mapped segment. XS stacks carry line numbers only, so that is all we need.
 */
function decodeLineMappings(map: RawSourceMap): Map<number, string> {
  const result = new Map<number, string>();
  let source = 0;
  let sourceLine = 0;
  const lines = map.mappings.split(';');
  for (let generated = 0; generated < lines.length; generated++) {
    for (const segment of lines[generated]!.split(',')) {
      if (segment === '') continue;
      const fields = decodeVlq(segment);
      if (fields.length < 4) continue;
      // [generated column, source index, source line, source column, name]; all but the first
      // are deltas that carry across lines; columns and names are not needed here.
      source += fields[1]!;
      sourceLine += fields[2]!;
      if (!result.has(generated + 1)) result.set(generated + 1, `${map.sources[source]}:${sourceLine + 1}`);
    }
  }
  return result;
}

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    if (digit < 0) throw new Error(`bad source map character ${char}`);
    value += (digit & 31) * 2 ** shift;
    shift += 5;
    if ((digit & 32) === 0) {
      values.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

// Put around the bundle before XS evaluates it. It routes XS's print() into the run's output (only
// replacing a print that XS provides, so scenarios can still tell XS from Node by it) and turns
// a synchronous throw into an error message with the XS stack (an exception that escapes eval
// would only give us its message). The head has no newline, so bundle line N is script line N.
const WRAP_HEAD =
  '(function () { "use strict"; ' +
  'var send = function (m) { var b = new TextEncoder().encode(JSON.stringify(m)); ' +
  'return issueCommand(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); }; ' +
  'if (typeof print === "function") globalThis.print = function () { ' +
  'send({ t: "log", line: Array.prototype.map.call(arguments, String).join(" ") }); }; ' +
  'try { ';
const WRAP_TAIL =
  '\n} catch (e) { send({ t: "error", message: String(e), ' +
  'stack: e instanceof Error && typeof e.stack === "string" ? e.stack : undefined }); } })();\n';

// XS names the evaluated script "#<n>" in stack frames: " at f (#0:12)".
function mapStack(stack: string, sourceOf: (line: number) => string | undefined): string {
  return stack.replace(/\(#\d+:(\d+)\)/g, (whole, line: string) => {
    const source = sourceOf(Number(line));
    return source === undefined ? whole : `(${source})`;
  });
}

function netstring(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(`${payload.length}:`, 'ascii'), payload, Buffer.from(',', 'ascii')]);
}

/** Bundle `entryTs` and run it in a fresh XS machine. See the comment at the top of this file. */
export async function runInXs(entryTs: string, opts: XsRunOptions = {}): Promise<XsRunResult> {
  const timeoutMs = opts.timeoutMs ?? 4000;
  const argsJson = JSON.stringify(opts.args ?? null);
  const bin = xsnapWorkerPath();
  if (!existsSync(bin)) {
    throw new Error(
      `xsnap-worker not found at ${bin}: @agoric/xsnap's install script did not build it ` +
        '(needs cc and make; is "allowScripts" in package.json honoured?). Try `npm rebuild @agoric/xsnap`.',
    );
  }

  const bundleStart = performance.now();
  const bundled = await bundle(path.resolve(repoRoot, entryTs));
  const bundleMs = performance.now() - bundleStart;
  if ('error' in bundled) {
    return { ok: false, output: [], result: undefined, error: bundled.error, stderr: '', timings: { bundleMs, runMs: 0 } };
  }

  const runStart = performance.now();
  const output: string[] = [];
  const problems: string[] = [];
  let result: { value: unknown } | undefined;
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let evalDone = false;

  const child = spawn(bin, ['synstack-xs'], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'ignore', 'ignore'],
  });
  const toXs = child.stdio[3] as Writable;
  const fromXs = child.stdio[4] as Readable;
  // Writing after the worker died raises EPIPE; the exit status tells the story instead.
  toXs.on('error', () => {});
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  const finish = (): void => {
    evalDone = true;
    toXs.write(netstring('q'));
    toXs.end();
  };

  const handleCommand = (text: string): string => {
    let message: ScenarioMessage;
    try {
      message = JSON.parse(text) as ScenarioMessage;
    } catch {
      problems.push(`protocol: unparsable command ${JSON.stringify(text.slice(0, 200))}`);
      return '';
    }
    switch (message.t) {
      case 'log':
        output.push(message.line);
        return '';
      case 'result':
        if (result !== undefined) problems.push('report() called more than once');
        else result = { value: message.value };
        return '';
      case 'error':
        problems.push(message.stack !== undefined ? mapStack(message.stack, bundled.sourceOf) : message.message);
        return '';
      case 'args':
        return argsJson;
      default:
        problems.push(`protocol: unknown command ${JSON.stringify(text.slice(0, 200))}`);
        return '';
    }
  };

  let pending = Buffer.alloc(0);
  fromXs.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const colon = pending.indexOf(0x3a);
      if (colon < 0) break;
      const length = Number(pending.subarray(0, colon).toString('ascii'));
      if (!Number.isInteger(length) || colon > 10) {
        problems.push('protocol: bad netstring from xsnap-worker');
        child.kill('SIGKILL');
        return;
      }
      if (pending.length < colon + 1 + length + 1) break;
      const body = pending.subarray(colon + 1, colon + 1 + length);
      pending = pending.subarray(colon + 1 + length + 1);
      const kind = String.fromCharCode(body[0] ?? 0);
      const text = body.subarray(1).toString('utf8');
      if (kind === '?') {
        toXs.write(netstring('/' + handleCommand(text)));
      } else if (kind === '.') {
        finish();
      } else if (kind === '!') {
        problems.push(`uncaught exception: ${text}`);
        finish();
      } else {
        problems.push(`protocol: unexpected reply ${JSON.stringify(body.toString('utf8').slice(0, 200))}`);
        child.kill('SIGKILL');
      }
    }
  });

  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${bin}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
    toXs.write(netstring('e' + WRAP_HEAD + bundled.code + WRAP_TAIL));
  });
  const runMs = performance.now() - runStart;

  // Anything XS printed on its own stdout (print is rerouted, so normally nothing) goes last.
  if (stdout !== '') output.push(...stdout.replace(/\n$/, '').split('\n'));

  let error: string | undefined;
  if (timedOut) error = `timed out after ${timeoutMs} ms; xsnap-worker killed`;
  else if (problems.length > 0) error = problems.join('\n');
  else if (!evalDone) error = `xsnap-worker stopped before the scenario finished (exit ${exit.code ?? exit.signal})`;
  else if (/Unhandled exception/.test(stderr)) error = `unhandled promise rejection: ${stderr.trim()}`;
  else if (exit.code !== 0) error = `xsnap-worker exited with ${exit.code ?? exit.signal}`;
  else if (result === undefined) error = 'the scenario finished without reporting a result';
  if (error !== undefined && stderr.trim() !== '' && !error.includes(stderr.trim())) {
    error += `\n[xsnap stderr] ${stderr.trim()}`;
  }

  return {
    ok: error === undefined,
    output,
    result: result?.value,
    ...(error === undefined ? {} : { error }),
    stderr,
    timings: { bundleMs, runMs },
  };
}
