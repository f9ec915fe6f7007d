// The HTTP/1.1 status server (app/status-server.ts) on synstack's ECMA-419 sockets: a server
// host and a client host, each a synstack Stack, on a simulated LAN with a virtual clock. The
// client (http-client.ts) writes raw request text over synstack's TCP socket and checks every
// response it parses; /bytes content is checked byte for byte against its definition.

import { describe, expect, it } from 'vitest';
import { RequestHead, headEnd, parseHead } from '../../app/http-request';
import { contentByte } from '../../app/status-server';
import { type HttpWorldOptions, SERVER_ADDRESS, get, httpWorld } from './harness';
import type { ClientResponse, HttpClient } from './http-client';
import { runLoad } from './load';

const small: HttpWorldOptions = {
  seed: 6,
  serverTcp: { connections: 8, sendBuffer: 8192, receiveBuffer: 4096 },
  clientTcp: { connections: 8, sendBuffer: 4096, receiveBuffer: 8192 },
};

function world(over: Partial<HttpWorldOptions> = {}) {
  return httpWorld({ ...small, ...over });
}

/** Run until `c` has `n` responses (or closed), at most `maxMs`. */
function untilResponses(w: ReturnType<typeof world>, c: HttpClient, n: number, maxMs = 5000): void {
  w.runWhile(() => c.responses.length < n && !c.closed, maxMs);
}

function statuses(c: HttpClient): number[] {
  return c.responses.map((r) => r.status);
}

function expectHeaders(r: ClientResponse): void {
  expect(r.version).toBe('HTTP/1.1');
  expect(r.headers['content-length']).toBe(String(r.received));
}

