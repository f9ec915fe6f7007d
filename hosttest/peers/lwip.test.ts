// lwIP in the simulator (hosttest/peers/lwip.ts): a synstack client completes a handshake, an
// echo and a bulk transfer with lwIP (Debian's build and the build with ESP-IDF's defaults), and
// a short SYN flood fills the ESP-IDF build's listen backlog — measured from lwIP's own listen PCB,
// its PCB census and the SYN-ACKs on the wire — and locks a legitimate client out until the
// half-open PCBs expire, where Debian's build (no backlog, malloc'd PCBs) takes every SYN and
// grows its heap instead.
//
// Needs gcc and liblwip-dev (installed when run as root), and for the ESP-IDF build Debian's lwip
// source package (fetched with apt-get into hosttest/peers/lwip/build/). Without them the tests
// skip and say why.

import { afterEach, describe, expect, it } from 'vitest';
import { Interface } from '../../src/iface/interface';
import type { Connection } from '../../src/tcp/connection';
import { Tcp } from '../../src/tcp/tcp';
import { parseIpv4Address } from '../../src/wire/ipv4';
import { Router } from '../sim/router';
import { Simulator } from '../sim/simulator';
import { SynFlooder, SynTemplate } from '../scenarios/synflood';
import { runPeerBulk } from './bulk';
import { runPeerFlood } from './flood';
import { LwipPeer, lwipAvailable, type LwipVariant } from './lwip';

const SERVER = parseIpv4Address('10.0.0.1');
const CLIENT = parseIpv4Address('10.0.0.2');
const GATEWAY = parseIpv4Address('10.0.0.254');
const MAC_SERVER = new Uint8Array([2, 0x53, 0x59, 0x4c, 0, 1]);
const MAC_CLIENT = new Uint8Array([2, 0x53, 0x59, 0x4c, 0, 2]);
const MAC_ROUTER = new Uint8Array([2, 0x53, 0x59, 0x4c, 0xfe, 1]);
const MAC_FLOODER = new Uint8Array([2, 0x53, 0x59, 0x4c, 0xfd, 1]);

const availability = {
  debian: lwipAvailable('debian'),
  espidf: lwipAvailable('espidf'),
} as const;
for (const [variant, a] of Object.entries(availability)) {
  if (!a.ok) console.warn(`\n*** hosttest/peers/lwip.test.ts: lwIP (${variant}) tests SKIPPED: ${a.reason}\n`);
}

/** `it`, or `it.skip` with the reason in the test's name. */
function itWith(variant: LwipVariant): (name: string, fn: () => void, timeout?: number) => void {
  const a = availability[variant];
  return a.ok ? it : (name: string) => it.skip(`${name} (skipped: ${a.reason})`, () => {});
}

const open: LwipPeer[] = [];
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

interface World {
  sim: Simulator;
  lwip: LwipPeer;
  client: Tcp;
  synAcks: () => number;
  lan: ReturnType<Simulator['addLink']>;
}

/** lwIP at 10.0.0.1 and a synstack client at 10.0.0.2 on one LAN, a router at .254 (it answers ARP). */
function world(variant: LwipVariant, mode: 'echo' | 'serve', seed: number): World {
  const sim = new Simulator({ seed });
  const lan = sim.addLink({ delayMs: 1, name: 'lan' });
  const nowhere = sim.addLink({ name: 'nowhere' });
  new Router(sim, [
    { link: lan, mac: MAC_ROUTER, address: GATEWAY, prefixLength: 24 },
    { link: nowhere, mac: new Uint8Array([2, 0x53, 0x59, 0x4c, 0xfe, 2]), address: parseIpv4Address('192.0.2.1'), prefixLength: 24 },
  ]);
  const serverPort = sim.attach(lan, MAC_SERVER, { name: `lwip-${variant}` });
  const lwip = serverPort.connect(LwipPeer.start(serverPort, { variant, address: SERVER, prefixLength: 24, gateway: GATEWAY, port: 80, mode, seed }));
  open.push(lwip);
  let synAcks = 0;
  lan.tap((e) => {
    const f = e.frame;
    if (e.kind === 'send' && e.from === serverPort && f.length >= 48 && f[23] === 6 && (f[47]! & 0x12) === 0x12) synAcks++;
  });
  const clientPort = sim.attach(lan, MAC_CLIENT, { name: 'client' });
  const iface = new Interface({ device: clientPort, clock: sim.clock, entropy: sim.entropy('client'), address: CLIENT, prefixLength: 24, gateway: GATEWAY });
  const client = new Tcp(iface, { entropy: sim.entropy('tcp-client'), config: { connections: 4, sendBuffer: 16384, receiveBuffer: 16384 } });
  clientPort.connect(iface);
  return { sim, lwip, client, synAcks: () => synAcks, lan };
}

