// A small HTTP/1.1 status server over ECMA-419 sockets (`embedded:io/socket/listener` and
// `embedded:io/socket/tcp`), portable between Moddable's socket classes and synstack's (src/api):
// the classes are constructor arguments, and nothing here touches Node, Moddable modules, timers,
// Date or Math.random. Time comes from the `now()` the host passes in, and the host calls `tick()`
// periodically (once a second is plenty) to run the timeouts.
//
//   const server = new StatusServer({ Listener, TCP, port: 80, stats: () => figures, now: () => Time.ticks });
//   timer: server.tick();
//
// Resources (RFC 9112 message syntax, RFC 9110 semantics):
//   GET /             an HTML page of the live figures (the stats provider's object, rendered as tables)
//   GET /stats.json   the same figures as JSON: { "http": <this server's counters>, "stack": stats() }
//   GET /bytes/N      N bytes (0 <= N <= maxBytes) of deterministic content: byte i is
//                     (i * 31 + 7) & 0xff. It is streamed as the send buffer frees (onWritable) from
//                     one shared 256-periodic pattern, never held in memory.
//   HEAD of each      the same headers, no body.
//
// Memory is bounded by construction: at most `maxConnections` sockets are kept (an accepted
// connection beyond that is closed at once), each with one fixed `requestBuffer`-byte buffer for
// the request line and headers, at most one response in progress, and no queue of any kind.
// Pipelined requests wait in that buffer (and behind it in the stack's receive window, so TCP flow
// control holds the client back) and are answered in order, one at a time.
//
// Protocol choices:
// - Keep-alive: HTTP/1.1 keeps the connection unless the request says `Connection: close`;
//   HTTP/1.0 closes unless it says `Connection: keep-alive` (answered with the same header). A
//   response that closes says `Connection: close`. Every response has Content-Length; there is
//   no chunked encoding and no Date header (RFC 9110 §6.6.1: a server without a reliable clock
//   must not send one).
// - Errors: 400 for a malformed request (bad request line, bad header syntax, whitespace before a
//   colon, obsolete line folding, a bare CR, a bad or conflicting Content-Length, a HTTP/1.1
//   request without exactly one Host, N above maxBytes in /bytes/N), 404 for other paths, 405
//   (with `Allow: GET, HEAD`) for other methods, 413 for a body larger than `maxBody` or any
//   Transfer-Encoding (no body is needed), 431 when the request line and headers do not fit the
//   buffer, 505 for a major version other than 1 (HTTP/1.x minors above 1 are served as 1.1),
//   408 for a request left incomplete at the timeout, 500 when the stats provider throws.
//   400, 413, 431 and 505 leave the byte stream unusable, so they close the connection: the
//   response is sent, then whatever the client still sends is read and discarded ("lingering
//   close") until the client closes or `lingerMs` pass, so the client is not reset before it has
//   read the answer. 404 and 405 keep the connection; a body of up to `maxBody` bytes is read and
//   discarded before the next request.
// - Timeouts: a connection must complete each request (line and headers) within `idleTimeoutMs`
//   of being accepted or of its previous response being fully queued; trickling bytes does not
//   extend the deadline (slowloris). While a response is being sent, the deadline moves with
//   every write, so only a client that stops reading for `idleTimeoutMs` is cut off.
// - The peer's FIN is onError in ECMA-419: the connection is closed then, even if a response was
//   still being streamed (a client that half-closes before reading gets what was queued).
// - Sockets are adopted with `nodelay: true` (overridable through `socketOptions`): responses are
//   written whole, so Nagle's algorithm would only hold back each response's last short segment
//   until the client's delayed ACK (~100 ms per response on a keep-alive connection). The head
//   of a /bytes response goes out in one write with the first `chunk` bytes of its content.
// - Every socket call is guarded: a call that throws (the connection failed between its event
//   and our call) frees the slot, counted as `peerClosed`.

import { RequestHead, emptyLines, headEnd, parseHead } from './http-request';
import { asciiJson, responseBytes, statusPage, statusText } from './http-response';

/** What the server needs of a TCP socket (ECMA-419 §10.3; Moddable's and synstack's have it). */
export interface ServerSocket {
  /** Fill `buffer` with exactly buffer.length received bytes (never more than were announced). */
  read(buffer: Uint8Array): unknown;
  /** Queue bytes; never more than the room last announced by onWritable. */
  write(bytes: Uint8Array): unknown;
  close(): void;
}

