// The ECMA-419 socket objects (src/api) on two simulated stacks: every behaviour docs/api.md
// lists, the error cases, and that callbacks never run inside the application's own calls.

import { describe, expect, it } from 'vitest';
import Listener from '../../src/api/listener';
import { Stack } from '../../src/api/stack';
import TCP from '../../src/api/tcp';
import UDP from '../../src/api/udp';
import { Simulator } from '../sim/simulator';

function pair(seed = 1) {
  const sim = new Simulator({ seed });
  const link = sim.addLink({ delayMs: 1 });
  const host = (last: number, address: string) => {
    const port = sim.attach(link, new Uint8Array([2, 0, 0, 0, 0, last]));
    const stack = new Stack({
      device: port, entropy: sim.entropy(address), clock: sim.clock, address, prefixLength: 24,
      tcp: { connections: 8, sendBuffer: 4096, receiveBuffer: 4096 },
    });
    port.connect(stack);
    return stack;
  };
  return { sim, a: host(1, '192.0.2.1'), b: host(2, '192.0.2.2') };
}

/** An echo-less server on b: 80 that adopts each connection and records what it reads. */
function server(b: Stack, onSocket: (t: TCP) => void = () => {}) {
  const sockets: TCP[] = [];
  const l = new Listener({
    stack: b, port: 80,
    onReadable(n) {
      for (let i = 0; i < n; i++) {
        const t = new TCP({ from: this.read()!, onReadable() {} });
        sockets.push(t);
        onSocket(t);
      }
    },
  });
  return { l, sockets };
}

