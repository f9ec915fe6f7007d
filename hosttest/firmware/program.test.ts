// The firmware's portable parts under Node (fast; the same code also runs under XS in
// hosttest/xs/firmware*.test.ts): settings from mc/config as mcconfig delivers it, the trace
// log's format and rate limit, the tick clock across the 32-bit wrap, and the program's receive
// path when the link's messages fail (frames left to the timer) or its ring overflows.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TickClock } from '../../firmware/clock';
import { Firmware, HOUSEKEEPING_MS } from '../../firmware/program';
import { DEFAULT_SETTINGS, type FirmwareSettings, SettingsError, parseSettings } from '../../firmware/settings';
import { TraceLog } from '../../firmware/trace-log';
import { Stack } from '../../src/api/stack';
import type { Driven } from '../../src/platform';
import { Simulator } from '../sim/simulator';
import { SimulatedLink } from './sim-link';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('firmware settings (mc/config)', () => {
  it('the manifest config gives the documented defaults', () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8')) as { config: Record<string, unknown> };
    expect(parseSettings(manifest.config)).toEqual(DEFAULT_SETTINGS);
  });

  it('reads values as mcconfig passes them from its command line (all strings)', () => {
    const s = parseSettings({
      ssid: 'lab', password: 'secret', address: '192.168.50.20', prefix: '24', gateway: '192.168.50.1', port: '8080',
      connections: '4', buffer: '1460', synCache: '64', synBuckets: '16', synMode: 'cookies', trace: 'warn', traceRate: '5',
    });
    expect(s).toMatchObject({
      ssid: 'lab', password: 'secret', address: '192.168.50.20', prefixLength: 24, gateway: '192.168.50.1', port: 8080,
      connections: 4, buffer: 1460, synCache: 64, synBuckets: 16, synMode: 'cookies', trace: 'warn', traceRate: 5,
    });
  });

  it('"dhcp" or nothing means DHCP; credentials fall back to the Preference domain', () => {
    expect(parseSettings({ address: 'dhcp' }).address).toBeNull();
    expect(parseSettings({ address: '' }).address).toBeNull();
    const prefs: Record<string, string> = { ssid: 'stored', password: 'pw' };
    expect(parseSettings({}, (k) => prefs[k])).toMatchObject({ ssid: 'stored', password: 'pw' });
    expect(parseSettings({ ssid: 'given' }, (k) => prefs[k]).ssid).toBe('given');
  });

  it('refuses what would not work, naming the key', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ address: '192.168.1' }, /config\.address/],
      [{ port: '0' }, /config\.port/],
      [{ port: 'eighty' }, /config\.port/],
      [{ connections: 2.5 }, /config\.connections/],
      [{ synBuckets: '24' }, /power of two/],
      [{ trace: 'loud' }, /config\.trace/],
      [{ synMode: 'magic' }, /config\.synMode/],
      [{ gateway: '10.0.0.1' }, /only with a static address/],
      [{ hostname: 'a b' }, /config\.hostname/],
    ];
    for (const [config, message] of bad) expect(() => parseSettings(config)).toThrow(message);
    expect(() => parseSettings({ port: '-1' })).toThrow(SettingsError);
  });
});

describe('trace log', () => {
  const clockAt = (t: { now: number }) => ({ now: () => t.now });

  it('prints one line per event: name, then key=value; warn and error are marked', () => {
    const lines: string[] = [];
    const log = new TraceLog((l) => lines.push(l), 'info', 20, clockAt({ now: 0 }));
    log.log('info', 'tcp-state', { conn: 0, from: 'SYN-RECEIVED', to: 'ESTABLISHED' });
    log.log('warn', 'attack-start', { halfOpen: 128 });
    log.log('debug', 'drop', { reason: 'x' });
    expect(lines).toEqual([
      'synstack: tcp-state conn=0 from=SYN-RECEIVED to=ESTABLISHED',
      'synstack: WARN attack-start halfOpen=128',
    ]);
    expect(log.enabled('debug')).toBe(false);
  });

  it('holds back lines over the rate and says how many with the next line', () => {
    const t = { now: 0 };
    const lines: string[] = [];
    const log = new TraceLog((l) => lines.push(l), 'debug', 5, clockAt(t));
    for (let i = 0; i < 20; i++) log.log('info', 'e', { i });
    expect(lines).toHaveLength(5);
    expect(log.suppressed).toBe(15);
    t.now = 1000;
    log.log('info', 'later');
    expect(lines[5]).toBe('synstack: later (15 lines suppressed before this one)');
  });
});

describe('tick clock', () => {
  it('keeps counting across the wrap of a signed 32-bit tick counter', () => {
    let ticks = 2 ** 31 - 10;
    // Time.delta on a microcontroller: the difference modulo 2^32, as a signed 32-bit number.
    const delta = (a: number, b: number) => ((b - a) | 0);
    const clock = new TickClock(() => ticks, delta);
    expect(clock.now()).toBe(0);
    ticks = 2 ** 31 - 1;
    expect(clock.now()).toBe(9);
    ticks = -(2 ** 31) + 5; // wrapped
    expect(clock.now()).toBe(15); // 10 ms to the top, 5 past the wrap (0x7fffffff -> -0x80000000 is 1)
  });
});

