import {
  CLASSIC_UDP_SIZE, FLAG_CD, FLAG_QR, HEADER_SIZE, MAX_NAME_WIRE, OPCODE_QUERY, TYPE_OPT,
} from './constants.js';
import type { Query } from '../pipeline/types.js';

/** Outcome of reading a query; the numbers keep the hot path free of allocations. */
export const PARSE_OK = 0;
/** Too short to carry a header, or a response: nothing safe to answer. */
export const PARSE_DROP = 1;
export const PARSE_FORMERR = 2;
export const PARSE_NOTIMP = 3;
/** EDNS version other than 0 (RFC 6891 6.1.3). */
export const PARSE_BADVERS = 4;
export type ParseStatus = 0 | 1 | 2 | 3 | 4;

/**
 * Reads header, question and the OPT record of a query in place. The question must be the
 * only one and its name uncompressed (nothing precedes it to point at); other sections are
 * walked only to find OPT, which is why compression is allowed there.
 */
export function parseQuery(q: Query): ParseStatus {
  const buf = q.buf;
  const len = buf.length;
  if (len < HEADER_SIZE) return PARSE_DROP;
  const flags = (buf[2]! << 8) | buf[3]!;
  q.id = (buf[0]! << 8) | buf[1]!;
  q.flags = flags;
  if (flags & FLAG_QR) return PARSE_DROP;
  if (((flags >> 11) & 0xf) !== OPCODE_QUERY) return PARSE_NOTIMP;
  const qd = (buf[4]! << 8) | buf[5]!;
  const an = (buf[6]! << 8) | buf[7]!;
  const ns = (buf[8]! << 8) | buf[9]!;
  const ar = (buf[10]! << 8) | buf[11]!;
  if (qd !== 1) return PARSE_FORMERR;

  let i = HEADER_SIZE;
  for (;;) {
    if (i >= len) return PARSE_FORMERR;
    const l = buf[i]!;
    if (l === 0) break;
    if (l > 63) return PARSE_FORMERR;
    if (i + 1 + l - HEADER_SIZE >= MAX_NAME_WIRE) return PARSE_FORMERR;
    if (i + 1 + l > len) return PARSE_FORMERR;
    i += l + 1;
  }
  i += 1;
  if (i + 4 > len) return PARSE_FORMERR;
  q.qtype = (buf[i]! << 8) | buf[i + 1]!;
  q.qclass = (buf[i + 2]! << 8) | buf[i + 3]!;
  i += 4;
  q.questionEnd = i;

  // Answer and authority are unusual in a query but legal; skip them to reach OPT.
  for (let n = an + ns; n > 0; n--) {
    i = skipRecord(buf, i);
    if (i < 0) return PARSE_FORMERR;
  }
  let status: ParseStatus = PARSE_OK;
  q.hasEdns = false;
  q.ednsDo = false;
  for (let n = ar; n > 0; n--) {
    const start = i;
    i = skipName(buf, i);
    if (i < 0 || i + 10 > len) return PARSE_FORMERR;
    const type = (buf[i]! << 8) | buf[i + 1]!;
    const rdlen = (buf[i + 8]! << 8) | buf[i + 9]!;
    if (type === TYPE_OPT) {
      // RFC 6891 6.1.1: one OPT, owned by the root.
      if (q.hasEdns || i !== start + 1) return PARSE_FORMERR;
      q.hasEdns = true;
      const size = (buf[i + 2]! << 8) | buf[i + 3]!;
      if (q.transport === 'udp') q.maxSize = size < CLASSIC_UDP_SIZE ? CLASSIC_UDP_SIZE : size;
      if (buf[i + 5] !== 0) status = PARSE_BADVERS;
      q.ednsDo = (buf[i + 6]! & 0x80) !== 0;
    }
    i += 10 + rdlen;
    if (i > len) return PARSE_FORMERR;
  }

  return status;
}

/**
 * The flags that separate answers to the same question: EDNS presence (an OPT must not reach
 * a client that sent none), DO (DNSSEC records) and CD (unvalidated). Part of the cache key.
 */
export function keyFlags(q: Query): number {
  return (q.hasEdns ? 1 : 0) | (q.ednsDo ? 2 : 0) | (q.flags & FLAG_CD ? 4 : 0);
}

/** Offset after a possibly compressed name, or -1. */
export function skipName(buf: Uint8Array, i: number): number {
  const len = buf.length;
  let total = 0;
  for (;;) {
    if (i >= len) return -1;
    const l = buf[i]!;
    if (l === 0) return i + 1;
    if ((l & 0xc0) === 0xc0) return i + 2 <= len ? i + 2 : -1;
    if (l > 63) return -1;
    total += l + 1;
    if (total >= MAX_NAME_WIRE) return -1;
    i += l + 1;
  }
}

/** Offset after a whole resource record, or -1. */
export function skipRecord(buf: Uint8Array, i: number): number {
  i = skipName(buf, i);
  if (i < 0 || i + 10 > buf.length) return -1;
  const end = i + 10 + ((buf[i + 8]! << 8) | buf[i + 9]!);
  return end <= buf.length ? end : -1;
}
