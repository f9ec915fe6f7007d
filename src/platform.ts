// The platform seam: everything the core needs from the world arrives through these interfaces
// at construction. Nothing in src/ reads a clock, a random source or a device any other way, so the
// same core runs under Node (hosttest/) and under XS on an ESP32 (firmware/).

/** A network device that carries Ethernet II frames (no preamble, no FCS). */
export interface Device {
  /** Our MAC address, 6 bytes. */
  readonly mac: Uint8Array;
  /** Largest IPv4 datagram the link carries (Ethernet payload size), normally 1500. */
  readonly mtu: number;
  /**
   * Transmit one frame. The bytes are only valid for the duration of the call (the core reuses
   * its transmit buffer), so a platform that queues the frame must copy it. A device must not write
   * into the frame: the core keeps the Ethernet header it wrote there for the next frame to the
   * same neighbour (src/iface/interface.ts).
   */
  send(frame: Uint8Array): void;
}

/** Monotonic time in integer milliseconds. */
export interface Clock {
  now(): number;
}

/** A source of unpredictable bytes (secrets, ephemeral ports, DHCP xids). Tests seed it. */
export interface Entropy {
  fill(bytes: Uint8Array): void;
}

/**
 * Hot loops a platform may implement natively. The core ships pure TypeScript versions
 * (src/wire/checksum.ts, src/crypto/halfsiphash.ts); firmware/ replaces them with C.
 */
export interface Accelerators {
  /**
   * RFC 1071 ones'-complement sum of bytes[offset, offset+length) added to `initial` (a 16-bit
   * partial sum), folded to 16 bits, NOT complemented.
   */
  checksum(bytes: Uint8Array, offset: number, length: number, initial: number): number;
  /** Keyed 32-bit MAC (HalfSipHash-2-4) of data[offset, offset+length) under a 64-bit key. */
  mac(key: Uint8Array, data: Uint8Array, offset: number, length: number): number;
  /**
   * Optional: copy src[srcOffset, srcOffset+length) to dst[dstOffset..] (distinct arrays, ranges
   * already checked by the caller). The connection rings use it for every segment's payload; in
   * an interpreter a native copy saves the short-lived view `Uint8Array.set` needs.
   */
  copy?(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, length: number): void;
}

/** How the rings copy bytes (Accelerators.copy, or the portable default in src/tcp/ring.ts). */
export type CopyBytes = (src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, length: number) => void;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A structured event: `event` is a short stable name, `fields` small scalars only. */
export type LogFields = Readonly<Record<string, string | number | boolean>>;

export interface Log {
  /** Cheap test so callers can skip building fields for a level nobody records. */
  enabled(level: LogLevel): boolean;
  log(level: LogLevel, event: string, fields?: LogFields): void;
}

/** A Log that records nothing. */
export const silentLog: Log = {
  enabled: () => false,
  log: () => {},
};

/**
 * What a platform drives: the Interface (src/iface/interface.ts) implements it. The platform
 * pushes received frames in with `input`, calls `poll` when `nextDeadline()` is due, and after
 * either of them asks `nextDeadline()` again to re-arm its one timer.
 */
export interface Driven {
  /** Hand one received frame (Ethernet II, no FCS) to the stack. The stack does not keep `frame`. */
  input(frame: Uint8Array, now: number): void;
  /** Fire every timer due at or before `now`. */
  poll(now: number): void;
  /** Absolute time (ms) of the earliest pending timer, or Infinity when none is pending. */
  nextDeadline(): number;
}
