import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecorderNode, buildFrame, frameNumber, numberedFrame, testMac } from '../sim/fakes.js';
import { Simulator } from '../sim/simulator.js';
import { LINKTYPE_ETHERNET, PcapWriter, readPcap } from './pcap.js';

const A = testMac(1);
const B = testMac(2);

const dir = mkdtempSync(join(tmpdir(), 'synstack-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function findTshark(): string | undefined {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore', timeout: 30_000 });
    return 'tshark';
  } catch {
    return undefined;
  }
}

const tshark = findTshark();
if (tshark === undefined) {
  console.warn(
    'SKIPPING the tshark read-back tests: tshark is not installed. ' +
      'Install it with `DEBIAN_FRONTEND=noninteractive apt-get install -y tshark` (CI does).',
  );
}

describe('PcapWriter', () => {
  it('writes the classic global header: magic a1b2c3d4, v2.4, snaplen 65535, Ethernet', () => {
    const bytes = new PcapWriter().toBytes();
    expect(bytes.length).toBe(24);
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(0, true)).toBe(0xa1b2c3d4);
    expect([...bytes.subarray(0, 4)]).toEqual([0xd4, 0xc3, 0xb2, 0xa1]); // little-endian on disk
    expect(view.getUint16(4, true)).toBe(2);
    expect(view.getUint16(6, true)).toBe(4);
    expect(view.getInt32(8, true)).toBe(0);
    expect(view.getUint32(12, true)).toBe(0);
    expect(view.getUint32(16, true)).toBe(65535);
    expect(view.getUint32(20, true)).toBe(LINKTYPE_ETHERNET);
  });

  it('stores records with microsecond timestamps, read back by readPcap', () => {
    const writer = new PcapWriter({ epochMs: 1_700_000_000_000 });
    const f1 = buildFrame(B, A, new Uint8Array([1, 2, 3]));
    const f2 = buildFrame(A, B, new Uint8Array(100));
    writer.record(0, f1);
    writer.record(1234.567, f2);
    const file = readPcap(writer.toBytes());
    expect(file.header).toMatchObject({ littleEndian: true, nanosecond: false, versionMajor: 2, versionMinor: 4, snaplen: 65535, linktype: 1 });
    expect(file.records.length).toBe(2);
    expect(file.records[0]).toMatchObject({ tsSec: 1_700_000_000, tsFrac: 0, origLen: f1.length });
    expect(file.records[1]).toMatchObject({ tsSec: 1_700_000_001, tsFrac: 234_567, origLen: f2.length });
    expect([...file.records[0]!.data]).toEqual([...f1]);
    expect([...file.records[1]!.data]).toEqual([...f2]);
    expect(writer.frames).toBe(2);
    expect(writer.byteLength).toBe(24 + 16 + f1.length + 16 + f2.length);
  });

  it('truncates to snaplen but keeps the original length', () => {
    const writer = new PcapWriter({ snaplen: 20 });
    writer.record(5, new Uint8Array(100).fill(7));
    const [record] = readPcap(writer.toBytes()).records;
    expect(record!.data.length).toBe(20);
    expect(record!.origLen).toBe(100);
  });

  it('bounds memory: records beyond maxBytes are counted, not kept', () => {
    const writer = new PcapWriter({ maxBytes: 24 + 3 * (16 + 60) });
    for (let i = 0; i < 10; i++) writer.record(i, new Uint8Array(60));
    expect(writer.frames).toBe(3);
    expect(writer.dropped).toBe(7);
    expect(readPcap(writer.toBytes()).records.length).toBe(3);
  });

  it('copies the frame when recording (the caller may reuse it)', () => {
    const writer = new PcapWriter();
    const frame = new Uint8Array(20).fill(1);
    writer.record(0, frame);
    frame.fill(2);
    expect(readPcap(writer.toBytes()).records[0]!.data.every((b) => b === 1)).toBe(true);
  });

  it('streams to a file with the same bytes as the in-memory writer', () => {
    const path = join(dir, 'stream.pcap');
    const streamed = new PcapWriter({ path });
    const memory = new PcapWriter();
    for (let i = 0; i < 50; i++) {
      const frame = numberedFrame(B, A, i, 60 + i);
      streamed.record(i * 1.5, frame);
      memory.record(i * 1.5, frame);
    }
    streamed.close();
    expect(() => streamed.record(100, new Uint8Array(60))).toThrow(/after close/);
    expect(() => streamed.toBytes()).toThrow(/streams to a file/);
    expect(Buffer.compare(readFileSync(path), Buffer.from(memory.toBytes()))).toBe(0);
  });

  it('rejects bad timestamps; readPcap rejects bad magic and truncation', () => {
    const writer = new PcapWriter();
    expect(() => writer.record(-1, new Uint8Array(14))).toThrow(RangeError);
    expect(() => writer.record(Number.NaN, new Uint8Array(14))).toThrow(RangeError);
    writer.record(1, new Uint8Array(30));
    const bytes = writer.toBytes();
    expect(() => readPcap(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => readPcap(bad)).toThrow(/bad magic/);
  });
});

