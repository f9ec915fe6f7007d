// What the firmware program needs of a raw-frame link: RawLink (link.ts, native) on the device,
// a simulated one on the host (hosttest/firmware). Portable: no Moddable modules, no Native API.

export interface LinkHandlers {
  /**
   * Frames are waiting (`frames` of them when the message was delivered): read() that many, or
   * until read() returns 0. Frames that arrive meanwhile bring another call.
   */
  onReadable(frames: number): void;
  /** Wi-Fi associated / Ethernet carrier up (true), or lost (false). */
  onLinkChange(up: boolean): void;
}

export interface FrameLink {
  read(buffer: Uint8Array): number;
  send(frame: Uint8Array): boolean;
  getMAC(into: Uint8Array): void;
  getStatistics(into: Uint8Array): void;
  readonly kind: string;
  readonly up: boolean;
  close(): void;
}

/**
 * Names of the 32-bit counters getStatistics() writes, in order (little-endian uint32 each); keep
 * in step with the order in firmware/native/xs_link.c (xs_synstack_link_get_statistics).
 */
export const LINK_STATISTICS = Object.freeze([
  'framesIn', 'framesOut', 'overflows', 'oversize', 'truncated', 'posts', 'postFailures', 'ringHighWater',
  'ringUsed', 'ringBytes', 'txFrames', 'txFailures', 'linkUps', 'linkDowns',
] as const);
export type LinkStatistic = (typeof LINK_STATISTICS)[number];
export type LinkStatistics = Record<LinkStatistic, number>;

export const LINK_STATISTICS_BYTES = LINK_STATISTICS.length * 4;

/** Decode what getStatistics() wrote. */
export function decodeLinkStatistics(bytes: Uint8Array): LinkStatistics {
  const out = {} as LinkStatistics;
  for (let i = 0; i < LINK_STATISTICS.length; i++) {
    const o = i * 4;
    out[LINK_STATISTICS[i]!] = (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)) >>> 0;
  }
  return out;
}
