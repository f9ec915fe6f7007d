// Type test: synstack's socket classes have the shapes Moddable declares for ECMA-419
// (`@moddable/typings`). `npm test` type-checks this file (tsc), so a drift in either fails it;
// api-types.test.ts shows it does fail when a shape drifts.

/// <reference path="../../node_modules/@moddable/typings/embedded_io/_common.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/embedded_io/socket/tcp.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/embedded_io/socket/listener.d.ts" />
/// <reference path="../../node_modules/@moddable/typings/embedded_io/socket/udp.d.ts" />

import type ModdableTCP from 'embedded:io/socket/tcp';
import type { Options as ModdableTcpOptions } from 'embedded:io/socket/tcp';
import type ModdableListener from 'embedded:io/socket/listener';
import type ModdableUDP from 'embedded:io/socket/udp';
import Listener from '../../src/api/listener';
import TCP from '../../src/api/tcp';
import UDP from '../../src/api/udp';

// Constructors accept the options Moddable declares and make objects of the shapes it declares.
export const tcpClass: new (options: ModdableTcpOptions) => ModdableTCP = TCP;
export const listenerClass: new (options: ConstructorParameters<typeof ModdableListener>[0]) => ModdableListener = Listener;
export const udpClass: new (options: ConstructorParameters<typeof ModdableUDP>[0]) => ModdableUDP = UDP;

// And the other way round: code written against synstack's objects runs on Moddable's.
export function usesOnlyStandardMembers(t: TCP, l: Listener, u: UDP): [ModdableTCP, ModdableListener, ModdableUDP] {
  return [t, l, u];
}
