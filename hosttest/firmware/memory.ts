// How much XS heap the firmware needs, measured: firmware/main.ts with the manifest's own config
// (8 connections with 2 KiB send and receive rings, a 128-entry SYN cache, the status server) runs
// in the co-simulation (cosim.ts), alone in its XS machine, and the machine's live heap is read
// from XS heap snapshots (xsnap.ts: live slots and live chunk bytes, after a collection) at:
//
//   code     all firmware modules evaluated, main() not called yet. On the board these modules
//            are preloaded into flash, so this is the baseline the other rows are counted from.
//   boot     main() returned: link open, stack, status server, timer.
//   idle     link up, 3 s later.
//   serving  sampled every 1 ms (40 times) while 4 clients fetch / at once, then every 2 ms while 4
//            fetch /bytes/65536 at once: the status server's connections and their response
//            buffers alive together.
//   flood    sampled every 500 ms of a 6 s SYN flood (2,000 SYN/s from spoofed sources), while a
//            client fetches the status page.
//   after    40 s after the flood.
//
// Each phase is one evaluation in xsnap, and xsnap keeps a little of every evaluated script (one
// slot and 16 bytes in the 32-bit build), which is not the firmware's: the run first measures
// that cost over 200 empty evaluations and takes it off every sample.
//
// On the ESP32 a slot is 16 bytes. With the 32-bit worker (xsnap32.ts) slots and chunks are
// those of a 32-bit XS, so `esp32Bytes` = slots x 16 + chunk bytes is the measured figure; with
// the 64-bit worker the chunk bytes include arrays of 32-byte slots, so the same sum is an upper
// bound (about 6 % high for this firmware). Not measured: garbage between collections (XS
// collects when an allocation does not fit, so it needs no room of its own), the few bytes of
// RAM XS keeps per mutable object of a preloaded module, and the Moddable runtime's own objects.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { XsHeapFigures } from './xsnap';
import { GATEWAY, STATIC_ADDRESS, firmwareWorld } from './world';
import { repoRoot } from './bundle';

const CALIBRATION_EVALUATIONS = 200;

export interface MemorySample {
  phase: string;
  /** Live slots and chunk bytes above the `code` baseline. */
  slots: number;
  chunkBytes: number;
  esp32Bytes: number;
}

export interface MemoryReport {
  worker: '32-bit' | '64-bit';
  workerNote?: string;
  slotBytes: number;
  /** The code baseline itself (host figures: XS's built-ins live in RAM here, in ROM on the board). */
  baseline: { slots: number; chunkBytes: number };
  /** What xsnap keeps per evaluation, taken off every sample. */
  perEvaluation: { slots: number; chunkBytes: number };
  /** Per phase, the largest sample. */
  phases: MemorySample[];
  peak: MemorySample;
  samples: number;
  /** What the run did, to show the figures come from real work. */
  traffic: {
    pagesServed: number;
    bytesChecked: number;
    synsSent: number;
    synsReceived: number;
    cookiesSent: number;
    pageDuringFloodStatus: number;
    framesIn: number;
    framesOut: number;
  };
  /** manifest.json creation sizes (chunk bytes, slots) and their total on the ESP32. */
  creation: { chunkBytes: number; slots: number; esp32Bytes: number };
}

export function manifestCreation(): MemoryReport['creation'] {
  const m = JSON.parse(readFileSync(path.join(repoRoot, 'manifest.json'), 'utf8')) as {
    creation: { chunk: { initial: number }; heap: { initial: number } };
  };
  return { chunkBytes: m.creation.chunk.initial, slots: m.creation.heap.initial, esp32Bytes: m.creation.chunk.initial + 16 * m.creation.heap.initial };
}

