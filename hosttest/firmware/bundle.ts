// Bundles firmware/main.ts for XS on the host: esbuild with the Moddable modules replaced by the
// simulated ones in hosttest/firmware/xs/ and the Native API shim installed first, then a glue
// (the co-simulation in hosttest/xs/scenarios/firmware-cosim.ts, or the preload check). The
// firmware sources are bundled exactly as they are; nothing in firmware/ knows about the host.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Moddable module specifiers and their simulated stand-ins. */
export const MODDABLE_STAND_INS: Readonly<Record<string, string>> = Object.freeze({
  timer: './hosttest/firmware/xs/timer.ts',
  time: './hosttest/firmware/xs/time.ts',
  'mc/config': './hosttest/firmware/xs/mc-config.ts',
  preference: './hosttest/firmware/xs/preference.ts',
  instrumentation: './hosttest/firmware/xs/instrumentation.ts',
});

export interface FirmwareBundle {
  code: string;
  /** Source files in the bundle, relative to the repository. */
  inputs: string[];
}

/**
 * Bundle `entry` (TypeScript source text, resolved from the repository root) as an IIFE for XS.
 * Node built-ins are not available (platform "neutral"), so a firmware module importing one
 * fails here.
 */
export async function bundleForXs(entry: string): Promise<FirmwareBundle> {
  const built = await build({
    stdin: { contents: entry, resolveDir: repoRoot, sourcefile: 'firmware-entry.ts', loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'neutral',
    target: 'es2022',
    alias: MODDABLE_STAND_INS,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
    absWorkingDir: repoRoot,
  });
  const js = built.outputFiles[0];
  if (js === undefined) throw new Error('esbuild produced no bundle');
  return { code: js.text, inputs: Object.keys(built.metafile.inputs) };
}

/**
 * The co-simulation bundle as a preloaded board runs it: the listed modules (relative source
 * paths) evaluated with host functions disabled, then the built-ins and their exported functions
 * frozen (hosttest/xs/scenarios/firmware-preload.ts), then the co-simulation.
 */
export function preloadCosimBundle(modules: string[]): Promise<FirmwareBundle> {
  const lines = ["import './hosttest/firmware/xs/preload-begin';"];
  modules.forEach((m, i) => lines.push(`import * as m${i} from './${m}';`));
  lines.push("import main from './firmware/main';");
  lines.push("import { finishPreload } from './hosttest/xs/scenarios/firmware-preload';");
  lines.push(`finishPreload([${modules.map((_, i) => `m${i}`).join(', ')}], main);`);
  return bundleForXs(lines.join('\n'));
}

/** The co-simulation bundle: the shim, firmware/main.ts, and the XS side of cosim.ts. */
export function cosimBundle(): Promise<FirmwareBundle> {
  return bundleForXs([
    "import './hosttest/firmware/xs/globals';",
    "import main from './firmware/main';",
    "import { installCosim } from './hosttest/xs/scenarios/firmware-cosim';",
    'installCosim(main);',
  ].join('\n'));
}
