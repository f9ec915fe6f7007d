// A long-lived XS machine for the firmware tests: the xsnap-worker binary of @agoric/xsnap (the
// same one hosttest/xs/runner.ts uses), spoken to directly over its netstring protocol on fds 3
// and 4. Unlike runner.ts, which runs one script to completion, this keeps the machine between
// evaluations, so a test can drive the firmware event by event from Node, and it exposes what
// xsnap itself reports about the XS heap:
//
//   - after each evaluation the worker replies "." followed by its meter record,
//     {"currentHeapCount": <slots in use>, "compute": .., "allocate": <bytes reserved>, ...};
//   - the "w<file>" command writes a heap snapshot. fxWriteSnapshot (xs/sources/xsSnapshot.c)
//     collects garbage first and then writes atoms: VERS (its 4th byte is sizeof(txSlot)), BLOC
//     (the chunk heap in use, byte for byte) and HEAP (the slots in use). So a snapshot's BLOC and
//     HEAP sizes are the live chunk bytes and live slot count of the machine at that moment,
//     which is exactly what `creation.static` on the ESP32 has to hold.
// xsnap-worker also provides gc(); the snapshot already collects, so it is not needed here.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { xsnapWorkerPath } from '../xs/runner';

export interface XsMeter {
  currentHeapCount: number;
  compute: number;
  allocate: number;
}

export interface XsHeapFigures {
  /** Bytes of one slot in this build of XS (32 on a 64-bit host, 16 on the ESP32). */
  slotBytes: number;
  /** Live slots and live chunk bytes after a collection. */
  slots: number;
  chunkBytes: number;
  /** Size of the whole snapshot file. */
  snapshotBytes: number;
}

/** Read the atoms of an XS snapshot file (see the header comment). */
export function parseSnapshot(bytes: Uint8Array): XsHeapFigures {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
  if (bytes.length < 8 || tag(4) !== 'XS_M') throw new Error('not an XS snapshot');
  let slotBytes = 0;
  let slots = -1;
  let chunkBytes = -1;
  for (let at = 8; at + 8 <= bytes.length;) {
    const size = view.getUint32(at);
    const name = tag(at + 4);
    if (size < 8 || at + size > bytes.length) throw new Error(`bad snapshot atom ${name} of ${size} bytes at ${at}`);
    if (name === 'VERS') slotBytes = Math.abs(view.getInt8(at + 8 + 3));
    else if (name === 'BLOC') chunkBytes = size - 8;
    else if (name === 'HEAP') slots = (size - 8) / slotBytes;
    at += size;
  }
  if (slotBytes === 0 || slots < 0 || chunkBytes < 0 || !Number.isInteger(slots)) throw new Error('snapshot without VERS, BLOC or HEAP');
  return { slotBytes, slots, chunkBytes, snapshotBytes: bytes.length };
}

function netstring(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(`${payload.length}:`, 'ascii'), payload, Buffer.from(',', 'ascii')]);
}

export class XsError extends Error {}

export class XsnapSession {
  stderr = '';
  private readonly child: ChildProcess;
  private readonly toXs: Writable;
  private pending: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (reply: string) => void; reject: (error: Error) => void } | null = null;
  private exited: string | null = null;

  /**
   * `onCommand` answers the machine's issueCommand(text) synchronously with a text. `bin` is the
   * worker to run (default @agoric/xsnap's; xsnap32.ts builds a 32-bit one).
   */
  constructor(private readonly onCommand: (text: string) => string, bin: string = xsnapWorkerPath()) {
    if (!existsSync(bin)) throw new Error(`xsnap-worker not found at ${bin} (npm rebuild @agoric/xsnap)`);
    this.child = spawn(bin, ['synstack-firmware'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'ignore', 'ignore'] });
    this.toXs = this.child.stdio[3] as Writable;
    const fromXs = this.child.stdio[4] as Readable;
    this.toXs.on('error', () => {});
    this.child.stdout!.setEncoding('utf8').on('data', () => {});
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    fromXs.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.once('close', (code, signal) => {
      this.exited = `xsnap-worker exited (${code ?? signal})${this.stderr.trim() ? ': ' + this.stderr.trim() : ''}`;
      this.waiting?.reject(new XsError(this.exited));
      this.waiting = null;
    });
  }

  private receive(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    for (;;) {
      const colon = this.pending.indexOf(0x3a);
      if (colon < 0) return;
      const length = Number(this.pending.subarray(0, colon).toString('ascii'));
      if (!Number.isInteger(length)) {
        this.child.kill('SIGKILL');
        return;
      }
      if (this.pending.length < colon + 1 + length + 1) return;
      const body = this.pending.subarray(colon + 1, colon + 1 + length);
      this.pending = this.pending.subarray(colon + 1 + length + 1);
      const kind = String.fromCharCode(body[0] ?? 0);
      const text = body.subarray(1).toString('utf8');
      if (kind === '?') {
        let answer = '';
        try {
          answer = this.onCommand(text);
        } catch (error) {
          this.stderr += `issueCommand handler threw: ${String(error)}\n`;
        }
        this.toXs.write(netstring('/' + answer));
      } else if (kind === '.') {
        const w = this.waiting;
        this.waiting = null;
        w?.resolve(text);
      } else {
        const w = this.waiting;
        this.waiting = null;
        w?.reject(new XsError(kind === '!' ? `uncaught exception in XS: ${text}` : `unexpected reply ${kind}${text.slice(0, 100)}`));
      }
    }
  }

  private request(command: string): Promise<string> {
    if (this.exited !== null) return Promise.reject(new XsError(this.exited));
    if (this.waiting !== null) return Promise.reject(new Error('XsnapSession: one request at a time'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.toXs.write(netstring(command));
    });
  }

  /** Evaluate a script; resolves with the meter record xsnap sends back. */
  async eval(code: string): Promise<XsMeter> {
    const reply = await this.request('e' + code);
    const sep = reply.indexOf('\u0001');
    const meter = JSON.parse(sep >= 0 ? reply.slice(0, sep) : reply) as XsMeter;
    return meter;
  }

  /** Write a heap snapshot to `file` (deleted afterwards) and read its figures. */
  async heap(file: string): Promise<XsHeapFigures> {
    await this.request('w' + file);
    try {
      return parseSnapshot(readFileSync(file));
    } finally {
      rmSync(file, { force: true });
    }
  }

  async close(): Promise<void> {
    if (this.exited !== null) return;
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.toXs.write(netstring('q'));
    this.toXs.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await closed;
    clearTimeout(timer);
  }
}
