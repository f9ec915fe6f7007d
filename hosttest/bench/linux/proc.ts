// What /proc and /sys say about the processes and devices of the linux benchmark: CPU seconds of
// one process, datagrams its UDP sockets dropped, and a network device's counters inside a
// namespace. Linux only; every reader returns NaN (or 0 drops) when the file is gone, so a figure
// that could not be read shows as missing rather than as a wrong number.

import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { Netns } from '../../linux/netns.js';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux architecture Node runs on). */
const USER_HZ = 100;

/** User + system CPU seconds of `pid` so far (10 ms resolution), or NaN. */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return NaN;
  }
}

/** Inodes of the sockets `pid` holds open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

export interface UdpQueues {
  /** Bytes waiting in the receive buffers, and datagrams dropped so far because they were full. */
  rxQueue: number;
  drops: number;
}

/**
 * A reader of the receive queues of the UDP sockets `pid` holds now (the `rx_queue` and `drops`
 * columns of /proc/<pid>/net/udp). The bridge's two sockets live in the root namespace, so Node's
 * and socat's show up there. NaN when the process is gone.
 */
export function udpQueuesOf(pid: number | undefined): () => UdpQueues {
  if (pid === undefined) return () => ({ rxQueue: NaN, drops: NaN });
  const inodes = socketInodes(pid);
  return () => {
    let table = '';
    try {
      table = readFileSync(`/proc/${pid}/net/udp`, 'utf8');
    } catch {
      return { rxQueue: NaN, drops: NaN };
    }
    let rxQueue = 0;
    let drops = 0;
    for (const line of table.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ref pointer drops
      if (f.length < 13 || !inodes.has(f[9]!)) continue;
      rxQueue += parseInt(f[4]!.split(':')[1]!, 16);
      drops += Number(f[12]);
    }
    return { rxQueue, drops };
  };
}

/** Datagrams dropped so far by the UDP sockets of `pid` at a full receive buffer. */
export function udpDropsOf(pid: number | undefined): number {
  return udpQueuesOf(pid)().drops;
}

export interface DeviceCounters {
  rxPackets: number;
  txPackets: number;
  rxDropped: number;
  txDropped: number;
}

/** The counters of `dev` inside `ns` (its /sys as seen from the namespace). */
export function deviceCounters(ns: Netns, dev: string): DeviceCounters {
  const names = ['rx_packets', 'tx_packets', 'rx_dropped', 'tx_dropped'];
  const script = names.map((n) => `cat /sys/class/net/${dev}/statistics/${n}`).join('; ');
  try {
    const [rxPackets, txPackets, rxDropped, txDropped] = ns.must(['sh', '-c', script]).trim().split(/\s+/).map(Number);
    return { rxPackets: rxPackets!, txPackets: txPackets!, rxDropped: rxDropped!, txDropped: txDropped! };
  } catch {
    return { rxPackets: NaN, txPackets: NaN, rxDropped: NaN, txDropped: NaN };
  }
}

/** `after - before`, field by field. */
export function deviceDelta(before: DeviceCounters, after: DeviceCounters): DeviceCounters {
  return {
    rxPackets: after.rxPackets - before.rxPackets, txPackets: after.txPackets - before.txPackets,
    rxDropped: after.rxDropped - before.rxDropped, txDropped: after.txDropped - before.txDropped,
  };
}

/** The 1-minute load average: how busy the shared machine was (other work competes for the 2 cores). */
export function loadAverage(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

/** Jiffies of the whole machine so far (/proc/stat): busy (all but idle and iowait) and total. */
export function machineJiffies(): { busy: number; total: number } {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { busy: total - cpu[3]! - cpu[4]!, total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/** Fraction of the machine's CPU (all cores) busy between two readings. */
export function machineBusy(before: { busy: number; total: number }, after: { busy: number; total: number }): number {
  return (after.busy - before.busy) / (after.total - before.total);
}
