import { readVarint, varintLength } from './varint.js';

/**
 * One long-header packet inside a datagram (RFC 9000 §17.2), read up to its protected packet
 * number. Only Initial packets (§17.2.2) carry a token; a datagram may hold several packets
 * back to back (coalesced, §12.2), each with its own Length.
 */
export interface LongHeader {
  version: number;
  /** Bits 4–5 of the first byte; what they mean depends on the version. */
  typeBits: number;
  dcidStart: number;
  dcidLength: number;
  /** Where the (protected) packet number starts. */
  pnOffset: number;
  /** End of this packet in the datagram (pnOffset + Length). */
  end: number;
}

/** RFC 9000 §17.2: connection IDs are at most 20 bytes in v1; older drafts allowed 18. */
const MAX_CID = 20;

export type HeaderResult = LongHeader | 'short_header' | 'truncated' | 'bad_cid';

/**
 * Reads the long header at `start`. `isInitial` says whether this version's type bits mean
 * Initial, so the token is read only where it exists. Version-specific parts (after the
 * connection IDs) are read only for versions the caller knows; pass `undefined` to stop there.
 */
export function readLongHeader(b: Uint8Array, start: number, end: number, initialType: number | undefined): HeaderResult {
  if (start >= end) return 'truncated';
  const first = b[start]!;
  if ((first & 0x80) === 0) return 'short_header';
  if (start + 7 > end) return 'truncated';
  const version = ((b[start + 1]! << 24) | (b[start + 2]! << 16) | (b[start + 3]! << 8) | b[start + 4]!) >>> 0;
  const dcidLength = b[start + 5]!;
  if (dcidLength > MAX_CID) return 'bad_cid';
  const dcidStart = start + 6;
  let p = dcidStart + dcidLength;
  if (p >= end) return 'truncated';
  const scidLength = b[p]!;
  if (scidLength > MAX_CID) return 'bad_cid';
  p += 1 + scidLength;
  const typeBits = (first >> 4) & 0x03;
  const header: LongHeader = { version, typeBits, dcidStart, dcidLength, pnOffset: 0, end: 0 };
  if (initialType === undefined) return header;
  if (typeBits === initialType) {
    const tokenLength = readVarint(b, p, end);
    if (tokenLength < 0) return 'truncated';
    p += varintLength(b[p]!) + tokenLength;
  } else if (typeBits === ((initialType + 3) & 3)) {
    // Retry (type 3 in v1, 0 in v2) has no Length field: it is the rest of the datagram, and
    // only servers send it.
    header.pnOffset = p;
    header.end = end;
    return header;
  }
  const length = readVarint(b, p, end);
  if (length < 0) return 'truncated';
  p += varintLength(b[p]!);
  if (p + length > end) return 'truncated';
  header.pnOffset = p;
  header.end = p + length;
  return header;
}
