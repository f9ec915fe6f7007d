// Every module manifest.json preloads can be preloaded, checked under XS the way the build does
// it: the modules are evaluated with host functions disabled (a call throws, as on the build
// machine), then the built-ins and every exported function are frozen (what the XS linker does
// to a preloaded machine), and then the firmware boots and works in those conditions: it serves
// its page and takes a short SYN flood. A module that calls a native function at its top level is
// refused by the same check.

import { afterEach, describe, expect, it } from 'vitest';
import { bundleForXs, preloadCosimBundle } from '../firmware/bundle';
import { readManifest, ROOT_MANIFEST, scriptModules } from '../firmware/manifest';
import { type FirmwareWorld, GATEWAY, STATIC_ADDRESS, firmwareWorld } from '../firmware/world';
import { XsnapSession } from '../firmware/xsnap';

let world: FirmwareWorld | null = null;

afterEach(async () => {
  await world?.close();
  world = null;
});

function preloadedSources(): string[] {
  const modules = scriptModules();
  const preload = readManifest(ROOT_MANIFEST).preload ?? [];
  return preload.map((name) => {
    const source = modules.get(name);
    if (source === undefined) throw new Error(`preload names ${name}, which manifest.json's modules do not provide`);
    return source;
  });
}

describe('firmware preload under XS', () => {
  it('evaluates every preloaded module without a host call, then runs frozen as a preloaded board', async () => {
    const sources = preloadedSources();
    expect(sources.length).toBeGreaterThan(50);
    const w = (world = await firmwareWorld({
      seed: 8, config: { address: STATIC_ADDRESS, gateway: GATEWAY }, bundle: () => preloadCosimBundle(sources),
    }));
    const note = w.board.notes[0] as { called: string[]; modules: number; frozen: number; builtins: number };
    expect(note.called).toEqual([]);
    expect(note.modules).toBe(sources.length);
    expect(note.frozen).toBeGreaterThan(50);
    expect(note.builtins).toBeGreaterThan(30);
    console.log(`[xs preload] ${note.modules} modules, ${note.frozen} exported functions and ${note.builtins} built-ins frozen`);

    await w.board.boot();
    await w.board.setLink(true);
    await w.board.runFor(500);
    expect((await w.get('/'))?.status).toBe(200);
    w.flood(2000, 1000);
    await w.board.runFor(1500);
    expect((await w.get('/stats.json'))?.status).toBe(200);
    expect(w.board.trace.some((l) => l.includes('attack-start'))).toBe(true);
  }, 120_000);

  it('refuses a module that calls a host function at its top level (the check can fail)', async () => {
    const b = await bundleForXs([
      "import './hosttest/firmware/xs/preload-begin';",
      "import { checksum } from './firmware/accelerators';",
      'checksum(new Uint8Array(4), 0, 4, 0);',
    ].join('\n'));
    const session = new XsnapSession(() => '');
    try {
      await expect(session.eval(b.code)).rejects.toThrow(/uncaught exception/);
    } finally {
      await session.close();
    }
  }, 60_000);
});
