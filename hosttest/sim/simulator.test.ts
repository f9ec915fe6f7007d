import { describe, expect, it } from 'vitest';
import type { Driven } from '../../src/platform.js';
import { BROADCAST_MAC, EchoNode, RecorderNode, TimerNode, buildFrame, frameNumber, numberedFrame, testMac } from './fakes.js';
import { Simulator, SimulatorError } from './simulator.js';

const A = testMac(1);
const B = testMac(2);
const C = testMac(3);
const D = testMac(4);

function lan(options: { delayMs?: number } = {}) {
  const sim = new Simulator({ seed: 1 });
  const link = sim.addLink(options);
  const ports = [A, B, C, D].map((mac) => sim.attach(link, mac));
  const nodes = ports.map((port) => port.connect(new RecorderNode()));
  return { sim, link, ports, nodes };
}

describe('Simulator: delivery by destination MAC', () => {
  it('delivers a unicast frame only to the port with that MAC', () => {
    const { sim, link, ports, nodes } = lan({ delayMs: 3 });
    ports[0]!.send(buildFrame(C, A, new Uint8Array([1, 2, 3])));
    sim.runFor(10);
    expect(nodes.map((n) => n.received.length)).toEqual([0, 0, 1, 0]);
    expect(nodes[2]!.received[0]!.time).toBe(3);
    expect([...nodes[2]!.received[0]!.frame.subarray(14)]).toEqual([1, 2, 3]);
    expect(link.stats.delivered).toBe(1);
    expect(ports[0]!.stats.framesOut).toBe(1);
    expect(ports[2]!.stats.framesIn).toBe(1);
  });

  it('delivers broadcast and multicast to every other port, never back to the sender', () => {
    const { sim, link, ports, nodes } = lan();
    ports[1]!.send(buildFrame(BROADCAST_MAC, B, new Uint8Array(4)));
    const multicast = new Uint8Array([0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb]);
    ports[3]!.send(buildFrame(multicast, D, new Uint8Array(4)));
    sim.runFor(1);
    expect(nodes.map((n) => n.received.length)).toEqual([2, 1, 2, 1]);
    expect(link.stats.delivered).toBe(6);
  });

  it('counts a unicast frame nobody owns as unroutable; a promiscuous port sees it', () => {
    const { sim, link, ports, nodes } = lan();
    const nobody = testMac(99);
    ports[0]!.send(buildFrame(nobody, A, new Uint8Array(4)));
    sim.runFor(1);
    expect(link.stats.unroutable).toBe(1);
    expect(nodes.every((n) => n.received.length === 0)).toBe(true);

    ports[3]!.promiscuous = true;
    ports[0]!.send(buildFrame(nobody, A, new Uint8Array(4)));
    ports[0]!.send(buildFrame(B, A, new Uint8Array(4)));
    sim.runFor(1);
    expect(nodes[3]!.received.length).toBe(2);
    expect(nodes[1]!.received.length).toBe(1);
  });

  it('copies the frame at send time (the sender may reuse its buffer)', () => {
    const { sim, ports, nodes } = lan({ delayMs: 1 });
    const buffer = buildFrame(B, A, new Uint8Array([9, 9, 9]));
    ports[0]!.send(buffer);
    buffer.fill(0);
    sim.runFor(5);
    expect([...nodes[1]!.received[0]!.frame]).toEqual([...buildFrame(B, A, new Uint8Array([9, 9, 9]))]);
  });

  it('hands taps a copy too: what they keep does not change when the sender reuses its buffer', () => {
    const { sim, link, ports } = lan();
    const seen: Uint8Array[] = [];
    link.tap((e) => {
      if (e.kind === 'send') seen.push(e.frame);
    });
    const buffer = buildFrame(B, A, new Uint8Array([5, 5]));
    ports[0]!.send(buffer);
    buffer.fill(0);
    sim.runFor(1);
    expect([...seen[0]!]).toEqual([...buildFrame(B, A, new Uint8Array([5, 5]))]);
  });

  it('never delivers synchronously, even on a zero-delay link', () => {
    const { sim, ports, nodes } = lan();
    ports[0]!.send(buildFrame(B, A, new Uint8Array(1)));
    expect(nodes[1]!.received.length).toBe(0);
    expect(sim.inFlight).toBe(1);
    sim.runFor(0);
    expect(nodes[1]!.received.length).toBe(1);
    expect(sim.inFlight).toBe(0);
  });

  it('drops runts and frames above the MTU, counting them', () => {
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink();
    const a = sim.attach(link, A, 100);
    const b = sim.attach(link, B);
    const rx = b.connect(new RecorderNode());
    a.send(new Uint8Array(10));
    a.send(buildFrame(B, A, new Uint8Array(101)));
    a.send(buildFrame(B, A, new Uint8Array(100)));
    sim.runFor(1);
    expect(link.stats.runts).toBe(1);
    expect(link.stats.oversize).toBe(1);
    expect(rx.received.map((r) => r.frame.length)).toEqual([114]);
  });

  it('counts frames for a port without a node', () => {
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink();
    const a = sim.attach(link, A);
    const b = sim.attach(link, B);
    a.send(buildFrame(B, A, new Uint8Array(1)));
    sim.runFor(1);
    expect(b.stats.noNode).toBe(1);
    expect(link.stats.delivered).toBe(1);
  });
});

