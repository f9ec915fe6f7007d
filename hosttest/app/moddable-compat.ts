// Type test: the status server takes Moddable's own socket classes (as `@moddable/typings`
// declares them) as well as synstack's, so the firmware can pass either. `npm test` type-checks
// this file (tsc); nothing here runs.

/// <reference path="../../node_modules/@moddable/typings/embedded_io/_common.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/embedded_io/socket/tcp.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/embedded_io/socket/listener.d.ts" />

import type ModdableTCP from 'embedded:io/socket/tcp';
import type ModdableListener from 'embedded:io/socket/listener';
import type SynstackListener from '../../src/api/listener';
import type SynstackTCP from '../../src/api/tcp';
import type { StatusServerOptions } from '../../app/status-server';

export function withModdableSockets(Listener: typeof ModdableListener, TCP: typeof ModdableTCP): StatusServerOptions<ModdableTCP> {
  return { Listener, TCP, port: 80, stats: () => ({}), now: () => 0 };
}

export function withSynstackSockets(Listener: typeof SynstackListener, TCP: typeof SynstackTCP): StatusServerOptions<SynstackTCP> {
  return { Listener, TCP, port: 80, stats: () => ({}), now: () => 0 };
}
