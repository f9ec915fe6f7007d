#!/usr/bin/env node
// Installs the Debian packages the tests and the CLI use, when they are missing and we are root
// with apt-get (CI, and a fresh machine). Elsewhere it says loudly what is missing; the tests that
// need a missing tool skip with that reason. Run by npm as `pretest`; also usable by hand.
//
// Usage: node hosttest/setup/ensure-tools.mjs [group...]   (groups: test, bench; default test)

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * command → Debian package, per group. A name of the form `python3:module` is a Python module of
 * Debian's /usr/bin/python3 (checked by importing it), `file:<path>` a file the package installs;
 * anything else is a command.
 */
const GROUPS = {
  test: {
    tshark: 'tshark', gcc: 'gcc',
    // hosttest/linux: the TAP bridge, the namespace's tools, the Linux peers.
    socat: 'socat', ip: 'iproute2', ss: 'iproute2', ping: 'iputils-ping', curl: 'curl', dnsmasq: 'dnsmasq-base',
    hping3: 'hping3', tcpdump: 'tcpdump', setpriv: 'util-linux', python3: 'python3', 'python3:scapy': 'python3-scapy',
    // hosttest/firmware: helgrind for the ring's thread test; hosttest/bench/xs.test.ts: callgrind.
    valgrind: 'valgrind',
    // hosttest/peers: lwIP as a peer (Debian's build, and its source package rebuilt with ESP-IDF's
    // defaults; dpkg-source unpacks it, tar and patch are the fallback).
    'file:/usr/include/lwip/lwip/tcp.h': 'liblwip-dev', 'dpkg-source': 'dpkg-dev',
  },
  bench: {
    gcc: 'gcc', valgrind: 'valgrind', 'file:/usr/include/lwip/lwip/tcp.h': 'liblwip-dev', 'dpkg-source': 'dpkg-dev',
    socat: 'socat', ip: 'iproute2', python3: 'python3',
  },
};

const has = (name) => {
  if (name.startsWith('file:')) return existsSync(name.slice('file:'.length));
  if (name.startsWith('python3:')) {
    const module = name.slice('python3:'.length);
    for (const py of ['/usr/bin/python3', 'python3']) {
      if (spawnSync(py, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 60_000 }).status === 0) return true;
    }
    return false;
  }
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
};

const groups = process.argv.slice(2).length ? process.argv.slice(2) : ['test'];
const wanted = new Map();
for (const g of groups) for (const [cmd, pkg] of Object.entries(GROUPS[g] ?? {})) wanted.set(cmd, pkg);
const missing = [...wanted].filter(([cmd]) => !has(cmd));
if (missing.length === 0) process.exit(0);

const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
const root = typeof process.getuid === 'function' && process.getuid() === 0;
if (!root || !has('apt-get')) {
  console.warn(`\n*** synstack: missing ${missing.map(([c]) => c).join(', ')} (Debian: ${pkgs.join(' ')}).`);
  console.warn('*** Not root or no apt-get, so not installing them; tests that need them will SKIP.\n');
  process.exit(0);
}
console.log(`synstack: installing ${pkgs.join(' ')} with apt-get ...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { env, stdio: 'inherit' });
} catch {
  // The package lists may be missing or stale on a fresh machine.
  execFileSync('apt-get', ['update', '-q'], { env, stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { env, stdio: 'inherit' });
}
