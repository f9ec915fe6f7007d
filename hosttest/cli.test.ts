// `npm start` (hosttest/cli.ts) as a newcomer runs it: it exits 0 and its last line is a JSON
// summary; with a flood, cookie mode is entered and the clients still get their pages.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

function start(...args: string[]): { lines: string[]; summary: Record<string, unknown> } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'hosttest/cli.ts', ...args], {
    cwd: root, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = out.trim().split('\n');
  return { lines, summary: JSON.parse(lines.at(-1)!) as Record<string, unknown> };
}

describe('npm start', () => {
  it('runs, prints a line per second, and ends with a JSON summary', () => {
    const { lines, summary } = start('--duration', '5', '--fast', '--json');
    expect(lines.filter((l) => l.startsWith('t='))).toHaveLength(5);
    expect(summary.fetches_ok).toBeGreaterThan(50);
    expect(summary.legit_success_pct).toBeGreaterThanOrEqual(99);
    expect(summary.cookie_mode_entered).toBe(false);
  }, 120_000);

  it('under a 20,000 SYN/s flood enters cookie mode and keeps ≥ 99 % of fetches working', () => {
    const { summary } = start('--flood', '20000', '--duration', '10', '--fast', '--json');
    expect(summary.flood_syns).toBe(200_000);
    expect(summary.cookie_mode_entered).toBe(true);
    expect(summary.legit_success_pct).toBeGreaterThanOrEqual(99);
    expect(summary.half_open_now as number).toBeLessThanOrEqual(summary.half_open_capacity as number);
  }, 120_000);

  it('answers --help and refuses bad values', () => {
    expect(execFileSync(process.execPath, ['--import', 'tsx', 'hosttest/cli.ts', '--help'], { cwd: root, encoding: 'utf8' })).toMatch(/--flood RATE/);
    expect(() => execFileSync(process.execPath, ['--import', 'tsx', 'hosttest/cli.ts', '--loss', '2'], { cwd: root, stdio: 'pipe' })).toThrow();
  }, 60_000);
});
