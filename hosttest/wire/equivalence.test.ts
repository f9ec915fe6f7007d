// The header emitters and parsers against plain byte-by-byte references written here, for many
// seeded random inputs: emitted bytes must be identical (every byte of the buffer, so nothing is
// written outside the header), and parsing random or mutated frames must give the same verdict and
// the same fields. Values outside a field's width (negative, too large, fractional) are included:
// a field takes the value modulo its width, as a byte-by-byte store does. This pins the 16/32-bit
// DataView accesses of src/wire to the byte layout of RFC 791 §3.1, RFC 9293 §3.1 and IEEE 802.3.

import { describe, expect, it } from 'vitest';
import { onesSum } from '../../src/wire/checksum';
import { ETHERTYPE_IPV4, EthernetFrame, emitEthernet } from '../../src/wire/ethernet';
import { Ipv4Packet, emitIpv4 } from '../../src/wire/ipv4';
import { MAX_SACK_BLOCKS, TcpOptions, TcpSegment, emitTcp, writeTcpOptions, writeTimestampsOption } from '../../src/wire/tcp';
import { IP_A, IP_B, MAC_A, MAC_B, randomOptions } from './build';
import { Prng, refOnesSum, toHex } from './helpers';

const TRIALS = 500;

// ---- references: one byte at a time, as the RFC figures draw the headers ------------------------

/** A field of `bits` bits keeps the value modulo 2^bits, as a store of each byte does (NaN: 0). */
function modulo(v: number, bits: number): number {
  if (!Number.isFinite(v)) return 0;
  const m = 2 ** bits;
  return ((Math.trunc(v) % m) + m) % m;
}
function put8(b: Uint8Array, o: number, v: number): void {
  b[o] = modulo(v, 8);
}
function put16(b: Uint8Array, o: number, v: number): void {
  const x = modulo(v, 16);
  b[o] = Math.floor(x / 256);
  b[o + 1] = x % 256;
}
function put32(b: Uint8Array, o: number, v: number): void {
  const x = modulo(v, 32);
  put16(b, o, Math.floor(x / 65536));
  put16(b, o + 2, x % 65536);
}
function get16(b: Uint8Array, o: number): number {
  return b[o]! * 256 + b[o + 1]!;
}
function get32(b: Uint8Array, o: number): number {
  return get16(b, o) * 65536 + get16(b, o + 2);
}
function refFinish(sum: number): number {
  return 0xffff - sum;
}
function refPseudo(src: number, dst: number, length: number): number {
  const b = new Uint8Array(12);
  put32(b, 0, src);
  put32(b, 4, dst);
  b[9] = 6;
  put16(b, 10, length);
  return refOnesSum(b);
}

function refEmitEthernet(buf: Uint8Array, off: number, dst: Uint8Array, src: Uint8Array, type: number, dstOffset: number): void {
  for (let i = 0; i < 6; i++) buf[off + i] = dst[dstOffset + i]!;
  for (let i = 0; i < 6; i++) buf[off + 6 + i] = src[i]!;
  put16(buf, off + 12, type);
}

function refEmitIpv4(
  buf: Uint8Array, off: number, payloadLength: number, protocol: number, src: number, dst: number, ttl: number,
  ident: number, flagsFragment: number,
): void {
  put8(buf, off, 0x45);
  put8(buf, off + 1, 0);
  put16(buf, off + 2, 20 + payloadLength);
  put16(buf, off + 4, ident);
  put16(buf, off + 6, flagsFragment);
  put8(buf, off + 8, ttl);
  put8(buf, off + 9, protocol);
  put16(buf, off + 10, 0);
  put32(buf, off + 12, src);
  put32(buf, off + 16, dst);
  put16(buf, off + 10, refFinish(refOnesSum(buf, off, 20)));
}

function refEmitTcp(
  buf: Uint8Array, off: number, srcPort: number, dstPort: number, seq: number, ack: number, flags: number,
  window: number, urgent: number, optionsLength: number, payloadLength: number, src: number, dst: number,
): void {
  const hl = 20 + optionsLength;
  put16(buf, off, srcPort);
  put16(buf, off + 2, dstPort);
  put32(buf, off + 4, seq);
  put32(buf, off + 8, ack);
  put8(buf, off + 12, (hl / 4) << 4);
  put8(buf, off + 13, flags);
  put16(buf, off + 14, window);
  put16(buf, off + 16, 0);
  put16(buf, off + 18, urgent);
  const len = hl + payloadLength;
  put16(buf, off + 16, refFinish(refOnesSum(buf, off, len, refPseudo(src, dst, len))));
}

