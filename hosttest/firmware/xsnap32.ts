// A 32-bit build of the same xsnap-worker, for measuring the firmware's heap as the ESP32 would
// hold it: XS compiled for a 32-bit target has 16-byte slots (a 32-bit `next` pointer, id, flag,
// kind and an 8-byte value), as on the ESP32's Xtensa cores, and arrays kept in the chunk heap
// are arrays of such slots. The 64-bit worker's figures for the same program have the same slot
// count but 32-byte slots, and more chunk bytes.
//
// Built from the sources @agoric/xsnap ships (moddable/xs and xsnap-native) with `gcc -m32`,
// into out/xsnap32/ (about 25 s once; reused while the xsnap version is the same). Needs a gcc
// that can link 32-bit programs (Debian: gcc-multilib); without one, `ensureXsnap32()` says why
// and the tests measure with the 64-bit worker and convert (an upper bound).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './bundle';

export interface Xsnap32 {
  /** The 32-bit worker, or null (see reason). */
  path: string | null;
  reason?: string;
}

let cached: Xsnap32 | null = null;

export function ensureXsnap32(): Xsnap32 {
  if (cached !== null) return cached;
  cached = build();
  return cached;
}

function build(): Xsnap32 {
  const pkgJson = createRequire(import.meta.url).resolve('@agoric/xsnap/package.json');
  const pkg = path.dirname(pkgJson);
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  const out = path.join(repoRoot, 'out/xsnap32', version);
  const bin = path.join(out, 'bin/lin/release/xsnap-worker');
  if (existsSync(bin)) return { path: bin };
  if (process.platform !== 'linux') return { path: null, reason: `32-bit xsnap is only built on Linux (this is ${process.platform})` };
  // Can gcc make a 32-bit program here?
  mkdirSync(out, { recursive: true });
  const probe = path.join(out, 'probe.c');
  writeFileSync(probe, 'int main(void) { return sizeof(void *) == 4 ? 0 : 1; }\n');
  const cc = spawnSync('gcc', ['-m32', '-o', path.join(out, 'probe'), probe], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) {
    return { path: null, reason: `gcc cannot build 32-bit programs (Debian: apt-get install gcc-multilib): ${(cc.stderr || String(cc.error)).trim().split('\n')[0]}` };
  }
  const make = spawnSync('make', [
    '-f', 'xsnap-worker.mk', `-j${Math.max(1, os.cpus().length)}`, 'GOAL=release',
    `MODDABLE=${path.join(pkg, 'moddable')}`, `BUILD_DIR=${out}`, 'CC=gcc -m32', `XSNAP_VERSION=${version}-m32`,
  ], { cwd: path.join(pkg, 'xsnap-native/xsnap/makefiles/lin'), encoding: 'utf8', timeout: 600_000 });
  if (make.error || make.status !== 0 || !existsSync(bin)) {
    return { path: null, reason: `building the 32-bit xsnap-worker failed: ${(make.stderr || String(make.error)).trim().slice(-500)}` };
  }
  return { path: bin };
}
