// Small helpers the benchmarks share: their tables, their arguments, and failing a check.

export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** `s` padded with spaces to `n` characters, always followed by at least one space. */
export function pad(s: string, n: number): string {
  return s.length >= n ? s + ' ' : s + ' '.repeat(n - s.length);
}

/** `--name <positive number>` from a benchmark's arguments, or `fallback` when absent. */
export function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!(Number.isFinite(v) && v > 0)) throw new Error(`--${name} needs a positive number, got ${args[i + 1]}`);
  return v;
}

/** Stop a benchmark whose own check failed: the exit code says so, the message says why. */
export function fail(message: string): never {
  process.exitCode = 1;
  throw new Error(message);
}
