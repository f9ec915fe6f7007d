// Tokens of the packetdrill script language. Whitespace (newlines included) separates tokens and
// is otherwise insignificant; `//` and `/* */` are comments; `%{ ... }%` is a code block and
// `` `...` `` a shell command, each one token whatever lines it spans. `#ifdef NAME` ... `#endif`
// keeps its body only when NAME is defined (no nesting, as in packetdrill).

export type TokenKind =
  | 'int' | 'float' | 'hex' | 'word' | 'string' | 'backquote' | 'code' | 'option' | 'optvalue' | 'ellipsis' | 'ipv4'
  | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The token as written; for string, backquote and code the text inside the delimiters. */
  text: string;
  line: number;
}

/** A script error that names the file and the line. */
export class ScriptError extends Error {
  constructor(readonly file: string, readonly line: number, readonly detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'ScriptError';
  }
}

/** Seconds as written (`1`, `0.25`, `.1`) to integer microseconds, exactly. */
export function secondsToUs(text: string): number {
  const m = /^(\d*)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`not a time: ${text}`);
  const whole = m[1] === '' ? 0 : Number(m[1]);
  const frac = (m[2] ?? '').padEnd(6, '0');
  // Digits beyond microseconds are cut, as packetdrill's (s64)(secs * 1e6) does.
  return whole * 1_000_000 + Number(frac.slice(0, 6));
}

export interface LexResult {
  tokens: Token[];
  skippedBlocks: { line: number; name: string }[];
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isWordChar = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c) || c === '_');
const isHexDigit = (c: string | undefined): boolean => c !== undefined && /[0-9a-fA-F]/.test(c);

/**
 * `defines` are packetdrill's symbols (`-D NAME=value`, `--define=NAME=value`): a name alone only
 * counts for `#ifdef`; a word equal to a name with a value is replaced by that value, read as a
 * token (`"..."` a string, `` `...` `` a command, `0x..` hex, digits a number, else a word).
 */
function defineToken(value: string, line: number): Token {
  if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) return { kind: 'string', text: value.slice(1, -1), line };
  if (value.startsWith('`') && value.endsWith('`') && value.length >= 2) return { kind: 'backquote', text: value.slice(1, -1), line };
  if (/^0x[0-9a-fA-F]+$/.test(value)) return { kind: 'hex', text: value, line };
  if (/^-?\d+$/.test(value)) return { kind: 'int', text: value, line };
  if (/^-?\d*\.\d+$/.test(value)) return { kind: 'float', text: value, line };
  if (/^\d+\.\d+\.\d+\.\d+$/.test(value)) return { kind: 'ipv4', text: value, line };
  return { kind: 'word', text: value, line };
}

