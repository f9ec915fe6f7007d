// Hostile input: every parser, fed truncated buffers, lying length fields, bad checksums and broken
// TCP options, returns the specific reason and never throws.

import { describe, expect, it } from 'vitest';
import { ArpPacket, emitArp } from '../../src/wire/arp';
import { EthernetFrame, emitEthernet } from '../../src/wire/ethernet';
import { IcmpMessage, emitIcmp } from '../../src/wire/icmp';
import { Ipv4Packet } from '../../src/wire/ipv4';
import { TcpOptions, TcpSegment, emitTcp, parseTcpOptions } from '../../src/wire/tcp';
import { UdpDatagram, emitUdp } from '../../src/wire/udp';
import { Prng, put16, pseudoHeaderBytes, refChecksum, refOnesSum } from './helpers';

/** Run a parse; a throw fails the test with the input that caused it. */
function safely<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new Error(`${what} threw: ${String(e)}`);
  }
}

/** Both kinds of truncation: a short `length` over a longer buffer, and a buffer that really ends. */
function truncations(buf: Uint8Array, offset: number, length: number): Array<[Uint8Array, string]> {
  return [
    [buf, `length ${length} of a longer buffer`],
    [buf.slice(0, offset + length), `buffer cut at ${length}`],
  ];
}

const SRC = 0x0a000001, DST = 0x0a000002;

describe('Ethernet', () => {
  const frame = new Uint8Array(60);
  emitEthernet(frame, 0, new Uint8Array([2, 0, 0, 0, 0, 1]), new Uint8Array([2, 0, 0, 0, 0, 2]), 0x0800);
  const tagged = new Uint8Array(64);
  tagged.set(frame.subarray(0, 12));
  tagged.set([0x81, 0x00, 0x00, 0x0a, 0x08, 0x00], 12);

  it('refuses frames shorter than a header, at every length', () => {
    const e = new EthernetFrame();
    for (let n = 0; n < 14; n++) {
      for (const [b, how] of truncations(frame, 0, n)) expect(safely(how, () => e.parse(b, 0, n)), how).toBe('eth-too-short');
    }
    expect(e.parse(frame, 0, 14)).toBeNull();
    expect(e.payloadLength).toBe(0);
  });

  it('refuses a tagged frame cut inside the tag', () => {
    const e = new EthernetFrame();
    for (let n = 14; n < 18; n++) {
      for (const [b, how] of truncations(tagged, 0, n)) expect(safely(how, () => e.parse(b, 0, n)), how).toBe('eth-too-short');
    }
    expect(e.parse(tagged, 0, 18)).toBeNull();
  });

  it('parses one 802.1Q tag: VID is the low 12 bits of the TCI, payload after the tag', () => {
    const e = new EthernetFrame();
    const cases: Array<[number, number]> = [[0x000a, 10], [0xe00a, 10], [0x1fff, 0xfff], [0xf000, 0], [0x0000, 0], [0x2123, 0x123]];
    const f = tagged.slice();
    for (const [tci, vid] of cases) {
      put16(f, 14, tci);
      expect(e.parse(f, 0, 64)).toBeNull();
      expect(e.vlanId).toBe(vid);
      expect(e.etherType).toBe(0x0800);
      expect([e.payloadOffset, e.payloadLength]).toEqual([18, 46]);
    }
    // Re-binding to an untagged frame forgets the tag.
    expect(e.parse(frame, 0, 60)).toBeNull();
    expect(e.vlanId).toBe(-1);
    expect(e.payloadOffset).toBe(14);
  });

  it('refuses stacked tags (802.1ad outer, or two 802.1Q tags)', () => {
    const e = new EthernetFrame();
    const f = tagged.slice();
    put16(f, 16, 0x8100);
    expect(e.parse(f, 0, 64)).toBe('eth-vlan-stacked');
    put16(f, 16, 0x88a8);
    expect(e.parse(f, 0, 64)).toBe('eth-vlan-stacked');
    put16(f, 12, 0x88a8);
    put16(f, 16, 0x8100);
    expect(e.parse(f, 0, 64)).toBe('eth-vlan-stacked');
    put16(f, 16, 0x0800);
    expect(e.parse(f, 0, 64)).toBe('eth-vlan-stacked'); // an S-tag alone is still not ours
  });

  it('refuses 802.3 length fields (type < 0x0600), tagged or not', () => {
    const e = new EthernetFrame();
    const f = frame.slice();
    for (const t of [0x0000, 0x002e, 0x05dc, 0x05ff]) {
      put16(f, 12, t);
      expect(e.parse(f, 0, 60)).toBe('eth-length-field');
      const g = tagged.slice();
      put16(g, 16, t);
      expect(e.parse(g, 0, 64)).toBe('eth-length-field');
    }
    put16(f, 12, 0x0600);
    expect(e.parse(f, 0, 60)).toBeNull();
  });

  it('parses at an offset inside a larger buffer', () => {
    const big = new Uint8Array(100);
    big.set(tagged, 7);
    const e = new EthernetFrame();
    expect(e.parse(big, 7, 64)).toBeNull();
    expect([e.vlanId, e.payloadOffset, e.payloadLength]).toEqual([10, 25, 46]);
    expect(e.parse(big, 7, 17)).toBe('eth-too-short');
  });
});

