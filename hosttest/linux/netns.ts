// Linux network namespaces for the interop tests, and the cleanup that removes everything a test
// made whatever way the test ends.
//
//   const support = linuxSupport(['socat', 'ip']);      // root, /dev/net/tun, tools; or a reason to skip
//   const ns = await Netns.create();                     // synstk-<random hex>, lo up, no route out
//   await ns.run(['ping', '-c', '1', '10.77.0.2'], { timeoutMs: 5000 });
//   const p = ns.start(['dnsmasq', '--no-daemon', ...], { timeoutMs: 60_000 });
//   ...
//   ns.destroy();                                        // kills what runs in it, deletes it
//
// Cleanup guarantees, from the most to the least graceful ending:
// - `destroy()` (the tests call it in afterEach/afterAll): kills every process still inside the
//   namespace (`ip netns pids`), deletes the namespace, which removes the TAP device in it, and
//   its temp dir `ns.dir`. Processes started in the root namespace (socat) are stopped by their
//   owner (TapBridge.close) by pid.
// - Process exit, SIGINT, SIGTERM, SIGHUP, and the loss of the IPC channel of a forked test worker
//   (its parent died): a handler runs the same cleanup synchronously for every
//   live namespace and process (spawnSync / process.kill), then re-raises the signal.
// - SIGKILL of the Node process, or a crash that skips the handlers: every process is spawned with
//   `setpriv --pdeathsig KILL`, so the kernel kills it when Node dies; and each namespace has a
//   detached watchdog shell that polls Node's pid once a second (for at most `WATCHDOG_MAX_S`)
//   and, when Node is gone, kills what is left in the namespace, deletes it and its temp dir.
// Every spawned process also has a timeout (a timer that SIGKILLs it), and every wait
// here is bounded in iterations and time.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long a namespace watchdog lives at most (s); far beyond any test run. */
const WATCHDOG_MAX_S = 7200;
/** Output kept per stream of a process (bytes); more is discarded and counted. */
const MAX_OUTPUT = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// What the machine offers

export interface Support {
  ok: boolean;
  /** Why not, for the skip message. */
  reason: string;
}

/** Whether `cmd` is on PATH (or an absolute path that exists). */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

/** Root, /dev/net/tun, and the commands; the reason names what is missing. */
export function linuxSupport(commands: string[]): Support {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: 'not running as root' };
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return { ok: false, reason: '/dev/net/tun is missing or not accessible' };
  }
  const missing = ['setpriv', ...commands].filter((c) => !hasCommand(c));
  if (missing.length > 0) return { ok: false, reason: `missing commands: ${missing.join(', ')} (see hosttest/setup/ensure-tools.mjs)` };
  // Namespaces can be unavailable in some containers even as root.
  const name = `synstk-probe${randomBytes(3).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8', timeout: 10_000 });
  if (add.status !== 0) return { ok: false, reason: `cannot create a network namespace: ${(add.stderr ?? '').trim()}` };
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 10_000 });
  return { ok: true, reason: '' };
}

/** The python3 that has scapy (Debian's python3-scapy lives under /usr/bin/python3), or null. */
export function pythonWithScapy(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import scapy.all'], { stdio: 'ignore', timeout: 30_000 });
    if (r.status === 0) return py;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Cleanup registry

type Cleanup = () => void;
const cleanups = new Set<Cleanup>();
let handlersInstalled = false;

/** Run `fn` (synchronous) at cleanup; returns a function that unregisters it. */
export function onCleanup(fn: Cleanup): () => void {
  installHandlers();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Run every registered cleanup now, newest first; each at most once. */
export function cleanupAll(): void {
  const all = [...cleanups].reverse();
  cleanups.clear();
  for (const fn of all) {
    try {
      fn();
    } catch {
      // best effort: go on with the rest
    }
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanupAll();
      process.kill(process.pid, sig); // our handler is gone (once): the default action follows
    });
  }
  // A test worker forked by vitest whose parent died (e.g. SIGINT to vitest's main process only)
  // would otherwise run on, orphaned: when the IPC channel closes, clean up and end.
  if (typeof process.send === 'function') {
    process.once('disconnect', () => {
      cleanupAll();
      // Not process.exit(): vitest intercepts it in its workers (and, orphaned, spins reporting it).
      process.kill(process.pid, 'SIGKILL');
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Killed by the timeout. */
  timedOut: boolean;
}

export interface StartOptions {
  /** Kill (SIGKILL) after this long. Required: nothing runs unbounded. */
  timeoutMs: number;
  /** Written to stdin, which is then closed. */
  input?: string;
  cwd?: string;
}

/** A process started by this module: tracked, bounded, killed at cleanup. */
export class Proc {
  readonly child: ChildProcess;
  readonly done: Promise<RunResult>;
  stdout = '';
  stderr = '';
  private unregister: () => void;
  private exited = false;

  constructor(argv: string[], options: StartOptions) {
    const [cmd, ...args] = ['setpriv', '--pdeathsig', 'KILL', '--', ...argv];
    this.child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd });
    const pid = this.child.pid;
    this.unregister = onCleanup(() => {
      if (!this.exited && pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        this.child.kill('SIGKILL');
      } catch {
        // gone
      }
    }, options.timeoutMs);
    this.child.stdout!.setEncoding('utf8');
    this.child.stderr!.setEncoding('utf8');
    this.child.stdout!.on('data', (s: string) => {
      if (this.stdout.length < MAX_OUTPUT) this.stdout += s;
    });
    this.child.stderr!.on('data', (s: string) => {
      if (this.stderr.length < MAX_OUTPUT) this.stderr += s;
    });
    this.child.stdin!.on('error', () => {});
    if (options.input !== undefined) this.child.stdin!.end(options.input);
    else this.child.stdin!.end();
    this.done = new Promise<RunResult>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exited) return;
        this.exited = true;
        this.unregister();
        clearTimeout(timer);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr, timedOut });
      };
      this.child.on('error', (e) => {
        this.stderr += String(e);
        finish(-1, null);
      });
      this.child.on('close', finish);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Stop it (signal, default SIGTERM) and wait at most `graceMs` before SIGKILL. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 2000): Promise<RunResult> {
    if (!this.exited) {
      try {
        this.child.kill(signal);
      } catch {
        // gone
      }
      const timer = setTimeout(() => {
        try {
          this.child.kill('SIGKILL');
        } catch {
          // gone
        }
      }, graceMs);
      try {
        return await this.done;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.done;
  }
}

/** Start `argv` in the root namespace. */
export function start(argv: string[], options: StartOptions): Proc {
  return new Proc(argv, options);
}

/** Run `argv` in the root namespace to completion (bounded by timeoutMs). */
export function run(argv: string[], options: StartOptions): Promise<RunResult> {
  return new Proc(argv, options).done;
}

/** Run a short command synchronously (setup steps); throws with its stderr when it fails. */
export function must(argv: string[], timeoutMs = 10_000): string {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim()}`);
  return r.stdout ?? '';
}

