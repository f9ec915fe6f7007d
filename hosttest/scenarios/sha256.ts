// SHA-256 (FIPS 180-4 §6.2), incremental, in portable TypeScript: ES2022 and typed arrays only, so
// the bulk-transfer scenario can hash what it sends and receives under Node and XS alike.
//
//   const h = new Sha256();
//   h.update(bytes, offset, length);   // any number of times, any lengths
//   h.hex();                           // finishes: 64 lower-case hex digits; update() then throws
//
// Checked against node:crypto in hosttest/tcp/transfer.test.ts.

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** §5.3.3: the initial hash value. */
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

export class Sha256 {
  private readonly h = new Uint32Array(H0);
  private readonly w = new Uint32Array(64);
  /** The partial block not yet compressed. */
  private readonly block = new Uint8Array(64);
  private blockLength = 0;
  /** Message length in bytes (exact up to 2^53). */
  private total = 0;
  private finished = false;

  update(data: Uint8Array, offset = 0, length = data.length - offset): this {
    if (this.finished) throw new Error('Sha256: update() after the digest was taken');
    if (offset < 0 || length < 0 || offset + length > data.length) throw new RangeError('Sha256: range outside the data');
    this.total += length;
    let i = offset;
    const end = offset + length;
    if (this.blockLength > 0) {
      const take = Math.min(64 - this.blockLength, length);
      this.block.set(data.subarray(i, i + take), this.blockLength);
      this.blockLength += take;
      i += take;
      if (this.blockLength < 64) return this;
      this.compress(this.block, 0);
      this.blockLength = 0;
    }
    for (; i + 64 <= end; i += 64) this.compress(data, i);
    if (i < end) {
      this.block.set(data.subarray(i, end), 0);
      this.blockLength = end - i;
    }
    return this;
  }

  /** The 32-byte digest; the hash is finished afterwards. */
  digest(): Uint8Array {
    if (!this.finished) this.finish();
    const out = new Uint8Array(32);
    for (let j = 0; j < 8; j++) {
      const v = this.h[j]!;
      out[4 * j] = v >>> 24;
      out[4 * j + 1] = (v >>> 16) & 0xff;
      out[4 * j + 2] = (v >>> 8) & 0xff;
      out[4 * j + 3] = v & 0xff;
    }
    return out;
  }

  /** The digest as 64 lower-case hex digits. */
  hex(): string {
    const d = this.digest();
    let s = '';
    for (let j = 0; j < d.length; j++) s += (d[j]! < 16 ? '0' : '') + d[j]!.toString(16);
    return s;
  }

  /** §5.1.1: a 1 bit, zeros, and the length in bits as a 64-bit big-endian number. */
  private finish(): void {
    const bits = this.total * 8;
    const b = this.block;
    b[this.blockLength++] = 0x80;
    if (this.blockLength > 56) {
      b.fill(0, this.blockLength);
      this.compress(b, 0);
      this.blockLength = 0;
    }
    b.fill(0, this.blockLength, 56);
    const high = Math.floor(bits / 0x100000000);
    const low = bits >>> 0;
    b[56] = high >>> 24;
    b[57] = (high >>> 16) & 0xff;
    b[58] = (high >>> 8) & 0xff;
    b[59] = high & 0xff;
    b[60] = low >>> 24;
    b[61] = (low >>> 16) & 0xff;
    b[62] = (low >>> 8) & 0xff;
    b[63] = low & 0xff;
    this.compress(b, 0);
    this.blockLength = 0;
    this.finished = true;
  }

  /** §6.2.2: one 64-byte block at data[at..at+64). */
  private compress(data: Uint8Array, at: number): void {
    const w = this.w;
    for (let t = 0; t < 16; t++) {
      const p = at + 4 * t;
      w[t] = (data[p]! << 24) | (data[p + 1]! << 16) | (data[p + 2]! << 8) | data[p + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15]!, y = w[t - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
    }
    const h = this.h;
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (k + S1 + ch + K[t]! + w[t]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = h[0]! + a;
    h[1] = h[1]! + b;
    h[2] = h[2]! + c;
    h[3] = h[3]! + d;
    h[4] = h[4]! + e;
    h[5] = h[5]! + f;
    h[6] = h[6]! + g;
    h[7] = h[7]! + k;
  }
}

/** SHA-256 of `data`, as hex. */
export function sha256Hex(data: Uint8Array): string {
  return new Sha256().update(data).hex();
}