describe('status server: resources', () => {
  it('GET / is an HTML page of the live stack figures', () => {
    const w = world();
    const c = w.client();
    c.send(get('/'));
    untilResponses(w, c, 1);
    const r = c.responses[0]!;
    expect([r.status, r.reason, r.headers['content-type']]).toEqual([200, 'OK', 'text/html; charset=utf-8']);
    expectHeaders(r);
    expect(r.received).toBeGreaterThan(500);
    expect(r.body.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(r.body.trimEnd().endsWith('</html>')).toBe(true);
    // Connections by state, the SYN cache fill and capacity, cookie mode, attack signal, counters.
    for (const want of [
      '<h2>connections</h2>', '<th>ESTABLISHED</th><td>1</td>', '<h2>synCache</h2>', '<th>halfOpen</th><td>0</td>',
      '<th>capacity</th><td>128</td>', '<th>cookieMode</th><td>false</td>', '<th>underAttack</th><td>false</td>',
      '<h2>synDefence</h2>', '<th>synsReceived</th><td>1</td>', '<h2>tcp</h2>', '<th>passiveOpens</th><td>1</td>',
      '<h2>http</h2>', '<th>accepted</th><td>1</td>',
    ]) expect(r.body).toContain(want);
  });

  it('GET /stats.json is the same figures as JSON', () => {
    const w = world();
    const c = w.client();
    c.send(get('/stats.json'));
    untilResponses(w, c, 1);
    const r = c.responses[0]!;
    expect([r.status, r.headers['content-type']]).toEqual([200, 'application/json']);
    expectHeaders(r);
    const j = JSON.parse(r.body) as {
      http: Record<string, number>;
      stack: {
        clockMs: number;
        connections: { capacity: number; inUse: number; byState: Record<string, number> };
        synCache: { halfOpen: number; capacity: number; cookieMode: boolean; underAttack: boolean; mode: string };
        synDefence: Record<string, number>;
        tcp: Record<string, number>;
      };
    };
    expect(j.http).toMatchObject({ connections: 1, accepted: 1, requests: 1, maxConnections: 8 });
    expect(j.stack.connections).toMatchObject({ capacity: 8, inUse: 1, byState: { ESTABLISHED: 1 } });
    expect(j.stack.synCache).toEqual(expect.objectContaining({ mode: 'overflow', halfOpen: 0, capacity: 128, cookieMode: false, underAttack: false }));
    expect(j.stack.synDefence).toMatchObject({ synsReceived: 1, cacheHits: 1 });
    expect(j.stack.tcp.passiveOpens).toBe(1);
    expect(j.stack.clockMs).toBe(c.responses[0]!.headAt - 1);
  });

  it('GET /bytes/0 is an empty 200, and the connection goes on', () => {
    const w = world();
    const c = w.client();
    c.send(get('/bytes/0'));
    untilResponses(w, c, 1);
    c.send(get('/bytes/1'));
    untilResponses(w, c, 2);
    expect(c.responses.map((r) => [r.status, r.contentLength, r.received, r.mismatches])).toEqual([[200, 0, 0, 0], [200, 1, 1, 0]]);
    expect(c.responses[0]!.headers['content-type']).toBe('application/octet-stream');
    expect(w.server.stats.accepted).toBe(1);
  });

  it('GET /bytes/65536 streams 65,536 bytes of (i * 31 + 7) & 0xff through an 8 KiB send buffer', () => {
    const w = world();
    const c = w.client();
    c.send(get('/bytes/65536'));
    untilResponses(w, c, 1);
    const r = c.responses[0]!;
    expect([r.status, r.contentLength, r.received, r.mismatches]).toEqual([200, 65536, 65536, 0]);
    expectHeaders(r);
    // The client's check is independent of the server's: both agree on the definition.
    for (const i of [0, 1, 255, 256, 65535]) expect(contentByte(i)).toBe((i * 31 + 7) & 0xff);
    expect(contentByte(0)).toBe(7);
    expect(contentByte(1)).toBe(38);
    // The server never held more than its send ring: 64 KiB went through 8 KiB.
    expect(w.serverStack.tcp.counters.bytesOut).toBeGreaterThan(65536);
  });

  it('the byte check catches a wrong byte (the client compares, it does not just count)', () => {
    const w = world();
    const c = w.client();
    c.send(get('/bytes/300'));
    untilResponses(w, c, 1);
    expect(c.responses[0]!.mismatches).toBe(0);
    // Feed the client's parser a response whose byte 200 is wrong.
    const bad = new Uint8Array(300);
    for (let i = 0; i < 300; i++) bad[i] = contentByte(i);
    bad[200] ^= 1;
    const head = 'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 300\r\n\r\n';
    const all = new Uint8Array(head.length + 300);
    for (let i = 0; i < head.length; i++) all[i] = head.charCodeAt(i);
    all.set(bad, head.length);
    (c as unknown as { receive(b: Uint8Array): void }).receive(all);
    expect(c.responses[1]!.mismatches).toBe(1);
  });

  it('HEAD has the headers and Content-Length of GET and no body; the next response follows directly', () => {
    const w = world();
    const c = w.client();
    c.send(`HEAD /bytes/100 HTTP/1.1\r\nHost: x\r\n\r\n${get('/bytes/5')}`, [true, false]);
    untilResponses(w, c, 2);
    expect(c.responses.map((r) => [r.status, r.contentLength, r.received])).toEqual([[200, 100, 0], [200, 5, 5]]);
    expect(c.responses[1]!.mismatches).toBe(0);
  });

  it('accepts an absolute-form target and ignores the query', () => {
    const w = world();
    const c = w.client();
    c.send(`GET http://${SERVER_ADDRESS}/bytes/7?x=1 HTTP/1.1\r\nHost: ${SERVER_ADDRESS}\r\n\r\n`);
    untilResponses(w, c, 1);
    expect(c.responses.map((r) => [r.status, r.received, r.mismatches])).toEqual([[200, 7, 0]]);
  });
});

describe('status server: connections', () => {
  it('keeps an HTTP/1.1 connection alive for several requests in turn', () => {
    const w = world();
    const c = w.client();
    const paths = ['/', '/bytes/1000', '/stats.json', '/bytes/20000', '/missing', '/bytes/3'];
    for (let i = 0; i < paths.length; i++) {
      c.send(get(paths[i]!));
      untilResponses(w, c, i + 1);
    }
    expect(statuses(c)).toEqual([200, 200, 200, 200, 404, 200]);
    expect(c.responses.filter((r) => r.mismatches > 0)).toEqual([]);
    expect(c.closed).toBe(false);
    expect(w.server.stats).toMatchObject({ accepted: 1, requests: 6, connections: 1 });
    for (const r of c.responses) expect(r.headers.connection).toBeUndefined();
  });

  it('answers pipelined requests sent in one write, in order', () => {
    const w = world();
    const c = w.client();
    c.send(get('/bytes/10') + get('/') + get('/bytes/30000') + get('/stats.json') + get('/nope') + get('/bytes/3'));
    untilResponses(w, c, 6);
    expect(c.responses.map((r) => [r.status, r.headers['content-type']])).toEqual([
      [200, 'application/octet-stream'], [200, 'text/html; charset=utf-8'], [200, 'application/octet-stream'],
      [200, 'application/json'], [404, 'text/plain'], [200, 'application/octet-stream'],
    ]);
    expect(c.responses.map((r) => r.received)).toEqual([10, c.responses[1]!.contentLength, 30000, c.responses[3]!.contentLength, 14, 3]);
    expect(c.responses.every((r) => r.mismatches <= 0)).toBe(true);
    // Each JSON figure was taken when its request came up: the stats saw the three earlier ones.
    expect((JSON.parse(c.responses[3]!.body) as { http: { requests: number } }).http.requests).toBe(4);
    expect(w.server.stats.accepted).toBe(1);
  });

  it('honours Connection: close: the server closes after the response (no reset)', () => {
    const w = world();
    const c = w.client();
    c.send(get('/bytes/5000', 'Connection: close\r\n'));
    w.runWhile(() => !c.closed, 5000);
    expect(c.closed).toBe(true);
    expect(c.failure).toBeNull();
    expect(c.responses.map((r) => [r.status, r.received, r.mismatches, r.headers.connection])).toEqual([[200, 5000, 0, 'close']]);
    expect(c.closedAt).toBeLessThan(100);
    expect(w.server.stats.connections).toBe(0);
  });

  it('Connection: close ends a pipeline: later requests are not answered', () => {
    const w = world();
    const c = w.client();
    c.send(get('/bytes/1') + get('/bytes/2', 'Connection: keep-alive, close\r\n') + get('/bytes/3'));
    w.runWhile(() => !c.closed, 5000);
    expect(c.responses.map((r) => [r.status, r.received])).toEqual([[200, 1], [200, 2]]);
    expect(c.failure).toBeNull();
  });

  it('Connection: close with more pipelined than the buffer holds: the rest is read and dropped, no reset', () => {
    const w = world();
    const c = w.client();
    const filler = get('/bytes/1', `X-Pad: ${'p'.repeat(600)}\r\n`);
    c.send(get('/bytes/2000', 'Connection: close\r\n') + filler + filler + filler);
    w.runWhile(() => !c.closed, 5000);
    expect(c.responses.map((r) => [r.status, r.received, r.mismatches])).toEqual([[200, 2000, 0]]);
    expect(c.failure).toBeNull();
  });

  it('HTTP/1.0 closes unless keep-alive is asked for', () => {
    const w = world();
    const a = w.client();
    a.send(get('/bytes/4', '', 'HTTP/1.0'));
    w.runWhile(() => !a.closed, 5000);
    expect(a.responses.map((r) => [r.status, r.received, r.headers.connection])).toEqual([[200, 4, 'close']]);
    const b = w.client();
    b.send(get('/bytes/4', 'Connection: Keep-Alive\r\n', 'HTTP/1.0'));
    untilResponses(w, b, 1);
    b.send(get('/bytes/5', 'Connection: keep-alive\r\n', 'HTTP/1.0'));
    untilResponses(w, b, 2);
    w.sim.runFor(100);
    expect(b.closed).toBe(false);
    expect(b.responses.map((r) => [r.status, r.received, r.headers.connection])).toEqual([[200, 4, 'keep-alive'], [200, 5, 'keep-alive']]);
  });

  it('closes connections beyond maxConnections at once and serves the others', () => {
    const w = world({ server: { maxConnections: 2 } });
    const clients = [w.client(), w.client(), w.client()];
    w.sim.runFor(50);
    for (const c of clients) c.send(get('/bytes/100'));
    w.runWhile(() => clients.filter((c) => c.responses.length === 1 || c.closed).length < 3, 5000);
    expect(clients.map((c) => [c.responses.length, c.closed])).toEqual([[1, false], [1, false], [0, true]]);
    expect(w.server.stats).toMatchObject({ accepted: 2, refused: 1, connections: 2 });
    // A slot freed is a slot for the next client.
    clients[0]!.close();
    w.sim.runFor(50);
    const d = w.client();
    d.send(get('/bytes/100'));
    untilResponses(w, d, 1);
    expect(d.responses[0]!.status).toBe(200);
  });

  it('closes an idle keep-alive connection quietly after the idle timeout', () => {
    const w = world({ server: { idleTimeoutMs: 3000 } });
    const c = w.client();
    c.send(get('/bytes/1'));
    untilResponses(w, c, 1);
    const answered = c.responses[0]!.doneAt;
    w.runWhile(() => !c.closed, 10_000);
    expect(c.closed).toBe(true);
    expect(c.responses.length).toBe(1);
    expect(c.closedAt - answered).toBeGreaterThanOrEqual(3000 - 5);
    expect(c.closedAt - answered).toBeLessThanOrEqual(3000 + 110);
    expect(w.server.stats.timedOut).toBe(1);
  });

  it('closes a slowloris (headers trickled a byte a second) at the timeout while serving others', () => {
    const w = world();
    const slow = w.client();
    const text = 'GET / HTTP/1.1\r\nHost: x\r\nX-Trickle: ' + 'a'.repeat(100);
    let sent = 0;
    const trickle = (): void => {
      if (slow.closed || sent >= text.length) return;
      slow.send(text[sent++]!);
      w.sim.after(1000, trickle);
    };
    w.sim.after(10, trickle);
    // Meanwhile other clients come and go, each served at once.
    const others: HttpClient[] = [];
    for (let t = 500; t < 12_000; t += 1500) {
      w.sim.at(t, () => {
        const c = w.client();
        c.send(get('/bytes/2000', 'Connection: close\r\n'));
        others.push(c);
      });
    }
    w.runWhile(() => !slow.closed, 30_000);
    expect(slow.closed).toBe(true);
    // Accepted at about 2 ms; closed at the first tick after 10 s.
    expect(slow.closedAt).toBeGreaterThanOrEqual(10_000);
    expect(slow.closedAt).toBeLessThanOrEqual(10_150);
    expect(sent).toBeGreaterThanOrEqual(9);
    expect(sent).toBeLessThanOrEqual(11);
    // It got a 408 for its incomplete request.
    expect(statuses(slow)).toEqual([408]);
    w.runWhile(() => others.length < 8 || others.some((c) => !c.closed), 5000);
    expect(others.map((c) => [c.responses.length, c.responses[0]?.mismatches, c.failure])).toEqual(Array(8).fill([1, 0, null]));
    // Each served within a few ms of asking, while the slow client was still trickling.
    for (const c of others) expect(c.responses[0]!.doneAt - c.responses[0]!.headAt).toBeLessThan(10);
    expect(w.server.stats.timedOut).toBe(1);
  });
});

describe('status server: errors', () => {
  /** Send `text`, run until the response is in and the connection closed or `ms` passed. */
  function exchange(text: string, over: Partial<HttpWorldOptions> = {}, ms = 5000) {
    const w = world(over);
    const c = w.client();
    c.send(text);
    w.runWhile(() => !c.closed, ms);
    return { w, c };
  }

  it('404 for another path; the connection stays usable', () => {
    const w = world();
    const c = w.client();
    c.send(get('/nothing/here') + get('/bytes/x') + get('/bytes/-1') + get('/bytes/2'));
    untilResponses(w, c, 4);
    expect(statuses(c)).toEqual([404, 404, 404, 200]);
    expect(c.responses[0]!.body).toBe('404 Not Found\n');
    expectHeaders(c.responses[0]!);
  });

  it('405 with Allow for another method; a small body is skipped and the next request served', () => {
    const w = world();
    const c = w.client();
    c.send(`POST /stats.json HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello${get('/bytes/3')}DELETE / HTTP/1.1\r\nHost: x\r\n\r\n`);
    untilResponses(w, c, 3);
    expect(statuses(c)).toEqual([405, 200, 405]);
    expect(c.responses[0]!.headers.allow).toBe('GET, HEAD');
    expect(c.responses[1]!.mismatches).toBe(0);
    expect(c.closed).toBe(false);
  });

  it('400 for a malformed request, then closes (after the client closes or the linger time)', () => {
    for (const bad of [
      'GET /\r\n\r\n', // no version
      'GET  / HTTP/1.1\r\nHost: x\r\n\r\n', // two spaces
      'GET / HTTP/1.1\r\nHost : x\r\n\r\n', // whitespace before the colon
      'GET / HTTP/1.1\r\nHost: x\r\nX-Field : y\r\n\r\n', // whitespace before the colon
      'GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n', // obs-fold
      'GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n', // bare CR
      'GET / HTTP/1.1\r\n\r\n', // HTTP/1.1 without Host
      'GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n', // two Hosts
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n', // bad length
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', // conflicting lengths
      'G@T / HTTP/1.1\r\nHost: x\r\n\r\n', // not a token
      'GET / http/1.1\r\nHost: x\r\n\r\n', // version is case-sensitive
      `GET /bytes/${64 * 1024 * 1024 + 1} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, // above maxBytes
    ]) {
      const { c } = exchange(bad);
      expect(statuses(c), JSON.stringify(bad)).toEqual([400]);
      expect(c.responses[0]!.headers.connection).toBe('close');
      expect(c.closed).toBe(true);
      expect(c.failure).toBeNull();
    }
  });

  it('400 then a lingering close: what the client still sends is discarded, no reset', () => {
    const { w, c } = exchange('GET / HTTP/1.1\r\nHost x\r\n\r\nmore bytes the server must not answer', { server: { lingerMs: 2000 } });
    expect(statuses(c)).toEqual([400]);
    // The server waited for the client (which never closes here) for lingerMs, then closed cleanly.
    expect(c.closedAt).toBeGreaterThanOrEqual(2000);
    expect(c.closedAt).toBeLessThanOrEqual(2150);
    expect(c.failure).toBeNull();
    expect(w.server.stats.connections).toBe(0);
  });

  it('400 then the client closes: the lingering server closes at once', () => {
    const w = world();
    const c = w.client({ onResponse: (_r, client) => client.close() });
    c.send('BAD\r\n\r\n');
    w.runWhile(() => !c.closed, 5000);
    w.runWhile(() => w.server.stats.connections > 0, 5000);
    expect(statuses(c)).toEqual([400]);
    expect(w.sim.now).toBeLessThan(50);
  });

  it('431 when the request line and headers exceed the buffer', () => {
    const { c, w } = exchange(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(1500)}\r\n\r\n`);
    expect(statuses(c)).toEqual([431]);
    expect(c.responses[0]!.reason).toBe('Request Header Fields Too Large');
    expect(c.responses[0]!.headers.connection).toBe('close');
    expect(c.failure).toBeNull();
    expect(w.server.stats.requests).toBe(1);
    // One byte less than the buffer is still a request: the limit is the buffer, not less.
    const fits = `GET /bytes/1 HTTP/1.1\r\nHost: x\r\nX-Big: `;
    const pad = 1024 - fits.length - 4;
    const { c: ok } = exchange(`${fits}${'b'.repeat(pad)}\r\n\r\n`, {}, 200);
    expect(statuses(ok)).toEqual([200]);
    const { c: over } = exchange(`${fits}${'b'.repeat(pad + 1)}\r\n\r\n`, {}, 200);
    expect(statuses(over)).toEqual([431]);
  });

  it('413 for a body larger than allowed, or a transfer coding; the body is drained, not reset', () => {
    const body = 'z'.repeat(1500);
    const { c } = exchange(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(statuses(c)).toEqual([413]);
    expect(c.responses[0]!.headers.connection).toBe('close');
    expect(c.failure).toBeNull();
    const { c: big } = exchange('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n');
    expect(statuses(big)).toEqual([413]);
    const { c: chunked } = exchange('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    expect(statuses(chunked)).toEqual([413]);
    // The limit itself is allowed.
    const { c: atLimit } = exchange(`GET /bytes/2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n${'y'.repeat(1024)}`, {}, 200);
    expect(statuses(atLimit)).toEqual([200]);
  });

  it('505 for another major version; HTTP/1.9 is served as 1.1', () => {
    const { c } = exchange('GET / HTTP/2.0\r\nHost: x\r\n\r\n');
    expect(statuses(c)).toEqual([505]);
    expect(c.responses[0]!.headers.connection).toBe('close');
    const { c: c09 } = exchange('GET / HTTP/0.9\r\n\r\n');
    expect(statuses(c09)).toEqual([505]);
    const { c: minor } = exchange(get('/bytes/1', '', 'HTTP/1.9'), {}, 200);
    expect(statuses(minor)).toEqual([200]);
    expect(minor.responses[0]!.version).toBe('HTTP/1.1');
  });

  it('500 when the stats provider throws; the server goes on', () => {
    let fail = true;
    const w = world({
      stats: () => {
        if (fail) {
          fail = false;
          throw new Error('no figures');
        }
        return { ok: 1 };
      },
    });
    const c = w.client();
    c.send(get('/stats.json') + get('/stats.json'));
    untilResponses(w, c, 2);
    expect(statuses(c)).toEqual([500, 200]);
    expect(JSON.parse(c.responses[1]!.body)).toMatchObject({ stack: { ok: 1 } });
  });

  it('ignores empty lines before a request and accepts LF-only line ends', () => {
    const w = world();
    const c = w.client();
    c.send(`\r\n\r\n${get('/bytes/2')}\nGET /bytes/3 HTTP/1.1\nHost: x\n\n`);
    untilResponses(w, c, 2);
    expect(c.responses.map((r) => [r.status, r.received])).toEqual([[200, 2], [200, 3]]);
  });
});

describe('request parser', () => {
  const parse = (text: string): RequestHead => {
    const b = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
    const end = headEnd(b, 0, b.length);
    const r = new RequestHead();
    if (end < 0) {
      r.error = -1;
      return r;
    }
    parseHead(b, end, r);
    return r;
  };

  it('finds the end of the header block with CRLF or LF, resuming where it stopped', () => {
    const text = 'GET / HTTP/1.1\r\nA: b\r\n\r\nNEXT';
    const b = new Uint8Array([...text].map((ch) => ch.charCodeAt(0)));
    expect(headEnd(b, 0, b.length)).toBe(text.indexOf('NEXT'));
    for (let n = 0; n < text.indexOf('NEXT'); n++) expect(headEnd(b, 0, n)).toBe(-1);
    expect(headEnd(b, 20, b.length)).toBe(text.indexOf('NEXT'));
    const lf = new Uint8Array([...'GET / HTTP/1.0\nA: b\n\nX'].map((ch) => ch.charCodeAt(0)));
    expect(headEnd(lf, 0, lf.length)).toBe(lf.length - 1);
  });

  it('parses the request line, the version and the fields the server acts on', () => {
    const r = parse('GET /bytes/5?q=1 HTTP/1.0\r\nhOsT: a\r\nCONNECTION: foo, Keep-Alive\r\ncontent-length: 0\r\n\r\n');
    expect([r.error, r.method, r.path, r.minor, r.hosts, r.keepAlive, r.close, r.contentLength]).toEqual([0, 'GET', '/bytes/5', 0, 1, true, false, 0]);
    expect(parse('HEAD http://h:80 HTTP/1.1\r\nHost: h\r\n\r\n')).toMatchObject({ error: 0, method: 'HEAD', path: '/' });
    expect(parse('GET https://h/x/y HTTP/1.1\r\nHost: h\r\n\r\n')).toMatchObject({ error: 0, path: '/x/y' });
    expect(parse('GET / HTTP/1.1\r\nHost: h\r\nConnection:close\r\n\r\n')).toMatchObject({ close: true });
    expect(parse('GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n')).toMatchObject({ error: 0, contentLength: 7 });
    expect(parse('GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n')).toMatchObject({ transferEncoding: true });
    expect(parse('GET / HTTP/1.1\r\nHost:   h  \t\r\nX-Empty:\r\n\r\n')).toMatchObject({ error: 0, hosts: 1 });
  });

  it('rejects what RFC 9112 says a server must reject', () => {
    for (const bad of [
      ' GET / HTTP/1.1\r\n\r\n', 'GET / HTTP/1.1 \r\n\r\n', 'GET / HTTP/1\r\n\r\n', 'GET / HTTP/1.x\r\n\r\n',
      'GET / HTTPS/1.1\r\n\r\n', 'GET foo HTTP/1.1\r\n\r\n', 'GET ftp://h/ HTTP/1.1\r\n\r\n', 'GET / HTTP/1.1\rX\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: h\r\nX-A : b\r\n\r\n', 'GET / HTTP/1.1\r\n: empty name\r\n\r\n', 'GET / HTTP/1.1\r\nA\tB: c\r\n\r\n', 'GET / HTTP/1.1\r\nA: b\x00c\r\n\r\n',
      'GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 'GET / HTTP/1.1\r\nContent-Length:\r\n\r\n', 'GET /\x7f HTTP/1.1\r\n\r\n',
    ]) expect(parse(bad).error, JSON.stringify(bad)).toBe(400);
    expect(parse('GET / HTTP/3.0\r\n\r\n').error).toBe(505);
  });
});

describe('status server: acceptance', () => {
  it('serves 200 concurrent keep-alive clients, pipelined /bytes/65536 each, every byte checked', () => {
    const started = performance.now();
    const r = runLoad({ seed: 200, clients: 200, bytes: 65536 });
    const realMs = Math.round(performance.now() - started);
    console.log(
      `[status-server load] ${r.clients} clients, ${r.responses} responses, ${r.verified} verified byte for byte ` +
        `(${r.bodyBytes} body bytes, ${r.mismatchedBytes} wrong), peak ${r.peakServerConnections} connections at once; ` +
        `${r.virtualMs} ms simulated, ${realMs} ms real; server segments ${r.serverTcp.segmentsOut}, ` +
        `retransmits ${r.serverTcp.retransmits} (fast ${r.serverTcp.fastRetransmits}), link queue drops ${r.linkQueueDrops}`,
    );
    expect(r).toMatchObject({
      clients: 200, responses: 600, verified: 600, bodyBytes: 600 * 65536, mismatchedBytes: 0, completed: 200, failed: 0,
      server: { accepted: 200, refused: 0, requests: 600, timedOut: 0 },
      endServerBlocks: 0, endClientBlocks: 0,
    });
    // All of them at once, not one after another.
    expect(r.peakServerConnections).toBe(200);
  }, 120_000);
});