describe('ARP', () => {
  const mac = new Uint8Array([2, 0, 0, 0, 0, 1]);
  const good = new Uint8Array(46);
  emitArp(good, 0, 1, mac, SRC, new Uint8Array(6), DST);

  it('refuses fewer than 28 bytes at every length and accepts Ethernet padding after them', () => {
    const a = new ArpPacket();
    for (let n = 0; n < 28; n++) {
      for (const [b, how] of truncations(good, 0, n)) expect(safely(how, () => a.parse(b, 0, n)), how).toBe('arp-too-short');
    }
    expect(a.parse(good, 0, 28)).toBeNull();
    expect(a.parse(good, 0, 46)).toBeNull();
  });

  it('refuses other hardware/protocol types and address sizes', () => {
    const a = new ArpPacket();
    for (const [at, v, wide] of [[0, 6, true], [0, 0, true], [2, 0x86dd, true], [2, 0x0806, true], [4, 8, false], [5, 16, false], [4, 0, false]] as const) {
      const b = good.slice();
      if (wide) put16(b, at, v);
      else b[at] = v;
      expect(a.parse(b, 0, 28), `byte ${at} = ${v}`).toBe('arp-unsupported');
    }
  });

  it('refuses operations other than request and reply', () => {
    const a = new ArpPacket();
    for (const op of [0, 3, 4, 8, 9, 0x0101, 0xffff]) {
      const b = good.slice();
      put16(b, 6, op);
      expect(a.parse(b, 0, 28), `op ${op}`).toBe('arp-bad-op');
    }
  });
});

/** An IPv4 datagram with a 4-byte option (IHL 6), 16 bytes of payload, followed by 10 bytes of padding. */
function ipv4WithOption(): Uint8Array {
  const b = new Uint8Array(50);
  b.set([0x46, 0x00, 0x00, 40, 0x12, 0x34, 0x40, 0x00, 64, 17, 0, 0]);
  b.set([10, 0, 0, 1, 10, 0, 0, 2], 12);
  b.set([0x94, 0x04, 0x00, 0x00], 20); // Router Alert
  for (let i = 24; i < 40; i++) b[i] = i;
  fixIpv4Checksum(b);
  return b;
}
function fixIpv4Checksum(b: Uint8Array, off = 0): void {
  const hl = (b[off]! & 0x0f) * 4;
  put16(b, off + 10, 0);
  put16(b, off + 10, refChecksum(b, off, Math.max(hl, 20)));
}