/** RFC 9293 §3.2, RFC 7323 §2.2/§3.2, RFC 2018 §2/§3, in the order of writeTcpOptions' contract. */
function refWriteOptions(buf: Uint8Array, off: number, o: TcpOptions): number {
  const out: number[] = [];
  const word = (v: number) => out.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  if (o.mss >= 0) out.push(2, 4, (o.mss >> 8) & 0xff, o.mss & 0xff);
  if (o.hasTimestamps) {
    out.push(...(o.sackPermitted ? [4, 2] : [1, 1]), 8, 10);
    word(o.tsVal);
    word(o.tsEcr);
  } else if (o.sackPermitted) out.push(1, 1, 4, 2);
  if (o.windowScale >= 0) out.push(1, 3, 3, o.windowScale & 0xff);
  const n = Math.min(o.sackCount, MAX_SACK_BLOCKS, Math.floor((40 - out.length - 4) / 8));
  if (n > 0) {
    out.push(1, 1, 5, 2 + 8 * n);
    for (let b = 0; b < n; b++) {
      word(o.sackBlocks[2 * b]!);
      word(o.sackBlocks[2 * b + 1]!);
    }
  }
  buf.set(out, off);
  return out.length;
}

// ---- random values, in range and not -------------------------------------------------------------

function anyValue(rng: Prng, bits: number): number {
  switch (rng.below(8)) {
    case 0: return -rng.int(1, 70000);
    case 1: return 2 ** bits + rng.below(2 ** 16);
    case 2: return rng.below(2 ** bits) + 0.5;
    case 3: return 0;
    case 4: return 2 ** bits - 1;
    default: return bits === 32 ? rng.u32() : rng.below(2 ** bits);
  }
}

/** A buffer of random bytes and an offset inside it with room for `need` bytes. */
function randomBuffer(rng: Prng, need: number): { buf: Uint8Array; off: number } {
  const off = rng.int(0, 7);
  const backing = rng.bytes(off + need + rng.int(0, 9) + 4);
  // Sometimes a view that does not start at its buffer's first byte.
  const buf = rng.bool() ? backing.subarray(3) : backing;
  return { buf, off };
}

