import { describe, expect, it } from 'vitest';
import { EventHeap, type HeapEntry } from './heap.js';
import { Random } from './random.js';

interface Item extends HeapEntry {
  readonly id: number;
}

describe('EventHeap', () => {
  it('pops in (time, seq) order through random pushes and removals', () => {
    const r = new Random(4);
    const heap = new EventHeap<Item>();
    const live = new Set<Item>();
    let seq = 0;
    const popped: Item[] = [];
    for (let round = 0; round < 5000; round++) {
      const action = r.int(10);
      if (action < 6) {
        const item: Item = { id: round, time: r.int(50), seq: seq++, heapIndex: -1 };
        heap.push(item);
        live.add(item);
      } else if (action < 8 && live.size > 0) {
        const victim = [...live][r.int(live.size)]!;
        expect(heap.remove(victim)).toBe(true);
        expect(victim.heapIndex).toBe(-1);
        expect(heap.remove(victim)).toBe(false);
        live.delete(victim);
      } else {
        const expected = [...live].sort((a, b) => a.time - b.time || a.seq - b.seq)[0];
        const top = heap.pop();
        expect(top).toBe(expected);
        if (top !== undefined) {
          live.delete(top);
          popped.push(top);
        }
      }
      expect(heap.size).toBe(live.size);
    }
    // Drain: the rest comes out sorted.
    const rest: Item[] = [];
    for (let i = 0, n = heap.size; i < n; i++) rest.push(heap.pop()!);
    expect(rest).toEqual([...live].sort((a, b) => a.time - b.time || a.seq - b.seq));
    expect(heap.pop()).toBeUndefined();
    expect(popped.length).toBeGreaterThan(100);
  });

  it('refuses to queue an entry twice', () => {
    const heap = new EventHeap<Item>();
    const item: Item = { id: 1, time: 0, seq: 0, heapIndex: -1 };
    heap.push(item);
    expect(() => heap.push(item)).toThrow(/already queued/);
  });
});
