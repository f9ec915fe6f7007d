// `npm start`: the main job. synstack serves its status page on a simulated LAN; client hosts
// behind a router fetch from it over a lossy WAN; `--flood RATE` adds spoofed SYNs. A live view
// (redrawn each second on a terminal, one line per second otherwise) shows connections by state,
// the SYN cache, cookie mode, the clients' success rate and throughput; a summary ends the run.

import { parseArgs } from 'node:util';
import { PcapWriter } from './pcap/pcap';
import { type DemoFigures, createDemo } from './scenarios/demo';

const HELP = `usage: npm start -- [options]

synstack (10.0.0.1) serves its status page (app/status-server.ts) on a simulated LAN. Client hosts
behind a router fetch /bytes/4096 from it over a WAN with loss. With --flood, a host on the LAN
sends SYNs from spoofed sources: watch the SYN cache fill, cookies take over, and the clients keep
getting in. Time is simulated; by default one simulated second is shown per real second.

  --flood RATE    spoofed SYNs per second (default 0)
  --duration S    seconds to run (default 20)
  --loss P        frame loss on the WAN, 0..1 (default 0.01)
  --clients N     client hosts (default 20)
  --rate N        fetches per second, all clients together (default 20)
  --mode M        SYN defence: overflow (default), cache, cookies
  --seed N        simulation seed (default 1); the same seed gives the same run
  --fast          do not wait for real time between seconds
  --tap           instead: put synstack behind a TAP device in a new network namespace (root) and
                  serve the status page to the Linux kernel there; prints the curl to try
  --pcap FILE     write every frame on the LAN to FILE (Wireshark / tshark read it)
  --json          end with one line of JSON with the summary
  --help          this text
`;

