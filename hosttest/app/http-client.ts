// A small HTTP/1.1 test client over synstack's ECMA-419 TCP socket, for the status server's tests
// and scenarios. It writes raw request text (so tests can send malformed and pipelined requests
// exactly as they mean), parses every response (status line, header fields, a Content-Length
// body) and keeps each body, except the /bytes content (application/octet-stream), which it
// checks byte for byte against the server's definition as it arrives and only counts.
// Portable (runs under XS too): no Node modules, no TextDecoder.

import type { Stack } from '../../src/api/stack';
import TCP from '../../src/api/tcp';

export interface ClientResponse {
  version: string;
  status: number;
  reason: string;
  /** Header fields by lower-case name (repeated fields joined with ", "). */
  headers: Record<string, string>;
  /** Content-Length, or -1 when absent. */
  contentLength: number;
  /** Body bytes received. */
  received: number;
  /** The body as text (Latin-1), unless it was checked as /bytes content. */
  body: string;
  /** /bytes content: bytes that differ from (i * 31 + 7) & 0xff; -1 when not checked. */
  mismatches: number;
  /** Simulated ms when the head and the whole body had arrived. */
  headAt: number;
  doneAt: number;
}

export interface HttpClientOptions {
  stack: Stack;
  address: string;
  port: number;
  /** Clock for the timestamps (the simulator's). */
  now: () => number;
  /** Called after each complete response. */
  onResponse?: (r: ClientResponse, client: HttpClient) => void;
  /** Called once when the server closed or the connection failed. */
  onClose?: (client: HttpClient) => void;
}

/** Byte i of the server's /bytes content, written out independently of app/. */
function expected(i: number): number {
  return (i * 31 + 7) & 0xff;
}

const MAX_HEAD = 16 * 1024;

export class HttpClient {
  readonly socket: TCP;
  readonly responses: ClientResponse[] = [];
  connected = false;
  /** The server closed (FIN, then everything read) or the connection failed. */
  closed = false;
  closedAt = -1;
  /** How the connection failed ('reset', 'timeout', ...), null after an orderly close by the server. */
  failure: string | null = null;
  /** Bytes received after the last complete response that did not form one (e.g. before a close). */
  get pendingBytes(): number {
    return this.head.length + (this.current !== null ? this.current.received : 0);
  }

  private readonly now: () => number;
  private readonly options: HttpClientOptions;
  private outgoing: Uint8Array[] = [];
  private room = 0;
  private head: number[] = [];
  private current: ClientResponse | null = null;
  private readonly headRequests: boolean[] = [];

  constructor(options: HttpClientOptions) {
    this.options = options;
    this.now = options.now;
    this.socket = new TCP({
      stack: options.stack, address: options.address, port: options.port,
      onWritable: (n) => {
        this.connected = true;
        this.room = n;
        this.flush();
      },
      onReadable: (n) => this.receive(new Uint8Array(this.socket.read(n) as ArrayBuffer)),
      onError: () => this.end(),
    });
  }

  /**
   * Queue raw request text (any number of requests, sent as one write when the room allows).
   * `heads`: for each HEAD request in it, in order, push true so its response is read without a body.
   */
  send(text: string, heads: boolean[] = []): void {
    const b = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i) & 0xff;
    this.outgoing.push(b);
    for (const h of heads) this.headRequests.push(h);
    if (this.connected) this.flush();
  }

  /** The next responses' requests: true for HEAD (no body), false otherwise. */
  expectHead(isHead: boolean): void {
    this.headRequests.push(isHead);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closedAt = this.now();
    this.socket.close();
  }

  private flush(): void {
    while (this.outgoing.length > 0 && !this.closed) {
      const b = this.outgoing[0]!;
      if (b.length > this.room) return;
      this.socket.write(b);
      this.room -= b.length;
      this.outgoing.shift();
    }
  }

  private end(): void {
    if (this.closed) return;
    this.failure = this.socket.stats.failure;
    this.closed = true;
    this.closedAt = this.now();
    this.socket.close();
    this.options.onClose?.(this);
  }

  private receive(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.current === null) {
        // Collect the head up to the empty line.
        while (i < bytes.length && this.current === null) {
          this.head.push(bytes[i++]!);
          const h = this.head;
          const n = h.length;
          if (n >= 4 && h[n - 1] === 10 && h[n - 2] === 13 && h[n - 3] === 10 && h[n - 4] === 13) this.startResponse();
          else if (n > MAX_HEAD) throw new Error('http-client: response head too large');
        }
        continue;
      }
      const r = this.current;
      const want = r.contentLength - r.received;
      const take = Math.min(want, bytes.length - i);
      if (r.mismatches >= 0) {
        for (let k = 0; k < take; k++) if (bytes[i + k] !== expected(r.received + k)) r.mismatches++;
      } else {
        let s = '';
        for (let k = 0; k < take; k++) s += String.fromCharCode(bytes[i + k]!);
        r.body += s;
      }
      r.received += take;
      i += take;
      if (r.received === r.contentLength) this.finish();
    }
  }

  private startResponse(): void {
    let text = '';
    for (const ch of this.head) text += String.fromCharCode(ch);
    this.head = [];
    const lines = text.split('\r\n');
    const m = /^(HTTP\/\d\.\d) (\d{3}) (.*)$/.exec(lines[0]!);
    if (m === null) throw new Error(`http-client: bad status line ${JSON.stringify(lines[0])}`);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`http-client: bad header line ${JSON.stringify(line)}`);
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const isHead = this.headRequests.length > 0 ? this.headRequests.shift()! : false;
    const cl = headers['content-length'];
    const contentLength = cl === undefined ? -1 : Number(cl);
    const r: ClientResponse = {
      version: m[1]!, status: Number(m[2]), reason: m[3]!, headers, contentLength, received: 0, body: '',
      mismatches: headers['content-type'] === 'application/octet-stream' && !isHead ? 0 : -1,
      headAt: this.now(), doneAt: -1,
    };
    if (contentLength < 0) throw new Error('http-client: response without Content-Length');
    this.current = r;
    if (isHead) r.contentLength = 0;
    if (r.contentLength === 0) this.finish();
    if (isHead) r.contentLength = contentLength;
  }

  private finish(): void {
    const r = this.current!;
    this.current = null;
    r.doneAt = this.now();
    this.responses.push(r);
    this.options.onResponse?.(r, this);
  }
}
