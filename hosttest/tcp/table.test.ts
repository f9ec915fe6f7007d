// The 4-tuple index (src/tcp/table.ts) against a plain Map, over seeded random sequences of
// inserts, removals and lookups: the slot found last is tried first, so lookups right after the
// slot was removed, reused for another tuple, or reinserted must still give the model's answer.

import { describe, expect, it } from 'vitest';
import { TupleHasher } from '../../src/tcp/isn';
import { TupleIndex } from '../../src/tcp/table';
import { Prng } from '../wire/helpers';

type Tuple = [localIp: number, localPort: number, remoteIp: number, remotePort: number];

const key = (t: Tuple): string => t.join(':');

describe('TupleIndex', () => {
  for (const capacity of [1, 2, 8, 33]) {
    it(`finds what a Map finds, capacity ${capacity}`, () => {
      const rng = new Prng(capacity * 7919);
      const index = new TupleIndex(capacity, new TupleHasher(rng.bytes(8)));
      const model = new Map<string, number>();
      const slotTuple: Array<Tuple | null> = new Array(capacity).fill(null);
      // A small universe of tuples, so lookups hit, miss and collide often; some differ in one field.
      const universe: Tuple[] = [];
      for (let i = 0; i < 3 * capacity + 4; i++) {
        const t: Tuple = universe.length > 0 && rng.bool() ? [...rng.pick(universe)] : [rng.u32(), rng.u16(), rng.u32(), rng.u16()];
        const field = rng.below(4);
        t[field] = field === 1 || field === 3 ? rng.u16() : rng.u32();
        universe.push(t);
      }
      let hits = 0;
      for (let step = 0; step < 4000; step++) {
        const r = rng.below(10);
        if (r < 2) {
          const slot = rng.below(capacity);
          const t = rng.pick(universe);
          if (model.has(key(t))) continue; // a tuple is in the index once at most
          const old = slotTuple[slot];
          if (old !== null) model.delete(key(old!));
          index.insert(slot, ...t);
          slotTuple[slot] = t;
          model.set(key(t), slot);
        } else if (r < 3) {
          const slot = rng.below(capacity);
          index.remove(slot);
          const old = slotTuple[slot];
          if (old !== null) model.delete(key(old!));
          slotTuple[slot] = null;
        } else {
          const t = rng.pick(universe);
          const want = model.get(key(t)) ?? -1;
          expect(index.find(...t), `step ${step}, ${key(t)}`).toBe(want);
          if (want >= 0) hits++;
        }
        expect(index.size).toBe(model.size);
      }
      expect(hits).toBeGreaterThan(100);
    });
  }
});