describe('Simulator: nodes', () => {
  it('runs an echo round trip on the virtual clock; the echo reuses its tx buffer safely', () => {
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink({ delayMs: 5 });
    const a = sim.attach(link, A);
    const b = sim.attach(link, B);
    const rxA = a.connect(new RecorderNode());
    const echo = b.connect(new EchoNode(b));
    sim.after(7, () => a.send(numberedFrame(B, A, 77)));
    sim.runFor(100);
    expect(echo.received.map((r) => r.time)).toEqual([12]);
    expect(rxA.received.map((r) => r.time)).toEqual([17]);
    const back = rxA.received[0]!.frame;
    expect(frameNumber(back)).toBe(77);
    expect([...back.subarray(0, 6)]).toEqual([...A]);
    expect([...back.subarray(6, 12)]).toEqual([...B]);
  });

  it('fires timers from nextDeadline at the right virtual times and re-reads it after poll', () => {
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink();
    const port = sim.attach(link, A);
    const node = port.connect(new TimerNode([100, 250, 250, 1000.5]));
    sim.runFor(99);
    expect(node.polls).toEqual([]);
    sim.runFor(2000);
    // 250 twice is one poll; a fractional deadline is polled at the next integer ms.
    expect(node.polls).toEqual([100, 250, 1001]);
    expect(node.fired.map((f) => f.deadline)).toEqual([100, 250, 250, 1000.5]);
  });

  it('follows a timer that re-arms itself with backoff (retransmission-like)', () => {
    const sim = new Simulator({ seed: 1 });
    const port = sim.attach(sim.addLink(), A);
    let interval = 1000;
    const node = port.connect(
      new TimerNode([1000], (_deadline, now, self) => {
        interval *= 2;
        if (interval <= 64_000) self.arm(now + interval);
      }),
    );
    expect(sim.runUntilIdle(3_600_000)).toBe(true);
    expect(node.polls).toEqual([1000, 3000, 7000, 15000, 31000, 63000, 127000]);
    expect(sim.now).toBe(127000);
  });

  it('jumps the clock: ten virtual hours with one timer cost a handful of events', () => {
    const sim = new Simulator({ seed: 1 });
    const port = sim.attach(sim.addLink(), A);
    const tenHours = 10 * 3600 * 1000;
    const node = port.connect(new TimerNode([tenHours]));
    sim.runFor(tenHours + 1);
    expect(node.polls).toEqual([tenHours]);
    expect(sim.eventsProcessed).toBe(1);
    expect(sim.now).toBe(tenHours + 1);
  });

  it('polls a deadline already in the past at the current time', () => {
    const sim = new Simulator({ seed: 1, startMs: 5000 });
    const port = sim.attach(sim.addLink(), A);
    const node = port.connect(new TimerNode([10]));
    sim.runFor(1);
    expect(node.polls).toEqual([5000]);
  });

  it('delays replies through poll (EchoNode with a reply delay)', () => {
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink({ delayMs: 2 });
    const a = sim.attach(link, A);
    const b = sim.attach(link, B);
    const rx = a.connect(new RecorderNode());
    const echo = b.connect(new EchoNode(b, 40));
    a.send(numberedFrame(B, A, 1));
    sim.after(10, () => a.send(numberedFrame(B, A, 2)));
    sim.runFor(200);
    expect(echo.polls).toEqual([42, 52]);
    expect(rx.received.map((r) => [r.time, frameNumber(r.frame)])).toEqual([
      [44, 1],
      [54, 2],
    ]);
  });

  it('picks up a deadline changed between runs by application code', () => {
    const sim = new Simulator({ seed: 1 });
    const port = sim.attach(sim.addLink(), A);
    const node = port.connect(new TimerNode([]));
    sim.runFor(10);
    node.arm(50); // outside the simulator, like app.write() arming a timer
    sim.runFor(100);
    expect(node.polls).toEqual([50]);
  });

  it('picks up a deadline changed by a scheduled callback', () => {
    const sim = new Simulator({ seed: 1 });
    const port = sim.attach(sim.addLink(), A);
    const node = port.connect(new TimerNode([]));
    sim.at(20, () => node.arm(30));
    sim.runFor(100);
    expect(node.polls).toEqual([30]);
  });

  it('port.wake() re-reads a deadline changed from inside another node', () => {
    for (const useWake of [true, false]) {
      const sim = new Simulator({ seed: 1 });
      const link = sim.addLink();
      const pa = sim.attach(link, A);
      const pb = sim.attach(link, B);
      const a = pa.connect(new TimerNode([]));
      pb.connect(
        new TimerNode([5], () => {
          a.arm(8);
          if (useWake) pa.wake();
        }),
      );
      sim.runFor(100);
      // Without wake() the change is only seen at the next run call, and is then overdue.
      expect(a.polls).toEqual(useWake ? [8] : []);
      sim.runFor(1);
      expect(a.polls).toEqual(useWake ? [8] : [100]);
    }
  });

  it('rejects a NaN deadline with a clear error', () => {
    const sim = new Simulator({ seed: 1 });
    const port = sim.attach(sim.addLink(), A);
    const broken: Driven = { input() {}, poll() {}, nextDeadline: () => Number.NaN };
    expect(() => port.connect(broken)).toThrow(/nextDeadline\(\) returned NaN/);
  });
});

