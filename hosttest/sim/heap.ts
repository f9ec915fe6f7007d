// The simulator's event queue: a binary min-heap ordered by (time, seq). `seq` is a strictly
// increasing insertion number, so two events at the same time run in the order they were
// scheduled and a run is reproducible. Entries remember their index, so an entry (a node's
// timer) can be removed or moved in O(log n) instead of being left behind as a stale event.

export interface HeapEntry {
  /** Virtual time, integer ms. */
  time: number;
  /** Tie-breaker; set by the owner of the heap when the entry is pushed. */
  seq: number;
  /** Position in the heap array, -1 when not queued. Maintained by EventHeap. */
  heapIndex: number;
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

export class EventHeap<T extends HeapEntry> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(entry: T): void {
    if (entry.heapIndex !== -1) throw new Error('EventHeap.push: entry is already queued');
    entry.heapIndex = this.items.length;
    this.items.push(entry);
    this.siftUp(entry.heapIndex);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top === undefined) return undefined;
    this.removeAt(0);
    return top;
  }

  /** Remove a queued entry; returns false if it was not queued. */
  remove(entry: T): boolean {
    const i = entry.heapIndex;
    if (i < 0 || this.items[i] !== entry) return false;
    this.removeAt(i);
    return true;
  }

  /** Every queued entry, in heap (not time) order. */
  entries(): readonly T[] {
    return this.items;
  }

  private removeAt(i: number): void {
    const removed = this.items[i]!;
    const last = this.items.pop()!;
    removed.heapIndex = -1;
    if (last === removed) return; // it was the last element
    this.items[i] = last;
    last.heapIndex = i;
    // The moved element may belong above or below position i.
    if (i > 0 && before(last, this.items[(i - 1) >> 1]!)) this.siftUp(i);
    else this.siftDown(i);
  }

  private siftUp(start: number): void {
    const items = this.items;
    let i = start;
    const entry = items[i]!;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex]!;
      if (!before(entry, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    items[i] = entry;
    entry.heapIndex = i;
  }

  private siftDown(start: number): void {
    const items = this.items;
    const n = items.length;
    let i = start;
    const entry = items[i]!;
    // Each round moves i to a child (at least doubling it), so this runs at most log2(n) times.
    while (2 * i + 1 < n) {
      const left = 2 * i + 1;
      const right = left + 1;
      let child = left;
      if (right < n && before(items[right]!, items[left]!)) child = right;
      const smaller = items[child]!;
      if (!before(smaller, entry)) break;
      items[i] = smaller;
      smaller.heapIndex = i;
      i = child;
    }
    items[i] = entry;
    entry.heapIndex = i;
  }
}
