// `npm start -- --tap` as root: a curl from the namespace it prints gets the status page, and
// nothing (namespace, TAP device, socat) is left after it exits.

import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linuxSupport } from './netns';

const support = linuxSupport(['ip', 'socat', 'curl']);
if (!support.ok) console.warn(`*** SKIP npm start --tap: ${support.reason}`);

describe('npm start -- --tap', () => {
  it.skipIf(!support.ok)('serves the status page to curl in its namespace and removes everything on exit', async () => {
    const cli = spawn(process.execPath, ['--import', 'tsx', 'hosttest/cli.ts', '--tap', '--duration', '6', '--json'], {
      cwd: join(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    cli.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number>((resolve) => cli.on('exit', (code) => resolve(code ?? -1)));
    const killer = setTimeout(() => cli.kill('SIGKILL'), 60_000);
    for (let i = 0; i < 200 && !/ip netns exec (\S+) curl/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    const m = /ip netns exec (\S+) curl -s (\S+)/.exec(out);
    expect(m, out).not.toBeNull();
    const ns = m![1]!;
    const page = execFileSync('ip', ['netns', 'exec', ns, 'curl', '-s', '--max-time', '10', m![2]!], { encoding: 'utf8', timeout: 15_000 });
    expect(JSON.parse(page).stack.connections.capacity).toBeGreaterThan(0);
    const html = execFileSync('ip', ['netns', 'exec', ns, 'curl', '-s', '--max-time', '10', 'http://10.77.0.2/'], { encoding: 'utf8', timeout: 15_000 });
    expect(html).toMatch(/<html/i);
    expect(await exited).toBe(0);
    clearTimeout(killer);
    expect(JSON.parse(out.trim().split('\n').at(-1)!).http.responses2xx).toBeGreaterThanOrEqual(2);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(ns);
    // The TAP device went with the namespace (and does not linger in the root namespace either).
    const tap = /behind (\S+) in namespace/.exec(out)![1]!;
    expect(execFileSync('sh', ['-c', `ip link show ${tap} 2>/dev/null || true`], { encoding: 'utf8' }).trim()).toBe('');
  }, 90_000);
});