describe.each(['debian', 'espidf'] as const)('lwIP %s as a peer', (variant) => {
  itWith(variant)('a synstack client connects, and what it writes comes back (echo), then both close', () => {
    const { sim, lwip, client } = world(variant, 'echo', 11);
    const sent = new Uint8Array(3000);
    sim.stream('payload').bytes(sent);
    const got = new Uint8Array(sent.length);
    let have = 0, connectedAt = -1, written = 0, peerClosed = false;
    const failures: string[] = [];
    const conn = client.connect(SERVER, 80, {
      onConnected: (c) => {
        connectedAt = sim.now;
        written += c.write(sent, written);
      },
      onWritable: (c) => {
        if (written < sent.length) written += c.write(sent, written);
      },
      onReadable: (c) => {
        have += c.read(got, have);
        if (have === sent.length) c.shutdown();
      },
      onPeerClosed: (c: Connection) => {
        peerClosed = true;
        c.close();
      },
      onError: (_c, f) => failures.push(f),
    });
    expect(typeof conn).not.toBe('string');
    sim.runWhile(() => !peerClosed && failures.length === 0, 30_000);
    expect(failures).toEqual([]);
    expect(connectedAt).toBeGreaterThan(0);
    expect(connectedAt).toBeLessThan(100); // one round trip over a 1 ms LAN, after ARP
    expect(have).toBe(sent.length);
    expect(Buffer.from(got).equals(Buffer.from(sent))).toBe(true);
    expect(peerClosed).toBe(true);
    const s = lwip.stats(sim.now);
    expect(s.app.accepted).toBe(1);
    expect(s.app.bytesReceived).toBe(sent.length);
    expect(s.app.bytesSent).toBe(sent.length);
    expect(s.version).toBe('2.1.3');
  });

  itWith(variant)('a 1 MiB transfer from synstack into lwIP arrives whole', () => {
    const r = runPeerBulk({
      seed: 5, server: { stack: 'lwip', variant }, bytes: 1 << 20, link: { delayMs: 1, bandwidthBps: 100e6 },
      serverBufferBytes: 65536, clientBufferBytes: 65536, timeLimitMs: 120_000,
    });
    expect(r.failures).toEqual([]);
    expect(r.serverRead).toBe(1 << 20);
    expect(r.complete).toBe(true);
    expect(r.goodputMbps).toBeGreaterThan(0);
  });

  itWith(variant)('is deterministic: the same seed gives the same run, heap bytes included', () => {
    const once = () => {
      const r = runPeerFlood({ seed: 9, server: { stack: 'lwip', variant }, floodRate: 1000, windowMs: 500, giveUpMs: 1500, clients: 5, connectionsPerClient: 2 });
      return JSON.stringify({ legit: r.legit, samples: r.connectSamples, flood: r.flood, memory: r.memory, events: r.events, pcbs: r.lwip?.pcbsAtEndOfFlood });
    };
    const a = once();
    expect(once()).toBe(a);
  });
});

describe('a short SYN flood against lwIP', () => {
  /** 200 spoofed SYNs in 200 ms, then a legitimate connect at 500 ms. */
  function flood(variant: LwipVariant) {
    const w = world(variant, 'serve', 23);
    const flooderPort = w.sim.attach(w.lan, MAC_FLOODER, { name: 'flooder' });
    const template = new SynTemplate(MAC_FLOODER, MAC_SERVER, SERVER, 80, w.sim.stream('flood'), 'random');
    const flooder = flooderPort.connect(new SynFlooder(flooderPort, template, 1000, 0, 200));
    const before = w.lwip.stats(0);
    w.sim.runUntil(500);
    const afterFlood = w.lwip.stats(w.sim.now);
    const synAcksAfterFlood = w.synAcks();
    let connectedAt = -1;
    const failures: string[] = [];
    const c = w.client.connect(SERVER, 80, { onConnected: () => { connectedAt = w.sim.now; }, onError: (_c, f) => failures.push(f) });
    expect(typeof c).not.toBe('string');
    w.sim.runUntil(5_500);
    const at5s = { connectedAt, stats: w.lwip.stats(w.sim.now) };
    return { w, flooder, before, afterFlood, synAcksAfterFlood, at5s, failures, connectedAt: () => connectedAt };
  }

  itWith('espidf')('fills the ESP-IDF build\'s backlog (5) with half-open PCBs and shuts a legitimate client out until they expire', () => {
    const f = flood('espidf');
    expect(f.flooder.sent).toBe(200);
    // The listen PCB's own counters: the backlog is full of SYN_RCVD PCBs.
    expect(f.afterFlood.listenBacklog).toBe(5);
    expect(f.afterFlood.acceptsPending).toBe(f.afterFlood.listenBacklog);
    expect(f.afterFlood.pcbs.synRcvd).toBe(5);
    expect(f.afterFlood.memp?.['TCP_PCB']?.used).toBe(5);
    // Only those five were answered; the other 195 SYNs were dropped without a SYN-ACK.
    expect(f.synAcksAfterFlood).toBe(5);
    // The legitimate client's SYN (and its retransmissions at 1 and 3 s) meet the same full backlog.
    expect(f.at5s.connectedAt).toBe(-1);
    expect(f.at5s.stats.acceptsPending).toBe(5);
    expect(f.at5s.stats.app.accepted).toBe(0);
    // SYN_RCVD PCBs expire after 20 s (TCP_SYN_RCVD_TIMEOUT); the client's retransmission after that gets in.
    f.w.sim.runUntil(40_000);
    expect(f.failures).toEqual([]);
    expect(f.connectedAt()).toBeGreaterThan(20_000);
    // Static pools: the heap did not grow with the flood.
    expect(f.afterFlood.staticPoolBytes).toBeGreaterThan(0);
  }, 60_000);

  itWith('debian')('is absorbed by Debian\'s build, one malloc\'d PCB per SYN: no backlog, the heap grows', () => {
    const f = flood('debian');
    expect(f.afterFlood.options['MEMP_MEM_MALLOC']).toBe(1);
    expect(f.afterFlood.listenBacklog).toBeNull();
    expect(f.afterFlood.pcbs.synRcvd).toBe(200);
    expect(f.synAcksAfterFlood).toBe(200);
    const growth = f.afterFlood.heapInUse - f.before.heapInUse;
    // At least a tcp_pcb per SYN (its size as compiled into the library's users, sizeof in harness.c).
    expect(growth).toBeGreaterThanOrEqual(200 * f.afterFlood.options['tcpPcbBytes']!);
    expect(f.at5s.connectedAt).toBeGreaterThan(0);
    expect(f.at5s.connectedAt).toBeLessThan(600);
  }, 60_000);
});
