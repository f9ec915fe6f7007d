// Acceptance: two simulated hosts on a link with 20 % loss resolve each other by ARP and exchange
// 100 pings each way; the pcap of that link is read by tshark with no malformed packets.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../pcap/pcap';
import { runPingScenario } from './ping';

const hasTshark = spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status === 0;
if (!hasTshark) console.warn('*** SKIP pcap check: tshark is not installed (npm test installs it when run as root).');

const dir = mkdtempSync(join(tmpdir(), 'synstack-ping-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ping over a lossy simulated link', () => {
  const pcap = new PcapWriter();
  const r = runPingScenario({ seed: 20, loss: 0.2, pings: 100, recorder: pcap });

  it('resolves both hosts by ARP and completes 100 pings each way despite 20 % loss', () => {
    expect(r.completed).toBe(true);
    expect(r.a.repliesReceived).toBe(100);
    expect(r.b.repliesReceived).toBe(100);
    expect(r.a.badReplies + r.b.badReplies).toBe(0);
    expect(r.a.learnedPeerMac).toBe(r.macB);
    expect(r.b.learnedPeerMac).toBe(r.macA);
    // The loss was real: requests went unanswered, and ARP had to retry or re-resolve.
    expect(r.link.lost).toBeGreaterThan(0.15 * r.link.transmitted);
    expect(r.a.requestsSent).toBeGreaterThan(110);
    for (const h of [r.a, r.b]) {
      expect(h.counters.framesDelivered + h.counters.framesDropped).toBe(h.counters.framesIn);
      expect(h.arp.requestsOut + h.arp.repliesOut).toBeGreaterThan(0);
    }
  });

  it('is reproducible from its seed', () => {
    const again = runPingScenario({ seed: 20, loss: 0.2, pings: 100 });
    expect([again.virtualMs, again.a.requestsSent, again.link.lost]).toEqual([r.virtualMs, r.a.requestsSent, r.link.lost]);
  });

  it.skipIf(!hasTshark)('writes a pcap that tshark reads with no malformed packets', () => {
    const file = join(dir, 'ping.pcap');
    writeFileSync(file, pcap.toBytes());
    const tshark = (...args: string[]) => execFileSync('tshark', ['-n', '-o', 'ip.check_checksum:TRUE', '-r', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const all = tshark('-T', 'fields', '-e', 'frame.number').trim().split('\n');
    expect(pcap.dropped).toBe(0);
    expect(all.length).toBe(pcap.frames);
    const count = (filter: string) => { const out = tshark('-Y', filter).trim(); return out === '' ? 0 : out.split('\n').length; };
    expect(count('_ws.malformed || _ws.expert.severity == error')).toBe(0);
    expect(count('arp.opcode == 1')).toBeGreaterThan(0);
    expect(count('arp.opcode == 2')).toBeGreaterThan(0);
    expect(count('icmp.type == 8')).toBe(r.a.requestsSent + r.b.requestsSent);
    expect(count('icmp.type == 0')).toBeGreaterThanOrEqual(200);
    expect(count('icmp.checksum.status == "Bad" || ip.checksum.status == "Bad"')).toBe(0);
  });
});
