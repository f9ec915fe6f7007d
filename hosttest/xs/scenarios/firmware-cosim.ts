// The XS side of the firmware co-simulation (hosttest/firmware/cosim.ts): firmware/main.ts runs
// inside XS on the simulated Moddable host (hosttest/firmware/xs/), alone in its machine, while
// the network it serves (clients, a DHCP server, a SYN flooder) runs in Node on the simulator.
//
// Node evaluates `__cosim.run()`, and the run pulls its work from Node with issueCommand:
//
//   -> {t:'next', next}     "what now?" (next = the earliest timer deadline, null for none)
//   <- {t:'boot', ...}      config, link, seed, time; then main()
//   <- {t:'step', now, frames}   time moves to `now`, frames (hex) arrive on the wire
//   <- {t:'link', now, up}  carrier / association change
//   <- {t:'query'}          answered with {t:'result', value} (the simulated link's counters)
//   <- {t:'pause'}          run() returns, so Node can take a heap snapshot between phases
//
// After every command the simulated run loop runs (due timers, queued messages). While running,
// the firmware's transmitted frames go to Node as {t:'tx', f} and its trace lines as
// {t:'trace', line}. One evaluation per phase rather than one per event matters: xsnap keeps a
// little of every evaluated script (about one slot and 16 bytes in this build), which would
// show up in the heap measurements as growth that is not the firmware's.
//
// The bundle is made by hosttest/firmware/bundle.ts, which substitutes the Moddable modules
// ("timer", "time", "mc/config", "preference", "instrumentation") and installs the Native API
// shim (hosttest/firmware/xs/globals.ts) before firmware/main.ts is evaluated.

import config from '../../firmware/xs/mc-config';
import { host } from '../../firmware/xs/host';
import { nextTimerAt, runDueTimers } from '../../firmware/xs/timer';

type ToNode =
  | { t: 'next'; next: number | null }
  | { t: 'tx'; f: string }
  | { t: 'trace'; line: string }
  | { t: 'result'; value: unknown }
  | { t: 'error'; message: string; stack?: string };

export type FromNode =
  | { t: 'boot'; config: Record<string, unknown>; mac: string; kind: string; ringBytes: number; seed: number; now: number }
  | { t: 'step'; now: number; frames: string[] }
  | { t: 'link'; now: number; up: boolean }
  | { t: 'query' }
  | { t: 'pause' };

const HEX = '0123456789abcdef';

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]! >> 4]! + HEX[bytes[i]! & 15]!;
  return s;
}

function fromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function send(message: ToNode): string {
  const issueCommand = (globalThis as unknown as { issueCommand: (b: ArrayBuffer) => ArrayBuffer }).issueCommand;
  const bytes = new TextEncoder().encode(JSON.stringify(message));
  const reply = issueCommand(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return new TextDecoder().decode(new Uint8Array(reply));
}

/** The simulated run loop (Moddable's main.c: timers, then the messages queued so far). */
function runLoop(): void {
  for (let turns = 0; ; turns++) {
    if (turns > 100_000) throw new Error('run loop did not settle (a timer at 0 ms forever?)');
    const fired = runDueTimers();
    const n = host.messages.length;
    for (let i = 0; i < n; i++) host.messages.shift()!();
    if (fired === 0 && n === 0) return;
  }
}

export function installCosim(main: () => void): void {
  host.transmit = (frame) => void send({ t: 'tx', f: toHex(frame) });
  host.print = (line) => void send({ t: 'trace', line });
  const run = (): void => {
    try {
      for (;;) {
        const next = nextTimerAt();
        const command = JSON.parse(send({ t: 'next', next: next === Infinity ? null : next })) as FromNode;
        switch (command.t) {
          case 'pause':
            return;
          case 'boot':
            Object.assign(config, command.config);
            host.linkOptions = { mac: fromHex(command.mac), kind: command.kind, ringBytes: command.ringBytes };
            host.seed = command.seed;
            host.now = command.now;
            main();
            break;
          case 'step':
            host.now = command.now;
            for (const f of command.frames) host.link?.receive(fromHex(f));
            break;
          case 'link':
            host.now = command.now;
            host.link?.setUp(command.up);
            break;
          case 'query': {
            const link = host.link;
            send({
              t: 'result',
              value: link === null ? null : { counters: link.counters, maxFramesMessagesQueued: link.maxFramesMessagesQueued, waiting: link.waiting },
            });
            break;
          }
        }
        runLoop();
      }
    } catch (error) {
      send({ t: 'error', message: String(error), stack: error instanceof Error ? error.stack : undefined });
    }
  };
  (globalThis as Record<string, unknown>).__cosim = { run };
}
