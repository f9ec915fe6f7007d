// Ephemeral port selection: RFC 6056 §3.3.4, Algorithm 4 ("double-hash port selection").
//
//   offset = F(local IP, remote IP, remote port, secret1)      keyed hash: where this
//                                                              destination's sequence starts
//   index  = G(local IP, remote IP, remote port, secret2)      keyed hash: which counter it uses
//   port   = low + (offset + table[index]) mod N, table[index] += 1, until the port is free
//
// Successive connections to one destination walk through the range one port at a time from an
// offset nobody outside can compute, so ports are not reused sooner than necessary (RFC 6056 §3.1
// on collisions), and since destinations that land on different counters do not share state,
// watching the ports we use towards one server tells an observer nothing about the ports we use
// towards another (the weakness of Algorithm 3's single counter, RFC 6056 §3.3.3 / §3.3.4).
//
// Differences from the RFC's pseudo-code, both deliberate:
// - Counters are kept modulo N rather than as free-running 16-bit integers. When 2^16 is not a
//   multiple of N a free-running counter jumps where it wraps, which shifts the sequence in a way
//   an observer could use; modulo N it stays a clean walk round the range.
// - Counters start at random values (the RFC allows this) rather than zero.
//
// Bounded: the table has a size fixed at construction; `pick` probes at most N ports.

import type { Accelerators, Entropy } from '../platform';
import { TupleHasher } from './isn';

export interface EphemeralPortsConfig {
  /** Lowest ephemeral port (inclusive). RFC 6335 §6: the Dynamic Ports start at 49152. */
  low: number;
  /** Highest ephemeral port (inclusive). */
  high: number;
  /** Number of counters (RFC 6056 TABLE_LENGTH). Each costs 2 bytes. */
  tableSize: number;
}

export const defaultEphemeralPortsConfig: Readonly<EphemeralPortsConfig> = Object.freeze({
  low: 49152,
  high: 65535,
  tableSize: 256,
});

export class EphemeralPorts {
  /** Lowest port handed out. */
  readonly low: number;
  /** Highest port handed out. */
  readonly high: number;
  /** Number of ports in the range (RFC 6056 num_ephemeral). */
  readonly rangeSize: number;
  /** Per-bucket counters, each in [0, rangeSize). */
  private readonly table: Uint16Array;
  /** F: where a destination's walk starts. */
  private readonly offsetHash: TupleHasher;
  /** G: which counter a destination uses. */
  private readonly indexHash: TupleHasher;

  /**
   * Draws from `entropy`, in this order: 8 bytes for F's secret, 8 bytes for G's secret, then
   * 2 * tableSize bytes for the counters' starting values.
   */
  constructor(entropy: Entropy, mac?: Accelerators['mac'], config: Partial<EphemeralPortsConfig> = {}) {
    const low = config.low ?? defaultEphemeralPortsConfig.low;
    const high = config.high ?? defaultEphemeralPortsConfig.high;
    const tableSize = config.tableSize ?? defaultEphemeralPortsConfig.tableSize;
    if (!Number.isInteger(low) || !Number.isInteger(high) || low < 1 || high > 65535 || low > high) {
      throw new RangeError(`ephemeral port range must satisfy 1 <= low <= high <= 65535, got ${low}..${high}`);
    }
    if (!Number.isInteger(tableSize) || tableSize < 1 || tableSize > 65536) {
      throw new RangeError(`ephemeral port tableSize must be 1..65536, got ${tableSize}`);
    }
    this.low = low;
    this.high = high;
    this.rangeSize = high - low + 1;
    this.offsetHash = TupleHasher.fromEntropy(entropy, mac);
    this.indexHash = TupleHasher.fromEntropy(entropy, mac);
    this.table = new Uint16Array(tableSize);
    entropy.fill(new Uint8Array(this.table.buffer, this.table.byteOffset, this.table.byteLength));
    for (let i = 0; i < tableSize; i++) this.table[i] = this.table[i]! % this.rangeSize;
  }

  /**
   * An ephemeral port for a connection from `localIp` to `remoteIp`:`remotePort` (addresses as
   * uint32): the first port of this destination's walk for which `inUse(port)` is false, or -1
   * when every port in the range is in use. Calls `inUse` at most `rangeSize` times.
   */
  pick(localIp: number, remoteIp: number, remotePort: number, inUse: (port: number) => boolean): number {
    // RFC 6056 §3.3.4: the 3-tuple, local address | remote address | remote port, big-endian.
    const port16 = remotePort & 0xffff;
    const offset = this.offsetHash.wordsHash(localIp, remoteIp, port16, 0, 3);
    const index = this.indexHash.wordsHash(localIp, remoteIp, port16, 0, 3) % this.table.length;
    const n = this.rangeSize;
    const table = this.table;
    const start = offset % n;
    for (let tries = 0; tries < n; tries++) {
      const counter = table[index]!;
      const port = this.low + ((start + counter) % n);
      table[index] = counter + 1 === n ? 0 : counter + 1; // stepped on every probe, as the RFC does
      if (!inUse(port)) return port;
    }
    return -1;
  }
}
