// Acceptance: the firmware's JS side — firmware/main.ts itself, with link.ts and accelerators.ts
// over a simulated device in place of the native driver (hosttest/firmware/xs/globals.ts) and
// Moddable's timer/time/config modules simulated — runs under XS on the host (the co-simulation
// of hosttest/firmware/cosim.ts: the board alone in its XS machine, the network in Node). It
// boots, takes a DHCP lease when the link comes up, serves the status page to a simulated client,
// and survives a small SYN flood while still serving it, with the trace lines xsbug would show.

import { afterEach, describe, expect, it } from 'vitest';
import { type FirmwareWorld, GATEWAY, POOL_START, STATIC_ADDRESS, firmwareWorld } from '../firmware/world';

let world: FirmwareWorld | null = null;

afterEach(async () => {
  await world?.close();
  world = null;
});

/** /stats.json: the server's figures, and the stats provider's (the firmware's table, then the stack's). */
interface Figures {
  http: Record<string, number>;
  stack: {
    firmware: { link: string; linkUp: boolean; address: string; dhcp: string; rx: Record<string, number>; framesToStack: number };
    synCache: Record<string, number | boolean | string>;
    synDefence: Record<string, number>;
  };
}

describe('firmware (main.ts) under XS', () => {
  it('boots, takes a DHCP lease when the link comes up, and serves the status page', async () => {
    const w = (world = await firmwareWorld({ seed: 3, config: { ssid: 'lab', password: 'secret' } }));
    await w.board.boot();
    expect(w.board.trace[0]).toMatch(/^synstack: boot link=wifi mac=02:00:5e:10:00:01 address=dhcp port=80 connections=8 buffer=2048 synCache=128/);
    // Nothing happens before the Wi-Fi association.
    await w.board.runFor(2000);
    expect(w.dhcp.received).toHaveLength(0);
    await w.board.setLink(true);
    expect(await w.board.runWhile(() => w.boardAddress() === null, 30_000)).toBe(true);
    expect(w.boardAddress()).toBe(POOL_START);
    expect(w.board.trace).toContain('synstack: link-up link=wifi mac=02:00:5e:10:00:01');
    expect(w.board.trace.some((l) => l.startsWith(`synstack: dhcp-bound address=${POOL_START} prefixLength=24 router=${GATEWAY}`))).toBe(true);

    const page = await w.get('/');
    expect(page?.status).toBe(200);
    expect(page?.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const table of ['firmware', 'http', 'connections', 'synCache', 'synDefence']) expect(page?.body).toContain(`<h2>${table}</h2>`);
    const json = await w.get('/stats.json');
    expect(json?.status).toBe(200);
    const figures = JSON.parse(json!.body) as Figures;
    expect(figures.stack.firmware).toMatchObject({ link: 'wifi', linkUp: true, address: POOL_START, dhcp: 'bound' });
    expect(figures.http.responses2xx).toBe(1); // the page; this response is counted after the figures were taken
    expect(figures.stack.firmware.framesToStack).toBe(figures.stack.firmware.rx.framesOut);
    expect(w.board.trace.some((l) => /^synstack: tcp-state conn=\d+ gen=\d+ from=CLOSED to=ESTABLISHED cause=syn-cache remote=192\.0\.2\.10:\d+$/.test(l))).toBe(true);

    // The receive path as the native driver runs it: one message at a time, ring never full here.
    const link = await w.board.linkState();
    expect(link.maxFramesMessagesQueued).toBe(1);
    expect(link.counters).toMatchObject({ overflows: 0, postFailures: 0, linkUps: 1 });
    expect(link.counters.framesIn).toBe(link.counters.framesOut);

    // Losing the association is reported; frames sent meanwhile fail and are counted.
    await w.board.setLink(false);
    await w.board.runFor(3000);
    expect(w.board.trace).toContain('synstack: WARN link-down link=wifi mac=02:00:5e:10:00:01');
    console.log(`[xs firmware] DHCP boot: ${w.board.commands} commands to XS, ${w.board.framesIn} frames in, ${w.board.framesOut} out`);
  }, 120_000);

  it('survives a small SYN flood (2,000 SYN/s for 6 s from spoofed sources) and keeps serving its page', async () => {
    const w = (world = await firmwareWorld({ seed: 5, config: { address: STATIC_ADDRESS, gateway: GATEWAY } }));
    await w.board.boot();
    await w.board.setLink(true);
    await w.board.runFor(1000);
    expect((await w.get('/'))?.status).toBe(200);
    const before = await w.board.heap();

    const flooder = w.flood(2000, 6000);
    const during: number[] = [];
    for (let i = 0; i < 4; i++) {
      await w.board.runFor(1200);
      during.push((await w.get('/', 10_000))?.status ?? 0);
    }
    await w.board.runFor(2000);
    const mid = await w.board.heap();
    expect(flooder.sent).toBe(12_000);
    expect(during).toEqual([200, 200, 200, 200]);

    // The attack is seen and reported, cookies answered the overflow, half-open state stayed bounded.
    const figures = JSON.parse((await w.get('/stats.json'))!.body) as Figures;
    expect(figures.stack.synDefence.synsReceived).toBeGreaterThanOrEqual(12_000);
    expect(figures.stack.synDefence.cookiesSent).toBeGreaterThan(10_000);
    expect(Number(figures.stack.synCache.halfOpen)).toBeLessThanOrEqual(Number(figures.stack.synCache.capacity));
    expect(w.board.trace.some((l) => /^synstack: WARN attack-start halfOpen=\d+ capacity=128 cookieMode=true/.test(l))).toBe(true);
    expect(w.board.trace.some((l) => /^synstack: cookie-mode on=true halfOpen=\d+$/.test(l))).toBe(true);
    // The client's connections during the flood were admitted through cookies (cache mode off).
    expect(w.board.trace.some((l) => /to=ESTABLISHED cause=syn-cookie remote=192\.0\.2\.10:/.test(l))).toBe(true);
    // Rate-limited: far fewer lines than events.
    expect(w.board.trace.length).toBeLessThan(200);

    // The flood ends, the defence stands down, and nothing grew: the heap holds what it held.
    await w.board.runFor(30_000);
    expect(w.board.trace.some((l) => /^synstack: WARN attack-end seconds=\d+ syns=\d+ cookiesSent=\d+/.test(l))).toBe(true);
    expect(w.board.trace).toContain('synstack: cookie-mode on=false halfOpen=0');
    expect((await w.get('/'))?.status).toBe(200);
    const after = await w.board.heap();
    const grown = (a: { slots: number; chunkBytes: number }, b: typeof a) => 16 * (b.slots - a.slots) + (b.chunkBytes - a.chunkBytes);
    // Bounded by construction: a few status objects at most (and ~50 bytes xsnap keeps per
    // evaluation, memory.ts; a dozen ran here). Anything per SYN would be hundreds of kilobytes.
    expect(grown(before, mid)).toBeLessThan(8 * 1024);
    expect(grown(before, after)).toBeLessThan(8 * 1024);
    const link = await w.board.linkState();
    expect(link.maxFramesMessagesQueued).toBe(1);
    console.log(`[xs firmware] flood: ${w.board.commands} commands to XS; heap grew ${grown(before, after)} bytes (16-byte slots) over the flood`);
  }, 180_000);

  it('says what is wrong with a bad configuration instead of starting', async () => {
    const w = (world = await firmwareWorld({ seed: 1, config: { address: '192.0.2.300' } }));
    await w.board.boot();
    expect(w.board.trace).toEqual([expect.stringMatching(/^synstack: ERROR configuration: .*config\.address: not a dotted-quad IPv4 address/)]);
    expect(w.board.deadline).toBe(Infinity);
  }, 60_000);
});
