// synstack on an ESP32 under the Moddable SDK: the entry module (manifest.json creation.main is
// "synstack/firmware/main"). It wires Moddable's pieces into the portable program (program.ts):
// the native raw-frame link (link.ts), the native accelerators and RNG (accelerators.ts), the
// millisecond ticks (Time), the one timer (Timer), trace() to xsbug, the configuration (mc/config,
// Preference), and the XS heap figures (Instrumentation, in instrumented builds). Moddable calls
// the default export once the set-up phase is over.
//
// On the host the same file runs under XS with these modules replaced by simulated ones
// (hosttest/firmware/xs/), which is how npm run test:xs exercises it.

import config from 'mc/config';
import Instrumentation from 'instrumentation';
import Preference from 'preference';
import Time from 'time';
import Timer from 'timer';
import { nativeAccelerators, nativeEntropy } from './accelerators';
import { TickClock } from './clock';
import RawLink from './link';
import { Firmware, HOUSEKEEPING_MS } from './program';
import { parseSettings } from './settings';

const HEAP_FIGURES = Object.freeze([
  ['slotHeapBytes', 'XS Slot Heap Used'], ['chunkHeapBytes', 'XS Chunk Heap Used'], ['systemFreeBytes', 'System Free Memory'],
] as const);

function heapFigures(): Record<string, number> | undefined {
  let out: Record<string, number> | undefined;
  for (const [name, key] of HEAP_FIGURES) {
    const value = Instrumentation.get(Instrumentation.map(key));
    if (typeof value === 'number') (out ??= {})[name] = value;
  }
  return out;
}

export default function main(): void {
  let settings;
  try {
    settings = parseSettings(config, (key) => Preference.get('synstack', key));
  } catch (error) {
    trace(`synstack: ERROR configuration: ${String(error)}\n`);
    return;
  }
  const ssid = settings.ssid;
  const password = settings.password;
  let timer: Timer | undefined;
  const firmware = new Firmware(settings, {
    openLink: (handlers) => new RawLink({ ssid, password, onReadable: handlers.onReadable, onLinkChange: handlers.onLinkChange }),
    clock: new TickClock(() => Time.ticks, (start, end) => Time.delta(start, end)),
    entropy: nativeEntropy,
    accelerators: nativeAccelerators,
    // One repeating timer, re-scheduled to the stack's next deadline each time it is armed; the
    // repeat interval keeps it alive (a one-shot timer is freed after it fires).
    schedule: (delayMs) => {
      if (timer !== undefined) Timer.schedule(timer, delayMs, HOUSEKEEPING_MS);
    },
    print: (line) => trace(line + '\n'),
    heap: heapFigures,
  });
  timer = Timer.repeat(() => firmware.wake(), HOUSEKEEPING_MS);
  firmware.start();
}
