// The request side of HTTP/1.1 (RFC 9112 §2-§6) for app/status-server.ts: find the end of a
// request's header block in a byte buffer, and parse the request line and the few header fields
// the server acts on (Host, Connection, Content-Length, Transfer-Encoding) without copying the
// buffer. Strict where RFC 9112 says a server must reject (whitespace before a colon, obs-fold,
// bare CR, conflicting Content-Length), lenient where it allows (LF alone ends a line). Portable
// (ES2022 only).

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;

/** A parsed request head (one per server, reused). `error` is 0, or the status to answer with. */
export class RequestHead {
  error = 0;
  /** The method token as sent (methods are case-sensitive). */
  method = '';
  /** The path of the target, without query (an absolute-form target is reduced to its path). */
  path = '';
  /** HTTP/1.minor. */
  minor = 1;
  /** Connection: close / keep-alive seen. */
  close = false;
  keepAlive = false;
  /** Host fields seen. */
  hosts = 0;
  /** Content-Length, or -1 when absent. */
  contentLength = -1;
  transferEncoding = false;

  reset(): void {
    this.error = 0;
    this.method = '';
    this.path = '';
    this.minor = 1;
    this.close = false;
    this.keepAlive = false;
    this.hosts = 0;
    this.contentLength = -1;
    this.transferEncoding = false;
  }
}

/** How many CR and LF bytes b[0, len) starts with (RFC 9112 §2.2: empty lines before a request are ignored). */
export function emptyLines(b: Uint8Array, len: number): number {
  let i = 0;
  while (i < len && (b[i] === CR || b[i] === LF)) i++;
  return i;
}

/** Index just past the empty line ending the header block in b[0, len), or -1; from: resume point. */
export function headEnd(b: Uint8Array, from: number, len: number): number {
  for (let i = from < 1 ? 1 : from; i < len; i++) {
    if (b[i] !== LF) continue;
    const p = b[i - 1];
    if (p === LF || (p === CR && i >= 2 && b[i - 2] === LF)) return i + 1;
  }
  return -1;
}

/** RFC 9110 §5.6.2 tchar. */
function isTchar(ch: number): boolean {
  if (ch >= 0x30 && ch <= 0x39) return true; // DIGIT
  const lower = ch | 0x20;
  if (lower >= 0x61 && lower <= 0x7a) return true; // ALPHA
  // "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
  return ch === 0x21 || (ch >= 0x23 && ch <= 0x27) || ch === 0x2a || ch === 0x2b || ch === 0x2d || ch === 0x2e ||
    ch === 0x5e || ch === 0x5f || ch === 0x60 || ch === 0x7c || ch === 0x7e;
}