/** A lossy, delayed link with traffic both ways, captured at send and at delivery. */
function capturedRun() {
  const sim = new Simulator({ seed: 99 });
  const link = sim.addLink({ delayMs: 3, loss: 0.2, duplicate: 0.1 });
  const a = sim.attach(link, A);
  const b = sim.attach(link, B);
  a.connect(new RecorderNode());
  b.connect(new RecorderNode());
  const atSend = new PcapWriter();
  const atDeliver = new PcapWriter();
  link.capture(atSend);
  link.capture(atDeliver, { at: 'deliver' });
  const sendTimes: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = i * 7 + (i % 3); // a mix of times, including a second of virtual time
    sendTimes.push(t);
    sim.at(t, () => (i % 2 === 0 ? a : b).send(numberedFrame(i % 2 === 0 ? B : A, i % 2 === 0 ? A : B, i, 60 + i)));
  }
  sim.runFor(2000);
  return { link, atSend, atDeliver, sendTimes };
}

describe('link capture', () => {
  it("records every transmitted frame at its send time, lost ones included ('send')", () => {
    const { link, atSend, sendTimes } = capturedRun();
    const records = readPcap(atSend.toBytes()).records;
    expect(link.stats.lost).toBeGreaterThan(0);
    expect(records.length).toBe(link.stats.transmitted);
    expect(records.length).toBe(200);
    expect(records.map((r) => r.timeMs)).toEqual(sendTimes);
    expect(records.map((r) => frameNumber(r.data))).toEqual([...Array(200).keys()]);
    expect(records.map((r) => r.origLen)).toEqual(Array.from({ length: 200 }, (_, i) => 60 + i));
  });

  it("records each delivered copy at its delivery time ('deliver')", () => {
    const { link, atDeliver } = capturedRun();
    const records = readPcap(atDeliver.toBytes()).records;
    expect(records.length).toBe(link.stats.delivered);
    expect(records.length).toBe(200 - link.stats.lost + link.stats.duplicated);
    for (const r of records) expect(r.timeMs).toBe(frameNumber(r.data) * 7 + (frameNumber(r.data) % 3) + 3);
  });

  it('stops capturing when asked', () => {
    const sim = new Simulator({ seed: 1 });
    const link = sim.addLink();
    const a = sim.attach(link, A);
    sim.attach(link, B);
    const writer = new PcapWriter();
    const stop = link.capture(writer);
    a.send(numberedFrame(B, A, 1));
    stop();
    a.send(numberedFrame(B, A, 2));
    expect(writer.frames).toBe(1);
  });
});

describe.skipIf(tshark === undefined)('tshark reads our capture', () => {
  it('with the right frame count, lengths and timestamps', () => {
    const { atSend, sendTimes } = capturedRun();
    const path = join(dir, 'capture.pcap');
    atSend.writeFile(path);
    const output = execFileSync(
      'tshark',
      ['-r', path, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'eth.src', '-e', 'eth.dst'],
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const rows = output.trim().split('\n').map((line) => line.split(','));
    expect(rows.length).toBe(200);
    rows.forEach((row, i) => {
      expect(Number(row[0])).toBe(i + 1);
      // time_epoch prints seconds with 9 decimals; our timestamps are whole virtual ms.
      expect(Math.round(Number(row[1]) * 1000)).toBe(sendTimes[i]);
      expect(Number(row[2])).toBe(60 + i);
      const [src, dst] = i % 2 === 0 ? ['02:00:00:00:00:01', '02:00:00:00:00:02'] : ['02:00:00:00:00:02', '02:00:00:00:00:01'];
      expect(row[3]).toBe(src);
      expect(row[4]).toBe(dst);
    });
  });

  it('including sub-millisecond timestamps and truncated frames', () => {
    const writer = new PcapWriter({ snaplen: 40, epochMs: 1_000_000 });
    writer.record(0.001, numberedFrame(B, A, 1, 100));
    writer.record(2.5, numberedFrame(B, A, 2, 30));
    const path = join(dir, 'fine.pcap');
    writer.writeFile(path);
    const output = execFileSync('tshark', ['-r', path, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len'], {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(output.trim().split('\n')).toEqual(['1000.000001000,100,40', '1000.002500000,30,30']);
  });
});
