// The buffers ECMA-419 sockets accept (ArrayBuffer, SharedArrayBuffer, typed arrays, DataView),
// seen as bytes without copying.

export type BufferSource = ArrayBuffer | SharedArrayBuffer | ArrayBufferView;

/** A byte view of `value`, or null when it is not a buffer. */
export function asBytes(value: unknown): Uint8Array | null {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return null;
}
