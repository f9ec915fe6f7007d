// Classic libpcap capture files (the format tcpdump writes and Wireshark opens):
//
//   global header, 24 bytes: magic 0xa1b2c3d4 (microsecond timestamps), version 2.4,
//     thiszone 0, sigfigs 0, snaplen, network (LINKTYPE_ETHERNET = 1)
//   per record, 16 bytes: ts_sec, ts_usec, incl_len, orig_len; then incl_len bytes of frame
//
// All fields are written little-endian (readers recognise the byte order from the magic).
// Timestamps are virtual milliseconds (fractions allowed) plus an optional epoch offset, so a
// simulator run that starts at t=0 shows as 1970-01-01 00:00:00 unless `epochMs` says otherwise.
//
// A writer collects into memory (bounded by `maxBytes`; later frames are counted in `dropped`)
// and `writeFile(path)` saves it, or it streams each record straight to a file given as `path`.
// Either way it is a FrameRecorder, so `link.capture(writer)` records a simulated link.
//
// `readPcap` parses a file back (either byte order, micro- or nanosecond magic) for tests.

import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_GLOBAL_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;

export interface PcapWriterOptions {
  /** Longest frame prefix stored; longer frames are truncated (orig_len keeps the real size). */
  snaplen?: number;
  /** Added to every timestamp, ms since the Unix epoch (default 0). */
  epochMs?: number;
  /** Memory mode: most bytes kept (header included), default 64 MiB. */
  maxBytes?: number;
  /** Stream to this file instead of memory (created/truncated now; call close() at the end). */
  path?: string;
  /** Link type in the global header (default LINKTYPE_ETHERNET). */
  linktype?: number;
}

export class PcapWriter {
  readonly snaplen: number;
  readonly epochMs: number;
  readonly maxBytes: number;
  readonly linktype: number;
  /** Records written. */
  frames = 0;
  /** Records not kept because the memory limit was reached. */
  dropped = 0;
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private fd: number | undefined;
  private readonly path: string | undefined;
  private closed = false;

  constructor(options: PcapWriterOptions = {}) {
    this.snaplen = options.snaplen ?? 65535;
    this.epochMs = options.epochMs ?? 0;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.linktype = options.linktype ?? LINKTYPE_ETHERNET;
    if (!(Number.isInteger(this.snaplen) && this.snaplen >= 1 && this.snaplen <= 0x40000)) throw new RangeError(`snaplen out of range: ${this.snaplen}`);
    if (!Number.isFinite(this.epochMs) || this.epochMs < 0) throw new RangeError(`epochMs must be finite and >= 0, got ${this.epochMs}`);
    this.path = options.path;
    if (this.path !== undefined) this.fd = openSync(this.path, 'w');
    this.put(this.globalHeader());
  }

  private globalHeader(): Uint8Array {
    const header = new Uint8Array(PCAP_GLOBAL_HEADER_BYTES);
    const view = new DataView(header.buffer);
    view.setUint32(0, PCAP_MAGIC_USEC, true);
    view.setUint16(4, 2, true); // version_major
    view.setUint16(6, 4, true); // version_minor
    view.setInt32(8, 0, true); // thiszone: timestamps are UTC
    view.setUint32(12, 0, true); // sigfigs
    view.setUint32(16, this.snaplen, true);
    view.setUint32(20, this.linktype, true);
    return header;
  }

  private put(bytes: Uint8Array): void {
    if (this.fd !== undefined) {
      let written = 0;
      // writeSync may write less than asked; bounded because each round writes >= 1 byte or throws.
      for (let round = 0; written < bytes.length && round < bytes.length + 1; round++) {
        written += writeSync(this.fd, bytes, written, bytes.length - written);
      }
      if (written !== bytes.length) throw new Error(`pcap: short write to ${this.path}`);
    } else {
      this.chunks.push(bytes);
    }
    this.size += bytes.length;
  }

