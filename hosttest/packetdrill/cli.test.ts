// The command line: one line per script, the summary line last, the report, and the floor.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, SHARED_CONFORMANCE } from './suite';

const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(REPO_ROOT, 'hosttest', 'packetdrill', 'cli.ts');

function cli(args: string[]): { status: number | null; lines: string[]; stderr: string } {
  const r = spawnSync(TSX, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, lines: r.stdout.trimEnd().split('\n'), stderr: r.stderr };
}

describe('npm run conformance', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pd-cli-'));
  const good = join(dir, 'good.pkt');
  const bad = join(dir, 'bad.pkt');
  const broken = join(dir, 'broken.txt');
  writeFileSync(good, '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n');
  writeFileSync(bad, '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n+0.1 > S 0:0(0) win 1\n');
  writeFileSync(broken, '0 socket(..., SOCK_STREAM\n');
  const md5 = join(SHARED_CONFORMANCE, 'freebsd-tcp-testsuite', 'socket-api', 'setsockopt', 'socket-api-setsockopt-md5-passive-ipv4.pkt');

  it('prints PASS / FAIL / SKIP with reasons and ends with the counts', () => {
    const r = cli([good, bad, broken, md5]);
    expect(r.status).toBe(0);
    expect(r.lines).toHaveLength(5);
    expect(r.lines[0]).toMatch(/^PASS .*good\.pkt$/);
    expect(r.lines[1]).toMatch(/^FAIL .*bad\.pkt: line 3: expected a segment at 0\.100 s/);
    expect(r.lines[2]).toMatch(/^FAIL .*broken\.txt: line 1: parse error: /);
    expect(r.lines[3]).toMatch(/^SKIP freebsd-tcp-testsuite\/socket-api\/setsockopt\/socket-api-setsockopt-md5-passive-ipv4\.pkt: tcp-md5/);
    expect(r.lines[4]).toBe('1 passed, 2 failed, 1 skipped');
  });

  it('--floor fails the run when too few pass; --report writes the report', () => {
    expect(cli([good, bad, '--floor', '1']).status).toBe(0);
    const low = cli([good, bad, '--floor', '2']);
    expect(low.status).toBe(2);
    expect(low.lines[low.lines.length - 1]).toBe('1 passed, 1 failed, 0 skipped');
    const report = join(dir, 'report.md');
    const r = cli([good, bad, '--report', report]);
    expect(r.lines[r.lines.length - 1]).toBe('1 passed, 1 failed, 0 skipped');
    const md = readFileSync(report, 'utf8');
    expect(md).toMatch(/\*\*1 passed, 1 failed, 0 skipped\*\*/);
    expect(md).toMatch(/## Most common causes of failure/);
    expect(md).toMatch(/Line 3 \(missing\)/);
  });

  it('refuses bad arguments', () => {
    expect(cli(['--bogus']).status).toBe(1);
    expect(cli([join(dir, 'nope.pkt')]).status).toBe(1);
    expect(cli(['--profile', 'nope', good]).status).toBe(1);
  });
});
