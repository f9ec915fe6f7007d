// Co-simulation of the firmware: firmware/main.ts runs inside XS (xsnap.ts), alone in its machine
// with the simulated Moddable host (hosttest/firmware/xs/), while the network it serves runs in
// Node on the discrete-event simulator (hosttest/sim). `XsFirmware` is the simulator node that
// stands for the board.
//
// Node evaluates __cosim.run() (hosttest/xs/scenarios/firmware-cosim.ts) once per phase, and the
// run pulls its work with issueCommand("next"). The answer is computed here synchronously: the
// simulator is stepped one event at a time until the board has something to do (a frame was
// delivered to it, its timer is due, or the test queued a control command), and that becomes the
// board's next command; XS handles it before the simulator takes another step, so virtual time
// does not move meanwhile and the result is the same as if XS ran inside the simulator. When the
// phase's condition no longer holds, the answer is "pause": run() returns and Node may take a heap
// snapshot (XS is then idle). The firmware's transmitted frames come back as issueCommand calls
// too and go onto the simulated wire at once. The XS heap holds the firmware alone, so its
// snapshots measure what the board needs.

import os from 'node:os';
import path from 'node:path';
import type { Driven } from '../../src/platform';
import type { Link, Port, Simulator } from '../sim/simulator';
import type { FromNode } from '../xs/scenarios/firmware-cosim';
import { cosimBundle, type FirmwareBundle } from './bundle';
import { type XsHeapFigures, XsnapSession } from './xsnap';

export interface XsFirmwareOptions {
  sim: Simulator;
  link: Link;
  mac: Uint8Array;
  /** The manifest config the firmware sees as mc/config. */
  config: Record<string, unknown>;
  /** RawLink.kind (default 'wifi'). */
  kind?: string;
  /** Receive ring capacity (default 16384, as manifest.json's defines). */
  ringBytes?: number;
  /** Seed of the simulated hardware RNG. */
  seed?: number;
  /** Print trace lines as they come (debugging). */
  echo?: boolean;
  /** The xsnap-worker binary (default @agoric/xsnap's 64-bit one; see xsnap32.ts). */
  worker?: string;
  /** The bundle to load (default cosimBundle(); the preload check passes preloadCosimBundle()). */
  bundle?: () => Promise<FirmwareBundle>;
}

type FromXs =
  | { t: 'next'; next: number | null }
  | { t: 'tx'; f: string }
  | { t: 'trace'; line: string }
  | { t: 'result'; value: unknown }
  | { t: 'note'; value: unknown }
  | { t: 'error'; message: string; stack?: string };

let bundleCache: Promise<FirmwareBundle> | null = null;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export interface LinkState {
  counters: Record<string, number>;
  maxFramesMessagesQueued: number;
  waiting: number;
}

export class XsFirmware implements Driven {
  readonly port: Port;
  readonly trace: string[] = [];
  /** What the bundle's glue reported ({t:'note'} messages). */
  readonly notes: unknown[] = [];
  /** Commands given to XS, evaluations (one per phase), frames it received and transmitted. */
  commands = 0;
  evaluations = 0;
  framesIn = 0;
  framesOut = 0;
  /** The XS timer's next due time (Infinity: none). */
  deadline = Infinity;
  readonly bundle: FirmwareBundle;
  private readonly sim: Simulator;
  private readonly session: XsnapSession;
  private readonly options: XsFirmwareOptions;
  private inbox: Uint8Array[] = [];
  private due = false;
  private readonly controls: FromNode[] = [];
  private phase: { busy: () => boolean; end: number } = { busy: () => false, end: 0 };
  private failure: string | null = null;
  private handlerError: unknown = null;
  private result: unknown;
  private snapshots = 0;

  private constructor(options: XsFirmwareOptions, bundle: FirmwareBundle) {
    this.options = options;
    this.sim = options.sim;
    this.bundle = bundle;
    this.port = options.sim.attach(options.link, options.mac, { name: 'esp32' });
    this.port.connect(this);
    this.session = new XsnapSession((text) => this.command(text), options.worker);
  }

  /** Start XS and evaluate the firmware bundle (its modules load; main() is not called yet). */
  static async load(options: XsFirmwareOptions): Promise<XsFirmware> {
    let bundle: FirmwareBundle;
    if (options.bundle !== undefined) bundle = await options.bundle();
    else bundle = await (bundleCache ??= cosimBundle());
    const fw = new XsFirmware(options, bundle);
    await fw.session.eval(fw.bundle.code);
    return fw;
  }

