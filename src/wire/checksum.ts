// The Internet checksum: RFC 1071 (computation), RFC 1624 (incremental update), and the IPv4
// pseudo-header that TCP and UDP include (RFC 9293 §3.1, RFC 768).

/**
 * Ones'-complement sum of a byte range, added to `initial` and folded to 16 bits; not complemented.
 * Same contract as Accelerators.checksum, so a native version can replace it.
 */
export type ChecksumFn = (bytes: Uint8Array, offset: number, length: number, initial: number) => number;

/** RFC 1071 §4.1 in TypeScript: 16-bit big-endian words summed with end-around carry. */
export const onesSum: ChecksumFn = (bytes, offset, length, initial) => {
  let sum = initial;
  let i = offset;
  const end = offset + length;
  const end8 = end - (length & 7);
  // Eight bytes a turn; a 64 KiB range sums to < 2^31, so plain numbers never lose a carry.
  for (; i < end8; i += 8) {
    sum +=
      ((bytes[i]! << 8) | bytes[i + 1]!) +
      ((bytes[i + 2]! << 8) | bytes[i + 3]!) +
      ((bytes[i + 4]! << 8) | bytes[i + 5]!) +
      ((bytes[i + 6]! << 8) | bytes[i + 7]!);
  }
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8; // odd length: pad with a zero byte (RFC 1071 §4.1)
  return fold(sum);
};

/** Fold a sum of any size below 2^53 to 16 bits with end-around carry. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum field value for a folded sum. */
export function finish(sum: number): number {
  return ~sum & 0xffff;
}

/** Sum of the IPv4 pseudo-header (src, dst, zero, protocol, length). Addresses are uint32. */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return fold((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length);
}

/**
 * RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changes from
 * `oldWord` to `newWord`, without summing the data again: HC' = ~(~HC + ~m + m').
 */
export function updateChecksum(oldChecksum: number, oldWord: number, newWord: number): number {
  return ~fold((~oldChecksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff)) & 0xffff;
}
