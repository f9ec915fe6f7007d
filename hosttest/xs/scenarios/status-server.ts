// The HTTP status server (app/status-server.ts) inside XS: the server, both synstack stacks and
// the test clients run in the engine the ESP32 uses, on the simulator: one client's fetch of /
// and /bytes/N (`kind: 'fetch'`), or the concurrent keep-alive load (`kind: 'load'`).
// hosttest/xs/status-server.test.ts runs the same in Node and compares.

import { type FetchOptions, runFetch } from '../../app/fetch';
import { type LoadOptions, runLoad } from '../../app/load';
import { args, scenario } from '../scenario-api';

export type StatusServerXsArgs = ({ kind: 'fetch' } & FetchOptions) | ({ kind: 'load' } & LoadOptions);

scenario(() => {
  const a = args<StatusServerXsArgs>();
  return a.kind === 'load' ? runLoad(a) : runFetch(a);
});
