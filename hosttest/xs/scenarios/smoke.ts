// Smoke scenario for the XS runner: proves the bundle runs in XS (not Node), that an import from
// the core (src/platform.ts) works there, and that typed arrays, DataView and a hot loop give the
// same answers as under Node. smoke.test.ts computes the same figures in Node, with its own code,
// and compares. (Do not import this file from Node: it runs the scenario at load.)

import { silentLog, type Accelerators } from '../../../src/platform';
import { log, scenario } from '../scenario-api';

declare const undeclaredInBothEngines: unknown;

interface SmokeArgs {
  seed: number;
  length: number;
}

/** xorshift32, so Node and XS fill the same bytes from the same seed. */
function fillPseudoRandom(bytes: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
}

// RFC 1071 §4.1, written against the Accelerators contract: 16-bit big-endian words summed with
// end-around carry, an odd trailing byte padded with zero, folded, not complemented.
const checksum: Accelerators['checksum'] = (bytes, offset, length, initial) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = initial;
  let i = offset;
  const end = offset + length;
  for (; i + 1 < end; i += 2) sum += view.getUint16(i);
  if (i < end) sum += view.getUint8(i) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
};

scenario<SmokeArgs>(({ seed, length }) => {
  const g = globalThis as Record<string, unknown>;
  const data = new Uint8Array(length);
  fillPseudoRandom(data, seed);
  const split = (length >> 2) * 2;

  // RFC 1071 §3 worked example: the sum of 0001 f203 f4f5 f6f7 is ddf2.
  const example = checksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7), 0, 8, 0);

  // DataView reads at an unaligned offset, both byte orders.
  const view = new DataView(data.buffer, 3);
  const u32be = view.getUint32(0);
  const u32le = view.getUint32(4, true);

  // XS words a reference to an undeclared variable differently from V8 ("x is not defined").
  let undeclared = '';
  try {
    void (undeclaredInBothEngines as unknown);
  } catch (error) {
    undeclared = String(error);
  }

  log(`checksummed ${length} bytes`);
  (g['print'] as (...parts: unknown[]) => void)('and', 2, 'words via print');
  return {
    engine: {
      print: typeof g['print'],
      issueCommand: typeof g['issueCommand'],
      process: typeof g['process'],
      buffer: typeof g['Buffer'],
    },
    undeclared,
    silentLogEnabled: silentLog.enabled('error'),
    example,
    whole: checksum(data, 0, data.length, 0),
    oddTail: checksum(data, 1, data.length - 2, 0),
    // Summing in two pieces split at an even offset must give the whole sum (RFC 1071 §2(B)).
    chained: checksum(data, split, length - split, checksum(data, 0, split, 0)),
    u32be,
    u32le,
  };
});
