// A server under test, whichever stack it is: lwIP (a child process, lwip.ts) or synstack (an
// Interface + Tcp in this process), plugged into a simulated link at the same address and running
// the same application, so a scenario can put either where the other would be.
//
// The applications (the same three as harness.c, written here over synstack's Tcp):
//   serve    read `requestBytes`, answer `responseBytes` whose byte k is responseByte(key, k) with
//            key = the request's first 4 bytes big-endian, then close (the SYN-flood scenario's
//            server, hosttest/scenarios/synflood.ts)
//   echo     send back what arrives, close after the peer's FIN
//   discard  read and count, close after the peer's FIN
//
// Memory: `memory(now)` says what it measured. lwIP: the child's malloc heap in use
// (mallinfo2().uordblks: PCBs, segments and pbufs where the build mallocs them) plus its PCB
// census. synstack: its fixed tables — every connection block, ring and the SYN cache are
// allocated when the Tcp is made — so what is reported is their configured size (SYN cache bytes
// from tcp.synCacheBytes()) and how full they are (half-open entries, connection blocks in use).

import { Interface } from '../../src/iface/interface';
import type { Connection } from '../../src/tcp/connection';
import type { Listener } from '../../src/tcp/listener';
import type { SynDefenceMode } from '../../src/tcp/syndefence';
import { Tcp } from '../../src/tcp/tcp';
import { responseByte } from '../scenarios/synflood';
import type { Link, Port, Simulator } from '../sim/simulator';
import { LwipPeer, type LwipMode, type LwipStats, type LwipVariant } from './lwip';

export type ServerKind =
  | { stack: 'lwip'; variant: LwipVariant; backlog?: number }
  | { stack: 'synstack'; mode: SynDefenceMode };

export interface ServerApp {
  mode: LwipMode;
  port: number;
  requestBytes?: number;
  responseBytes?: number;
  /** synstack only: its send and receive rings (default 4 KiB, the SYN-flood scenario's). lwIP's
   * buffers are its build's TCP_WND / TCP_SND_BUF. */
  bufferBytes?: number;
}

export interface ServerPlacement {
  link: Link;
  mac: Uint8Array;
  address: number;
  prefixLength: number;
  gateway: number;
}

export interface ServerMemory {
  /** lwIP: bytes in use in the child's malloc heap. synstack: bytes of its SYN cache (fixed). */
  bytes: number;
  /** What `bytes` is. */
  measure: 'process-heap-in-use' | 'fixed-tables';
  /** Half-open connections now (lwIP: PCBs in SYN_RCVD; synstack: SYN-cache entries). */
  halfOpen: number;
  /** Connection blocks in use now (lwIP: active + TIME-WAIT PCBs; synstack: blocks). */
  blocks: number;
  /** lwIP's full report, when the server is lwIP. */
  lwip: LwipStats | null;
}

export interface ServerUnderTest {
  readonly name: string;
  readonly port: Port;
  memory(now: number): ServerMemory;
  /** Bytes the application read (discard/echo/serve). */
  bytesReceived(now: number): number;
  close(): void;
}


export function serverName(kind: ServerKind): string {
  return kind.stack === 'lwip' ? `lwip-${kind.variant}` : `synstack-${kind.mode}`;
}

export function attachServer(sim: Simulator, at: ServerPlacement, kind: ServerKind, app: ServerApp, seed: number): ServerUnderTest {
  const port = sim.attach(at.link, at.mac, { name: serverName(kind) });
  if (kind.stack === 'lwip') {
    const peer = port.connect(LwipPeer.start(port, {
      variant: kind.variant, address: at.address, prefixLength: at.prefixLength, gateway: at.gateway, port: app.port,
      mode: app.mode, backlog: kind.backlog, seed, requestBytes: app.requestBytes, responseBytes: app.responseBytes,
    }));
    return {
      name: serverName(kind),
      port,
      memory: (now) => {
        const s = peer.stats(now);
        return { bytes: s.heapInUse, measure: 'process-heap-in-use', halfOpen: s.pcbs.synRcvd, blocks: s.pcbs.active + s.pcbs.timeWait, lwip: s };
      },
      bytesReceived: (now) => peer.stats(now).app.bytesReceived,
      close: () => peer.close(),
    };
  }
  return synstackServer(sim, port, at, kind.mode, app);
}

