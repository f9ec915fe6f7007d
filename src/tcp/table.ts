// A fixed-capacity index from 4-tuples to slot numbers: buckets chosen by a keyed hash (so a
// remote host cannot aim its tuples at one bucket) holding singly linked chains through `next`.
// Used by the connection table and the TIME-WAIT table; nothing is allocated after construction.

import type { TupleHasher } from './isn';

export class TupleIndex {
  private readonly heads: Int32Array;
  private readonly next: Int32Array;
  private readonly localIp: Uint32Array;
  private readonly remoteIp: Uint32Array;
  /** localPort << 16 | remotePort */
  private readonly ports: Uint32Array;
  /** Bucket of each slot, or -1 when the slot is not in the index. */
  private readonly bucketOf: Int32Array;
  private readonly mask: number;
  /** The slot `find` returned last (a hint, checked against the tuple before use). */
  private lastFound = 0;
  size = 0;

  constructor(readonly capacity: number, private readonly hasher: TupleHasher) {
    let buckets = 1;
    while (buckets < capacity) buckets <<= 1;
    this.mask = buckets - 1;
    this.heads = new Int32Array(buckets).fill(-1);
    this.next = new Int32Array(capacity).fill(-1);
    this.localIp = new Uint32Array(capacity);
    this.remoteIp = new Uint32Array(capacity);
    this.ports = new Uint32Array(capacity);
    this.bucketOf = new Int32Array(capacity).fill(-1);
  }

  find(localIp: number, localPort: number, remoteIp: number, remotePort: number): number {
    // An empty table (the usual TIME-WAIT table, or any table while a listener only sees SYNs)
    // costs no hash.
    if (this.size === 0) return -1;
    const ports = ((localPort << 16) | remotePort) >>> 0;
    const portsOf = this.ports, remoteOf = this.remoteIp, localOf = this.localIp;
    // Segments come in runs for one connection: the slot found last is tried before the hash (a
    // keyed MAC, the dearest part of a lookup). A tuple is in the index once at most, so a slot
    // still in the index that holds it is the answer.
    let s = this.lastFound;
    if (portsOf[s] === ports && remoteOf[s] === remoteIp && localOf[s] === localIp && this.bucketOf[s]! >= 0) return s;
    s = this.heads[this.bucket(localIp, localPort, remoteIp, remotePort)]!;
    while (s >= 0) {
      if (portsOf[s] === ports && remoteOf[s] === remoteIp && localOf[s] === localIp) {
        this.lastFound = s;
        return s;
      }
      s = this.next[s]!;
    }
    return -1;
  }

  insert(slot: number, localIp: number, localPort: number, remoteIp: number, remotePort: number): void {
    if (this.bucketOf[slot]! >= 0) this.remove(slot);
    const b = this.bucket(localIp, localPort, remoteIp, remotePort);
    this.localIp[slot] = localIp;
    this.remoteIp[slot] = remoteIp;
    this.ports[slot] = ((localPort << 16) | remotePort) >>> 0;
    this.next[slot] = this.heads[b]!;
    this.heads[b] = slot;
    this.bucketOf[slot] = b;
    this.size++;
  }

  remove(slot: number): void {
    const b = this.bucketOf[slot]!;
    if (b < 0) return;
    let s = this.heads[b]!;
    if (s === slot) this.heads[b] = this.next[slot]!;
    else {
      while (s >= 0 && this.next[s] !== slot) s = this.next[s]!;
      if (s >= 0) this.next[s] = this.next[slot]!;
    }
    this.next[slot] = -1;
    this.bucketOf[slot] = -1;
    this.size--;
  }

  has(slot: number): boolean {
    return this.bucketOf[slot]! >= 0;
  }

  private bucket(localIp: number, localPort: number, remoteIp: number, remotePort: number): number {
    return this.hasher.tupleHash(localIp, localPort, remoteIp, remotePort) & this.mask;
  }
}