describe('IPv4', () => {
  it('truncated at every length: too short, then header cut, then total length', () => {
    const good = ipv4WithOption();
    const p = new Ipv4Packet();
    for (let n = 0; n < 40; n++) {
      const want = n < 20 ? 'ipv4-too-short' : n < 24 ? 'ipv4-bad-header-length' : 'ipv4-total-length';
      for (const [b, how] of truncations(good, 0, n)) expect(safely(how, () => p.parse(b, 0, n)), how).toBe(want);
    }
    for (let n = 40; n <= 50; n++) {
      expect(p.parse(good, 0, n)).toBeNull();
      expect([p.headerLength, p.optionsLength, p.totalLength, p.payloadOffset, p.payloadLength]).toEqual([24, 4, 40, 24, 16]);
    }
  });

  it('refuses versions other than 4', () => {
    const p = new Ipv4Packet();
    for (const v of [0, 5, 6, 15]) {
      const b = ipv4WithOption();
      b[0] = (v << 4) | 6;
      fixIpv4Checksum(b);
      expect(p.parse(b, 0, 50), `version ${v}`).toBe('ipv4-bad-version');
    }
  });

  it('refuses IHL below 5 and IHL beyond the bytes received', () => {
    const p = new Ipv4Packet();
    for (let ihl = 0; ihl < 5; ihl++) {
      const b = ipv4WithOption();
      b[0] = 0x40 | ihl;
      fixIpv4Checksum(b);
      expect(p.parse(b, 0, 50), `IHL ${ihl}`).toBe('ipv4-bad-header-length');
    }
    const b = ipv4WithOption();
    b[0] = 0x4f; // 60-byte header, 50 bytes received
    put16(b, 2, 50);
    expect(p.parse(b, 0, 50)).toBe('ipv4-bad-header-length');
    expect(p.parse(b, 0, 50, null, true)).toBe('ipv4-bad-header-length'); // a quote needs its header
  });

  it('refuses a total length beyond the frame or below the header', () => {
    const p = new Ipv4Packet();
    for (const total of [51, 60, 1500, 0xffff, 23, 20, 19, 1, 0]) {
      const b = ipv4WithOption();
      put16(b, 2, total);
      fixIpv4Checksum(b);
      expect(p.parse(b, 0, 50), `total ${total}`).toBe('ipv4-total-length');
    }
    const b = ipv4WithOption();
    put16(b, 2, 24); // header only: allowed
    fixIpv4Checksum(b);
    expect(p.parse(b, 0, 50)).toBeNull();
    expect(p.payloadLength).toBe(0);
  });

  it('accepts a quoted datagram cut short only when asked, and then reports what is present', () => {
    const p = new Ipv4Packet();
    const b = ipv4WithOption();
    put16(b, 2, 1400);
    fixIpv4Checksum(b);
    expect(p.parse(b, 0, 32)).toBe('ipv4-total-length');
    expect(p.parse(b, 0, 32, null, true)).toBeNull();
    expect([p.totalLength, p.payloadLength]).toEqual([1400, 8]);
    put16(b, 2, 23);
    fixIpv4Checksum(b);
    expect(p.parse(b, 0, 32, null, true)).toBe('ipv4-total-length');
  });

  it('refuses a header with any single bit flipped (checksum), unless verification is off', () => {
    const p = new Ipv4Packet();
    for (let bit = 0; bit < 24 * 8; bit++) {
      const b = ipv4WithOption();
      b[bit >> 3]! ^= 0x80 >> (bit & 7);
      const r = safely(`bit ${bit}`, () => p.parse(b, 0, 50));
      const byte = bit >> 3;
      if (byte === 0 || byte === 2 || byte === 3) {
        expect(r, `bit ${bit}`).not.toBeNull(); // version / IHL / total length: any reason
      } else {
        expect(r, `bit ${bit}`).toBe('ipv4-bad-checksum');
        expect(p.parse(b, 0, 50, null)).toBeNull();
      }
    }
  });

  it('never throws on random bytes', () => {
    const rng = new Prng(791);
    const p = new Ipv4Packet();
    for (let i = 0; i < 3000; i++) {
      const b = rng.bytes(rng.int(0, 80));
      if (rng.bool() && b.length > 0) b[0] = 0x40 | (b[0]! & 0x0f);
      const r = safely('random', () => p.parse(b, 0, b.length, undefined, rng.bool()));
      if (r === null) expect(refOnesSum(b, 0, p.headerLength)).toBe(0xffff);
    }
  });
});

describe('ICMP', () => {
  const body = Uint8Array.from({ length: 40 }, (_, i) => 0x41 + i);
  const good = new Uint8Array(48);
  good.set(body, 8);
  emitIcmp(good, 0, 48, 8, 0, 0x12340001);

  it('refuses fewer than 8 bytes, and a cut message unless its sum still happens to verify', () => {
    const m = new IcmpMessage();
    for (let n = 0; n < 48; n++) {
      for (const [b, how] of truncations(good, 0, n)) {
        const want = n < 8 ? 'icmp-too-short' : refOnesSum(good, 0, n) === 0xffff ? null : 'icmp-bad-checksum';
        expect(safely(how, () => m.parse(b, 0, n)), how).toBe(want);
      }
    }
    expect(m.parse(good, 0, 48)).toBeNull();
  });

  it('refuses any single flipped bit', () => {
    const m = new IcmpMessage();
    for (let bit = 0; bit < 48 * 8; bit++) {
      const b = good.slice();
      b[bit >> 3]! ^= 0x80 >> (bit & 7);
      expect(m.parse(b, 0, 48), `bit ${bit}`).toBe('icmp-bad-checksum');
    }
  });
});

