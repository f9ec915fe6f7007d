// manifest.json and the firmware's sub-manifests, checked against the files and against how the
// Moddable SDK reads them (hosttest/firmware/manifest.ts): every path exists; every import of
// every JavaScript module resolves, by XS's rule for relative specifiers, to a module the
// manifest provides, or names a Moddable module the build has; no module imports Node; every
// module is preloaded; creation.main is the firmware's entry; each SYNSTACK_LINK choice includes
// its driver, the defines its C code needs and well-formed ESP-IDF dependencies; the host
// functions the TypeScript names exist in C; the firmware type-checks against @moddable/typings
// and cannot use Node's globals.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './bundle';
import { LINKS, type Manifest, ROOT_MANIFEST, expandModules, linkManifestPath, readManifest, scriptModules } from './manifest';

const root = readManifest(ROOT_MANIFEST);

/** Modules of the Moddable SDK the firmware may import (manifest_base.json and the includes). */
const MODDABLE_MODULES = new Set(['timer', 'time', 'mc/config', 'preference', 'instrumentation']);

/** XS's resolution of a relative specifier from a module (xs/platforms/mc/xsHosts.c, fxFindModule). */
function resolveLikeXs(from: string, specifier: string): string | null {
  const parts = from.split('/');
  parts.pop();
  for (const piece of specifier.split('/')) {
    if (piece === '.') continue;
    if (piece === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(piece);
  }
  return parts.join('/').replace(/\.js$/, '');
}

function importsOf(file: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(repoRoot, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: { specifier: string; typeOnly: boolean }[] = [];
  for (const s of source.statements) {
    if ((ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier)) {
      let typeOnly = ts.isImportDeclaration(s) ? (s.importClause?.isTypeOnly ?? false) : s.isTypeOnly;
      if (ts.isImportDeclaration(s) && !typeOnly && s.importClause && !s.importClause.name) {
        const b = s.importClause.namedBindings;
        if (b && ts.isNamedImports(b) && b.elements.length > 0 && b.elements.every((e) => e.isTypeOnly)) typeOnly = true;
      }
      out.push({ specifier: s.moduleSpecifier.text, typeOnly });
    }
  }
  return out;
}

describe('manifest.json', () => {
  it('includes the Moddable base and sets creation for the firmware entry', () => {
    const include = Array.isArray(root.include) ? root.include : [root.include];
    expect(include).toContain('$(MODDABLE)/examples/manifest_base.json');
    expect(root.creation).toMatchObject({ static: 0, main: 'synstack/firmware/main' });
    expect(root.creation?.chunk?.initial).toBeGreaterThan(0);
    expect(root.creation?.heap?.initial).toBeGreaterThan(0);
    expect(scriptModules().get('synstack/firmware/main')).toBe('firmware/main.ts');
    expect(readFileSync(path.join(repoRoot, 'firmware/main.ts'), 'utf8')).toMatch(/^export default function main\(\): void \{/m);
  });

  it('maps only paths that exist', () => {
    const { files, errors } = expandModules(root, repoRoot);
    expect(errors).toEqual([]);
    expect(files.filter((f) => f.kind === 'ts').length).toBeGreaterThan(50);
    for (const link of ['link', ...LINKS]) {
      const file = linkManifestPath(link);
      const r = expandModules(readManifest(file), path.dirname(file));
      expect({ link, errors: r.errors }).toEqual({ link, errors: [] });
      expect(r.files.length).toBeGreaterThan(0);
    }
  });

  it('every import of every module resolves to a module of the manifest or of the Moddable SDK; none is Node', () => {
    const modules = scriptModules();
    const problems: string[] = [];
    for (const [specifier, file] of modules) {
      for (const imp of importsOf(file)) {
        if (imp.typeOnly) continue; // erased by tsc
        if (imp.specifier.startsWith('.')) {
          const target = resolveLikeXs(specifier, imp.specifier);
          if (target === null || !modules.has(target)) problems.push(`${file}: ${imp.specifier} -> ${target} is not a module of the manifest`);
        } else if (!MODDABLE_MODULES.has(imp.specifier)) {
          problems.push(`${file}: imports ${imp.specifier}, which the device build does not have`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('includes every module the firmware uses, and preloads every module it includes', async () => {
    const { bundleForXs } = await import('./bundle');
    const b = await bundleForXs("import './hosttest/firmware/xs/globals'; import main from './firmware/main'; (globalThis as any).m = main;");
    const used = b.inputs.filter((f) => /^(src|app|firmware)\//.test(f));
    const provided = new Set(scriptModules().values());
    expect(used.filter((f) => !provided.has(f))).toEqual([]);
    const preload = root.preload ?? [];
    const modules = [...scriptModules().keys()];
    expect(modules.filter((m) => !preload.includes(m))).toEqual([]);
    expect(preload.filter((m) => !modules.includes(m))).toEqual([]);
    expect(new Set(preload).size).toBe(preload.length);
    // Portable: only the core, the apps and the firmware's TypeScript are preloaded.
    for (const m of preload) expect(scriptModules().get(m)).toMatch(/^(src|app|firmware)\/[a-z0-9/-]+\.ts$/);
  }, 60_000);

  it('has ESP32 platform sections (with and without a subplatform) that choose the link driver, and an error elsewhere', () => {
    const p = root.platforms!;
    expect(p.esp32).toEqual(p['esp32/*']);
    expect(p['...']?.error).toMatch(/ESP32/);
    expect(root.build?.['SYNSTACK_LINK ?=']).toBe('wifi');
    const include = p.esp32!.include as string;
    expect(include).toBe('./firmware/manifests/manifest_$(SYNSTACK_LINK).json');
    for (const link of LINKS) expect(existsSync(path.join(repoRoot, include.replace('$(SYNSTACK_LINK)', link)))).toBe(true);
    const sdkconfig = path.join(repoRoot, p.esp32!.build!.SDKCONFIGPATH!);
    const lines = readFileSync(path.join(sdkconfig, 'sdkconfig.defaults'), 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    for (const l of lines) expect(l).toMatch(/^CONFIG_[A-Z0-9_]+=(y|n|-?\d+|"[^"]*")$/);
  });

  it('defines a receive ring the native code accepts', () => {
    const ring = (root.defines as { synstack: { ring: { bytes: number; frame: number } } }).synstack.ring;
    expect(ring.bytes & (ring.bytes - 1)).toBe(0);
    expect(ring.frame).toBeGreaterThanOrEqual(1518); // 1514 + one 802.1Q tag
    expect(2 * (4 + ring.frame)).toBeLessThanOrEqual(ring.bytes); // ring_init's condition
  });
});

// ---- the links' sub-manifests and their C code ---------------------------------------------------

/** defines as MODDEF_ names -> values. */
function flattenDefines(prefix: string, value: unknown, out: Map<string, unknown>): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenDefines(`${prefix}_${k.toUpperCase()}`, v, out);
  } else out.set(prefix, value);
}

function linkBuild(link: string): { manifests: Manifest[]; cFiles: string[]; defines: Map<string, unknown> } {
  const manifests: Manifest[] = [root];
  const cFiles: string[] = [];
  const visit = (file: string) => {
    const m = readManifest(file);
    manifests.push(m);
    const inc = m.include === undefined ? [] : Array.isArray(m.include) ? m.include : [m.include];
    for (const i of inc) if (typeof i === 'string') visit(path.resolve(path.dirname(file), i));
    for (const f of expandModules(m, path.dirname(file)).files) if (f.kind === 'c') cFiles.push(f.file);
  };
  visit(linkManifestPath(link));
  const defines = new Map<string, unknown>();
  for (const m of manifests) if (m.defines) flattenDefines('MODDEF', m.defines, defines);
  return { manifests, cFiles, defines };
}

/**
 * The MODDEF_SYNSTACK_* names a C file uses where they are needed: lines inside #if/#ifdef/#ifndef
 * blocks are followed with the given defines (a tiny unifdef), and a name guarded by
 * `#ifndef NAME` has a default and is not needed.
 */
function neededDefines(file: string, defines: Map<string, unknown>): Set<string> {
  const lines = readFileSync(file, 'utf8').split('\n');
  const needed = new Set<string>();
  const optional = new Set<string>();
  const stack: { active: boolean; taken: boolean }[] = [];
  const active = () => stack.every((s) => s.active);
  const truth = (expr: string): boolean | null => {
    const m = /^(!?)\s*(MODDEF_[A-Z0-9_]+)$/.exec(expr.trim());
    if (!m) return null;
    const v = defines.get(m[2]!);
    const t = v !== undefined && v !== 0 && v !== false;
    return m[1] ? !t : t;
  };
  for (const line of lines) {
    const d = /^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$/.exec(line);
    if (d) {
      const [, kind, rest] = d;
      if (kind === 'ifndef' && /MODDEF_SYNSTACK_/.test(rest!)) optional.add(rest!.trim());
      if (kind === 'if' || kind === 'ifdef' || kind === 'ifndef') {
        let t: boolean | null = true;
        if (kind === 'if') t = truth(rest!);
        else if (kind === 'ifdef') t = defines.has(rest!.trim()) || null;
        else t = rest!.includes('MODDEF_') ? !defines.has(rest!.trim()) : null;
        stack.push({ active: t ?? true, taken: t ?? true });
      } else if (kind === 'else') {
        const top = stack[stack.length - 1]!;
        top.active = !top.taken;
      } else if (kind === 'endif') stack.pop();
      continue;
    }
    if (!active()) continue;
    for (const m of line.matchAll(/MODDEF_SYNSTACK_[A-Z0-9_]+/g)) needed.add(m[0]);
  }
  for (const o of optional) needed.delete(o);
  return needed;
}

describe('the link drivers (SYNSTACK_LINK)', () => {
  it.each(LINKS)('%s: driver C files, defines its code needs, ESP-IDF dependencies', (link) => {
    const b = linkBuild(link);
    const names = b.cFiles.map((f) => path.basename(f)).sort();
    const driver = link === 'wifi' ? 'link_wifi.c' : 'link_eth.c';
    expect(names).toEqual(['checksum.c', driver, 'halfsiphash.c', 'ring.c', 'xs_accel.c', 'xs_link.c'].sort());
    const missing: string[] = [];
    for (const f of b.cFiles) for (const name of neededDefines(f, b.defines)) if (!b.defines.has(name)) missing.push(`${path.basename(f)}: ${name}`);
    expect(missing).toEqual([]);
    expect(b.defines.get('MODDEF_SYNSTACK_LINK_WIFI')).toBe(link === 'wifi' ? 1 : 0);
    if (link !== 'wifi') expect(b.defines.get('MODDEF_SYNSTACK_ETH_W5500')).toBe(link === 'w5500' ? 1 : 0);
    const deps = b.manifests.flatMap((m) => m.platforms?.esp32?.dependency ?? []);
    for (const m of b.manifests.slice(1)) expect(m.platforms?.esp32).toEqual(m.platforms?.['esp32/*']);
    for (const d of deps) {
      if (d.idf !== undefined) expect(d.idf).toMatch(/^[a-z0-9_]+$/);
      else expect(d).toMatchObject({ name: expect.stringMatching(/^[a-z0-9_]+$/), version: expect.stringMatching(/^\^\d+\.\d+\.\d+$/) });
    }
    const wanted = link === 'wifi' ? ['esp_wifi'] : link === 'emac' ? ['esp_eth', 'lan87xx'] : ['esp_eth', 'w5500', 'wiznet_common', 'esp_driver_spi'];
    for (const w of wanted) expect(deps.some((d) => d.idf === w || d.name === w)).toBe(true);
  });

  it('every host function and destructor the TypeScript names is defined in C, and every C one is used', () => {
    const tsText = readdirSync(path.join(repoRoot, 'firmware')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => readFileSync(path.join(repoRoot, 'firmware', f), 'utf8')).join('\n');
    const named = new Set([...tsText.matchAll(/\bnative\('([A-Za-z0-9_]+)'\)/g)].map((m) => m[1]!));
    const destructors = new Set([...tsText.matchAll(/\bNative\('([A-Za-z0-9_]+)'\)/g)].map((m) => m[1]!));
    const cText = readdirSync(path.join(repoRoot, 'firmware/native')).filter((f) => f.endsWith('.c'))
      .map((f) => readFileSync(path.join(repoRoot, 'firmware/native', f), 'utf8')).join('\n');
    const defined = new Set([...cText.matchAll(/^void (xs_synstack_[a-z_]+)\(xsMachine \*the\)/gm)].map((m) => m[1]!));
    const definedDestructors = new Set([...cText.matchAll(/^void (xs_synstack_[a-z_]+_destructor)\(void \*data\)/gm)].map((m) => m[1]!));
    expect(named.size).toBeGreaterThan(8);
    expect([...named].filter((n) => !defined.has(n))).toEqual([]);
    expect([...defined].filter((n) => !named.has(n))).toEqual([]);
    expect([...destructors]).toEqual([...definedDestructors]);
  });

  it('the link statistics have the same count in C and in TypeScript', async () => {
    const { LINK_STATISTICS } = await import('../../firmware/link-types');
    const c = readFileSync(path.join(repoRoot, 'firmware/native/xs_link.c'), 'utf8');
    const values = /const uint32_t values\[n\] = \{([^}]*)\}/.exec(c)!;
    expect(Number(/enum \{ n = (\d+) \}/.exec(c)![1])).toBe(LINK_STATISTICS.length);
    expect(values[1]!.split(',').filter((s) => s.trim() !== '').length).toBe(LINK_STATISTICS.length);
  });
});

describe('firmware type check', () => {
  function check(extra?: { file: string; text: string }): string[] {
    const configFile = path.join(repoRoot, 'firmware/tsconfig.json');
    const config = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const host = ts.createCompilerHost(config.options);
    const files = [...config.fileNames];
    if (extra) {
      const get = host.getSourceFile.bind(host);
      host.getSourceFile = (f, lang, onError, create) => (path.resolve(f) === extra.file ? ts.createSourceFile(f, extra.text, lang) : get(f, lang, onError, create));
      const exists = host.fileExists.bind(host);
      host.fileExists = (f) => path.resolve(f) === extra.file || exists(f);
      files.push(extra.file);
    }
    const program = ts.createProgram(files, { ...config.options, noEmit: true }, host);
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }

  it('type-checks against @moddable/typings and firmware/globals.d.ts', () => {
    expect(check()).toEqual([]);
  }, 60_000);

  it('fails on Node globals and on a misused Moddable API (the check can fail)', () => {
    const errors = check({
      file: path.join(repoRoot, 'firmware/__probe.ts'),
      text: "import Timer from 'timer';\nexport const a: string = process.env.HOME ?? '';\nTimer.schedule(Timer.set(() => {}), 'soon');\n",
    });
    expect(errors.join('\n')).toMatch(/Cannot find name 'process'/);
    expect(errors.join('\n')).toMatch(/'string' is not assignable to parameter of type 'number'/);
  }, 60_000);
});