/** The options the server gives the TCP constructor to adopt an accepted connection. */
export interface AcceptOptions<From> {
  from: From;
  /** Whole responses are written at once, so Nagle's algorithm only delays them (default true). */
  nodelay?: boolean;
  onReadable: (bytes: number) => void;
  onWritable: (bytes: number) => void;
  onError: () => void;
}

/** The options the server gives the Listener constructor. */
export interface ListenOptions {
  port: number;
  onReadable: (requests: number) => void;
}

export interface ServerListener<From> {
  read(): From | undefined;
  close?(): void;
}

export interface StatusServerOptions<From> {
  /** The `embedded:io/socket/listener` class. */
  Listener: new (options: ListenOptions) => ServerListener<From>;
  /** The `embedded:io/socket/tcp` class. */
  TCP: new (options: AcceptOptions<From>) => ServerSocket;
  port: number;
  /** The figures shown by / and /stats.json (any JSON-able object; nested objects become tables). */
  stats: () => object;
  /** Monotonic milliseconds. */
  now: () => number;
  /** More fields for the Listener constructor (e.g. synstack's `stack` and `backlog`). */
  listenerOptions?: object;
  /** More fields for the TCP constructor (e.g. `nodelay: false`; the server sets true). */
  socketOptions?: object;
  /** Connections served at once (default 8); more are closed as they are accepted. */
  maxConnections?: number;
  /** Bytes of request line + headers a request may use, per connection (default 1024). */
  requestBuffer?: number;
  /** Largest N for /bytes/N (default 64 MiB). */
  maxBytes?: number;
  /** Largest request body accepted (read and discarded; default 1024). */
  maxBody?: number;
  /** Time to complete a request, or to make progress on a response (default 10 s). */
  idleTimeoutMs?: number;
  /** How long a connection closed after an error keeps discarding input (default 2 s). */
  lingerMs?: number;
  /**
   * Largest single write of /bytes content (default 4096), and the size of the one pattern buffer
   * (chunk + 256 bytes) all connections share. With nodelay each write may end in a short
   * segment, so a chunk at least as large as the room that opens per ACK keeps segments full.
   */
  chunk?: number;
  /** Title of the HTML page. */
  title?: string;
}

/** The server's own figures (the "http" part of /stats.json). */
export interface StatusServerFigures {
  connections: number;
  maxConnections: number;
  accepted: number;
  /** Connections closed at once because maxConnections were open. */
  refused: number;
  requests: number;
  responses2xx: number;
  responses4xx: number;
  responses5xx: number;
  /** Connections closed by the request or response timeout. */
  timedOut: number;
  /** Connections that ended with the peer's FIN or a failure (onError, or a throwing call). */
  peerClosed: number;
  /** Body bytes queued for sending. */
  bodyBytes: number;
}

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** Byte `i` of every /bytes/N body. */
export function contentByte(i: number): number {
  return (i * 31 + 7) & 0xff;
}

// Connection phases.
const FREE = 0;
const READ = 1; // waiting for (the rest of) a request
const SEND = 2; // a response is being queued
const LINGER = 3; // closing after an error: discarding input

// What happens once the response is queued.
const KEEP = 0;
const CLOSE = 1;
const CLOSE_LINGER = 2;

class Conn {
  socket: ServerSocket | null = null;
  phase = FREE;
  /** Changes each time the slot takes a connection, so a late callback of an old one is ignored. */
  generation = 0;
  readonly buf: Uint8Array;
  /** Bytes in buf (the start of buf is the start of the next request). */
  len = 0;
  /** buf[0, scanned) holds no end of the header block. */
  scanned = 0;
  /** Received bytes the socket announced and we have not read. */
  available = 0;
  /** Room the socket announced, less what we wrote since. */
  room = 0;
  deadline = 0;
  /** Body bytes of the current request still to discard. */
  skip = 0;
  /** The response being queued: fixed bytes (head, or head + body), then generated content. */
  out: Uint8Array | null = null;
  outAt = 0;
  streamLeft = 0;
  streamAt = 0;
  after = KEEP;
  pumping = false;
  again = false;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
}

export class StatusServer<From = unknown> {
  private readonly TCP: new (options: AcceptOptions<From>) => ServerSocket;
  private readonly listener: ServerListener<From>;
  private readonly socketOptions: object;
  private readonly statsOf: () => object;
  private readonly now: () => number;
  private readonly conns: Conn[];
  private readonly pattern: Uint8Array;
  private readonly request = new RequestHead();
  private readonly chunk: number;
  private readonly title: string;
  readonly maxBytes: number;
  readonly maxBody: number;
  readonly idleTimeoutMs: number;
  readonly lingerMs: number;
  private closed = false;
  private readonly figures: StatusServerFigures;