describe('UDP', () => {
  const good = new Uint8Array(8 + 20 + 4); // 4 bytes of IP payload past the UDP length
  for (let i = 8; i < 28; i++) good[i] = 0x30 + i;
  emitUdp(good, 0, 5353, 53, 20, SRC, DST);

  it('truncated at every length: too short, then the length field lies', () => {
    const u = new UdpDatagram();
    for (let n = 0; n < 28; n++) {
      const want = n < 8 ? 'udp-too-short' : 'udp-bad-length';
      for (const [b, how] of truncations(good, 0, n)) expect(safely(how, () => u.parse(b, 0, n, SRC, DST)), how).toBe(want);
    }
    expect(u.parse(good, 0, 28, SRC, DST)).toBeNull();
    expect(u.parse(good, 0, 32, SRC, DST)).toBeNull();
    expect([u.length, u.payloadLength]).toEqual([28, 20]);
  });

  it('refuses a length field below 8 or beyond the IP payload', () => {
    const u = new UdpDatagram();
    for (const len of [0, 1, 7, 33, 100, 0xffff]) {
      const b = good.slice();
      put16(b, 4, len);
      expect(u.parse(b, 0, 32, SRC, DST), `length ${len}`).toBe('udp-bad-length');
    }
  });

  it('refuses any single flipped bit, and a wrong pseudo-header', () => {
    const u = new UdpDatagram();
    for (let bit = 0; bit < 28 * 8; bit++) {
      const b = good.slice();
      b[bit >> 3]! ^= 0x80 >> (bit & 7);
      const r = u.parse(b, 0, 32, SRC, DST);
      if (bit >> 3 === 4 || bit >> 3 === 5) expect(r, `bit ${bit}`).not.toBeNull();
      else expect(r, `bit ${bit}`).toBe('udp-bad-checksum');
    }
    expect(u.parse(good, 0, 32, SRC, DST + 1)).toBe('udp-bad-checksum');
    expect(u.parse(good, 0, 32, DST, SRC + 0x10000)).toBe('udp-bad-checksum');
  });

  it('skips verification when the checksum field is zero (RFC 768: none computed)', () => {
    const u = new UdpDatagram();
    const b = good.slice();
    put16(b, 6, 0);
    b[10]! ^= 0xff;
    expect(u.parse(b, 0, 32, SRC, DST)).toBeNull();
    expect(u.checksum).toBe(0);
  });
});

/** A TCP segment with the given raw option bytes (a multiple of 4) and payload, checksummed. */
function tcpWith(options: number[], payload = 6): Uint8Array {
  const seg = new Uint8Array(20 + options.length + payload);
  seg.set(options, 20);
  for (let i = 0; i < payload; i++) seg[20 + options.length + i] = 0x61 + i;
  emitTcp(seg, 0, 1234, 80, 1000, 2000, 0x18, 4096, 0, options.length, payload, SRC, DST);
  return seg;
}

describe('TCP header', () => {
  const good = tcpWith([2, 4, 5, 180, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7], 11);

  it('truncated at every length: too short, data offset beyond, then checksum', () => {
    const s = new TcpSegment();
    for (let n = 0; n < good.length; n++) {
      const joined = new Uint8Array(12 + n);
      joined.set(pseudoHeaderBytes(SRC, DST, 6, n));
      joined.set(good.subarray(0, n), 12);
      const want = n < 20 ? 'tcp-too-short' : n < 40 ? 'tcp-bad-data-offset' : refOnesSum(joined) === 0xffff ? null : 'tcp-bad-checksum';
      for (const [b, how] of truncations(good, 0, n)) expect(safely(how, () => s.parse(b, 0, n, SRC, DST)), how).toBe(want);
    }
    expect(s.parse(good, 0, good.length, SRC, DST)).toBeNull();
    expect([s.headerLength, s.payloadLength, s.options.mss, s.options.windowScale]).toEqual([40, 11, 1460, 7]);
  });

  it('refuses data offsets below 5 and beyond the segment', () => {
    const s = new TcpSegment();
    for (let dof = 0; dof < 16; dof++) {
      const b = good.slice();
      b[12] = (dof << 4) | (b[12]! & 0x0f);
      const r = s.parse(b, 0, b.length, SRC, DST, null);
      if (dof < 5) expect(r, `data offset ${dof}`).toBe('tcp-bad-data-offset');
      if (dof * 4 > b.length) expect(r, `data offset ${dof}`).toBe('tcp-bad-data-offset');
    }
    const short = tcpWith([], 0); // 20 bytes, claims 60
    short[12] = 0xf0;
    expect(s.parse(short, 0, 20, SRC, DST, null)).toBe('tcp-bad-data-offset');
  });

  it('refuses any single flipped bit (outside the data offset), and a wrong pseudo-header', () => {
    const s = new TcpSegment();
    for (let bit = 0; bit < good.length * 8; bit++) {
      const b = good.slice();
      b[bit >> 3]! ^= 0x80 >> (bit & 7);
      const r = safely(`bit ${bit}`, () => s.parse(b, 0, b.length, SRC, DST));
      if ((bit >> 3) === 12 && (bit & 7) < 4) expect(r, `bit ${bit}`).not.toBeNull();
      else expect(r, `bit ${bit}`).toBe('tcp-bad-checksum');
    }
    expect(s.parse(good, 0, good.length, SRC + 1, DST)).toBe('tcp-bad-checksum');
    expect(s.parse(good, 0, good.length, DST, SRC)).toBeNull(); // swapping src and dst keeps the sum
    expect(s.parse(good, 0, good.length, SRC, DST, null)).toBeNull();
  });
});