// ---------------------------------------------------------------------------------------------
// Temporary directories

/** A temp dir removed at cleanup (and by `remove()`). */
export function tempDir(prefix = 'synstk-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(path, { recursive: true, force: true });
  const unregister = onCleanup(remove);
  return {
    path,
    remove: () => {
      unregister();
      remove();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Namespaces

export class Netns {
  readonly name: string;
  /** A temp directory for the namespace's files (leases, downloads), removed with it. */
  readonly dir: string;
  private destroyed = false;
  private readonly unregister: () => void;
  private watchdog: ChildProcess | null = null;

  private constructor(name: string) {
    this.name = name;
    this.dir = mkdtempSync(join(tmpdir(), `${name}-`));
    this.unregister = onCleanup(() => this.teardown());
  }

  /**
   * A new namespace `<prefix>-<8 hex>` (default `synstk-`) with loopback up, IPv6 off (no router
   * solicitations or DAD noise on the TAP), forwarding off, and no route but the ones its own links
   * add: nothing sent inside it can leave. A caller with its own prefix (the linux benchmark's
   * `sbl`) is told apart from the tests' namespaces in `ip netns list`.
   */
  static create(prefix = 'synstk'): Netns {
    const name = `${prefix}-${randomBytes(4).toString('hex')}`;
    must(['ip', 'netns', 'add', name]);
    const ns = new Netns(name);
    try {
      ns.startWatchdog();
      ns.must(['ip', 'link', 'set', 'lo', 'up']);
      ns.must(['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv4.ip_forward=0']);
    } catch (e) {
      ns.destroy();
      throw e;
    }
    return ns;
  }

  private startWatchdog(): void {
    // Detached, in its own process group, so it outlives us; bounded by WATCHDOG_MAX_S.
    const script = [
      'i=0',
      `while [ $i -lt ${WATCHDOG_MAX_S} ] && kill -0 "$1" 2>/dev/null; do sleep 1; i=$((i+1)); done`,
      'for q in $(ip netns pids "$2" 2>/dev/null); do kill -9 "$q" 2>/dev/null; done',
      'ip netns del "$2" 2>/dev/null',
      'rm -rf -- "$3"',
      'exit 0',
    ].join('\n');
    const w = spawn('sh', ['-c', script, 'synstk-watchdog', String(process.pid), this.name, this.dir], { detached: true, stdio: 'ignore' });
    w.unref();
    this.watchdog = w;
  }

  /** argv prefixed to run inside the namespace. */
  wrap(argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.name, ...argv];
  }

  must(argv: string[], timeoutMs = 10_000): string {
    return must(this.wrap(argv), timeoutMs);
  }

  run(argv: string[], options: StartOptions): Promise<RunResult> {
    return run(this.wrap(argv), options);
  }

  start(argv: string[], options: StartOptions): Proc {
    return start(this.wrap(argv), options);
  }

  /** Pids of every process inside the namespace. */
  pids(): number[] {
    const r = spawnSync('ip', ['netns', 'pids', this.name], { encoding: 'utf8', timeout: 10_000 });
    return (r.stdout ?? '').split(/\s+/).filter((s) => /^[0-9]+$/.test(s)).map(Number);
  }

  /** Kill everything inside and delete the namespace (its TAP goes with it). Idempotent. */
  destroy(): void {
    this.unregister();
    this.teardown();
  }

  private teardown(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    // Bounded: a few rounds in case a process forks while we kill.
    for (let round = 0; round < 3; round++) {
      const pids = this.pids();
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    spawnSync('ip', ['netns', 'del', this.name], { stdio: 'ignore', timeout: 10_000 });
    rmSync(this.dir, { recursive: true, force: true });
    const w = this.watchdog;
    this.watchdog = null;
    if (w !== null && w.pid !== undefined && w.exitCode === null) {
      try {
        process.kill(-w.pid, 'SIGKILL'); // its process group: the shell and its `sleep`
      } catch {
        // gone
      }
    }
  }
}