/**
 * The board under Node: the program with a SimulatedLink on the simulator, the XS task's message
 * queue run after each event, and its one timer as the node's deadline.
 */
function nodeBoard(sim: Simulator, settings: Partial<FirmwareSettings>, postOk: () => boolean, ringBytes = 16384) {
  const lan = sim.links[0]!;
  const port = sim.attach(lan, new Uint8Array([0x02, 0, 0x5e, 0x10, 0, 1]), { name: 'board' });
  const messages: (() => void)[] = [];
  const lines: string[] = [];
  let timerAt = Infinity;
  const link = new SimulatedLink({
    mac: port.mac, kind: 'wifi', ringBytes,
    post: (deliver) => (postOk() ? (messages.push(deliver), true) : false),
    transmit: (frame) => port.send(frame),
  });
  const fw = new Firmware({ ...DEFAULT_SETTINGS, ...settings }, {
    openLink: (handlers) => link.open(handlers),
    clock: sim.clock,
    entropy: sim.entropy('board'),
    schedule: (ms) => (timerAt = sim.now + ms),
    print: (l) => lines.push(l),
  });
  const runMessages = () => {
    for (let guard = 0; messages.length > 0 && guard < 10_000; guard++) messages.shift()!();
  };
  const node: Driven = {
    input: (frame) => {
      link.receive(frame);
      runMessages();
    },
    poll: (now) => {
      if (now >= timerAt) {
        timerAt = Infinity;
        fw.wake();
        runMessages();
      }
    },
    nextDeadline: () => timerAt,
  };
  port.connect(node);
  fw.start();
  link.setUp(true);
  runMessages();
  return { fw, link, lines, port, messages, runMessages };
}

describe('firmware program under Node', () => {
  function world(postOk: () => boolean, ringBytes?: number) {
    const sim = new Simulator({ seed: 11 });
    sim.addLink({ delayMs: 1, name: 'lan' });
    const board = nodeBoard(sim, { address: '192.0.2.80', trace: 'debug', traceRate: 1000 }, postOk, ringBytes);
    const peerPort = sim.attach(sim.links[0]!, new Uint8Array([0x02, 0, 0, 0, 0, 0x10]), { name: 'peer' });
    const peer = new Stack({ device: peerPort, entropy: sim.entropy('peer'), clock: sim.clock, address: '192.0.2.10', prefixLength: 24 });
    peerPort.connect(peer);
    peer.iface.icmp.onEchoReply = () => {}; // a ping client is listening (else replies are dropped)
    return { sim, board, peer, peerPort };
  }

  it('when every message fails to post, the timer still drains the ring: an ICMP echo is answered', () => {
    const { sim, board, peer, peerPort } = world(() => false);
    peer.iface.icmp.ping(0xc0000250, 1, 1, 8, sim.now);
    peerPort.wake();
    sim.runFor(3 * HOUSEKEEPING_MS);
    expect(peer.iface.icmp.counters.echoRepliesIn).toBe(1);
    expect(board.fw.readableCalls).toBe(0);
    expect(board.fw.timerDrains).toBeGreaterThan(0);
    expect(board.link.counters.postFailures).toBeGreaterThan(0);
  });

  it('with working messages, frames go to the stack at once and at most one message waits at a time', () => {
    const { sim, board, peer, peerPort } = world(() => true);
    peer.iface.icmp.ping(0xc0000250, 1, 0, 8, sim.now);
    peerPort.wake();
    sim.runFor(20); // ARP both ways, then the echo
    for (let i = 1; i <= 5; i++) peer.iface.icmp.ping(0xc0000250, 1, i, 8, sim.now);
    peerPort.wake();
    sim.runFor(50);
    expect(peer.iface.icmp.counters.echoRepliesIn).toBe(6);
    expect(board.fw.readableCalls).toBeGreaterThan(0);
    expect(board.fw.timerDrains).toBe(0);
    expect(board.link.maxFramesMessagesQueued).toBe(1);
  });

  it('a ring overflow is traced at the next housekeeping with the count', () => {
    const { sim, board } = world(() => true, 256);
    // A burst while the XS task is busy: nothing is read until the burst is over.
    const frame = new Uint8Array(60);
    frame.set(board.port.mac, 0);
    for (let i = 0; i < 20; i++) board.link.receive(frame);
    board.runMessages();
    expect(board.link.counters.overflows).toBe(20 - 4); // 256 bytes hold four 64-byte records
    sim.runFor(2 * HOUSEKEEPING_MS);
    expect(board.lines.find((l) => l.includes('rx-overflow'))).toMatch(/WARN rx-overflow dropped=16 total=16 ringBytes=256/);
  });
});