  constructor(options: StatusServerOptions<From>) {
    const max = options.maxConnections ?? 8;
    const size = options.requestBuffer ?? 1024;
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError('StatusServer: maxConnections must be >= 1');
    if (!(Number.isInteger(size) && size >= 64)) throw new RangeError('StatusServer: requestBuffer must be >= 64');
    this.TCP = options.TCP;
    this.socketOptions = options.socketOptions ?? {};
    this.statsOf = options.stats;
    this.now = options.now;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxBody = options.maxBody ?? 1024;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
    this.lingerMs = options.lingerMs ?? 2000;
    this.chunk = options.chunk ?? 4096;
    this.title = options.title ?? 'synstack status';
    if (!(Number.isInteger(this.chunk) && this.chunk >= 1)) throw new RangeError('StatusServer: chunk must be >= 1');
    this.conns = [];
    for (let i = 0; i < max; i++) this.conns.push(new Conn(size));
    // The content of /bytes is 256-periodic: bytes [i, i + n) are pattern[i & 255, (i & 255) + n).
    this.pattern = new Uint8Array(this.chunk + 256);
    for (let k = 0; k < this.pattern.length; k++) this.pattern[k] = contentByte(k);
    this.figures = {
      connections: 0, maxConnections: max, accepted: 0, refused: 0, requests: 0, responses2xx: 0,
      responses4xx: 0, responses5xx: 0, timedOut: 0, peerClosed: 0, bodyBytes: 0,
    };
    const Listener = options.Listener;
    this.listener = new Listener({ ...options.listenerOptions, port: options.port, onReadable: (n) => this.accept(n) });
  }

  /** This server's figures (a copy). */
  get stats(): StatusServerFigures {
    return { ...this.figures };
  }

  /** Run the timeouts; the host calls this periodically. */
  tick(): void {
    const now = this.now();
    for (const c of this.conns) {
      if (c.phase === FREE || now < c.deadline) continue;
      if (c.phase === READ) {
        // Nothing received (an idle keep-alive connection) closes quietly; a partial request gets 408.
        if (c.len > 0 || c.skip > 0) this.timeoutResponse(c);
        this.figures.timedOut++;
        this.drop(c, true);
      } else if (c.phase === SEND) {
        this.figures.timedOut++;
        this.drop(c, true);
      } else this.drop(c, true);
    }
  }

  /** Stop listening and close every connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.listener.close?.();
    } catch {
      // already closed
    }
    for (const c of this.conns) if (c.phase !== FREE) this.drop(c, true);
  }

  // ---- sockets -----------------------------------------------------------------------------------

  private accept(requests: number): void {
    for (let i = 0; i < requests; i++) {
      let from: From | undefined;
      try {
        from = this.listener.read();
      } catch {
        return;
      }
      if (from === undefined) return;
      let c: Conn | null = null;
      if (!this.closed) for (const x of this.conns) if (x.phase === FREE) { c = x; break; }
      if (c === null) {
        this.figures.refused++;
        try {
          new this.TCP({ ...this.socketOptions, from, onReadable: ignore, onWritable: ignore, onError: ignore }).close();
        } catch {
          // nothing to close
        }
        continue;
      }
      const conn = c;
      const generation = ++conn.generation;
      const live = () => conn.socket !== null && conn.generation === generation;
      conn.phase = READ;
      conn.len = 0;
      conn.scanned = 0;
      conn.available = 0;
      conn.room = 0;
      conn.skip = 0;
      conn.out = null;
      conn.streamLeft = 0;
      conn.after = KEEP;
      conn.deadline = this.now() + this.idleTimeoutMs;
      try {
        conn.socket = new this.TCP({
          nodelay: true, ...this.socketOptions, from,
          onReadable: (bytes) => {
            if (!live()) return;
            conn.available = bytes;
            this.pump(conn);
          },
          onWritable: (bytes) => {
            if (!live()) return;
            conn.room = bytes;
            this.pump(conn);
          },
          onError: () => {
            if (!live()) return;
            this.figures.peerClosed++;
            this.drop(conn, false);
          },
        });
      } catch {
        conn.phase = FREE;
        continue;
      }
      this.figures.accepted++;
      this.figures.connections++;
    }
  }

  /** Close the socket and free the slot. `discard`: read what is waiting first (no reset for it). */
  private drop(c: Conn, discard: boolean): void {
    const s = c.socket;
    if (c.phase === FREE) return;
    c.phase = FREE;
    c.socket = null;
    c.out = null;
    c.streamLeft = 0;
    this.figures.connections--;
    if (s === null) return;
    try {
      if (discard) this.discard(c, s);
    } catch {
      // the socket failed meanwhile
    }
    try {
      s.close();
    } catch {
      // already closed
    }
  }

