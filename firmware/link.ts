// The raw-frame link: a host object implemented in C. firmware/native/xs_link.c holds the receive
// ring and the XS glue; link_wifi.c (Wi-Fi station, no esp_netif) or link_eth.c (esp_eth: the
// internal EMAC with a LAN87xx PHY, or a W5500 in MACRAW mode) is the driver, chosen at build time
// by SYNSTACK_LINK (see manifest.json and docs/esp32.md). One link per boot.
//
// Receive path: the driver task copies each frame into the ring, frees the driver's buffer at
// once, and posts one message to the XS task when the ring goes from empty to non-empty. The
// message calls `onReadable(frames)` on the XS task with the number of frames then waiting, which
// it reads; if more arrived meanwhile the native side posts the next message (so timers get a
// turn between batches; the work per message is bounded by the ring's size). A frame that finds
// the ring full is dropped and counted (statistics: overflows).
//
// The class follows the Native API pattern of Moddable's own modules (e.g. instrumentation.js):
// each method is only `return native("...").call(this, ...)`, which xsc compiles to a direct host
// call. Preloading the module only defines the class; nothing native runs at build time.

import type { FrameLink } from './link-types';

export interface RawLinkOptions {
  /** Wi-Fi station credentials (Ethernet builds ignore them). An empty password joins an open network. */
  ssid?: string;
  password?: string;
  /** On the XS task: `frames` frames are waiting; read() them (see link-types.ts). */
  onReadable(frames: number): void;
  /** On the XS task: Wi-Fi associated / Ethernet carrier up (true), or lost (false). */
  onLinkChange(up: boolean): void;
}

export default class RawLink extends Native('xs_synstack_link_destructor') implements FrameLink {
  /** Start the driver (Wi-Fi: init, connect; Ethernet: install, start). Throws if already open. */
  constructor(options: RawLinkOptions) {
    super();
    native('xs_synstack_link').call(this, options);
  }
  /** Copy the oldest received frame into `buffer`; its length, or 0 when none is waiting. */
  read(buffer: Uint8Array): number {
    return native('xs_synstack_link_read').call(this, buffer);
  }
  /** Transmit one Ethernet II frame (copied by the driver); false if the driver refused it. */
  send(frame: Uint8Array): boolean {
    return native('xs_synstack_link_send').call(this, frame);
  }
  /** Write the 6-byte MAC address into `into`. */
  getMAC(into: Uint8Array): void {
    native('xs_synstack_link_get_mac').call(this, into);
  }
  /** Write the LINK_STATISTICS counters (link-types.ts), little-endian uint32 each, into `into`. */
  getStatistics(into: Uint8Array): void {
    native('xs_synstack_link_get_statistics').call(this, into);
  }
  /** 'wifi', 'emac' or 'w5500'. */
  get kind(): string {
    return native('xs_synstack_link_get_kind').call(this);
  }
  /** Is the link up (associated / carrier)? */
  get up(): boolean {
    return native('xs_synstack_link_get_up').call(this);
  }
  /** Stop receiving and release the driver. */
  close(): void {
    native('xs_synstack_link_close').call(this);
  }
}
Object.freeze(RawLink.prototype);
