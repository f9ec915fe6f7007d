// Benchmark dispatcher: `npm run bench -- <name> [args...]` runs hosttest/bench/<name>.ts, whose
// module exports `run(args)`. A benchmark prints a readable table and, as the last line of stdout,
// one JSON object with its figures (and writes the same JSON to out/bench/<name>.json).
//
// Any `<name>.ts` in this folder is a benchmark (lower-case name, not this file, not a test);
// helpers live in sub-folders (c/, ...) or in files whose name starts with `_`.

import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

/** What a benchmark module exports. */
export interface BenchModule {
  run(args: string[]): Promise<void> | void;
}

const HERE = dirname(fileURLToPath(import.meta.url));

function available(): string[] {
  return readdirSync(HERE)
    .filter((f) => /^[a-z][a-z0-9-]*\.ts$/.test(f) && f !== 'run.ts' && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function isBenchModule(m: unknown): m is BenchModule {
  return typeof m === 'object' && m !== null && typeof (m as { run?: unknown }).run === 'function';
}

async function main(argv: string[]): Promise<number> {
  const names = available();
  const [name, ...rest] = argv;
  if (name === undefined || !names.includes(name)) {
    if (name !== undefined) console.error(`unknown benchmark: ${name}`);
    console.error(`usage: npm run bench -- <name> [args...]\nbenchmarks: ${names.join(', ') || '(none)'}`);
    return 1;
  }
  const mod: unknown = await import(pathToFileURL(join(HERE, `${name}.ts`)).href);
  if (!isBenchModule(mod)) {
    console.error(`hosttest/bench/${name}.ts does not export run()`);
    return 1;
  }
  await mod.run(rest);
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
