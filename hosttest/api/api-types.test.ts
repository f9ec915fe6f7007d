// The type test (moddable-types.ts) is only worth something if a drift makes it fail: compile it
// with the TypeScript compiler as it is (no errors), and with synstack's TCP changed in memory the
// way a drift would change it (errors).

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const checkFile = join(root, 'hosttest/api/moddable-types.ts');
const tcpFile = join(root, 'src/api/tcp.ts');

function diagnostics(mutate?: (source: string) => string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, {
    ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {},
  })!;
  const host = ts.createCompilerHost(config.options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => {
    const text = read(f);
    return mutate && resolve(f) === tcpFile && text !== undefined ? mutate(text) : text;
  };
  const getSource = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, onError, create) => {
    if (mutate && resolve(f) === tcpFile) return ts.createSourceFile(f, mutate(readFileSync(f, 'utf8')), lang);
    return getSource(f, lang, onError, create);
  };
  const program = ts.createProgram([checkFile], { ...config.options, noEmit: true }, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('ECMA-419 shapes against @moddable/typings', () => {
  it('type-checks as it is', () => {
    expect(diagnostics()).toEqual([]);
  }, 60_000);

  it('fails when a member drifts (write renamed)', () => {
    const errors = diagnostics((s) => s.replace('  write(value: number | BufferSource): number {', '  send(value: number | BufferSource): number {'));
    expect(errors.join('\n')).toMatch(/write/);
  }, 60_000);

  it('fails when a callback drifts (onReadable loses its byte count)', () => {
    const errors = diagnostics((s) => s.replace('onReadable?: (this: TCP, bytes: number) => void;', 'onReadable?: (this: TCP, bytes: string) => void;'));
    expect(errors.length).toBeGreaterThan(0);
  }, 60_000);
});
