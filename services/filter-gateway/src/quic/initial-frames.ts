import { readVarint, varintLength } from './varint.js';
import type { CryptoStream } from './crypto-stream.js';

/**
 * Walks the frames of a decrypted Initial payload (RFC 9000 §12.4, Table 3: an Initial may
 * carry only PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE of type 0x1c) and feeds CRYPTO
 * data to the stream. Anything else in an Initial is a PROTOCOL_VIOLATION (§17.2.2), so the
 * packet is not trusted.
 */
export type FramesResult = 'ok' | 'malformed' | 'too_large' | 'conflict' | 'connection_close';

const PADDING = 0x00;
const PING = 0x01;
const ACK = 0x02;
const ACK_ECN = 0x03;
const CRYPTO = 0x06;
const CONNECTION_CLOSE = 0x1c;

export function readInitialFrames(b: Uint8Array, stream: CryptoStream): FramesResult {
  const end = b.length;
  let p = 0;
  let closed = false;
  while (p < end) {
    const type = b[p]!;
    if (type === PADDING) {
      // Padding runs are long (an Initial is padded to 1200 bytes): skip them in one loop.
      p++;
      while (p < end && b[p] === 0) p++;
      continue;
    }
    p++;
    if (type === PING) continue;
    if (type === CRYPTO) {
      const offset = readVarint(b, p, end);
      if (offset < 0) return 'malformed';
      p += varintLength(b[p]!);
      const length = readVarint(b, p, end);
      if (length < 0) return 'malformed';
      p += varintLength(b[p]!);
      if (p + length > end) return 'malformed';
      const added = stream.add(offset, b.subarray(p, p + length));
      if (added !== 'ok') return added;
      p += length;
      continue;
    }
    if (type === ACK || type === ACK_ECN) {
      // Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range, then ranges (§19.3).
      const fields = [0, 0, 0, 0];
      for (let i = 0; i < 4; i++) {
        const v = readVarint(b, p, end);
        if (v < 0) return 'malformed';
        fields[i] = v;
        p += varintLength(b[p]!);
      }
      const ranges = fields[2]!;
      if (ranges > end) return 'malformed';
      const more = ranges * 2 + (type === ACK_ECN ? 3 : 0);
      for (let i = 0; i < more; i++) {
        if (readVarint(b, p, end) < 0) return 'malformed';
        p += varintLength(b[p]!);
      }
      continue;
    }
    if (type === CONNECTION_CLOSE) {
      // Error Code, Frame Type, Reason Phrase Length, Reason Phrase (§19.19).
      for (let i = 0; i < 2; i++) {
        if (readVarint(b, p, end) < 0) return 'malformed';
        p += varintLength(b[p]!);
      }
      const len = readVarint(b, p, end);
      if (len < 0) return 'malformed';
      p += varintLength(b[p]!) + len;
      if (p > end) return 'malformed';
      closed = true;
      continue;
    }
    return 'malformed';
  }
  return closed ? 'connection_close' : 'ok';
}
