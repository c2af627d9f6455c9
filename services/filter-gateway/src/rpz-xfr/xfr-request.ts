import { TYPE_SOA, TYPE_TSIG } from './xfr-constants.js';
import { WireError, readName, skipName } from './wire-names.js';

/** What the primary needs from a query (RFC 1035 §4.1), read by index without building records. */
export interface XfrRequest {
  id: number;
  opcode: number;
  qname: string;
  qtype: number;
  qclass: number;
  /** The question's bytes as sent, copied into every answer (RFC 5936 §2.2.1). */
  question: Uint8Array;
  /** IXFR: the serial of the SOA the client holds (RFC 1995 §3). */
  clientSerial?: number;
  /** Where the TSIG record starts, when the query carries one as its last record. */
  tsigStart?: number;
}

/**
 * Parses a query. Throws WireError for anything malformed: one question, counts that match
 * the bytes, a TSIG only as the very last record (RFC 8945 §5.1). Responses (QR set) are
 * refused by the caller before this, so a reflected answer cannot start a loop.
 */
export function parseXfrRequest(buf: Uint8Array): XfrRequest {
  if (buf.length < 12) throw new WireError('shorter than a DNS header');
  const id = (buf[0]! << 8) | buf[1]!;
  const opcode = (buf[2]! >> 3) & 0x0f;
  const qd = (buf[4]! << 8) | buf[5]!;
  const an = (buf[6]! << 8) | buf[7]!;
  const ns = (buf[8]! << 8) | buf[9]!;
  const ar = (buf[10]! << 8) | buf[11]!;
  if (qd !== 1) throw new WireError(`${qd} questions, not 1`);
  const q = readName(buf, 12);
  if (q.end + 4 > buf.length) throw new WireError('question runs past the message');
  const qtype = (buf[q.end]! << 8) | buf[q.end + 1]!;
  const qclass = (buf[q.end + 2]! << 8) | buf[q.end + 3]!;
  const req: XfrRequest = { id, opcode, qname: q.name, qtype, qclass, question: buf.subarray(12, q.end + 4) };
  let off = q.end + 4;
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const start = off;
    off = skipName(buf, off);
    if (off + 10 > buf.length) throw new WireError('record runs past the message');
    const type = (buf[off]! << 8) | buf[off + 1]!;
    const rdlen = (buf[off + 8]! << 8) | buf[off + 9]!;
    const rdata = off + 10;
    off = rdata + rdlen;
    if (off > buf.length) throw new WireError('record data runs past the message');
    if (type === TYPE_TSIG) {
      if (i !== total - 1) throw new WireError('TSIG is not the last record');
      req.tsigStart = start;
    } else if (type === TYPE_SOA && i >= an && i < an + ns && req.clientSerial === undefined) {
      const serialAt = skipName(buf, skipName(buf, rdata));
      if (serialAt + 20 > off) throw new WireError('SOA data too short');
      req.clientSerial = ((buf[serialAt]! << 24) | (buf[serialAt + 1]! << 16) | (buf[serialAt + 2]! << 8) | buf[serialAt + 3]!) >>> 0;
    }
  }
  if (off !== buf.length) throw new WireError('bytes after the last record');
  return req;
}