describe('emitters write what the byte-by-byte references write', () => {
  it('emitEthernet, destination whole or inside a table', () => {
    const rng = new Prng(8023);
    for (let t = 0; t < TRIALS; t++) {
      const { buf, off } = randomBuffer(rng, 14);
      const table = rng.bytes(6 * rng.int(1, 4));
      const whole = rng.bool();
      const dst = whole ? rng.bytes(6) : table;
      const dstOffset = whole ? 0 : 6 * rng.below(table.length / 6);
      const src = rng.bytes(6), type = anyValue(rng, 16);
      const want = buf.slice();
      refEmitEthernet(want, off, dst, src, type, dstOffset);
      expect(emitEthernet(buf, off, dst, src, type, dstOffset)).toBe(14);
      expect(toHex(buf)).toBe(toHex(want));
    }
  });

  it('emitIpv4', () => {
    const rng = new Prng(791);
    for (let t = 0; t < TRIALS; t++) {
      const { buf, off } = randomBuffer(rng, 20);
      const args = [anyValue(rng, 16) - 20, anyValue(rng, 8), anyValue(rng, 32), anyValue(rng, 32), anyValue(rng, 8), anyValue(rng, 16), anyValue(rng, 16)] as const;
      const want = buf.slice();
      refEmitIpv4(want, off, ...args);
      expect(emitIpv4(buf, off, ...args, onesSum)).toBe(20);
      expect(toHex(buf), JSON.stringify(args)).toBe(toHex(want));
    }
  });

  it('emitTcp, with options and payload in place', () => {
    const rng = new Prng(9293);
    for (let t = 0; t < TRIALS; t++) {
      const optionsLength = 4 * rng.int(0, 10), payload = rng.int(0, 40);
      const { buf, off } = randomBuffer(rng, 20 + optionsLength + payload);
      const ports = [anyValue(rng, 16), anyValue(rng, 16)] as const;
      const numbers = [anyValue(rng, 32), anyValue(rng, 32), anyValue(rng, 8), anyValue(rng, 16), anyValue(rng, 16)] as const;
      const addresses = [anyValue(rng, 32), anyValue(rng, 32)] as const;
      const want = buf.slice();
      refEmitTcp(want, off, ...ports, ...numbers, optionsLength, payload, ...addresses);
      expect(emitTcp(buf, off, ...ports, ...numbers, optionsLength, payload, ...addresses, onesSum)).toBe(20 + optionsLength);
      expect(toHex(buf), JSON.stringify([ports, numbers, addresses])).toBe(toHex(want));
    }
  });

  it('writeTcpOptions', () => {
    const rng = new Prng(7323);
    for (let t = 0; t < TRIALS; t++) {
      const o = randomOptions(rng);
      if (rng.bool()) o.sackCount = rng.int(0, MAX_SACK_BLOCKS);
      for (let i = 0; i < 2 * MAX_SACK_BLOCKS; i++) o.sackBlocks[i] = rng.u32();
      const { buf, off } = randomBuffer(rng, 44);
      const want = buf.slice();
      const n = refWriteOptions(want, off, o);
      expect(writeTcpOptions(buf, off, o)).toBe(n);
      expect(toHex(buf)).toBe(toHex(want));
    }
  });

  it('writeTimestampsOption writes what writeTcpOptions writes for timestamps alone', () => {
    const rng = new Prng(7324);
    for (let t = 0; t < TRIALS; t++) {
      const o = new TcpOptions();
      o.hasTimestamps = true;
      o.tsVal = anyValue(rng, 32);
      o.tsEcr = anyValue(rng, 32);
      const { buf, off } = randomBuffer(rng, 12);
      const want = buf.slice();
      expect(writeTcpOptions(want, off, o)).toBe(12);
      expect(writeTimestampsOption(new DataView(buf.buffer, buf.byteOffset, buf.byteLength), off, o.tsVal, o.tsEcr)).toBe(12);
      expect(toHex(buf)).toBe(toHex(want));
    }
  });
});

// ---- parsers -------------------------------------------------------------------------------------

/** Every field a parse sets, read back from the views (so a lazily read field counts too). */
function ethFields(e: EthernetFrame): unknown[] {
  return [e.offset, e.length, e.etherType, e.vlanId, e.payloadOffset, e.payloadLength, e.isGroup, e.isBroadcast];
}
function ipFields(p: Ipv4Packet): unknown[] {
  return [
    p.offset, p.headerLength, p.totalLength, p.tos, p.ident, p.dontFragment, p.moreFragments, p.fragmentOffset, p.ttl,
    p.protocol, p.src, p.dst, p.payloadOffset, p.payloadLength, p.isFragment, p.optionsLength, p.headerChecksum,
  ];
}
function tcpFields(s: TcpSegment): unknown[] {
  const o = s.options;
  return [
    s.offset, s.srcPort, s.dstPort, s.seq, s.ack, s.headerLength, s.flags, s.window, s.checksum, s.urgentPointer,
    s.optionsOffset, s.optionsLength, s.payloadOffset, s.payloadLength, s.segmentLength,
    o.mss, o.windowScale, o.sackPermitted, o.hasTimestamps, o.tsVal, o.tsEcr, o.sackCount, o.unknown,
    Array.from(o.sackBlocks.subarray(0, 2 * o.sackCount)),
  ];
}

/** The fields the references read, byte by byte, for an accepted header. */
function refIpv4(b: Uint8Array, o: number, length: number): unknown[] | string {
  if (length < 20) return 'ipv4-too-short';
  if (b[o]! >> 4 !== 4) return 'ipv4-bad-version';
  const hl = (b[o]! & 15) * 4;
  if (hl < 20 || hl > length) return 'ipv4-bad-header-length';
  const total = get16(b, o + 2);
  if (total < hl || total > length) return 'ipv4-total-length';
  if (refOnesSum(b, o, hl) !== 0xffff) return 'ipv4-bad-checksum';
  const ff = get16(b, o + 6);
  return [
    o, hl, total, b[o + 1], get16(b, o + 4), (ff & 0x4000) !== 0, (ff & 0x2000) !== 0, (ff & 0x1fff) * 8, b[o + 8],
    b[o + 9], get32(b, o + 12), get32(b, o + 16), o + hl, Math.min(total, length) - hl,
    (ff & 0x2000) !== 0 || (ff & 0x1fff) !== 0, hl - 20, get16(b, o + 10),
  ];
}

