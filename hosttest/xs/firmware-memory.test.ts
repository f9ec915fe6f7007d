// The firmware's XS heap, measured (hosttest/firmware/memory.ts): the manifest's configuration
// (8 connections of 2 KiB rings, a 128-entry SYN cache, the status server) booted, idle, serving,
// under a SYN flood and after it, in the co-simulation. With a 32-bit XS (built from the same
// sources, hosttest/firmware/xsnap32.ts) the figures are those of the ESP32's 16-byte slots;
// without a 32-bit compiler the 64-bit worker's figures give an upper bound. Checked: the run did
// real work, nothing grows with traffic, and manifest.json's creation sizes hold the peak with
// room to spare and fit the ESP32's XS budget. The table goes to the console and to
// out/firmware-memory.json (docs/esp32.md quotes it).

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../firmware/bundle';
import { formatMemoryReport, measureFirmwareMemory } from '../firmware/memory';
import { ensureXsnap32 } from '../firmware/xsnap32';

/** docs/esp32.md's profile for boards with less heap: manifest config overrides. */
const SMALLER_PROFILE = { connections: 4, buffer: 1024, synCache: 64, synBuckets: 16, httpConnections: 1, httpRequestBuffer: 384 };

/** The top of the XS heap an ESP32 has with Wi-Fi up (DESIGN.md: roughly 45-145 KB). */
const ESP32_XS_BUDGET = 145 * 1024;

describe('firmware XS heap', () => {
  it('holds the configuration within manifest.json creation sizes, with nothing growing under traffic', async () => {
    const worker = ensureXsnap32();
    if (worker.path === null) console.warn(`[firmware memory] no 32-bit XS (${worker.reason}); measuring with the 64-bit worker: upper bounds`);
    const r = await measureFirmwareMemory(worker);
    console.log(formatMemoryReport(r));
    mkdirSync(path.join(repoRoot, 'out'), { recursive: true });
    writeFileSync(path.join(repoRoot, 'out/firmware-memory.json'), JSON.stringify(r, null, 2) + '\n');

    // Real work was measured: pages and checked bytes served, a flood received and answered.
    expect(r.traffic.pagesServed).toBeGreaterThanOrEqual(4);
    expect(r.traffic.bytesChecked).toBeGreaterThanOrEqual(2 * 65536);
    expect(r.traffic.synsSent).toBe(12_000);
    expect(r.traffic.synsReceived).toBeGreaterThanOrEqual(12_000);
    expect(r.traffic.cookiesSent).toBeGreaterThan(10_000);
    expect(r.traffic.pageDuringFloodStatus).toBe(200);

    const phase = (name: string) => r.phases.find((p) => p.phase === name)!;
    // Bounded by construction: the flood and the traffic before it leave nothing behind.
    expect(phase('after').esp32Bytes - phase('idle').esp32Bytes).toBeLessThan(4 * 1024);
    expect(phase('flood').esp32Bytes - phase('idle').esp32Bytes).toBeLessThan(4 * 1024);

    // manifest.json creation holds the largest sample: with 10 % to spare when measured on a
    // 32-bit XS; at least the upper bound otherwise.
    const maxSlots = Math.max(...r.phases.map((p) => p.slots));
    const maxChunks = Math.max(...r.phases.map((p) => p.chunkBytes));
    const spare = r.worker === '32-bit' ? 1.1 : 1.0;
    expect(r.creation.slots).toBeGreaterThanOrEqual(Math.ceil(maxSlots * spare));
    expect(r.creation.chunkBytes).toBeGreaterThanOrEqual(Math.ceil(maxChunks * spare));
    expect(r.creation.esp32Bytes).toBeLessThanOrEqual(ESP32_XS_BUDGET);
  }, 600_000);

  it('the smaller profile of docs/esp32.md (for boards with under 100 KiB for XS) stays under 85 KiB', async () => {
    const worker = ensureXsnap32();
    const r = await measureFirmwareMemory(worker, 9, SMALLER_PROFILE);
    console.log(`smaller profile ${JSON.stringify(SMALLER_PROFILE)}\n${formatMemoryReport(r)}`);
    mkdirSync(path.join(repoRoot, 'out'), { recursive: true });
    writeFileSync(path.join(repoRoot, 'out/firmware-memory-smaller.json'), JSON.stringify({ profile: SMALLER_PROFILE, ...r }, null, 2) + '\n');
    // One HTTP connection at a time: of the four clients fetching at once some are turned away.
    expect(r.traffic.pagesServed).toBeGreaterThanOrEqual(2);
    expect(r.traffic.pageDuringFloodStatus).toBe(200);
    const peak = Math.max(...r.phases.map((p) => p.esp32Bytes));
    if (r.worker === '32-bit') expect(peak).toBeLessThan(85 * 1024);
  }, 600_000);
});