  /** Record one frame seen at virtual time `timeMs` (ms, fractions kept to the microsecond). */
  record(timeMs: number, frame: Uint8Array): void {
    if (this.closed) throw new Error('pcap: record() after close()');
    if (!(timeMs >= 0) || !Number.isFinite(timeMs)) throw new RangeError(`pcap: timestamp must be finite and >= 0, got ${timeMs}`);
    const included = Math.min(frame.length, this.snaplen);
    const recordBytes = PCAP_RECORD_HEADER_BYTES + included;
    if (this.fd === undefined && this.size + recordBytes > this.maxBytes) {
      this.dropped++;
      return;
    }
    const totalUsec = Math.round((this.epochMs + timeMs) * 1000);
    const seconds = Math.floor(totalUsec / 1_000_000);
    if (seconds > 0xffffffff) throw new RangeError('pcap: timestamp beyond 2106');
    const out = new Uint8Array(recordBytes);
    const view = new DataView(out.buffer);
    view.setUint32(0, seconds, true);
    view.setUint32(4, totalUsec - seconds * 1_000_000, true);
    view.setUint32(8, included, true);
    view.setUint32(12, frame.length, true);
    out.set(frame.subarray(0, included), PCAP_RECORD_HEADER_BYTES);
    this.put(out);
    this.frames++;
  }

  /** Bytes of the capture so far (header included). */
  get byteLength(): number {
    return this.size;
  }

  /** The whole capture as one buffer (memory mode only). */
  toBytes(): Uint8Array {
    if (this.fd !== undefined || this.path !== undefined) throw new Error('pcap: toBytes() is for in-memory writers; this one streams to a file');
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  /** Save an in-memory capture to `path`. */
  writeFile(path: string): void {
    writeFileSync(path, this.toBytes());
  }

  /** Finish a streaming writer (closes the file). Harmless for in-memory writers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading (for tests and tools)

export interface PcapHeader {
  readonly littleEndian: boolean;
  readonly nanosecond: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snaplen: number;
  readonly linktype: number;
}

export interface PcapRecord {
  readonly tsSec: number;
  /** Microseconds, or nanoseconds for a nanosecond file. */
  readonly tsFrac: number;
  /** The timestamp in ms since the epoch. */
  readonly timeMs: number;
  readonly origLen: number;
  readonly data: Uint8Array;
}

export interface PcapFile {
  readonly header: PcapHeader;
  readonly records: PcapRecord[];
}

/** Parse a classic pcap file. Throws on a bad magic or a truncated record. */
export function readPcap(bytes: Uint8Array, maxRecords = 10_000_000): PcapFile {
  if (bytes.length < PCAP_GLOBAL_HEADER_BYTES) throw new Error(`pcap: ${bytes.length} bytes is shorter than the global header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let littleEndian: boolean;
  let nanosecond: boolean;
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  if (le === PCAP_MAGIC_USEC || le === PCAP_MAGIC_NSEC) {
    littleEndian = true;
    nanosecond = le === PCAP_MAGIC_NSEC;
  } else if (be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC) {
    littleEndian = false;
    nanosecond = be === PCAP_MAGIC_NSEC;
  } else {
    throw new Error(`pcap: bad magic 0x${be.toString(16)}`);
  }
  const header: PcapHeader = {
    littleEndian,
    nanosecond,
    versionMajor: view.getUint16(4, littleEndian),
    versionMinor: view.getUint16(6, littleEndian),
    snaplen: view.getUint32(16, littleEndian),
    linktype: view.getUint32(20, littleEndian),
  };
  const records: PcapRecord[] = [];
  let offset = PCAP_GLOBAL_HEADER_BYTES;
  const fracPerSec = nanosecond ? 1e9 : 1e6;
  while (offset < bytes.length) {
    if (records.length >= maxRecords) throw new Error(`pcap: more than ${maxRecords} records`);
    if (offset + PCAP_RECORD_HEADER_BYTES > bytes.length) throw new Error(`pcap: truncated record header at byte ${offset}`);
    const tsSec = view.getUint32(offset, littleEndian);
    const tsFrac = view.getUint32(offset + 4, littleEndian);
    const inclLen = view.getUint32(offset + 8, littleEndian);
    const origLen = view.getUint32(offset + 12, littleEndian);
    if (tsFrac >= fracPerSec) throw new Error(`pcap: timestamp fraction ${tsFrac} out of range at byte ${offset}`);
    const start = offset + PCAP_RECORD_HEADER_BYTES;
    if (start + inclLen > bytes.length) throw new Error(`pcap: truncated record data at byte ${offset}`);
    records.push({
      tsSec,
      tsFrac,
      timeMs: tsSec * 1000 + (tsFrac * 1000) / fracPerSec,
      origLen,
      data: bytes.slice(start, start + inclLen),
    });
    offset = start + inclLen;
  }
  return { header, records };
}