function refTcpHeader(b: Uint8Array, o: number, length: number): unknown[] {
  const hl = (b[o + 12]! >> 4) * 4, flags = b[o + 13]!;
  return [
    o, get16(b, o), get16(b, o + 2), get32(b, o + 4), get32(b, o + 8), hl, flags, get16(b, o + 14), get16(b, o + 16),
    get16(b, o + 18), o + 20, hl - 20, o + hl, length - hl, length - hl + (flags & 2 ? 1 : 0) + (flags & 1 ? 1 : 0),
  ];
}

/**
 * A frame of one TCP segment with random header fields, no options or random ones, and a payload,
 * emitted by src/wire (checked above); then, half the time, a few random bytes changed.
 */
function randomFrame(rng: Prng): Uint8Array {
  const o = rng.bool() ? randomOptions(rng) : new TcpOptions();
  const options = new Uint8Array(40);
  const optLen = writeTcpOptions(options, 0, o);
  const payload = rng.int(0, 30);
  const f = new Uint8Array(Math.max(60, 54 + optLen + payload) + rng.int(0, 4));
  f.set(rng.bytes(f.length));
  emitEthernet(f, 0, rng.bool() ? MAC_B : rng.bytes(6), MAC_A, rng.bool() ? ETHERTYPE_IPV4 : rng.u16());
  f.set(options.subarray(0, optLen), 54);
  emitTcp(f, 34, rng.u16(), rng.u16(), rng.u32(), rng.u32(), rng.u8(), rng.u16(), rng.u16(), optLen, payload, IP_A, IP_B);
  emitIpv4(f, 14, 20 + optLen + payload, rng.bool() ? 6 : rng.u8(), IP_A, IP_B, rng.u8(), rng.u16(), rng.bool() ? 0x4000 : rng.u16());
  if (rng.bool()) {
    const n = rng.int(1, 3);
    for (let i = 0; i < n; i++) f[rng.below(f.length)] = rng.u8();
  }
  return f;
}

describe('parsers read what the byte-by-byte references read', () => {
  it('EthernetFrame, Ipv4Packet and TcpSegment over valid and mutated frames', () => {
    const rng = new Prng(1071);
    const e = new EthernetFrame(), p = new Ipv4Packet(), s = new TcpSegment();
    let accepted = 0;
    for (let t = 0; t < 4 * TRIALS; t++) {
      const f = randomFrame(rng);
      const length = rng.bool() ? f.length : rng.int(0, f.length);
      const ethErr = e.parse(f, 0, length);
      if (ethErr !== null) continue;
      const type = get16(f, 12);
      if (type === 0x8100) continue; // tags: badinput.test.ts
      expect(ethFields(e)).toEqual([0, length, type, -1, 14, length - 14, (f[0]! & 1) === 1, f.subarray(0, 6).every((x) => x === 0xff)]);
      const ipErr = p.parse(f, e.payloadOffset, e.payloadLength);
      const ipWant = refIpv4(f, 14, length - 14);
      if (typeof ipWant === 'string') {
        expect(ipErr).toBe(ipWant);
        continue;
      }
      expect(ipErr).toBeNull();
      expect(ipFields(p)).toEqual(ipWant);
      const tcpErr = s.parse(f, p.payloadOffset, p.payloadLength, p.src, p.dst);
      if (tcpErr !== null) continue;
      accepted++;
      expect(tcpFields(s).slice(0, 15)).toEqual(refTcpHeader(f, p.payloadOffset, p.payloadLength));
      // The options as parseTcpOptions gives them on their own (tcp-options.test.ts checks it).
      expect(tcpFields(s).slice(15)).toEqual(tcpFields(parsedOptionsOnly(f, s)).slice(15));
    }
    expect(accepted).toBeGreaterThan(TRIALS / 4);
  });
});

/** A second segment view that parsed the same bytes (its options are what the test compares with). */
function parsedOptionsOnly(f: Uint8Array, s: TcpSegment): TcpSegment {
  const again = new TcpSegment();
  const err = again.parse(f, s.offset, s.headerLength + s.payloadLength, 0, 0, null);
  if (err !== null) throw new Error(`re-parse failed: ${err}`);
  return again;
}