function main(): Promise<number> | number {
  let v;
  try {
    v = parseArgs({
      options: {
        flood: { type: 'string', default: '0' }, duration: { type: 'string', default: '20' },
        loss: { type: 'string', default: '0.01' }, clients: { type: 'string', default: '20' },
        rate: { type: 'string', default: '20' }, mode: { type: 'string', default: 'overflow' },
        seed: { type: 'string', default: '1' }, fast: { type: 'boolean', default: false },
        pcap: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
        tap: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (v.tap) return runTap(Number(v.duration), v.json === true);
  const flood = Number(v.flood), duration = Number(v.duration), loss = Number(v.loss);
  const clients = Number(v.clients), rate = Number(v.rate), seed = Number(v.seed);
  const mode = v.mode as 'overflow' | 'cache' | 'cookies';
  const bad = !(flood >= 0) || !(Number.isInteger(duration) && duration > 0 && duration <= 3600) || !(loss >= 0 && loss < 1) ||
    !(Number.isInteger(clients) && clients >= 1 && clients <= 250) || !(rate > 0 && rate <= 10_000) ||
    !Number.isInteger(seed) || !['overflow', 'cache', 'cookies'].includes(mode);
  if (bad) {
    console.error(`bad option value\n\n${HELP}`);
    return 2;
  }
  const pcap = v.pcap ? new PcapWriter({ path: v.pcap }) : undefined;
  const demo = createDemo({
    seed, floodRate: flood, loss, clients, fetchRate: rate, floodMs: duration * 1000, synDefence: { mode }, recorder: pcap,
  });
  const tty = process.stdout.isTTY === true && !v.json;
  console.log(`synstack on a simulated LAN: ${clients} clients at ${rate} fetches/s, WAN loss ${(loss * 100).toFixed(1)} %` +
    (flood > 0 ? `, SYN flood ${flood.toLocaleString('en')} SYN/s from spoofed sources` : '') + `, SYN defence ${mode}, seed ${seed}`);
  let lastBytes = 0;
  const show = (f: DemoFigures, second: number): void => {
    const s = f.server, done = f.fetches.ok + f.fetches.failed;
    const pct = done === 0 ? 100 : (f.fetches.ok * 100) / done;
    const mbps = ((f.fetches.bytes - lastBytes) * 8) / 1e6;
    lastBytes = f.fetches.bytes;
    const states = Object.entries(s.connections.byState).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
    const line = `t=${String(second).padStart(3)}s  ok ${f.fetches.ok}/${done} (${pct.toFixed(1)} %)  ` +
      `p99 ${f.fetches.p99Ms} ms  ${mbps.toFixed(2)} Mbit/s  SYN cache ${s.synCache.halfOpen}/${s.synCache.capacity}` +
      `${s.synCache.cookieMode ? '  COOKIES' : ''}${s.synCache.underAttack ? '  UNDER ATTACK' : ''}  ` +
      `flood SYNs ${f.floodSyns.toLocaleString('en')}  conns: ${states}`;
    if (!tty) {
      console.log(line);
      return;
    }
    process.stdout.write(`\x1b[2K\r${line}`);
  };

  const finish = (): number => {
    if (tty) process.stdout.write('\n');
    pcap?.close();
    const f = demo.figures();
    const done = f.fetches.ok + f.fetches.failed;
    const successPct = done === 0 ? 100 : (f.fetches.ok * 100) / done;
    const c = f.server.synDefence;
    console.log(`\nsummary after ${duration} s: ${f.fetches.ok} of ${done} fetches verified (${successPct.toFixed(2)} %), ` +
      `p50 ${f.fetches.p50Ms} ms, p99 ${f.fetches.p99Ms} ms; ${f.floodSyns.toLocaleString('en')} spoofed SYNs; ` +
      `cookies sent ${c.cookiesSent ?? 0}, accepted ${c.cookiesAccepted ?? 0}; ` +
      `cookie mode ${f.cookieModeSeen ? 'entered' : 'never entered'}` + (v.pcap ? `; pcap in ${v.pcap}` : ''));
    if (v.json) {
      console.log(JSON.stringify({
        duration_s: duration, flood_rate: flood, loss, clients, fetch_rate: rate, mode, seed,
        fetches_ok: f.fetches.ok, fetches_failed: f.fetches.failed, fetches_pending: f.fetches.pending,
        legit_success_pct: Math.round(successPct * 100) / 100, p50_ms: f.fetches.p50Ms, p99_ms: f.fetches.p99Ms,
        flood_syns: f.floodSyns, cookie_mode_entered: f.cookieModeSeen, syn_defence: f.server.synDefence,
        half_open_now: f.server.synCache.halfOpen, half_open_capacity: f.server.synCache.capacity,
      }));
    }
    return 0;
  };

  if (v.fast) {
    for (let s = 1; s <= duration; s++) {
      demo.step(1000);
      show(demo.figures(), s);
    }
    return finish();
  }
  // One simulated second per real second: a single timer, re-armed for the next second.
  return new Promise<number>((resolve) => {
    let s = 0;
    const started = Date.now();
    const tick = (): void => {
      s++;
      demo.step(1000);
      show(demo.figures(), s);
      if (s >= duration) {
        resolve(finish());
        return;
      }
      setTimeout(tick, Math.max(0, started + (s + 1) * 1000 - 1000 - Date.now()));
    };
    setTimeout(tick, 1000);
  });
}

/**
 * `--tap`: synstack on a real Linux peer. A network namespace with a TAP device (10.77.0.1) is
 * bridged to synstack (10.77.0.2) by socat; the status server answers curl from the namespace.
 * Everything is removed on exit, Ctrl-C included (hosttest/linux/netns.ts cleanup).
 */
async function runTap(durationS: number, json: boolean): Promise<number> {
  const { linuxSupport, cleanupAll } = await import('./linux/netns');
  const { linuxWorld, serveStatus, SYNSTACK_ADDRESS } = await import('./linux/world');
  const support = linuxSupport(['ip', 'socat']);
  if (!support.ok) {
    console.error(`--tap needs root, /dev/net/tun, iproute2 and socat: ${support.reason}`);
    return 2;
  }
  const w = await linuxWorld();
  try {
    const server = serveStatus(w);
    console.log(`synstack is at ${SYNSTACK_ADDRESS} behind ${w.bridge.tapName} in namespace ${w.ns.name}. Try:`);
    console.log(`  ip netns exec ${w.ns.name} curl -s http://${SYNSTACK_ADDRESS}/stats.json`);
    console.log(`(running for ${durationS} s; Ctrl-C stops it and removes the namespace)`);
    await new Promise((resolve) => setTimeout(resolve, durationS * 1000));
    const served = server.stats;
    if (json) console.log(JSON.stringify({ tap: true, namespace: w.ns.name, duration_s: durationS, http: served }));
    else console.log(`served ${JSON.stringify(served)}`);
    return 0;
  } finally {
    w.destroy();
    cleanupAll();
  }
}

const interrupted = (): void => {
  process.stdout.write('\n');
  process.exit(130);
};
process.on('SIGINT', interrupted);
Promise.resolve(main()).then((code) => {
  process.exitCode = code;
});
