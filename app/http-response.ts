// The response side of app/status-server.ts: status lines, headers and the two pages (HTML and
// JSON) as ASCII bytes. Portable (ES2022 only): no TextEncoder, which Moddable apps do not get by
// default; non-ASCII characters are escaped (&#N; in HTML, \uXXXX in JSON).

export const REASONS: Readonly<Record<number, string>> = {
  200: 'OK', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout',
  413: 'Content Too Large', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error',
  505: 'HTTP Version Not Supported',
};

/** The body of an error response: "404 Not Found\n". */
export function statusText(status: number): string {
  return `${status} ${REASONS[status]}\n`;
}

/**
 * Status line, header fields and an (ASCII) body as bytes, then `tail` (the start of a generated
 * body). `length` is the Content-Length (for a generated or HEAD body it differs from
 * body.length); `extra` are more header lines, each ending in CRLF.
 */
export function responseBytes(status: number, type: string, body: string, length: number, extra: string, tail?: Uint8Array): Uint8Array {
  const head =
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nServer: synstack\r\nContent-Type: ${type}\r\n` +
    `Content-Length: ${length}\r\n${extra}\r\n`;
  const bytes = new Uint8Array(head.length + body.length + (tail?.length ?? 0));
  ascii(head, bytes, 0);
  ascii(body, bytes, head.length);
  if (tail !== undefined) bytes.set(tail, head.length + body.length);
  return bytes;
}

function ascii(s: string, out: Uint8Array, at: number): void {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    out[at + i] = ch < 0x80 ? ch : 0x3f;
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"\u0080-\uffff]/g, (ch) => {
    if (ch === '&') return '&amp;';
    if (ch === '<') return '&lt;';
    if (ch === '>') return '&gt;';
    if (ch === '"') return '&quot;';
    return `&#${ch.charCodeAt(0)};`;
  });
}

/** A value as HTML: objects as tables of their fields (at most 4 deep), arrays as lists. */
export function renderHtml(value: unknown, depth = 1): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'object') {
    if (depth > 4) return '...';
    if (Array.isArray(value)) return value.map((v) => renderHtml(v, depth + 1)).join(', ');
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 0) return '-';
    let rows = '';
    for (const k of keys) rows += `<tr><th>${escapeHtml(k)}</th><td>${renderHtml(o[k], depth + 1)}</td></tr>`;
    return `<table>${rows}</table>`;
  }
  return escapeHtml(String(value));
}

/** The status page: a section per top-level field of `figures`, nested objects as tables. */
export function statusPage(title: string, figures: Record<string, unknown>): string {
  const t = escapeHtml(title);
  let html =
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">' +
    `<title>${t}</title><style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}` +
    'th,td{border:1px solid #bbb;padding:2px 6px;vertical-align:top}th{text-align:left;font-weight:normal}' +
    `td{text-align:right}</style></head><body><h1>${t}</h1>\n`;
  for (const key of Object.keys(figures)) html += `<h2>${escapeHtml(key)}</h2>\n${renderHtml(figures[key])}\n`;
  html += '<p><a href="/stats.json">stats.json</a></p></body></html>\n';
  return html;
}

/** JSON in ASCII: non-ASCII only appears inside strings, where \u escapes mean the same. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0')) + '\n';
}
