// Stand-in for Moddable's "time" module: ticks on virtual time (host.ts).

import { host } from './host';

const Time = {
  get ticks(): number {
    return host.now;
  },
  delta(start: number, end: number = host.now): number {
    return end - start;
  },
  timezone: 0,
  dst: 0,
  set(): void {},
};

export default Time;