function str(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** b[from, to) equals `name` ignoring ASCII case (`name` in lower case). */
function equalsLower(b: Uint8Array, from: number, to: number, name: string): boolean {
  if (to - from !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    let ch = b[from + i]!;
    if (ch >= 0x41 && ch <= 0x5a) ch |= 0x20;
    if (ch !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** Past the line end at b[i] (CRLF or LF), or -1 if b[i] is not a line end. */
function lineEnd(b: Uint8Array, i: number, end: number): number {
  if (i < end && b[i] === LF) return i + 1;
  if (i + 1 < end && b[i] === CR && b[i + 1] === LF) return i + 2;
  return -1;
}

/** Parse b[0, end) (a request line and header fields ending with an empty line) into r. */
export function parseHead(b: Uint8Array, end: number, r: RequestHead): void {
  r.reset();
  let i = 0;
  // request-line = method SP request-target SP HTTP-version
  const m0 = i;
  while (i < end && isTchar(b[i]!)) i++;
  if (i === m0 || b[i] !== SP) return void (r.error = 400);
  r.method = str(b, m0, i);
  const t0 = ++i;
  while (i < end && b[i]! > 0x20 && b[i]! < 0x7f) i++;
  if (i === t0 || b[i] !== SP) return void (r.error = 400);
  const t1 = i++;
  // HTTP-version = "HTTP" "/" DIGIT "." DIGIT (case-sensitive)
  if (i + 8 > end || b[i] !== 0x48 || b[i + 1] !== 0x54 || b[i + 2] !== 0x54 || b[i + 3] !== 0x50 || b[i + 4] !== 0x2f || b[i + 6] !== 0x2e) {
    return void (r.error = 400);
  }
  const major = b[i + 5]! - 0x30;
  const minor = b[i + 7]! - 0x30;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return void (r.error = 400);
  i = lineEnd(b, i + 8, end);
  if (i < 0) return void (r.error = 400);
  if (major !== 1) return void (r.error = 505);
  r.minor = minor;
  if (!target(b, t0, t1, r)) return void (r.error = 400);
  // *( field-line CRLF ) CRLF
  for (;;) {
    const blank = lineEnd(b, i, end);
    if (blank >= 0) return;
    if (i >= end) return void (r.error = 400);
    // field-line = field-name ":" OWS field-value OWS; no whitespace before ":" and no
    // obs-fold (a line starting with whitespace), both answered with 400 (RFC 9112 §5.1, §5.2).
    const n0 = i;
    while (i < end && isTchar(b[i]!)) i++;
    if (i === n0 || b[i] !== COLON) return void (r.error = 400);
    const n1 = i++;
    while (i < end && (b[i] === SP || b[i] === HT)) i++;
    const v0 = i;
    // field-value: VCHAR, obs-text, SP, HTAB; a bare CR or another control is an error (§2.2).
    while (i < end && b[i] !== LF) {
      const ch = b[i]!;
      if ((ch < 0x20 && ch !== HT) || ch === 0x7f) {
        if (ch === CR && b[i + 1] === LF) break;
        return void (r.error = 400);
      }
      i++;
    }
    let v1 = i;
    while (v1 > v0 && (b[v1 - 1] === SP || b[v1 - 1] === HT)) v1--;
    i = lineEnd(b, i, end);
    if (i < 0) return void (r.error = 400);
    if (!field(b, n0, n1, v0, v1, r)) return void (r.error = 400);
  }
}

/** The path of an origin-form or absolute-form target (RFC 9112 §3.2), without the query. */
function target(b: Uint8Array, t0: number, t1: number, r: RequestHead): boolean {
  let p = t0;
  if (b[p] !== 0x2f) {
    // absolute-form: scheme "://" authority [path]
    let k = p;
    while (k < t1 && b[k] !== COLON) k++;
    const scheme = equalsLower(b, p, k, 'http') || equalsLower(b, p, k, 'https');
    if (!scheme || k + 3 > t1 || b[k + 1] !== 0x2f || b[k + 2] !== 0x2f) return false;
    p = k + 3;
    while (p < t1 && b[p] !== 0x2f && b[p] !== 0x3f) p++;
    if (p === t1 || b[p] === 0x3f) {
      r.path = '/';
      return true;
    }
  }
  let q = p;
  while (q < t1 && b[q] !== 0x3f && b[q] !== 0x23) q++;
  r.path = str(b, p, q);
  return true;
}

/** Record the fields the server acts on; false for a malformed one. */
function field(b: Uint8Array, n0: number, n1: number, v0: number, v1: number, r: RequestHead): boolean {
  if (equalsLower(b, n0, n1, 'host')) {
    r.hosts++;
    return true;
  }
  if (equalsLower(b, n0, n1, 'content-length')) {
    // 1*DIGIT; a repeated field must say the same (RFC 9112 §6.3 item 5).
    if (v1 === v0) return false;
    let n = 0;
    for (let i = v0; i < v1; i++) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) return false;
      n = n < 1e15 ? n * 10 + d : n;
    }
    if (r.contentLength >= 0 && r.contentLength !== n) return false;
    r.contentLength = n;
    return true;
  }
  if (equalsLower(b, n0, n1, 'transfer-encoding')) {
    r.transferEncoding = true;
    return true;
  }
  if (equalsLower(b, n0, n1, 'connection')) {
    // #connection-option: comma-separated tokens, case-insensitive.
    let i = v0;
    while (i < v1) {
      while (i < v1 && (b[i] === SP || b[i] === HT || b[i] === 0x2c)) i++;
      const k0 = i;
      while (i < v1 && b[i] !== 0x2c && b[i] !== SP && b[i] !== HT) i++;
      if (equalsLower(b, k0, i, 'close')) r.close = true;
      else if (equalsLower(b, k0, i, 'keep-alive')) r.keepAlive = true;
    }
  }
  return true;
}