describe('TCP options: bad and odd encodings', () => {
  // [description, option bytes (padded to a multiple of 4 here), expected reason]
  const cases: Array<[string, number[], string | null]> = [
    ['MSS with length 0', [2, 0, 5, 180], 'tcp-option-length'],
    ['MSS with length 1', [2, 1, 5, 180], 'tcp-option-length'],
    ['unknown kind with length 0', [99, 0, 1, 1], 'tcp-option-length'],
    ['unknown kind with length 1', [99, 1, 1, 1], 'tcp-option-length'],
    ['a kind in the last byte, no room for its length', [1, 1, 1, 2], 'tcp-option-overrun'],
    ['MSS running past the header', [1, 2, 4, 5], 'tcp-option-overrun'],
    ['timestamps running past the header', [1, 1, 1, 1, 8, 10, 0, 0], 'tcp-option-overrun'],
    ['unknown option running past the header', [30, 8, 0, 0], 'tcp-option-overrun'],
    ['MSS of length 3', [2, 3, 5, 1], 'tcp-option-length'],
    ['MSS of length 5', [2, 5, 5, 180, 0, 1, 1, 1], 'tcp-option-length'],
    ['window scale of length 2', [3, 2, 1, 1], 'tcp-option-length'],
    ['window scale of length 4', [3, 4, 7, 0], 'tcp-option-length'],
    ['SACK-permitted of length 3', [4, 3, 0, 1], 'tcp-option-length'],
    ['SACK-permitted of length 4', [4, 4, 0, 0], 'tcp-option-length'],
    ['timestamps of length 8', [8, 8, 0, 0, 0, 1, 0, 0], 'tcp-option-length'],
    ['timestamps of length 12', [8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0], 'tcp-option-length'],
    ['SACK with no block (length 2)', [5, 2, 1, 1], 'tcp-option-length'],
    ['SACK of 2+7 bytes', [5, 9, 0, 0, 0, 1, 0, 0, 2, 1, 1, 1], 'tcp-option-length'],
    ['SACK of 2+12 bytes', [5, 14, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1], 'tcp-option-length'],
    ['SACK of 5 blocks (42 bytes cannot fit in 40)', [1, 1, 5, 42, ...new Array<number>(36).fill(0)], 'tcp-option-overrun'],
  ];
  for (const [what, bytes, want] of cases) {
    it(`${what} → ${want}`, () => {
      expect(bytes.length % 4).toBe(0);
      const seg = tcpWith(bytes);
      const s = new TcpSegment();
      expect(safely(what, () => s.parse(seg, 0, seg.length, SRC, DST))).toBe(want);
      const o = new TcpOptions();
      expect(safely(what, () => parseTcpOptions(seg, 20, bytes.length, o))).toBe(want);
    });
  }

  it('refuses 5 SACK blocks by length when the area is large enough to hold them', () => {
    const area = new Uint8Array(44);
    area[0] = 5;
    area[1] = 42;
    expect(parseTcpOptions(area, 0, 44, new TcpOptions())).toBe('tcp-option-length');
    area[1] = 34; // 4 blocks: fine
    const o = new TcpOptions();
    expect(parseTcpOptions(area, 0, 44, o)).toBeNull();
    expect(o.sackCount).toBe(4);
  });

  it('accepts SACK of 1 to 4 blocks and reads them in order', () => {
    for (let n = 1; n <= 4; n++) {
      const opt = [1, 1, 5, 2 + 8 * n];
      for (let b = 0; b < n; b++) opt.push(0, 0, b, 0x10, 0, 0, b, 0x20);
      const seg = tcpWith(opt);
      const s = new TcpSegment();
      expect(s.parse(seg, 0, seg.length, SRC, DST)).toBeNull();
      expect(s.options.sackCount).toBe(n);
      for (let b = 0; b < n; b++) expect([s.options.sackBlocks[2 * b], s.options.sackBlocks[2 * b + 1]]).toEqual([(b << 8) | 0x10, (b << 8) | 0x20]);
    }
  });

  it('skips unknown options by their length and counts them, parsing what follows', () => {
    const seg = tcpWith([30, 4, 0xab, 0xcd, 2, 4, 5, 180, 253, 2, 34, 6, 1, 2, 3, 4, 1, 3, 3, 9]);
    const s = new TcpSegment();
    expect(s.parse(seg, 0, seg.length, SRC, DST)).toBeNull();
    expect(s.options.unknown).toBe(3);
    expect(s.options.mss).toBe(1460);
    expect(s.options.windowScale).toBe(9);
  });

  it('stops at EOL: bytes after it are not options, however malformed', () => {
    const s = new TcpSegment();
    let seg = tcpWith([2, 4, 5, 180, 0, 2, 0, 99]);
    expect(s.parse(seg, 0, seg.length, SRC, DST)).toBeNull();
    expect([s.options.mss, s.options.unknown]).toEqual([1460, 0]);
    seg = tcpWith([0, 2, 4, 1]);
    expect(s.parse(seg, 0, seg.length, SRC, DST)).toBeNull();
    expect(s.options.mss).toBe(-1);
  });

  it('a view re-used for a segment without options forgets the previous options', () => {
    const s = new TcpSegment();
    const a = tcpWith([2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 30, 2, 1, 1]);
    expect(s.parse(a, 0, a.length, SRC, DST)).toBeNull();
    expect([s.options.mss, s.options.sackPermitted, s.options.hasTimestamps, s.options.sackCount, s.options.unknown]).toEqual([1460, true, true, 1, 1]);
    const b = tcpWith([]);
    expect(s.parse(b, 0, b.length, SRC, DST)).toBeNull();
    expect([s.options.mss, s.options.windowScale, s.options.sackPermitted, s.options.hasTimestamps, s.options.sackCount, s.options.unknown])
      .toEqual([-1, -1, false, false, 0, 0]);
  });

  it('never throws on random option bytes, and only ever gives a declared reason', () => {
    const rng = new Prng(2018);
    const o = new TcpOptions();
    const reasons = new Set([null, 'tcp-option-overrun', 'tcp-option-length']);
    for (let i = 0; i < 5000; i++) {
      const len = rng.int(0, 40);
      const area = new Uint8Array(len);
      for (let j = 0; j < len; j++) area[j] = rng.pick([0, 1, 2, 3, 4, 5, 8, 10, 18, 34, 42, rng.u8()]);
      const r = safely('random options', () => parseTcpOptions(area, 0, len, o));
      expect(reasons.has(r)).toBe(true);
      expect(o.sackCount).toBeLessThanOrEqual(4);
    }
  });
});

describe('all parsers on random garbage', () => {
  it('never throw', () => {
    const rng = new Prng(4242);
    const e = new EthernetFrame(), a = new ArpPacket(), i4 = new Ipv4Packet(), m = new IcmpMessage();
    const u = new UdpDatagram(), t = new TcpSegment();
    for (let i = 0; i < 3000; i++) {
      const b = rng.bytes(rng.int(0, 120));
      const off = rng.int(0, Math.min(b.length, 4));
      const len = rng.int(0, b.length - off);
      safely('garbage', () => {
        e.parse(b, off, len);
        a.parse(b, off, len);
        i4.parse(b, off, len);
        i4.parse(b, off, len, null, true);
        m.parse(b, off, len);
        u.parse(b, off, len, SRC, DST);
        t.parse(b, off, len, SRC, DST);
        t.parse(b, off, len, SRC, DST, null);
      });
    }
  });
});
