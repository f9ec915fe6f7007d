// Builds the lwIP harness (hosttest/peers/lwip/harness.c) with gcc, on demand, into
// hosttest/peers/lwip/build/ (git-ignored). Two variants:
//
//   'debian'  linked against Debian's liblwip (package liblwip-dev, lwIP 2.1.3) with the
//             lwipopts.h Debian built it with (/usr/include/lwip/lwipopts.h: NO_SYS 0,
//             MEM_LIBC_MALLOC 1, MEMP_MEM_MALLOC 1 — every PCB is a malloc — and no listen backlog).
//   'espidf'  lwIP compiled from Debian's source package of the same release (`apt-get source
//             lwip`, with Debian's patches applied) with hosttest/peers/lwip/espidf/lwipopts.h:
//             ESP-IDF's defaults, static pools of 16 TCP PCBs, TCP_LISTEN_BACKLOG on.
//
// A binary is rebuilt when anything it is made from changes: the harness, our lwipopts.h and
// arch/cc.h, gcc's version, the installed library (size and mtime) or the source version. The
// key is a SHA-256 of all that, kept next to the binary. Builds write to a temporary name and
// rename, so two processes building at once do not see half a file.
//
// Tools: gcc, liblwip-dev; for 'espidf' also apt-get (with a private deb-src list under build/,
// the machine's apt configuration is not touched) and dpkg-source (dpkg-dev) or tar + patch. When
// something is missing and we are root, it is installed with apt-get; otherwise `lwipAvailable`
// says why, and callers skip.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type LwipVariant = 'debian' | 'espidf';

const HERE = dirname(fileURLToPath(import.meta.url));
export const LWIP_DIR = join(HERE, 'lwip');
export const BUILD_DIR = join(LWIP_DIR, 'build');
const HARNESS = join(LWIP_DIR, 'harness.c');
const ESPIDF_DIR = join(LWIP_DIR, 'espidf');
const DEBIAN_INCLUDE = '/usr/include/lwip';
const TOOL_TIMEOUT_MS = 300_000;

export type Availability = { ok: true; binary: string } | { ok: false; reason: string };

const root = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[], cwd?: string): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: TOOL_TIMEOUT_MS, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  return { ok: r.status === 0, output };
}

/** Install Debian packages when root; a reason string when that is not possible or fails. */
function aptInstall(packages: string[]): string | null {
  if (!root() || !has('apt-get')) return `missing ${packages.join(' ')}, and not root with apt-get to install it`;
  let r = run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages]);
  if (!r.ok) {
    run('apt-get', ['update', '-q']);
    r = run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages]);
  }
  return r.ok ? null : `apt-get install ${packages.join(' ')} failed: ${r.output.slice(-400)}`;
}

function debianLwipInstalled(): boolean {
  return existsSync(join(DEBIAN_INCLUDE, 'lwipopts.h')) && existsSync(join(DEBIAN_INCLUDE, 'lwip', 'tcp.h'));
}

/** gcc and liblwip-dev, installing them when root. */
function prerequisites(): string | null {
  const missing: string[] = [];
  if (!has('gcc')) missing.push('gcc');
  if (!debianLwipInstalled()) missing.push('liblwip-dev');
  if (missing.length > 0) {
    const why = aptInstall(missing);
    if (why !== null) return why;
  }
  return has('gcc') && debianLwipInstalled() ? null : 'gcc or liblwip-dev still missing after installing';
}

function installedVersion(): string {
  return execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'liblwip-dev'], { encoding: 'utf8' }).trim();
}

function fileKey(path: string): string {
  const s = statSync(path);
  return `${path}:${s.size}:${s.mtimeMs}`;
}

function gccVersion(): string {
  return execFileSync('gcc', ['-dumpfullversion', '-dumpversion'], { encoding: 'utf8' }).trim();
}

/** The Debian library's path as gcc resolves -llwip (its size and mtime go into the key). */
function debianLibrary(): string {
  const p = execFileSync('gcc', ['-print-file-name=liblwip.so'], { encoding: 'utf8' }).trim();
  return p;
}

