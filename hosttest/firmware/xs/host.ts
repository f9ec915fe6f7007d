// The simulated Moddable host the firmware runs on in the host tests: virtual time, the XS task's
// message queue, the timers, the raw-frame link and where its transmitted frames and trace lines
// go. The stand-in modules (timer.ts, time.ts, mc-config.ts, preference.ts, instrumentation.ts)
// and the Native API shim (globals.ts) read and write this one object. Portable: it runs under
// XS (bundled with firmware/main.ts by hosttest/firmware/bundle.ts) and under Node.

import type { SimulatedLink } from '../sim-link';

export interface SimulatedHost {
  /** Time.ticks, in ms. */
  now: number;
  /** Messages posted to the XS task (modMessagePostToMachine), delivered in order. */
  messages: (() => void)[];
  /** Where the link's transmitted frames go. */
  transmit: (frame: Uint8Array) => void;
  /** Where trace() lines go (without the newline). */
  print: (line: string) => void;
  /** The link the firmware opened, once it has. */
  link: SimulatedLink | null;
  /** What the next opened link looks like. */
  linkOptions: { mac: Uint8Array; kind: string; ringBytes: number };
  /** Seed of the simulated hardware RNG. */
  seed: number;
}

export const host: SimulatedHost = {
  now: 0,
  messages: [],
  transmit: () => {},
  print: () => {},
  link: null,
  linkOptions: { mac: new Uint8Array([0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]), kind: 'wifi', ringBytes: 16384 },
  seed: 1,
};

export function post(deliver: () => void): boolean {
  host.messages.push(deliver);
  return true;
}