  private command(text: string): string {
    const m = JSON.parse(text) as FromXs;
    switch (m.t) {
      case 'tx':
        this.framesOut++;
        this.port.send(Buffer.from(m.f, 'hex'));
        return '';
      case 'trace':
        this.trace.push(m.line);
        if (this.options.echo) console.log(`[xs ${this.sim.now} ms] ${m.line}`);
        return '';
      case 'result':
        this.result = m.value;
        return '';
      case 'note':
        this.notes.push(m.value);
        return '';
      case 'error':
        this.failure = m.stack ?? m.message;
        return '';
      case 'next':
        this.deadline = m.next === null ? Infinity : m.next;
        try {
          return JSON.stringify(this.next());
        } catch (error) {
          // A test callback threw while the simulator stepped: stop the run, rethrow in Node.
          this.handlerError = error;
          return JSON.stringify({ t: 'pause' });
        }
    }
  }

  /** The board's next command: step the simulator until the board has something to do. */
  private next(): FromNode {
    if (this.controls.length > 0) return this.controls.shift()!;
    this.port.wake();
    for (;;) {
      if (this.inbox.length > 0 || this.due) {
        const frames = this.inbox;
        this.inbox = [];
        this.due = false;
        this.framesIn += frames.length;
        this.commands++;
        return { t: 'step', now: this.sim.now, frames: frames.map(hex) };
      }
      if (!this.phase.busy() || this.sim.now >= this.phase.end) return { t: 'pause' };
      // Something happens at `end` at the latest, so an idle network still lets time pass.
      if (!this.sim.step()) this.sim.at(this.phase.end, () => {});
    }
  }

  /** Run one phase in XS: the queued controls, then events while `busy()` and before `end`. */
  private async runPhase(busy: () => boolean, end: number): Promise<void> {
    this.phase = { busy, end };
    this.evaluations++;
    await this.session.eval('__cosim.run()');
    if (this.handlerError !== null) {
      const e = this.handlerError;
      this.handlerError = null;
      throw e;
    }
    if (this.failure !== null) {
      const f = this.failure;
      this.failure = null;
      throw new Error(`firmware threw inside XS: ${f}`);
    }
  }

  private async control(command: FromNode): Promise<void> {
    this.commands++;
    this.controls.push(command);
    await this.runPhase(() => false, this.sim.now);
  }

  /** Call main() with the config (the board boots). */
  async boot(): Promise<void> {
    const o = this.options;
    await this.control({
      t: 'boot', config: o.config, mac: hex(o.mac), kind: o.kind ?? 'wifi', ringBytes: o.ringBytes ?? 16384, seed: o.seed ?? 1, now: this.sim.now,
    });
  }

  /** Carrier / association up or down. */
  async setLink(up: boolean): Promise<void> {
    await this.control({ t: 'link', now: this.sim.now, up });
  }

  /** The simulated link's counters, as the firmware's RawLink sees them. */
  async linkState(): Promise<LinkState> {
    this.result = undefined;
    await this.control({ t: 'query' });
    return this.result as LinkState;
  }

  /** Live XS heap now (a snapshot after a garbage collection). */
  async heap(): Promise<XsHeapFigures> {
    const file = path.join(os.tmpdir(), `synstack-xs-${process.pid}-${this.snapshots++}.xss`);
    return this.session.heap(file);
  }

  // ---- Driven: the simulator's view of the board ----------------------------------------------

  input(frame: Uint8Array): void {
    this.inbox.push(frame.slice());
  }

  poll(): void {
    this.due = true;
    this.deadline = Infinity; // XS reports the next one when it asks for work
  }

  nextDeadline(): number {
    return this.deadline;
  }

  /**
   * Run the simulation while `busy()` holds, for at most `maxMs` of virtual time; true if busy()
   * became false. Every event for the board is handled in XS before the next event.
   */
  async runWhile(busy: () => boolean, maxMs: number): Promise<boolean> {
    const end = this.sim.now + maxMs;
    await this.runPhase(busy, end);
    return !busy();
  }

  /** One evaluation that does nothing (see memory.ts: what each evaluation costs xsnap). */
  async idlePhase(): Promise<void> {
    await this.runPhase(() => false, this.sim.now);
  }

  async runFor(ms: number): Promise<void> {
    const end = this.sim.now + ms;
    this.sim.at(end, () => {});
    await this.runPhase(() => this.sim.now < end, end);
  }

  async close(): Promise<void> {
    await this.session.close();
  }

  get stderr(): string {
    return this.session.stderr;
  }
}