describe('Simulator: running', () => {
  it('runUntilIdle stops when nothing is in flight and no deadline is finite', () => {
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink({ delayMs: 10 });
    const a = sim.attach(link, A);
    const b = sim.attach(link, B);
    a.connect(new RecorderNode());
    b.connect(new EchoNode(b, 5));
    a.send(numberedFrame(B, A, 1));
    expect(sim.runUntilIdle(60_000)).toBe(true);
    expect(sim.now).toBe(25); // 10 there, 5 reply delay, 10 back: the clock stays at the last event
    expect(sim.pending).toBe(0);
  });

  it('runUntilIdle gives up at the limit when a node always has a deadline', () => {
    const sim = new Simulator({ seed: 1 });
    const port = sim.attach(sim.addLink(), A);
    const node = port.connect(new TimerNode([100], (_d, now, self) => self.arm(now + 100)));
    expect(sim.runUntilIdle(1000)).toBe(false);
    expect(sim.now).toBe(1000);
    expect(node.polls.length).toBe(10);
  });

  it('runWhile stops as soon as the condition is false, or at the limit', () => {
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink({ delayMs: 7 });
    const a = sim.attach(link, A);
    const b = sim.attach(link, B);
    const rx = b.connect(new RecorderNode());
    a.connect(new RecorderNode());
    for (let i = 0; i < 5; i++) sim.at(i * 100, () => a.send(numberedFrame(B, A, i)));
    expect(sim.runWhile(() => rx.received.length < 3, 10_000)).toBe(true);
    expect(sim.now).toBe(207);
    expect(sim.runWhile(() => rx.received.length < 99, 1000)).toBe(false);
    expect(sim.now).toBe(1207);
    expect(rx.received.length).toBe(5);
  });

  it('runWhile may depend on the clock alone', () => {
    const sim = new Simulator({ seed: 1 });
    expect(sim.runWhile(() => sim.now < 500, 400)).toBe(false);
    expect(sim.now).toBe(400);
    expect(sim.runWhile(() => sim.now < 500, 400)).toBe(true);
    expect(sim.now).toBe(800);
  });

  it('step() processes exactly one event and moves the clock to it', () => {
    const sim = new Simulator({ seed: 1 });
    const order: string[] = [];
    sim.at(30, () => order.push('b'));
    sim.at(10, () => order.push('a'));
    expect(sim.step()).toBe(true);
    expect(order).toEqual(['a']);
    expect(sim.now).toBe(10);
    expect(sim.step()).toBe(true);
    expect(sim.now).toBe(30);
    expect(sim.step()).toBe(false);
    expect(sim.now).toBe(30);
  });

  it('runs same-time events in the order they were scheduled', () => {
    const sim = new Simulator({ seed: 1 });
    const order: number[] = [];
    for (let i = 0; i < 50; i++) sim.at(i % 2 === 0 ? 5 : 3, () => order.push(i));
    sim.runFor(10);
    const odd = [...Array(25).keys()].map((k) => 2 * k + 1);
    const even = [...Array(25).keys()].map((k) => 2 * k);
    expect(order).toEqual([...odd, ...even]);
  });

  it('keeps frames of one sender in order on a plain link', () => {
    const { sim, ports, nodes } = lan({ delayMs: 1 });
    for (let i = 0; i < 100; i++) ports[0]!.send(numberedFrame(B, A, i));
    sim.runFor(5);
    expect(nodes[1]!.received.map((r) => frameNumber(r.frame))).toEqual([...Array(100).keys()]);
  });

  it('cancels scheduled calls', () => {
    const sim = new Simulator({ seed: 1 });
    let ran = 0;
    const call = sim.after(10, () => ran++);
    expect(call.time).toBe(10);
    call.cancel();
    sim.after(20, () => ran += 10);
    sim.runFor(100);
    expect(ran).toBe(10);
  });

  it('refuses to run backwards and to be re-entered', () => {
    const sim = new Simulator({ seed: 1 });
    sim.runFor(10);
    expect(() => sim.runUntil(5)).toThrow(RangeError);
    sim.at(20, () => sim.runFor(1));
    expect(() => sim.runFor(100)).toThrow(SimulatorError);
  });

  it('throws a clear error when a node never lets its deadline pass', () => {
    const sim = new Simulator({ seed: 1, maxEventsPerMs: 1000 });
    const port = sim.attach(sim.addLink(), A, { name: 'stuck' });
    const stuck: Driven = { input() {}, poll() {}, nextDeadline: () => 0 };
    port.connect(stuck);
    expect(() => sim.runFor(10)).toThrow(/runaway at t=0.*node stuck was polled 1000 times.*nextDeadline\(\) stays <= now/);
  });

  it('throws a clear error on a zero-delay ping-pong between two echo nodes', () => {
    const sim = new Simulator({ seed: 1, maxEventsPerMs: 1000 });
    const link = sim.addLink(); // delay 0: the frames bounce forever within one ms
    const a = sim.attach(link, A);
    const b = sim.attach(link, B);
    a.connect(new EchoNode(a));
    b.connect(new EchoNode(b));
    a.send(numberedFrame(B, A, 1));
    expect(() => sim.runFor(10)).toThrow(/runaway at t=0.*1001 deliveries.*bouncing/);
  });

  it('lets the same ping-pong run when the link has a delay', () => {
    const sim = new Simulator({ seed: 1, maxEventsPerMs: 1000 });
    const link = sim.addLink({ delayMs: 1 });
    const a = sim.attach(link, A);
    const b = sim.attach(link, B);
    const ea = a.connect(new EchoNode(a));
    b.connect(new EchoNode(b));
    a.send(numberedFrame(B, A, 1));
    sim.runFor(1000);
    expect(ea.received.length).toBe(500);
  });

  it('validates options', () => {
    expect(() => new Simulator({ seed: 1.5 })).toThrow(RangeError);
    const sim = new Simulator({ seed: 1 });
    expect(() => sim.addLink({ loss: 1.5 })).toThrow(/loss must be in \[0, 1\]/);
    expect(() => sim.addLink({ delayMs: -1 })).toThrow(/delayMs/);
    expect(() => sim.addLink({ bandwidthBps: 0 })).toThrow(/bandwidthBps/);
    expect(() => sim.attach(sim.addLink(), new Uint8Array(5))).toThrow(/6 bytes/);
    expect(() => new Simulator({ seed: 2 }).attach(sim.addLink(), A)).toThrow(/another simulator/);
  });

  it('offers deterministic scenario streams and entropy per label', () => {
    const s1 = new Simulator({ seed: 5 });
    const s2 = new Simulator({ seed: 5 });
    expect(s1.stream('x').next()).toBe(s2.stream('x').next());
    expect(s1.stream('x').next()).not.toBe(s1.stream('y').next());
    const e1 = new Uint8Array(16);
    const e2 = new Uint8Array(16);
    s1.entropy('host-a').fill(e1);
    s2.entropy('host-a').fill(e2);
    expect([...e1]).toEqual([...e2]);
    s2.entropy('host-b').fill(e2);
    expect([...e1]).not.toEqual([...e2]);
  });
});
