// writeTcpOptions: every combination of options is laid out in whole 32-bit words, parses back to
// the same values, and carries as many SACK blocks as fit (RFC 2018 §3: 4, or 3 beside timestamps).

import { describe, expect, it } from 'vitest';
import { TcpOptions, parseTcpOptions, writeTcpOptions } from '../../src/wire/tcp';
import { Prng, toHex } from './helpers';

const SENTINEL = 0xee;

function options(mss: number, ws: number, sackPermitted: boolean, ts: boolean, sackCount: number, rng: Prng): TcpOptions {
  const o = new TcpOptions();
  o.mss = mss;
  o.windowScale = ws;
  o.sackPermitted = sackPermitted;
  if (ts) {
    o.hasTimestamps = true;
    o.tsVal = rng.u32();
    o.tsEcr = rng.u32();
  }
  o.sackCount = sackCount;
  for (let i = 0; i < sackCount * 2; i++) o.sackBlocks[i] = rng.u32();
  return o;
}

/** Write into a sentinel-filled buffer at an offset; check nothing outside [off, off+len) changed. */
function write(o: TcpOptions): { buf: Uint8Array; off: number; len: number } {
  const buf = new Uint8Array(64).fill(SENTINEL);
  const off = 7;
  const len = writeTcpOptions(buf, off, o);
  for (let i = 0; i < off; i++) expect(buf[i]).toBe(SENTINEL);
  for (let i = off + len; i < buf.length; i++) expect(buf[i], `byte ${i - off} past the options`).toBe(SENTINEL);
  return { buf, off, len };
}

/** Kinds in wire order, walking by length (independently of parseTcpOptions). */
function kinds(buf: Uint8Array, off: number, len: number): number[] {
  const out: number[] = [];
  for (let i = off; i < off + len;) {
    const k = buf[i]!;
    out.push(k);
    if (k === 0) break;
    if (k === 1) i++;
    else {
      expect(buf[i + 1]).toBeGreaterThanOrEqual(2);
      i += buf[i + 1]!;
      expect(i).toBeLessThanOrEqual(off + len);
    }
  }
  return out;
}

describe('writeTcpOptions', () => {
  it('every combination: whole words, at most 40 bytes, parses back to the same values', () => {
    const rng = new Prng(7323);
    let combos = 0;
    for (const mss of [-1, 0, 536, 1460, 65535]) {
      for (const ws of [-1, 0, 7, 14]) {
        for (const sp of [false, true]) {
          for (const ts of [false, true]) {
            for (let sack = 0; sack <= 4; sack++) {
              const o = options(mss, ws, sp, ts, sack, rng);
              const { buf, off, len } = write(o);
              expect(len % 4).toBe(0);
              expect(len).toBeLessThanOrEqual(40);
              const ks = kinds(buf, off, len);
              expect(ks).not.toContain(0); // padding is NOPs, never an early EOL
              const back = new TcpOptions();
              expect(parseTcpOptions(buf, off, len, back)).toBeNull();
              expect([back.mss, back.windowScale, back.sackPermitted, back.hasTimestamps, back.unknown]).toEqual([mss, ws, sp, ts, 0]);
              if (ts) expect([back.tsVal, back.tsEcr]).toEqual([o.tsVal, o.tsEcr]);
              // How many blocks fit: the other options take `used` bytes; a SACK option of n
              // blocks takes 2 + 8n more, and the total may not pass 40 (RFC 9293 §3.1).
              const used = writeTcpOptions(new Uint8Array(40), 0, options(mss, ws, sp, ts, 0, rng));
              const fit = Math.min(4, Math.floor((40 - used - 2) / 8));
              expect(back.sackCount, `mss ${mss} ws ${ws} sp ${sp} ts ${ts} sack ${sack}`).toBe(Math.min(sack, fit));
              for (let i = 0; i < back.sackCount * 2; i++) expect(back.sackBlocks[i]).toBe(o.sackBlocks[i]); // the first (most recent) blocks
              // Nothing asked for means nothing written.
              if (mss < 0 && ws < 0 && !sp && !ts && sack === 0) expect(len).toBe(0);
              combos++;
            }
          }
        }
      }
    }
    expect(combos).toBe(400);
  });

  it('fits 3 SACK blocks beside timestamps and 4 without (RFC 2018 §3)', () => {
    const rng = new Prng(2018);
    const withTs = options(-1, -1, false, true, 4, rng);
    let back = new TcpOptions();
    let w = write(withTs);
    expect(parseTcpOptions(w.buf, w.off, w.len, back)).toBeNull();
    expect(back.sackCount).toBe(3);
    expect(w.len).toBe(12 + 4 + 24);
    const without = options(-1, -1, false, false, 4, rng);
    back = new TcpOptions();
    w = write(without);
    expect(parseTcpOptions(w.buf, w.off, w.len, back)).toBeNull();
    expect(back.sackCount).toBe(4);
    expect(w.len).toBe(4 + 32);
  });

  it('lays a SYN out as Linux does: MSS, SACK-permitted, timestamps, NOP, window scale', () => {
    const o = new TcpOptions();
    o.mss = 1460;
    o.sackPermitted = true;
    o.hasTimestamps = true;
    o.tsVal = 0x11223344;
    o.tsEcr = 0;
    o.windowScale = 7;
    const { buf, off, len } = write(o);
    expect(toHex(buf, off, len)).toBe('020405b4' + '0402' + '080a' + '11223344' + '00000000' + '01030307');
  });

  it('lays timestamps and SACK out as Linux does: NOP NOP TS, NOP NOP SACK', () => {
    const o = new TcpOptions();
    o.hasTimestamps = true;
    o.tsVal = 1;
    o.tsEcr = 2;
    o.sackCount = 1;
    o.sackBlocks[0] = 0x100;
    o.sackBlocks[1] = 0x200;
    const { buf, off, len } = write(o);
    expect(toHex(buf, off, len)).toBe('0101080a' + '00000001' + '00000002' + '0101050a' + '00000100' + '00000200');
  });

  it('random options survive write → parse → write unchanged', () => {
    const rng = new Prng(99);
    for (let t = 0; t < 1000; t++) {
      const o = options(rng.bool() ? rng.u16() : -1, rng.bool() ? rng.int(0, 14) : -1, rng.bool(), rng.bool(), rng.int(0, 4), rng);
      const first = write(o);
      const back = new TcpOptions();
      expect(parseTcpOptions(first.buf, first.off, first.len, back)).toBeNull();
      const second = write(back);
      expect(toHex(second.buf, second.off, second.len)).toBe(toHex(first.buf, first.off, first.len));
    }
  });
});