export async function measureFirmwareMemory(
  worker?: { path: string | null; reason?: string }, seed = 9, overrides: Record<string, unknown> = {},
): Promise<MemoryReport> {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'manifest.json'), 'utf8')) as { config: Record<string, unknown> };
  const config = { ...manifest.config, address: STATIC_ADDRESS, gateway: GATEWAY, ...overrides };
  const w = await firmwareWorld({ seed, config, worker: worker?.path ?? undefined });
  try {
    const first = await w.board.heap();
    const evaluationsAtFirst = w.board.evaluations;
    for (let i = 0; i < CALIBRATION_EVALUATIONS; i++) await w.board.idlePhase();
    const base = await w.board.heap();
    const evaluationsAtBase = w.board.evaluations;
    const n = evaluationsAtBase - evaluationsAtFirst;
    const perEvaluation = { slots: (base.slots - first.slots) / n, chunkBytes: (base.chunkBytes - first.chunkBytes) / n };
    const phases = new Map<string, MemorySample>();
    let samples = 0;
    const sample = async (phase: string): Promise<void> => {
      const h: XsHeapFigures = await w.board.heap();
      samples++;
      const e = w.board.evaluations - evaluationsAtBase;
      const slots = Math.round(h.slots - base.slots - e * perEvaluation.slots);
      const chunkBytes = Math.round(h.chunkBytes - base.chunkBytes - e * perEvaluation.chunkBytes);
      const s = { phase, slots, chunkBytes, esp32Bytes: 16 * slots + chunkBytes };
      const prev = phases.get(phase);
      if (prev === undefined || s.esp32Bytes > prev.esp32Bytes) phases.set(phase, s);
    };
    const during = async (phase: string, r: { done(): boolean }, stepMs: number, maxSamples: number): Promise<void> => {
      for (let i = 0; !r.done() && i < maxSamples; i++) {
        await w.board.runFor(stepMs);
        await sample(phase);
      }
      await w.board.runWhile(() => !r.done(), 30_000);
    };

    await w.board.boot();
    await sample('boot');
    await w.board.setLink(true);
    await w.board.runFor(3000);
    await sample('idle');

    const pages = w.request(['/', '/', '/', '/stats.json']);
    await during('serving', pages, 1, 40);
    const bytes = w.request(['/bytes/65536', '/bytes/65536', '/bytes/65536', '/bytes/65536']);
    await during('serving', bytes, 2, 40);
    const served = [...pages.responses(), ...bytes.responses()];

    const flooder = w.flood(2000, 6000);
    let pageDuringFlood = 0;
    for (let t = 0; t < 6000; t += 500) {
      await w.board.runFor(500);
      await sample('flood');
      if (t === 2500) pageDuringFlood = (await w.get('/'))?.status ?? 0;
    }
    await w.board.runFor(40_000);
    await sample('after');
    const stats = await w.get('/stats.json');
    const figures = JSON.parse(stats?.body ?? '{}') as { stack?: { synDefence?: Record<string, number> } };
    const order = ['boot', 'idle', 'serving', 'flood', 'after'];
    const rows = order.map((p) => phases.get(p)!);
    const peak = rows.reduce((a, b) => (b.esp32Bytes > a.esp32Bytes ? b : a));
    return {
      worker: base.slotBytes === 16 ? '32-bit' : '64-bit',
      ...(worker?.reason !== undefined ? { workerNote: worker.reason } : {}),
      slotBytes: base.slotBytes,
      baseline: { slots: base.slots, chunkBytes: base.chunkBytes },
      perEvaluation,
      phases: rows,
      peak,
      samples,
      traffic: {
        pagesServed: served.filter((r) => r?.status === 200).length,
        bytesChecked: bytes.responses().reduce((n, r) => n + (r !== null && r.mismatches === 0 ? r.received : 0), 0),
        synsSent: flooder.sent,
        synsReceived: figures.stack?.synDefence?.synsReceived ?? 0,
        cookiesSent: figures.stack?.synDefence?.cookiesSent ?? 0,
        pageDuringFloodStatus: pageDuringFlood,
        framesIn: w.board.framesIn,
        framesOut: w.board.framesOut,
      },
      creation: manifestCreation(),
    };
  } finally {
    await w.close();
  }
}

/** The table docs/esp32.md shows. */
export function formatMemoryReport(r: MemoryReport): string {
  const kb = (n: number) => (n / 1024).toFixed(1);
  const lines = [
    `XS heap of the firmware (${r.worker} XS, ${r.slotBytes}-byte slots; ESP32 bytes = slots x 16 + chunks${r.worker === '64-bit' ? ', an upper bound' : ''}); ${r.samples} samples`,
    'phase      slots   chunks KB   ESP32 KB',
  ];
  for (const p of r.phases) lines.push(`${p.phase.padEnd(9)} ${String(p.slots).padStart(6)} ${kb(p.chunkBytes).padStart(10)} ${kb(p.esp32Bytes).padStart(10)}`);
  lines.push(`peak (${r.peak.phase}): ${r.peak.slots} slots, ${kb(r.peak.chunkBytes)} KB chunks = ${kb(r.peak.esp32Bytes)} KB on the ESP32`);
  lines.push(`manifest creation: ${r.creation.slots} slots + ${kb(r.creation.chunkBytes)} KB chunks = ${kb(r.creation.esp32Bytes)} KB`);
  return lines.join('\n');
}
