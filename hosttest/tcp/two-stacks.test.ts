// Two synstack hosts on the simulator: simultaneous open and close (RFC 9293 Figures 8 and 13),
// 1,000 echoed connections closed half from each side, and the loss of each handshake and
// teardown segment.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/tcp/connection';
import type { Listener } from '../../src/tcp/listener';
import { PcapWriter } from '../pcap/pcap';
import { RecordingLog } from '../platform/node';
import { runEcho } from '../scenarios/tcp-echo';
import { ADDR_A, ADDR_B, type WireSegment, twoStacks } from '../scenarios/two-stacks';

const dir = mkdtempSync(join(tmpdir(), 'synstack-tcp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hasTshark = spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status === 0;
if (!hasTshark) console.warn('*** SKIP tshark checks of TCP pcaps: tshark is not installed (npm test installs it as root).');

/** Segments relative to each side's ISS, as "A→B SYN seq=0 ack=0" lines. */
function relative(trace: WireSegment[]): string[] {
  const iss: Record<string, number> = {};
  for (const s of trace) if (s.flags.includes('S') && iss[s.from] === undefined) iss[s.from] = s.seq;
  return trace.map((s) => {
    const other = s.from === 'A' ? 'B' : 'A';
    const ack = s.flags.includes('A') ? ` ack=${(s.ack - (iss[other] ?? 0)) >>> 0}` : '';
    return `${s.from} ${s.flags} seq=${(s.seq - iss[s.from]!) >>> 0}${ack}${s.len ? ` len=${s.len}` : ''}`;
  });
}

/** Crossing segments have no order between them: sort each consecutive pair. */
function crossing(lines: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < lines.length; i += 2) out.push(lines.slice(i, i + 2).sort());
  return out;
}

function checkPcap(pcap: PcapWriter, name: string): void {
  const file = join(dir, name);
  writeFileSync(file, pcap.toBytes());
  if (!hasTshark) return;
  const out = execFileSync('tshark', ['-n', '-r', file, '-Y', '_ws.malformed || _ws.expert.severity == error'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  expect(out.trim()).toBe('');
}

describe('simultaneous open and close between two stacks', () => {
  it('opens as in RFC 9293 Figure 8: each side sends SYN, then SYN-ACK, and both reach ESTABLISHED', () => {
    const pcap = new PcapWriter();
    const t = twoStacks({ seed: 8, recorder: pcap });
    const states: string[] = [];
    const a = t.a.tcp.connect(ADDR_B, 2000, { onConnected: () => states.push('A established') }, { localPort: 1000 }) as Connection;
    const b = t.b.tcp.connect(ADDR_A, 1000, { onConnected: () => states.push('B established') }, { localPort: 2000 }) as Connection;
    t.sim.runFor(50);
    // Lines 2–7 of Figure 8: the SYNs cross, then the SYN-ACKs cross; nothing else is sent.
    expect(crossing(relative(t.trace))).toEqual([
      ['A S seq=0', 'B S seq=0'],
      ['A SA seq=0 ack=1', 'B SA seq=0 ack=1'],
    ]);
    expect([a.stateName, b.stateName]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(states.sort()).toEqual(['A established', 'B established']);
    checkPcap(pcap, 'simultaneous-open.pcap');
  });

  it('closes as in RFC 9293 Figure 13: FINs cross, both ACK, both CLOSING then TIME-WAIT', () => {
    const pcap = new PcapWriter();
    const log = new RecordingLog({ threshold: 'info' });
    const t = twoStacks({ seed: 13, recorder: pcap, log });
    const l = t.b.tcp.listen(80) as Listener;
    const a = t.a.tcp.connect(ADDR_B, 80) as Connection;
    t.sim.runFor(50);
    const b = l.accept()!;
    const opened = t.trace.length;
    a.close();
    b.close();
    t.sim.runFor(50);
    // Figure 13: the FINs cross (neither acknowledges the other's), then the ACKs cross.
    expect(crossing(relative(t.trace).slice(opened))).toEqual([
      ['A FA seq=1 ack=1', 'B FA seq=1 ack=1'],
      ['A A seq=2 ack=2', 'B A seq=2 ack=2'],
    ]);
    const path = log.filter('tcp-state').map((e) => `${e.fields.from}>${e.fields.to}`).slice(-6);
    expect(path).toEqual(['ESTABLISHED>FIN-WAIT-1', 'ESTABLISHED>FIN-WAIT-1', 'FIN-WAIT-1>CLOSING', 'FIN-WAIT-1>CLOSING', 'CLOSING>TIME-WAIT', 'CLOSING>TIME-WAIT']);
    expect(t.a.tcp.counters.timeWaitEntered).toBe(1);
    expect(t.b.tcp.counters.timeWaitEntered).toBe(1);
    t.sim.runFor(2 * 30_000);
    expect([t.a.tcp.timeWait.count, t.b.tcp.timeWait.count]).toEqual([0, 0]);
    checkPcap(pcap, 'simultaneous-close.pcap');
  });
});

describe('1,000 connections between two stacks', () => {
  it('opens, echoes 1 KiB on each, closes half from each side; everything ends CLOSED and idle', () => {
    const r = runEcho({ seed: 1000, connections: 1000, bytes: 1024 });
    expect(r.failures).toBe(0);
    expect(r.opened).toBe(1000);
    expect(r.echoedOk).toBe(1000);
    expect(r.echoedBad).toBe(0);
    expect(r.closedByClient).toBe(500);
    expect(r.closedByServer).toBe(500);
    // The active closer of each connection went through TIME-WAIT, which has since expired.
    expect(r.timeWaitEnteredA).toBe(500);
    expect(r.timeWaitEnteredB).toBe(500);
    expect([r.endBlocksA, r.endBlocksB, r.endTimeWaitA, r.endTimeWaitB]).toEqual([0, 0, 0, 0]);
    expect(r.idle).toBe(true);
    expect(r.peakBlocksA).toBeLessThanOrEqual(1000);
    console.log(`1000 connections: ${r.segments} segments, idle after ${(r.virtualMs / 1000).toFixed(1)} s virtual`);
  });
});

describe('lost handshake and teardown segments (RFC 9293 §3.8.1, on the virtual clock)', () => {
  /** Drop the first segment from `from` whose flags are exactly `flags`. */
  function dropFirst(from: 'A' | 'B', flags: string) {
    let done = false;
    return (s: WireSegment) => {
      if (done || s.from !== from || s.flags !== flags) return false;
      done = true;
      return true;
    };
  }

  /** A connects to B:80 and both sides are recorded; returns when the run settles. */
  function open(dropOut: (s: WireSegment) => boolean) {
    const t = twoStacks({ seed: 3, dropOut });
    // Resolve ARP first so that timing below is TCP's alone.
    t.a.iface.icmp.ping(ADDR_B, 1, 1, 8, 0);
    t.sim.runFor(10);
    const l = t.b.tcp.listen(80) as Listener;
    const t0 = t.sim.now;
    let aAt = -1, bAt = -1;
    l.handler = { onConnection: () => { bAt = t.sim.now - t0; } };
    const a = t.a.tcp.connect(ADDR_B, 80, { onConnected: () => { aAt = t.sim.now - t0; } }) as Connection;
    t.sim.runFor(5000);
    return { t, a, l, aAt, bAt, t0 };
  }

  it('SYN lost: the client retransmits it after the initial 1 s RTO and connects', () => {
    const { t, aAt, bAt } = open(dropFirst('A', 'S'));
    expect(t.dropped).toHaveLength(1);
    expect([aAt, bAt]).toEqual([1002, 1003]);
  });

  it('SYN-ACK lost: both sides retransmit at 1 s, and the handshake completes', () => {
    const { t, aAt, bAt } = open(dropFirst('B', 'SA'));
    const retransmissions = t.trace.filter((s) => s.time > 900 && s.time < 1100).map((s) => `${s.from} ${s.flags}`);
    expect(retransmissions).toContain('A S');
    expect(retransmissions).toContain('B SA');
    expect(aAt).toBeGreaterThanOrEqual(1000);
    expect(aAt).toBeLessThan(1010);
    expect(bAt).toBeGreaterThanOrEqual(1000);
  });

  it('final ACK lost: the server retransmits its SYN-ACK after 1 s and the client\'s ACK completes it', () => {
    const { t, a, aAt, bAt, t0 } = open(dropFirst('A', 'A'));
    expect(aAt).toBe(2);
    expect(a.stateName).toBe('ESTABLISHED');
    const again = t.trace.find((s) => s.from === 'B' && s.flags === 'SA' && s.time - t0 >= 1000);
    expect(again?.time! - t0).toBe(1001);
    expect(bAt).toBe(1003);
  });

  /**
   * A connects to B:80; then A closes, and B closes 50 ms after it sees A's FIN, so the four
   * teardown segments are separate. `lose` names the first segment to drop after A's close.
   */
  function closeRun(lose: { from: 'A' | 'B'; flags: string }) {
    let armed = false;
    const filter = dropFirst(lose.from, lose.flags);
    const t = twoStacks({ seed: 4, dropOut: (s) => armed && filter(s) });
    t.a.iface.icmp.ping(ADDR_B, 1, 1, 8, 0);
    t.sim.runFor(10);
    const l = t.b.tcp.listen(80) as Listener;
    const a = t.a.tcp.connect(ADDR_B, 80, {}) as Connection;
    t.sim.runFor(100);
    const b = l.accept()!;
    let bClosed = -1;
    b.handler = {
      // shutdown() rather than close(): B keeps its handle, so it hears when the block closes.
      onPeerClosed: (c) => { t.sim.after(50, () => c.shutdown()); },
      onClosed: () => { bClosed = t.sim.now; },
    };
    armed = true;
    const start = t.sim.now;
    a.close();
    t.sim.runFor(10_000);
    const after = t.trace.filter((s) => s.time >= start).map((s) => `${s.time - start} ${s.from} ${s.flags}`);
    return { t, a, b, start, after, bClosed: bClosed - start };
  }

  it('nothing lost: FIN, ACK, FIN, ACK', () => {
    const { after, bClosed, t } = closeRun({ from: 'A', flags: 'none' });
    expect(after).toEqual(['0 A FA', '1 B A', '51 B FA', '52 A A']);
    expect(bClosed).toBe(53);
    expect(t.a.tcp.timeWait.count).toBe(1);
  });

  it('first FIN lost: the closer retransmits it after its RTO (the 200 ms floor)', () => {
    const { t, after, bClosed } = closeRun({ from: 'A', flags: 'FA' });
    expect(t.dropped.map((s) => s.flags)).toEqual(['FA']);
    expect(after).toEqual(['200 A FA', '201 B A', '251 B FA', '252 A A']);
    expect(bClosed).toBe(253);
    expect(t.a.tcp.timeWait.count).toBe(1);
  });

  it('ACK of the first FIN lost: the peer\'s FIN acknowledges it anyway, and no retransmission is needed', () => {
    const { t, after, bClosed } = closeRun({ from: 'B', flags: 'A' });
    expect(t.dropped.map((s) => s.flags)).toEqual(['A']);
    expect(after).toEqual(['0 A FA', '51 B FA', '52 A A']);
    expect(bClosed).toBe(53);
  });

  it('second FIN lost: the passive closer retransmits it from LAST-ACK after its RTO', () => {
    const { t, after, bClosed } = closeRun({ from: 'B', flags: 'FA' });
    expect(t.dropped.map((s) => s.flags)).toEqual(['FA']);
    expect(after).toEqual(['0 A FA', '1 B A', '251 B FA', '252 A A']);
    expect(bClosed).toBe(253);
    expect(t.a.tcp.timeWait.count).toBe(1);
  });

  it('last ACK lost: the FIN comes again, TIME-WAIT re-ACKs it and restarts 2 MSL', () => {
    const { t, after, bClosed, start } = closeRun({ from: 'A', flags: 'A' });
    expect(t.dropped.map((s) => s.flags)).toEqual(['A']);
    expect(after).toEqual(['0 A FA', '1 B A', '51 B FA', '251 B FA', '252 A A']);
    expect(bClosed).toBe(253);
    // TIME-WAIT began when the first FIN arrived (+52) and restarted with the second (+252).
    t.sim.runUntil(start + 252 + 60_000 - 1);
    expect(t.a.tcp.timeWait.count).toBe(1);
    t.sim.runFor(1);
    expect(t.a.tcp.timeWait.count).toBe(0);
  });
});
