// What the runner lets differ between what a `>` line says and what synstack sends, and why. The
// scripts were written against FreeBSD; ../shared/conformance/README.md names the ways another
// stack legitimately differs: option order and padding, window values, buffer-size rounding. Each
// relaxation below is one of those, is applied only where it is needed (the runner counts every
// use per script and the report lists them), and never touches flags, sequence and
// acknowledgment numbers, payload lengths or SACK blocks: those are always compared exactly.

export interface Profile {
  name: string;
  /**
   * The window field of segments other than RSTs: 'exact', or 'zero-agrees' (the expected and
   * the actual window must both be zero or both be non-zero; the value itself follows from the
   * stack's buffer sizes and scaling, which differ).
   */
  window: 'exact' | 'zero-agrees';
  /** The window field of RST segments: 'exact', or 'ignore' (RFC 9293 gives it no meaning). */
  rstWindow: 'exact' | 'ignore';
  /**
   * TCP options: 'exact' (the same options in the same order with the same NOP/EOL padding, as
   * packetdrill compares them), or 'set' (the same options, each compared by value, in any order
   * and with any padding).
   */
  optionLayout: 'exact' | 'set';
  /** The shift of a window-scale option: 'exact', or 'any' (present in both; the value follows from the buffer size). */
  wscaleValue: 'exact' | 'any';
  /** The MSS option's value: 'exact', or 'any' (present in both; the value follows from the MTU). */
  mssValue: 'exact' | 'any';
  /** getsockopt SO_RCVBUF / SO_SNDBUF also accepts the size rounded up to a multiple of the MSS (FreeBSD rounds once connected). */
  bufferRounding: boolean;
}

/** packetdrill's own rules: everything written is compared as written. */
export const strictProfile: Profile = Object.freeze({
  name: 'strict',
  window: 'exact',
  rstWindow: 'exact',
  optionLayout: 'exact',
  wscaleValue: 'exact',
  mssValue: 'exact',
  bufferRounding: false,
});

/**
 * FreeBSD scripts against synstack (the default). The differences, from the conformance README
 * and synstack's documented choices (docs/tcp.md):
 * - option order and padding: FreeBSD writes `<mss 1460,nop,wscale 6,sackOK,TS val .. ecr ..>` in
 *   its SYN and pads a SYN-ACK with `eol,eol`; synstack writes MSS, SACK-permitted beside the
 *   timestamps, then NOP + window scale (src/wire/tcp.ts, the Linux order), NOP-padded;
 * - window values: FreeBSD advertises min(buffer, 65535) rounded its way; synstack advertises its
 *   free ring space (with receiver SWS avoidance); only "zero or not" is compared. RSTs: FreeBSD
 *   sends window 0, synstack's connection RSTs carry its current window; not compared;
 * - window-scale shift: FreeBSD derives it from kern.ipc.maxsockbuf (6 for 2 MB), synstack from
 *   its receive ring (RFC 7323 §2.3: the smallest shift that fits the buffer);
 * - SO_RCVBUF / SO_SNDBUF: FreeBSD rounds the buffer up to a multiple of the MSS once the
 *   connection has one (65536 -> 65700 for MSS 1460). The runner builds synstack's receive ring
 *   at the size rounded for the link's MSS (shell.ts), so only a connection with a smaller MSS, or
 *   the send buffer, which keeps its size, needs this.
 * The MSS value is compared exactly: both stacks announce MTU − 40 on the 1500-byte link.
 */
export const synstackProfile: Profile = Object.freeze({
  name: 'freebsd-vs-synstack',
  window: 'zero-agrees',
  rstWindow: 'ignore',
  optionLayout: 'set',
  wscaleValue: 'any',
  mssValue: 'exact',
  bufferRounding: true,
});

export const PROFILES: Readonly<Record<string, Profile>> = Object.freeze({
  strict: strictProfile,
  'freebsd-vs-synstack': synstackProfile,
});

/** Names of the relaxations, as counted per script. */
export type Relaxation = 'window' | 'rst-window' | 'option-layout' | 'wscale-value' | 'mss-value' | 'buffer-rounding';