function espidfHeaders(): string[] {
  return [join(ESPIDF_DIR, 'lwipopts.h'), join(ESPIDF_DIR, 'arch', 'cc.h')];
}

// ---- Debian's lwIP sources ---------------------------------------------------------------------

function osCodename(): string | null {
  try {
    const m = /^VERSION_CODENAME=(.+)$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m ? m[1]!.replace(/"/g, '').trim() : null;
  } catch {
    return null;
  }
}

/**
 * The unpacked source tree of the installed liblwip-dev's version (Debian's patches applied), or a
 * reason. Fetched once into build/source/ with a private apt source list.
 */
export function debianLwipSource(): { dir: string } | { reason: string } {
  let version: string;
  try {
    version = installedVersion();
  } catch {
    return { reason: 'liblwip-dev is not installed (dpkg-query)' };
  }
  const upstream = version.replace(/-[^-]+$/, '').replace(/^\d+:/, '');
  const sourceRoot = join(BUILD_DIR, 'source');
  const dir = join(sourceRoot, `lwip-${version}`);
  if (existsSync(join(dir, 'src', 'core', 'tcp.c'))) return { dir };
  if (!has('apt-get')) return { reason: 'no apt-get to fetch Debian\'s lwip source package' };
  const codename = osCodename();
  if (codename === null) return { reason: 'cannot tell the Debian release from /etc/os-release' };
  const apt = join(BUILD_DIR, 'apt');
  mkdirSync(join(apt, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(apt, 'cache', 'archives', 'partial'), { recursive: true });
  const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
  const signed = existsSync(keyring) ? `[signed-by=${keyring}] ` : '';
  writeFileSync(join(apt, 'sources.list'), [
    `deb-src ${signed}http://deb.debian.org/debian ${codename} main`,
    `deb-src ${signed}http://deb.debian.org/debian ${codename}-updates main`,
    `deb-src ${signed}http://deb.debian.org/debian-security ${codename}-security main`,
  ].join('\n') + '\n');
  const options = [
    '-o', `Dir::Etc::SourceList=${join(apt, 'sources.list')}`, '-o', 'Dir::Etc::SourceParts=/nonexistent',
    '-o', `Dir::State::Lists=${join(apt, 'lists')}`, '-o', `Dir::Cache=${join(apt, 'cache')}`, '-o', 'Debug::NoLocking=1',
  ];
  const update = run('apt-get', [...options, 'update', '-q']);
  if (!update.ok) return { reason: `apt-get update (deb-src) failed: ${update.output.slice(-400)}` };
  const download = join(sourceRoot, `download-${version}`);
  mkdirSync(download, { recursive: true });
  const got = run('apt-get', [...options, 'source', '--download-only', `lwip=${version}`], download);
  if (!got.ok) return { reason: `apt-get source lwip=${version} failed: ${got.output.slice(-400)}` };
  const unpacked = join(sourceRoot, `unpack-${process.pid}`);
  const dsc = readdirSync(download).find((f) => f.endsWith('.dsc'));
  if (dsc === undefined) return { reason: 'apt-get source left no .dsc' };
  if (has('dpkg-source')) {
    const x = run('dpkg-source', ['-x', join(download, dsc), unpacked]);
    if (!x.ok) return { reason: `dpkg-source -x failed: ${x.output.slice(-400)}` };
  } else {
    // Without dpkg-dev: unpack the upstream and Debian tarballs and apply the series by hand.
    const files = readdirSync(download);
    const orig = files.find((f) => f.includes('.orig.tar.'));
    const deb = files.find((f) => f.includes('.debian.tar.'));
    if (orig === undefined || deb === undefined || !has('patch')) return { reason: 'no dpkg-source, and no tarballs or no patch(1) to unpack by hand' };
    mkdirSync(unpacked, { recursive: true });
    for (const [tarball, strip] of [[orig, ['--strip-components=1']], [deb, []]] as const) {
      const t = run('tar', ['-xf', join(download, tarball), '-C', unpacked, ...strip]);
      if (!t.ok) return { reason: `tar -xf ${tarball} failed: ${t.output.slice(-300)}` };
    }
    const series = join(unpacked, 'debian', 'patches', 'series');
    const patches = existsSync(series) ? readFileSync(series, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [];
    for (const p of patches) {
      const r = run('patch', ['-p1', '-i', join(unpacked, 'debian', 'patches', p)], unpacked);
      if (!r.ok) return { reason: `patch ${p} failed: ${r.output.slice(-300)}` };
    }
  }
  if (!existsSync(join(unpacked, 'src', 'core', 'tcp.c'))) return { reason: `the source package of ${version} has no src/core/tcp.c (expected lwIP ${upstream})` };
  try {
    renameSync(unpacked, dir);
  } catch {
    // Another process got there first; use its tree.
  }
  return existsSync(join(dir, 'src', 'core', 'tcp.c')) ? { dir } : { reason: 'source tree vanished after unpacking' };
}

// ---- building ------------------------------------------------------------------------------------

interface Recipe {
  args: string[];
  /** Everything whose change must trigger a rebuild. */
  inputs: string[];
}

function recipe(variant: LwipVariant, out: string): Recipe | { reason: string } {
  const common = ['-O2', '-std=gnu11', '-Wall', '-Wno-unused-parameter', '-o', out, HARNESS];
  if (variant === 'debian') {
    const lib = debianLibrary();
    return { args: [...common, `-I${DEBIAN_INCLUDE}`, '-llwip'], inputs: [fileKey(lib), fileKey(join(DEBIAN_INCLUDE, 'lwipopts.h'))] };
  }
  const source = debianLwipSource();
  if ('reason' in source) return source;
  const src = join(source.dir, 'src');
  const files = [
    ...readdirSync(join(src, 'core')).filter((f) => f.endsWith('.c')).map((f) => join(src, 'core', f)),
    ...readdirSync(join(src, 'core', 'ipv4')).filter((f) => f.endsWith('.c')).map((f) => join(src, 'core', 'ipv4', f)),
    join(src, 'netif', 'ethernet.c'),
  ].sort();
  return {
    args: [...common, `-I${ESPIDF_DIR}`, `-I${join(src, 'include')}`, ...files],
    inputs: [source.dir, ...espidfHeaders().map((h) => readFileSync(h, 'utf8'))],
  };
}

/** Answers already given in this process: the checks run tools, and a scenario starts many peers. */
const answered = new Map<LwipVariant, Availability>();

/** Build (or reuse) the harness for `variant`; installs prerequisites when root. */
export function lwipAvailable(variant: LwipVariant): Availability {
  const known = answered.get(variant);
  if (known !== undefined && (!known.ok || existsSync(known.binary))) return known;
  const a = buildHarness(variant);
  answered.set(variant, a);
  return a;
}

function buildHarness(variant: LwipVariant): Availability {
  const missing = prerequisites();
  if (missing !== null) return { ok: false, reason: missing };
  mkdirSync(BUILD_DIR, { recursive: true });
  const binary = join(BUILD_DIR, `lwip-${variant}`);
  const temp = `${binary}.tmp-${process.pid}`;
  const r = recipe(variant, temp);
  if ('reason' in r) return { ok: false, reason: r.reason };
  const key = createHash('sha256')
    .update(JSON.stringify({ variant, harness: readFileSync(HARNESS, 'utf8'), gcc: gccVersion(), args: r.args.map((a) => a.replace(temp, '<out>')), inputs: r.inputs }))
    .digest('hex');
  const stamp = `${binary}.key`;
  if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return { ok: true, binary };
  const cc = run('gcc', r.args);
  if (!cc.ok) return { ok: false, reason: `gcc failed building the ${variant} harness:\n${cc.output.slice(-2000)}` };
  renameSync(temp, binary);
  writeFileSync(stamp, key);
  return { ok: true, binary };
}
