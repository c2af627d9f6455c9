/**
 * C2SP tlog-tiles §"Log Entries": an entry bundle is its entries in order, each as a
 * big-endian uint16 length followed by that many bytes (here: an entry's canonical body).
 */
export const MAX_BUNDLE_ENTRY = 0xffff;

export function encodeEntryBundle(entries: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const e of entries) {
    if (e.length > MAX_BUNDLE_ENTRY) throw new RangeError(`entry of ${e.length} bytes does not fit an entry bundle`);
    size += 2 + e.length;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const e of entries) {
    out.writeUInt16BE(e.length, at);
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

/** The entries of a bundle; throws when it is truncated or has bytes left over. */
export function decodeEntryBundle(data: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + 2 > data.length) throw new Error(`entry bundle truncated: length prefix cut at byte ${at}`);
    const length = (data[at]! << 8) | data[at + 1]!;
    if (at + 2 + length > data.length) throw new Error(`entry bundle truncated: entry ${entries.length} needs ${length} bytes, ${data.length - at - 2} left`);
    entries.push(data.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return entries;
}
