// Stack-wide figures as one plain object (a synstack extension): what the status page shows and
// what `/stats.json` returns. Built on demand; nothing is kept.

import { STATE_NAMES } from '../tcp/state';
import type { Stack } from './stack';
import { ipv4ToString } from '../wire/ipv4';

export interface StackStats {
  address: string;
  uptimeMs: number;
  connections: { capacity: number; inUse: number; byState: Record<string, number>; timeWait: number };
  synDefence: {
    mode: string; cookieMode: boolean; underAttack: boolean; attackStartedAt: number;
    halfOpen: number; capacity: number; distinctSources: number; counters: Record<string, number>;
  };
  tcp: Record<string, number>;
  interface: Record<string, number>;
  drops: Record<string, number>;
}

export function stackStats(stack: Stack, startedAt = 0): StackStats {
  const tcp = stack.tcp, iface = stack.iface;
  const byState: Record<string, number> = {};
  for (const c of tcp.connections) {
    if (c.state === 0 && !c.held) continue;
    const name = STATE_NAMES[c.state]!;
    byState[name] = (byState[name] ?? 0) + 1;
  }
  const syn = tcp.synDefenceStatus();
  const numbers = (o: object): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(o)) if (typeof v === 'number') out[k] = v;
    return out;
  };
  return {
    address: ipv4ToString(iface.address),
    uptimeMs: stack.clock.now() - startedAt,
    connections: { capacity: tcp.config.connections, inUse: tcp.activeConnections, byState, timeWait: tcp.timeWait.count },
    synDefence: {
      mode: syn.mode, cookieMode: syn.cookieMode, underAttack: syn.underAttack, attackStartedAt: syn.attackStartedAt,
      halfOpen: syn.halfOpen, capacity: syn.capacity, distinctSources: syn.distinctSources, counters: numbers(syn.counters),
    },
    tcp: numbers(tcp.counters),
    interface: numbers(iface.counters),
    drops: { ...numbers(iface.counters.drops), ...prefixed('tcp:', numbers(tcp.counters.drops)) },
  };
}

function prefixed(prefix: string, o: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) out[prefix + k] = v;
  return out;
}