  /** Read and throw away everything the socket announced. */
  private discard(c: Conn, s: ServerSocket): void {
    while (c.available > 0) {
      const n = c.available < c.buf.length ? c.available : c.buf.length;
      s.read(c.buf.subarray(0, n));
      c.available -= n;
    }
    c.len = 0;
  }

  /** Make every step the connection can make now. */
  private pump(c: Conn): void {
    if (c.pumping) {
      c.again = true;
      return;
    }
    c.pumping = true;
    try {
      do {
        c.again = false;
        this.steps(c);
      } while (c.again && c.phase !== FREE);
    } catch {
      // A socket call threw (the connection failed under us): give the slot back.
      if (c.phase !== FREE) {
        this.figures.peerClosed++;
        this.drop(c, false);
      }
    } finally {
      c.pumping = false;
    }
  }

  private steps(c: Conn): void {
    // Bounded: every pass either consumes input, queues output or returns.
    for (;;) {
      const s = c.socket;
      if (s === null || c.phase === FREE) return;
      if (c.phase === LINGER) {
        this.discard(c, s);
        return;
      }
      // Take in what fits.
      const space = c.buf.length - c.len;
      const n = c.available < space ? c.available : space;
      if (n > 0) {
        s.read(c.buf.subarray(c.len, c.len + n));
        c.len += n;
        c.available -= n;
      }
      if (c.phase === SEND) {
        if (!this.send(c, s)) return;
        this.responseQueued(c);
        continue;
      }
      if (!this.nextRequest(c)) return;
    }
  }

  /** Queue as much of the response as the room allows; true once all of it is queued. */
  private send(c: Conn, s: ServerSocket): boolean {
    let wrote = false;
    for (;;) {
      const out = c.out;
      let piece: Uint8Array;
      if (out !== null && c.outAt < out.length) {
        const n = Math.min(c.room, out.length - c.outAt);
        if (n <= 0) break;
        piece = out.subarray(c.outAt, c.outAt + n);
        c.outAt += n;
      } else if (c.streamLeft > 0) {
        const n = Math.min(c.room, c.streamLeft, this.chunk);
        if (n <= 0) break;
        const at = c.streamAt & 255;
        piece = this.pattern.subarray(at, at + n);
        c.streamAt += n;
        c.streamLeft -= n;
      } else {
        if (wrote) c.deadline = this.now() + this.idleTimeoutMs;
        return true;
      }
      const left = s.write(piece);
      c.room = typeof left === 'number' ? left : c.room - piece.length;
      wrote = true;
    }
    if (wrote) c.deadline = this.now() + this.idleTimeoutMs;
    return false;
  }

  private responseQueued(c: Conn): void {
    c.out = null;
    if (c.after === CLOSE) {
      this.drop(c, true);
    } else if (c.after === CLOSE_LINGER) {
      c.phase = LINGER;
      c.deadline = this.now() + this.lingerMs;
    } else {
      c.phase = READ;
      c.deadline = this.now() + this.idleTimeoutMs;
    }
  }

  // ---- requests ----------------------------------------------------------------------------------

  private consume(c: Conn, n: number): void {
    c.buf.copyWithin(0, n, c.len);
    c.len -= n;
    c.scanned = 0;
  }

  /** Parse the next request from the buffer and start its response; false when it is incomplete. */
  private nextRequest(c: Conn): boolean {
    const b = c.buf;
    // The body of the previous request.
    if (c.skip > 0) {
      const k = c.skip < c.len ? c.skip : c.len;
      if (k === 0) return false;
      this.consume(c, k);
      c.skip -= k;
      return true;
    }
    // RFC 9112 §2.2: ignore empty lines before the request line.
    const lead = emptyLines(b, c.len);
    if (lead > 0) {
      this.consume(c, lead);
      return true;
    }
    const end = headEnd(b, c.scanned, c.len);
    if (end < 0) {
      c.scanned = c.len;
      if (c.len === b.length) {
        this.figures.requests++;
        this.error(c, 431, false);
        return true;
      }
      return false;
    }
    const r = this.request;
    parseHead(b, end, r);
    this.consume(c, end);
    this.figures.requests++;
    this.respond(c, r);
    return true;
  }