export function tokenize(text: string, file: string, defines: ReadonlyMap<string, string | null> = new Map()): LexResult {
  const tokens: Token[] = [];
  const skippedBlocks: { line: number; name: string }[] = [];
  let i = 0;
  let line = 1;
  let openIfdef = 0; // line of an #ifdef whose body is being read, 0 when none
  const n = text.length;
  const fail = (msg: string, at = line): never => {
    throw new ScriptError(file, at, msg);
  };
  /** Advance over text[i, j), counting newlines. */
  const skipTo = (j: number): void => {
    for (; i < j; i++) if (text[i] === '\n') line++;
  };
  const push = (kind: TokenKind, tokText: string, start: number, startLine: number): void => {
    tokens.push({ kind, text: tokText, line: startLine });
    void start;
  };

  while (i < n) {
    const c = text[i]!;
    const startLine = line;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v') {
      skipTo(i + 1);
      continue;
    }
    // Comments.
    if (c === '/' && text[i + 1] === '/') {
      const e = text.indexOf('\n', i);
      skipTo(e < 0 ? n : e);
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const e = text.indexOf('*/', i + 2);
      if (e < 0) fail('unterminated /* comment');
      skipTo(e + 2);
      continue;
    }
    // Preprocessor lines.
    if (c === '#') {
      if (text.startsWith('#ifdef', i)) {
        if (openIfdef !== 0) fail(`#ifdef already seen in line ${openIfdef}`);
        skipTo(i + 6);
        while (i < n && /\s/.test(text[i]!)) skipTo(i + 1);
        const m = /^[a-zA-Z][a-zA-Z0-9_]*/.exec(text.slice(i, i + 200));
        if (!m) fail('#ifdef must be followed by name');
        const name = m![0];
        const ifLine = startLine;
        skipTo(i + name.length);
        if (defines.has(name)) {
          openIfdef = ifLine;
        } else {
          const e = text.indexOf('#endif', i);
          if (e < 0) fail(`unterminated #ifdef in line ${ifLine}`, ifLine);
          skippedBlocks.push({ line: ifLine, name });
          skipTo(e + 6);
        }
        continue;
      }
      if (text.startsWith('#endif', i)) {
        if (openIfdef === 0) fail('missing #ifdef for #endif');
        openIfdef = 0;
        skipTo(i + 6);
        continue;
      }
    }
    // Code block %{ ... }%.
    if (c === '%' && text[i + 1] === '{') {
      const e = text.indexOf('}%', i + 2);
      if (e < 0) fail('unterminated %{ code block');
      const body = text.slice(i + 2, e).replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
      push('code', body, i, startLine);
      skipTo(e + 2);
      continue;
    }
    if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < n && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      if (j >= n) fail(c === '"' ? 'unterminated string' : 'unterminated back-quoted command');
      push(c === '"' ? 'string' : 'backquote', text.slice(i + 1, j), i, startLine);
      skipTo(j + 1);
      continue;
    }
    if (c === '-' && text[i + 1] === '-' && isWordChar(text[i + 2])) {
      let j = i + 2;
      while (isWordChar(text[j])) j++;
      push('option', text.slice(i + 2, j), i, startLine);
      skipTo(j);
      if (text[i] === '=') {
        // The value is the rest of the line (an address, a number, a word, NAME=value, a string).
        let e = text.indexOf('\n', i);
        if (e < 0) e = n;
        const c = text.indexOf('//', i);
        if (c >= 0 && c < e) e = c;
        let v = text.slice(i + 1, e).trim();
        if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
        push('punct', '=', i, startLine);
        push('optvalue', v, i + 1, startLine);
        skipTo(e);
      }
      continue;
    }
    if (c === '.' && text[i + 1] === '.' && text[i + 2] === '.') {
      push('ellipsis', '...', i, startLine);
      skipTo(i + 3);
      continue;
    }
    // Numbers, addresses and words: the longest of the candidate forms wins (as flex does).
    const numberStart = isDigit(c) || (c === '.' && isDigit(text[i + 1])) ||
      (c === '-' && (isDigit(text[i + 1]) || (text[i + 1] === '.' && isDigit(text[i + 2]))));
    if (numberStart || isWordChar(c)) {
      const rest = text.slice(i, i + 64);
      const candidates: [TokenKind, number][] = [];
      const ipv4 = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/.exec(rest);
      if (ipv4) candidates.push(['ipv4', ipv4[0].length]);
      const hex = /^0x[0-9a-fA-F]+/.exec(rest);
      if (hex) candidates.push(['hex', hex[0].length]);
      const flt = /^-?[0-9]*\.[0-9]+/.exec(rest);
      if (flt) candidates.push(['float', flt[0].length]);
      const int = /^-?[0-9]+/.exec(rest);
      if (int) candidates.push(['int', int[0].length]);
      const word = /^[a-zA-Z0-9_]+/.exec(rest);
      if (word) candidates.push(['word', word[0].length]);
      // Longest match; on a tie the earlier rule (the order above mirrors packetdrill's lexer).
      let best: [TokenKind, number] | null = null;
      for (const cand of candidates) if (best === null || cand[1] > best[1]) best = cand;
      if (best !== null) {
        let len = best[1];
        // A long run of digits or word characters may exceed the 64-character window.
        if (best[0] === 'word' || best[0] === 'int') {
          let j = i + len;
          while (j < n && (best[0] === 'word' ? isWordChar(text[j]) : isDigit(text[j]))) j++;
          len = j - i;
        } else if (best[0] === 'hex') {
          let j = i + len;
          while (j < n && isHexDigit(text[j])) j++;
          len = j - i;
        }
        const tokText = text.slice(i, i + len);
        const value = best[0] === 'word' ? defines.get(tokText) : undefined;
        if (value !== undefined && value !== null) tokens.push(defineToken(value, startLine));
        else push(best[0], tokText, i, startLine);
        skipTo(i + len);
        continue;
      }
    }
    push('punct', c, i, startLine);
    skipTo(i + 1);
  }
  if (openIfdef !== 0) fail(`unterminated #ifdef in line ${openIfdef}`, openIfdef);
  // End of file is reported on the last line that has a token (a trailing newline adds none).
  tokens.push({ kind: 'eof', text: '', line: tokens.length > 0 ? tokens[tokens.length - 1]!.line : 1 });
  return { tokens, skippedBlocks };
}
