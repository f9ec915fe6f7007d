// The FreeBSD TCP test suite (../shared/conformance) against synstack, in every `npm test`: the
// number of passing scripts must not fall below the committed floor (floor.json).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED_CONFORMANCE } from './suite';

const floor = (JSON.parse(readFileSync(join(__dirname, 'floor.json'), 'utf8')) as { floor: number }).floor;
const here = existsSync(SHARED_CONFORMANCE);
if (!here) console.warn(`*** SKIP conformance floor: ${SHARED_CONFORMANCE} is not there (it sits beside the repository for the developers and CI)`);

describe('conformance suite', () => {
  it.skipIf(!here)(`passes at least ${floor} of the shared scripts`, async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'hosttest/packetdrill/cli.ts', '--floor', String(floor)], {
      cwd: join(__dirname, '../..'), encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const last = out.trim().split('\n').at(-1)!;
    const m = /^(\d+) passed, (\d+) failed, (\d+) skipped$/.exec(last);
    expect(m, last).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(floor);
    console.log(`conformance: ${last}`);
  }, 300_000);
});