  private respond(c: Conn, r: RequestHead): void {
    if (r.error !== 0) return this.error(c, r.error, false);
    if (r.minor >= 1 && r.hosts !== 1) return this.error(c, 400, false);
    if (r.hosts > 1) return this.error(c, 400, false);
    const head = r.method === 'HEAD';
    if (r.transferEncoding || r.contentLength > this.maxBody) return this.error(c, 413, head);
    if (r.contentLength > 0) c.skip = r.contentLength;
    const keep = !this.closed && !r.close && (r.minor >= 1 || r.keepAlive);
    const after = keep ? KEEP : CLOSE;
    const ka10 = keep && r.minor === 0;
    if (r.method !== 'GET' && !head) return this.start(c, 405, 'text/plain', statusText(405), 0, head, after, ka10, 'Allow: GET, HEAD\r\n');
    const path = r.path;
    if (path === '/' || path === '/index.html') {
      const page = this.page(c, head, after, ka10);
      if (page !== null) this.start(c, 200, 'text/html; charset=utf-8', page, 0, head, after, ka10, 'Cache-Control: no-store\r\n');
      return;
    }
    if (path === '/stats.json') {
      const json = this.json(c, head, after, ka10);
      if (json !== null) this.start(c, 200, 'application/json', json, 0, head, after, ka10, 'Cache-Control: no-store\r\n');
      return;
    }
    if (path.startsWith('/bytes/')) {
      const digits = path.slice(7);
      if (/^[0-9]{1,16}$/.test(digits)) {
        const n = Number(digits);
        if (n > this.maxBytes) return this.start(c, 400, 'text/plain', `400 Bad Request: N above ${this.maxBytes}\n`, 0, head, after, ka10, '');
        return this.start(c, 200, 'application/octet-stream', null, n, head, after, ka10, '');
      }
    }
    this.start(c, 404, 'text/plain', statusText(404), 0, head, after, ka10, '');
  }

  /** An error response after which the byte stream cannot be trusted: close, lingering. */
  private error(c: Conn, status: number, head: boolean): void {
    this.start(c, status, 'text/plain', statusText(status), 0, head, CLOSE_LINGER, false, '');
  }

  private timeoutResponse(c: Conn): void {
    // Best effort: queue a 408 if it fits in the room we know of.
    const s = c.socket;
    if (s === null) return;
    const bytes = responseBytes(408, 'text/plain', statusText(408), statusText(408).length, 'Connection: close\r\n');
    if (bytes.length > c.room) return;
    try {
      s.write(bytes);
      this.figures.responses4xx++;
    } catch {
      // the connection failed
    }
  }

  private start(c: Conn, status: number, type: string, body: string | null, stream: number, head: boolean, after: number, ka10: boolean, extra: string): void {
    const length = body !== null ? body.length : stream;
    const connection = after !== KEEP ? 'Connection: close\r\n' : ka10 ? 'Connection: keep-alive\r\n' : '';
    const streamed = head || body !== null ? 0 : stream;
    // The first piece of generated content goes out with the head (one segment, not two).
    const first = streamed < this.chunk ? streamed : this.chunk;
    c.out = responseBytes(status, type, head ? '' : body ?? '', length, extra + connection, this.pattern.subarray(0, first));
    c.outAt = 0;
    c.streamLeft = streamed - first;
    c.streamAt = first;
    c.after = after;
    c.phase = SEND;
    if (status < 300) this.figures.responses2xx++;
    else if (status < 500) this.figures.responses4xx++;
    else this.figures.responses5xx++;
    this.figures.bodyBytes += head ? 0 : length;
  }

  // ---- pages -------------------------------------------------------------------------------------

  private snapshot(c: Conn, head: boolean, after: number, ka10: boolean): { http: StatusServerFigures; stack: object } | null {
    try {
      return { http: this.stats, stack: this.statsOf() };
    } catch {
      this.start(c, 500, 'text/plain', statusText(500), 0, head, after, ka10, '');
      return null;
    }
  }

  private json(c: Conn, head: boolean, after: number, ka10: boolean): string | null {
    const s = this.snapshot(c, head, after, ka10);
    return s === null ? null : asciiJson(s);
  }

  private page(c: Conn, head: boolean, after: number, ka10: boolean): string | null {
    const s = this.snapshot(c, head, after, ka10);
    return s === null ? null : statusPage(this.title, { http: s.http, ...s.stack });
  }
}

function ignore(): void {}
