// Connections brought to a given state against a scripted peer, for the packet-level tests.

import { expect } from 'vitest';
import type { Connection, ConnectionHandler } from '../../src/tcp/connection';
import type { Listener } from '../../src/tcp/listener';
import type { TcpConfigInput } from '../../src/tcp/tcp';
import { PEER, TcpPeer } from './peer';

/** A listener on port 80 with one SYN received: returns synstack's ISS. */
export function synReceived(config: TcpConfigInput = {}) {
  const p = new TcpPeer(config);
  // A block in SYN-RECEIVED: the classic half-open path (the SYN cache keeps no block).
  const l = p.tcp.listen(80, { halfOpen: 'block-per-syn' }) as Listener;
  p.send({ flags: 'S', seq: 1000, mss: 1460 });
  const sa = p.expect({ flags: 'SA', ack: 1001, mss: 1460 });
  return { p, l, iss: sa.seq };
}

/** A connect() to the peer's port 5000 with the SYN sent; the peer's port fields are set. */
export function synSent(config: TcpConfigInput = {}) {
  const p = new TcpPeer(config);
  const events: string[] = [];
  const c = p.tcp.connect(PEER, 5000, {
    onConnected: () => events.push('connected'),
    onError: (_c, f) => events.push(`error:${f}`),
    onReadable: (_c, n) => events.push(`readable:${n}`),
    onPeerClosed: () => events.push('peer-closed'),
    onClosed: () => events.push('closed'),
    onWritable: () => events.push('writable'),
  }) as Connection;
  expect(typeof c).toBe('object');
  const syn = p.expect({ flags: 'S', dstPort: 5000, ack: 0 });
  p.usPort = syn.srcPort;
  p.peerPort = 5000;
  return { p, c, iss: syn.seq, syn, events };
}

/**
 * An ESTABLISHED connection. Passive: synstack listened on 80 and the peer connected from 40000.
 * Our next sequence number is `snd`, the peer's is `rcv` (1001).
 */
export function established(config: TcpConfigInput = {}, handler: ConnectionHandler = {}) {
  const p = new TcpPeer(config);
  const l = p.tcp.listen(80) as Listener;
  p.send({ flags: 'S', seq: 1000, mss: 1460 });
  const sa = p.expect({ flags: 'SA', ack: 1001 });
  p.send({ flags: 'A', seq: 1001, ack: sa.seq + 1 });
  const c = l.accept()!;
  c.handler = handler;
  return { p, l, c, snd: sa.seq + 1, rcv: 1001 };
}

/** Handler that records events as strings. */
export function recorder(): { events: string[]; handler: ConnectionHandler } {
  const events: string[] = [];
  return {
    events,
    handler: {
      onConnected: () => events.push('connected'),
      onReadable: (_c, n) => events.push(`readable:${n}`),
      onWritable: (_c, n) => events.push(`writable:${n}`),
      onPeerClosed: () => events.push('peer-closed'),
      onClosed: () => events.push('closed'),
      onError: (_c, f) => events.push(`error:${f}`),
    },
  };
}


/** Everything readable on `c`, consumed. */
export function readAll(c: Connection): Uint8Array {
  const b = new Uint8Array(c.readable);
  c.read(b);
  return b;
}

export interface PeerSynOptions {
  ws?: number;
  ts?: boolean;
  sackOk?: boolean;
}

/**
 * An ESTABLISHED passive connection whose peer offered `opts` in its SYN (timestamps start at
 * TSval 100 and go up by one per segment the test sends with `tsv()`).
 */
export function establishedWith(opts: PeerSynOptions, config: TcpConfigInput = {}, handler: ConnectionHandler = {}) {
  const p = new TcpPeer(config);
  const l = p.tcp.listen(80) as Listener;
  let tsval = 100;
  const tsv = (): [number, number] | undefined => (opts.ts ? [tsval++, ourTs] : undefined);
  let ourTs = 0;
  p.send({ flags: 'S', seq: 1000, mss: 1460, ws: opts.ws, ts: opts.ts ? [tsval++, 0] : undefined, sackOk: opts.sackOk });
  const sa = p.expect({ flags: 'SA', ack: 1001 });
  ourTs = sa.ts ? sa.ts[0] : 0;
  p.send({ flags: 'A', seq: 1001, ack: sa.seq + 1, ts: tsv() });
  const c = l.accept()!;
  c.handler = handler;
  return { p, l, c, snd: sa.seq + 1, rcv: 1001, synAck: sa, tsv, setOurTs: (v: number) => { ourTs = v; } };
}
