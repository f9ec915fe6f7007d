// Reading manifest.json (and the firmware's sub-manifests) the way mcconfig does, for the tests:
// `modules` entries map a module specifier to a source path without extension, where a trailing
// `*` on both sides maps every file of a directory (not recursively) by its name; `.ts` files are
// modules compiled by tsc and xsc, `.c` files are compiled, `.h` files add include directories,
// `.d.ts` files only declare types; other files are ignored (tools/mcmanifest.js, iterate and
// ModulesRule.appendSource, in the Moddable SDK).

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './bundle';

export type ModuleKind = 'ts' | 'js' | 'c' | 'h' | 'd.ts';

export interface ModuleFile {
  /** Module specifier (for .ts/.js), or the manifest's target for native files. */
  specifier: string;
  /** Absolute path of the file. */
  file: string;
  kind: ModuleKind;
}

export interface Manifest {
  build?: Record<string, string>;
  include?: string | (string | object)[];
  creation?: { static?: number; chunk?: { initial: number; incremental: number }; heap?: { initial: number; incremental: number }; stack?: number; main?: string };
  config?: Record<string, unknown>;
  defines?: Record<string, unknown>;
  modules?: Record<string, string | string[]>;
  preload?: string[];
  platforms?: Record<string, Manifest & { dependency?: { idf?: string; name?: string; namespace?: string; version?: string }[]; error?: string; warning?: string }>;
}

export function readManifest(file: string): Manifest {
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

function kindOf(name: string): { base: string; kind: ModuleKind } | null {
  if (name.endsWith('.d.ts')) return { base: name.slice(0, -5), kind: 'd.ts' };
  for (const ext of ['ts', 'js', 'c', 'h'] as const) if (name.endsWith('.' + ext)) return { base: name.slice(0, -ext.length - 1), kind: ext };
  return null;
}

/** The files one `modules` entry maps, or an error string when its directory does not exist. */
export function expandModuleEntry(target: string, source: string, dir: string): ModuleFile[] | string {
  const full = path.resolve(dir, source);
  const directory = path.dirname(full);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) return `directory not found: ${source}`;
  const name = path.basename(full);
  const star = name.lastIndexOf('*');
  const out: ModuleFile[] = [];
  for (const entry of readdirSync(directory).sort()) {
    if (entry.startsWith('.')) continue;
    const file = path.join(directory, entry);
    if (!statSync(file).isFile()) continue;
    const k = kindOf(entry);
    if (k === null) continue;
    let specifier: string;
    if (star >= 0) {
      const prefix = name.slice(0, star);
      if (!k.base.startsWith(prefix)) continue;
      specifier = target.endsWith('*') ? target.slice(0, -1) + k.base.slice(prefix.length) : target;
    } else {
      if (k.base !== name) continue;
      specifier = target === '*' ? k.base : target;
    }
    out.push({ specifier, file, kind: k.kind });
  }
  return out;
}

/** Every file a manifest's `modules` maps (no includes followed). */
export function expandModules(manifest: Manifest, dir: string): { files: ModuleFile[]; errors: string[] } {
  const files: ModuleFile[] = [];
  const errors: string[] = [];
  for (const [target, sources] of Object.entries(manifest.modules ?? {})) {
    for (const source of Array.isArray(sources) ? sources : [sources]) {
      if (source.includes('$(')) continue; // Moddable SDK modules; not here to check
      const r = expandModuleEntry(target, source, dir);
      if (typeof r === 'string') errors.push(r);
      else if (r.length === 0) errors.push(`no file matches ${target}: ${source}`);
      else files.push(...r);
    }
  }
  return { files, errors };
}

export const ROOT_MANIFEST = path.join(repoRoot, 'manifest.json');
export const LINKS = ['wifi', 'emac', 'w5500'] as const;

/** The sub-manifest SYNSTACK_LINK=<link> includes. */
export function linkManifestPath(link: string): string {
  return path.join(repoRoot, 'firmware/manifests', `manifest_${link}.json`);
}

/** The JavaScript modules of the root manifest: specifier -> .ts file (repository-relative). */
export function scriptModules(): Map<string, string> {
  const { files } = expandModules(readManifest(ROOT_MANIFEST), repoRoot);
  const map = new Map<string, string>();
  for (const f of files) if (f.kind === 'ts' || f.kind === 'js') map.set(f.specifier, path.relative(repoRoot, f.file).split(path.sep).join('/'));
  return map;
}
