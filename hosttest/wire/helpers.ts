// Shared helpers for the wire-level tests: a tiny seeded PRNG, an independent reference checksum
// (deliberately the slow, obvious algorithm, so it shares no code with src/wire/checksum.ts), hex
// conversion and address helpers.

/**
 * A seeded 32-bit generator (xorshift32 with a Weyl sequence added to the output so that small
 * seeds still give varied streams). Test infrastructure only.
 */
export class Prng {
  private x: number;
  private w = 0;

  constructor(seed: number) {
    // Never let the xorshift state be zero.
    this.x = (seed ^ 0x9e3779b9) >>> 0 || 0x6d2b79f5;
    for (let i = 0; i < 8; i++) this.u32();
  }

  /** Uniform in [0, 2^32). */
  u32(): number {
    let x = this.x;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.x = x;
    this.w = (this.w + 0x61c88647) >>> 0;
    return (x + this.w) >>> 0;
  }

  /** Uniform integer in [0, n) for n <= 2^32 (modulo bias is irrelevant for tests). */
  below(n: number): number {
    return this.u32() % n;
  }

  /** Uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  u16(): number {
    return this.u32() >>> 16;
  }

  u8(): number {
    return this.u32() >>> 24;
  }

  bool(): boolean {
    return (this.u32() & 0x100) !== 0;
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
  }

  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u8();
    return b;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

/**
 * Reference one's-complement sum: add big-endian 16-bit words (an odd trailing byte is the high
 * byte of a zero-padded word) into a BigInt, then reduce with end-around carry. Result in
 * [0, 0xffff]; 0 only when every word is zero.
 */
export function refOnesSum(bytes: Uint8Array, offset = 0, length = bytes.length - offset, initial = 0): number {
  let total = BigInt(initial);
  for (let i = 0; i < length; i += 2) {
    const hi = bytes[offset + i]!;
    const lo = i + 1 < length ? bytes[offset + i + 1]! : 0;
    total += BigInt(hi * 256 + lo);
  }
  while (total > 0xffffn) total = (total & 0xffffn) + (total >> 16n);
  return Number(total);
}

/** The checksum field value (complement of the reference sum). */
export function refChecksum(bytes: Uint8Array, offset = 0, length = bytes.length - offset, initial = 0): number {
  return 0xffff - refOnesSum(bytes, offset, length, initial);
}

/** The 12-byte IPv4 pseudo-header of RFC 9293 §3.1 / RFC 768, built byte by byte. */
export function pseudoHeaderBytes(src: number, dst: number, protocol: number, length: number): Uint8Array {
  const p = new Uint8Array(12);
  const put32 = (o: number, v: number): void => {
    p[o] = v >>> 24;
    p[o + 1] = (v >>> 16) & 0xff;
    p[o + 2] = (v >>> 8) & 0xff;
    p[o + 3] = v & 0xff;
  };
  put32(0, src);
  put32(4, dst);
  p[8] = 0;
  p[9] = protocol;
  p[10] = length >>> 8;
  p[11] = length & 0xff;
  return p;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  let s = '';
  for (let i = 0; i < length; i++) s += bytes[offset + i]!.toString(16).padStart(2, '0');
  return s;
}

/** "a.b.c.d" → uint32, written independently of src/wire/ipv4.ts's parser. */
export function ip(text: string): number {
  const parts = text.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) {
    throw new Error(`bad address ${text}`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** uint32 → "a.b.c.d". */
export function ipText(a: number): string {
  return [a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff].join('.');
}

/** "aa:bb:cc:dd:ee:ff" for bytes[offset..offset+6). */
export function macText(bytes: Uint8Array, offset = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(bytes[offset + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}

export function be16(b: Uint8Array, o: number): number {
  return b[o]! * 256 + b[o + 1]!;
}

export function be32(b: Uint8Array, o: number): number {
  return ((b[o]! * 256 + b[o + 1]!) * 256 + b[o + 2]!) * 256 + b[o + 3]!;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
