// The stats provider for app/status-server.ts when the sockets are synstack's: a snapshot of a
// synstack Stack's figures as a plain JSON-able object. (With Moddable's own lwIP sockets the
// firmware passes some other provider; the server renders whatever object it gets.)
//
//   new StatusServer({ Listener, TCP, port: 80, now, stats: synstackStats(stack) })

import type { Stack } from '../src/api/stack';
import { CLOSED, STATE_NAMES, TIME_WAIT } from '../src/tcp/state';

export interface SynstackFigures {
  clockMs: number;
  connections: {
    /** Connection blocks, in use, and compact TIME-WAIT entries. */
    capacity: number;
    inUse: number;
    timeWait: number;
    timeWaitCapacity: number;
    /** Blocks by RFC 9293 state name (states with none left out); TIME-WAIT counts the compact table. */
    byState: Record<string, number>;
  };
  synCache: {
    mode: string;
    /** Half-open entries now, and the most the cache holds. */
    halfOpen: number;
    capacity: number;
    cookieMode: boolean;
    underAttack: boolean;
    attackStartedAt: number;
    distinctSources: number;
  };
  synDefence: Record<string, number>;
  tcp: Record<string, number>;
  drops: Record<string, number>;
}

export function synstackStats(stack: Stack): () => SynstackFigures {
  return () => {
    const tcp = stack.tcp;
    const byState: Record<string, number> = {};
    for (const c of tcp.connections) {
      // A block held in TIME-WAIT also has its entry in the compact table, counted below.
      if (c.state === CLOSED || c.state === TIME_WAIT) continue;
      const name = STATE_NAMES[c.state]!;
      byState[name] = (byState[name] ?? 0) + 1;
    }
    if (tcp.timeWait.count > 0) byState['TIME-WAIT'] = tcp.timeWait.count;
    const s = tcp.synDefenceStatus();
    const counters: Record<string, number> = {};
    const all = tcp.counters as unknown as Record<string, unknown>;
    for (const k of Object.keys(all)) if (typeof all[k] === 'number') counters[k] = all[k] as number;
    const drops: Record<string, number> = {};
    const d = tcp.counters.drops as Record<string, number | undefined>;
    for (const k of Object.keys(d)) drops[k] = d[k] ?? 0;
    return {
      clockMs: stack.clock.now(),
      connections: {
        capacity: tcp.config.connections, inUse: tcp.activeConnections, timeWait: tcp.timeWait.count,
        timeWaitCapacity: tcp.config.timeWaitEntries, byState,
      },
      synCache: {
        mode: s.mode, halfOpen: s.halfOpen, capacity: s.capacity, cookieMode: s.cookieMode,
        underAttack: s.underAttack, attackStartedAt: s.attackStartedAt, distinctSources: s.distinctSources,
      },
      synDefence: { ...s.counters },
      tcp: counters,
      drops,
    };
  };
}
