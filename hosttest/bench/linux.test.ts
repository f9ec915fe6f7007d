// The linux benchmark (hosttest/bench/linux.ts) in small: 1 MiB each way between synstack and the
// kernel over the TAP bridge, and 1 MiB over the veth pair, each SHA-256 checked at both ends; and
// the TAP path's frame counting with no TCP. Checks that what the benchmark times is a transfer
// that arrives intact and that its counters count; it asserts nothing about speed.
//
// Needs root, /dev/net/tun, socat, iproute2 and python3; without them the test is SKIPPED with
// the reason printed. Namespaces and devices are `sbl...`, removed however the test ends.

import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, linuxSupport } from '../linux/netns.js';
import { ceilingToKernel, ceilingToNode } from './linux/ceiling.js';
import {
  type Delivered, PYTHON, kernelToKernel, kernelToSynstack, openSynstackEnd, openVethPair, synstackToKernel,
} from './linux/ends.js';

const MiB = 1024 * 1024;
const support = linuxSupport(['ip', 'socat', 'nice', PYTHON]);
if (!support.ok) console.warn(`\n*** synstack: linux benchmark test SKIPPED: ${support.reason}\n`);

function expectIntact(r: Delivered): void {
  expect(r.bytesSent).toBe(MiB);
  expect(r.bytes).toBe(MiB);
  expect(r.sha256Sent).toMatch(/^[0-9a-f]{64}$/);
  expect(r.sha256Received).toBe(r.sha256Sent);
  expect(r.seconds).toBeGreaterThan(0);
}

describe('linux benchmark, in small', () => {
  afterAll(() => cleanupAll());

  it.skipIf(!support.ok)('1 MiB each way synstack ↔ kernel and kernel ↔ kernel arrives intact; the TAP path counts its frames', async () => {
    const end = await openSynstackEnd(128 * 1024);
    const pair = openVethPair();
    try {
      const o = { bytes: MiB, seconds: 10, hash: true };
      const up = await synstackToKernel(end, { ...o, port: 5101 });
      expectIntact(up);
      // At least one data frame per MSS went out, and the kernel's ACKs came back.
      expect(up.framesOut).toBeGreaterThanOrEqual(Math.ceil(MiB / 1460));
      expect(up.framesIn).toBeGreaterThan(0);
      expectIntact(await kernelToSynstack(end, { ...o, port: 5102 }));
      expectIntact(await kernelToKernel(pair, { ...o, port: 5103 }));

      for (const c of [await ceilingToKernel(end, 0.3, 3000), await ceilingToNode(end, 0.3, 3000)]) {
        expect(c.framesOffered).toBeGreaterThan(0);
        expect(c.framesDelivered).toBeGreaterThan(0);
        expect(c.framesDelivered).toBeLessThanOrEqual(c.framesOffered);
      }
      expect(end.rt.errors).toEqual([]);
    } finally {
      end.destroy();
      pair.destroy();
    }
  }, 120_000);
});