/** The synstack server: the configuration of the SYN-flood scenario's server (32 blocks, 4 KiB rings). */
function synstackServer(sim: Simulator, port: Port, at: ServerPlacement, mode: SynDefenceMode, app: ServerApp): ServerUnderTest {
  const requestBytes = app.requestBytes ?? 16;
  const responseBytes = app.responseBytes ?? 4096;
  const iface = new Interface({ device: port, clock: sim.clock, entropy: sim.entropy('server'), address: at.address, prefixLength: at.prefixLength, gateway: at.gateway });
  const ring = Math.max(app.bufferBytes ?? 4096, responseBytes);
  const tcp = new Tcp(iface, {
    entropy: sim.entropy('tcp-server'),
    config: { connections: 32, sendBuffer: ring, receiveBuffer: ring, timeWaitEntries: 64, listeners: 1, synDefence: { mode } },
  });
  port.connect(iface);
  const scratch = new Uint8Array(ring);
  const response = new Uint8Array(responseBytes);
  let received = 0;

  const serve = (c: Connection): void => {
    const request = new Uint8Array(requestBytes);
    let have = 0, key = 0, toWrite = -1, closed = false;
    const pump = (conn: Connection): void => {
      if (toWrite <= 0 || closed) return;
      const offset = responseBytes - toWrite;
      for (let k = offset; k < responseBytes; k++) response[k] = responseByte(key, k);
      toWrite -= conn.write(response, offset, toWrite);
      if (toWrite === 0) {
        closed = true;
        conn.close();
      }
    };
    const readAll = (conn: Connection): void => {
      // Bounded: each pass reads at least one byte or stops.
      for (let guard = 0; guard < 64 && conn.readable > 0; guard++) {
        if (app.mode === 'serve' && have < requestBytes) {
          const n = conn.read(request, have, requestBytes - have);
          have += n;
          received += n;
        } else if (app.mode === 'echo') {
          const n = conn.read(scratch, 0, Math.min(scratch.length, conn.readable, conn.writable));
          if (n === 0) break;
          received += n;
          conn.write(scratch, 0, n);
        } else {
          received += conn.read(scratch, 0, Math.min(scratch.length, conn.readable));
        }
      }
    };
    c.handler = {
      onReadable: (conn) => {
        readAll(conn);
        if (app.mode === 'serve' && have === requestBytes && toWrite < 0) {
          key = ((request[0]! << 24) | (request[1]! << 16) | (request[2]! << 8) | request[3]!) >>> 0;
          toWrite = responseBytes;
          pump(conn);
        }
      },
      onWritable: (conn) => {
        if (app.mode === 'serve') pump(conn);
        else if (app.mode === 'echo') readAll(conn);
      },
      onPeerClosed: (conn) => {
        readAll(conn);
        if (!closed && (app.mode !== 'serve' || toWrite < 0)) {
          closed = true;
          conn.close();
        }
      },
    };
  };
  const listening = tcp.listen(app.port, {
    backlog: 16,
    handler: {
      onConnection: (l: Listener) => {
        // Bounded by the accept queue.
        for (let c = l.accept(); c !== null; c = l.accept()) serve(c);
      },
    },
  });
  if (typeof listening === 'string') throw new Error(`listen: ${listening}`);
  return {
    name: `synstack-${mode}`,
    port,
    memory: () => {
      const status = tcp.synDefenceStatus();
      return { bytes: tcp.synCacheBytes().total, measure: 'fixed-tables', halfOpen: status.halfOpen, blocks: tcp.activeConnections, lwip: null };
    },
    bytesReceived: () => received,
    close: () => {},
  };
}
