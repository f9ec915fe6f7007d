// `npm start`: the main job. Today it shows the foundation at work: two synstack hosts on a
// simulated Ethernet segment with seeded loss resolve each other by ARP and ping each other, with a
// line of figures per virtual second and a summary. Later issues grow it into the TCP status server
// under a SYN flood.

import { parseArgs } from 'node:util';
import { PcapWriter } from './pcap/pcap';
import { runPingScenario, type PingFigures } from './scenarios/ping';

const HELP = `usage: npm start -- [options]

Two synstack hosts (192.0.2.1 and 192.0.2.2) on a simulated LAN ping each other until each has
--pings answers. Time is virtual: the run takes milliseconds of real time.

  --loss P        frame loss on the link, 0..1 (default 0.2)
  --pings N       answered echoes each host must collect (default 100)
  --seed N        simulation seed (default 1); the same seed gives the same run
  --duration S    stop after S virtual seconds even if not done (default: until done)
  --pcap FILE     write every frame put on the link to FILE (Wireshark/tshark open it)
  --json          end with one line of JSON with the summary
  --help          this text
`;

function main(): number {
  let args;
  try {
    args = parseArgs({
      options: {
        loss: { type: 'string', default: '0.2' },
        pings: { type: 'string', default: '100' },
        seed: { type: 'string', default: '1' },
        duration: { type: 'string' },
        pcap: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    console.error(String((e as Error).message));
    console.error(HELP);
    return 2;
  }
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const loss = Number(args.loss), pings = Number(args.pings), seed = Number(args.seed);
  const durationS = args.duration === undefined ? Infinity : Number(args.duration);
  if (!(loss >= 0 && loss < 1) || !(Number.isInteger(pings) && pings > 0) || !Number.isInteger(seed) || !(durationS > 0)) {
    console.error('bad option value\n' + HELP);
    return 2;
  }
  const pcap = args.pcap ? new PcapWriter() : undefined;
  const interval = 250;
  const maxRequests = Number.isFinite(durationS) ? Math.max(1, Math.floor((durationS * 1000) / interval)) : pings * 20;

  console.log(`synstack: 2 hosts on a simulated LAN, ${(loss * 100).toFixed(0)} % loss, seed ${seed}`);
  const line = (f: PingFigures) =>
    `t=${(f.virtualMs / 1000).toFixed(0).padStart(4)}s  ` +
    `A→B ${String(f.a.repliesReceived).padStart(4)}/${String(f.a.requestsSent).padEnd(4)} ` +
    `B→A ${String(f.b.repliesReceived).padStart(4)}/${String(f.b.requestsSent).padEnd(4)} ` +
    `frames ${f.link.transmitted} lost ${f.link.lost}  ` +
    `ARP req ${f.a.arp.requestsOut + f.b.arp.requestsOut} rep ${f.a.arp.repliesOut + f.b.arp.repliesOut}`;
  const r = runPingScenario({
    seed, loss, pings, intervalMs: interval, maxRequests, recorder: pcap,
    onSecond: (f) => console.log(line(f)),
  });
  if (pcap && args.pcap) {
    pcap.writeFile(args.pcap);
    console.log(`pcap: ${pcap.frames} frames written to ${args.pcap}`);
  }
  const rtt = (h: typeof r.a) => (h.repliesReceived ? (h.rttSum / h.repliesReceived).toFixed(1) : '-');
  console.log(
    `\n${r.completed ? 'done' : 'stopped'} after ${(r.virtualMs / 1000).toFixed(1)} s virtual: ` +
    `A got ${r.a.repliesReceived}/${r.a.requestsSent} replies (avg rtt ${rtt(r.a)} ms), ` +
    `B got ${r.b.repliesReceived}/${r.b.requestsSent} (avg rtt ${rtt(r.b)} ms); ` +
    `A learned B at ${r.a.learnedPeerMac || '?'}, B learned A at ${r.b.learnedPeerMac || '?'}`,
  );
  const drops = (h: typeof r.a) => Object.entries(h.counters.drops).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
  console.log(`drops A: ${drops(r.a)}; drops B: ${drops(r.b)}`);
  if (args.json) {
    console.log(JSON.stringify({
      completed: r.completed, virtual_ms: r.virtualMs, loss, seed,
      a: { requests: r.a.requestsSent, replies: r.a.repliesReceived, frames_in: r.a.counters.framesIn, frames_dropped: r.a.counters.framesDropped },
      b: { requests: r.b.requestsSent, replies: r.b.repliesReceived, frames_in: r.b.counters.framesIn, frames_dropped: r.b.counters.framesDropped },
      link: r.link,
    }));
  }
  return r.completed ? 0 : 1;
}

process.exitCode = main();
