// TCP sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4). Never compare raw values with `<`.

/** (a - b) as a signed 32-bit distance. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
export function seqLeq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
export function seqGeq(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}
/** lo <= x < hi, modulo 2^32 (an empty range when lo == hi). */
export function seqInRange(x: number, lo: number, hi: number): boolean {
  return (x - lo) >>> 0 < (hi - lo) >>> 0;
}
export function seqMax(a: number, b: number): number {
  return seqGt(a, b) ? a : b;
}
export function seqMin(a: number, b: number): number {
  return seqLt(a, b) ? a : b;
}