function bytes(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

describe('TCP socket', () => {
  it('calls onWritable with the room once connected, and moves bytes both ways', () => {
    const { sim, a, b } = pair();
    // An echo server: whatever arrives goes back.
    new Listener({
      stack: b, port: 80,
      onReadable(n) {
        for (let i = 0; i < n; i++) {
          new TCP({ from: this.read()!, onReadable(count) { this.write(this.read(count) as ArrayBuffer); } });
        }
      },
    });
    let writable = -1;
    const back: Uint8Array[] = [];
    const c = new TCP({
      stack: a, address: '192.0.2.2', port: 80,
      onWritable(n) { if (writable < 0) writable = n; },
      onReadable(n) { back.push(new Uint8Array(this.read(n) as ArrayBuffer)); },
    });
    sim.runFor(50);
    expect(writable).toBe(4096);
    expect([c.remoteAddress, c.remotePort]).toEqual(['192.0.2.2', 80]);
    c.write(bytes(1000));
    sim.runFor(100);
    const all = new Uint8Array(back.reduce((n, x) => n + x.length, 0));
    let at = 0;
    for (const x of back) { all.set(x, at); at += x.length; }
    expect(all).toEqual(bytes(1000));
  });

  it('reports the unread total to onReadable, and read() takes exact counts', () => {
    const { sim, a, b } = pair();
    const totals: number[] = [];
    let client!: TCP;
    server(b, (t) => t.write(bytes(300, 3)));
    client = new TCP({ stack: a, address: '192.0.2.2', port: 80, onReadable(n) { totals.push(n); } });
    sim.runFor(100);
    expect(totals.at(-1)).toBe(300);
    expect(() => client.read(301)).toThrow(RangeError);
    expect(() => client.read(-1)).toThrow(RangeError);
    expect(() => client.read(1.5)).toThrow(RangeError);
    const first = new Uint8Array(client.read(100) as ArrayBuffer);
    expect(first).toEqual(bytes(300, 3).subarray(0, 100));
    const into = new Uint8Array(50);
    expect(client.read(into)).toBe(50);
    expect(into).toEqual(bytes(300, 3).subarray(100, 150));
    expect(() => client.read(new Uint8Array(151))).toThrow(RangeError); // longer than what is there
    const rest = new Uint8Array(client.read() as ArrayBuffer);
    expect(rest).toEqual(bytes(300, 3).subarray(150));
    expect((client.read() as ArrayBuffer).byteLength).toBe(0);
  });

  it('reads and writes single bytes in format "number"', () => {
    const { sim, a, b } = pair();
    let srv!: TCP;
    server(b, (t) => { srv = t; });
    const c = new TCP({ stack: a, address: '192.0.2.2', port: 80, format: 'number' });
    sim.runFor(50);
    c.write(65);
    expect(() => c.write(256)).toThrow(RangeError);
    sim.runFor(300);
    srv.format = 'number';
    expect(srv.read()).toBe(65);
    expect(() => srv.read()).toThrow(RangeError);
    expect(() => (c as TCP).write('x' as unknown as number)).toThrow(TypeError);
  });

  it('throws on write before the connection is up and when there is no room', () => {
    const { sim, a, b } = pair();
    server(b);
    const c = new TCP({ stack: a, address: '192.0.2.2', port: 80 });
    expect(() => c.write(bytes(10))).toThrow(/not connected/);
    sim.runFor(50);
    expect(() => c.write(bytes(5000))).toThrow(RangeError);
    expect(c.write(bytes(4000))).toBe(96); // the room left
    c.write(bytes(96));
    expect(() => c.write(bytes(1))).toThrow(RangeError);
  });

  it('calls onError when the connection is refused', () => {
    const { sim, a } = pair();
    let errors = 0;
    new TCP({ stack: a, address: '192.0.2.2', port: 81, onError() { errors++; } });
    sim.runFor(50);
    expect(errors).toBe(1);
  });

  it('calls onError after a remote close only once the data is drained', () => {
    const { sim, a, b } = pair();
    const events: string[] = [];
    server(b, (t) => {
      t.write(bytes(100));
      t.close();
    });
    const c = new TCP({
      stack: a, address: '192.0.2.2', port: 80,
      onReadable(n) { events.push(`readable ${n}`); },
      onError() { events.push('error'); },
    });
    sim.runFor(100);
    expect(events).toEqual(['readable 100']);
    c.read(60);
    sim.runFor(10);
    expect(events).toEqual(['readable 100']);
    c.read(40);
    sim.runFor(10);
    expect(events).toEqual(['readable 100', 'error']);
  });

  it('never calls back from inside write(), read() or close()', () => {
    const { sim, a, b } = pair();
    let inside = false;
    const reentered: string[] = [];
    server(b, (t) => t.write(bytes(50)));
    const guard = (name: string) => () => { if (inside) reentered.push(name); };
    const c = new TCP({ stack: a, address: '192.0.2.2', port: 80, onReadable: guard('readable'), onWritable: guard('writable'), onError: guard('error') });
    sim.runFor(50);
    inside = true;
    c.write(bytes(2000));
    c.read(10);
    c.close();
    inside = false;
    sim.runFor(100);
    expect(reentered).toEqual([]);
  });

  it('close() is idempotent and every later call throws', () => {
    const { sim, a, b } = pair();
    server(b);
    const c = new TCP({ stack: a, address: '192.0.2.2', port: 80 });
    sim.runFor(50);
    c.close();
    c.close();
    expect(() => c.write(1)).toThrow(/closed/);
    expect(() => c.read()).toThrow(/closed/);
    expect(() => c.format).toThrow(/closed/);
    expect(() => { c.format = 'number'; }).toThrow(/closed/);
  });

  it('rejects bad options at once', () => {
    const { a } = pair();
    expect(() => new TCP({ stack: a, host: 'example.org', port: 80 })).toThrow(/host/);
    expect(() => new TCP({ stack: a, address: '999.1.1.1', port: 80 })).toThrow(RangeError);
    expect(() => new TCP({ stack: a, address: '192.0.2.2', port: 0 })).toThrow(RangeError);
    expect(() => new TCP({ stack: a, address: '192.0.2.2', port: 80, format: 'text' as 'buffer' })).toThrow(RangeError);
    expect(() => new TCP({ stack: a, from: {} })).toThrow(TypeError);
  });

  it('honours nodelay, keeps target, and reports per-connection stats (extension)', () => {
    const { sim, a, b } = pair();
    server(b);
    const c = new TCP({ stack: a, address: '192.0.2.2', port: 80, nodelay: true, target: 'mine' });
    sim.runFor(50);
    expect(c.target).toBe('mine');
    c.write(bytes(100));
    sim.runFor(50);
    expect(c.stats.state).toBe('ESTABLISHED');
    expect(c.stats.bytesSent).toBe(100);
  });
});

describe('Listener', () => {
  it('says how many connections wait, hands them out with read(), and undefined when none', () => {
    const { sim, a, b } = pair();
    const counts: number[] = [];
    const l = new Listener({ stack: b, port: 80, onReadable(n) { counts.push(n); } });
    expect([l.port, l.address, l.format]).toEqual([80, '192.0.2.2', 'socket/tcp']);
    new TCP({ stack: a, address: '192.0.2.2', port: 80 });
    new TCP({ stack: a, address: '192.0.2.2', port: 80 });
    sim.runFor(50);
    expect(counts.at(-1)).toBe(2);
    expect(l.read()).toBeInstanceOf(TCP);
    expect(l.read()).toBeInstanceOf(TCP);
    expect(l.read()).toBeUndefined();
    expect(l.stats.accepted).toBe(2);
    expect(l.synDefence.mode).toBe('overflow');
  });

  it('refuses a port in use, and close() is idempotent with later calls throwing', () => {
    const { b } = pair();
    const l = new Listener({ stack: b, port: 80 });
    expect(() => new Listener({ stack: b, port: 80 })).toThrow(/in use/);
    l.close();
    l.close();
    expect(() => l.read()).toThrow(/closed/);
    new Listener({ stack: b, port: 80 });
  });
});

describe('UDP', () => {
  it('sends and receives datagrams with their source', () => {
    const { sim, a, b } = pair();
    const seen: number[] = [];
    const ub = new UDP({ stack: b, port: 7000, onReadable(n) { seen.push(n); } });
    const ua = new UDP({ stack: a });
    ua.write(bytes(20, 5), '192.0.2.2', 7000);
    ua.write(bytes(10, 6), '192.0.2.2', 7000);
    sim.runFor(50);
    expect(seen.at(-1)).toBe(2);
    const d = ub.read();
    expect(new Uint8Array(d)).toEqual(bytes(20, 5));
    expect([d.address, d.port]).toEqual(['192.0.2.1', ua.port]);
    ub.read();
    expect(() => ub.read()).toThrow(RangeError);
  });

  it('calls onError when the peer answers port unreachable', () => {
    const { sim, a } = pair();
    let errors = 0;
    const u = new UDP({ stack: a, onError() { errors++; } });
    u.write(bytes(4), '192.0.2.2', 9);
    sim.runFor(50);
    expect(errors).toBe(1);
  });

  it('throws on bad arguments, a datagram larger than a frame, and after close', () => {
    const { a } = pair();
    const u = new UDP({ stack: a });
    expect(() => u.write(bytes(1), 'nowhere', 9)).toThrow(RangeError);
    expect(() => u.write(bytes(1), '192.0.2.2', 0)).toThrow(RangeError);
    expect(() => u.write(new Uint8Array(2000), '192.0.2.2', 9)).toThrow(RangeError);
    expect(() => u.write('text' as unknown as Uint8Array, '192.0.2.2', 9)).toThrow(TypeError);
    u.close();
    u.close();
    expect(() => u.write(bytes(1), '192.0.2.2', 9)).toThrow(/closed/);
  });
});

describe('stack figures (extension)', () => {
  it('reports connections by state, the SYN defence and the counters as one JSON-able object', async () => {
    const { synstackStats } = await import('../../app/synstack-stats');
    const { sim, a, b } = pair();
    server(b);
    new TCP({ stack: a, address: '192.0.2.2', port: 80 });
    sim.runFor(50);
    const s = synstackStats(b)();
    expect(s.connections.byState).toEqual({ ESTABLISHED: 1 });
    expect(s.synCache.mode).toBe('overflow');
    expect(s.synDefence.cacheHits).toBe(1);
    expect(s.tcp.segmentsIn).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
