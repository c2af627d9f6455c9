import {
  FLAG_RD, HEADER_SIZE, RCODE_FORMERR, RCODE_NOTIMP, RCODE_REFUSED, RCODE_SERVFAIL,
} from '../wire/constants.js';
import { readU32, writeResponseHeader, writeU32 } from '../wire/header.js';
import { BADVERS_OPT, plainOpt } from '../wire/opt-record.js';
import type { Answer, AnswerKind, Query, UpstreamResult } from './types.js';

/**
 * Answers we make from the query itself by editing its header in place: no copy, and the
 * question goes back exactly as asked.
 */

export const DROPPED: Answer = { kind: 'dropped', chunks: null };

/** Header only: when parsing failed, the question may be what is wrong. */
export function headerOnlyAnswer(q: Query, rcode: number, kind: AnswerKind): Answer {
  writeResponseHeader(q.buf, q.flags, rcode, 0, 0, 0, 0);
  return { kind, chunks: [q.buf.subarray(0, HEADER_SIZE)] };
}

export function formerr(q: Query): Answer {
  return headerOnlyAnswer(q, RCODE_FORMERR, 'formerr');
}

export function notimp(q: Query): Answer {
  return headerOnlyAnswer(q, RCODE_NOTIMP, 'notimp');
}

/** Question echoed, no records; an OPT when the client spoke EDNS (RFC 6891 7). */
export function questionOnlyAnswer(q: Query, rcode: number, kind: AnswerKind): Answer {
  writeResponseHeader(q.buf, q.flags, rcode, 1, 0, 0, q.hasEdns ? 1 : 0);
  const head = q.buf.subarray(0, q.questionEnd);
  return { kind, chunks: q.hasEdns ? [head, plainOpt(q.ednsDo)] : [head] };
}

export function servfail(q: Query): Answer {
  return questionOnlyAnswer(q, RCODE_SERVFAIL, 'servfail');
}

export function refused(q: Query): Answer {
  return questionOnlyAnswer(q, RCODE_REFUSED, 'refused');
}

/** RFC 6891 6.1.3: BADVERS is extended rcode 16, carried in our OPT; header rcode stays 0. */
export function badvers(q: Query): Answer {
  writeResponseHeader(q.buf, q.flags, 0, 1, 0, 0, 1);
  return { kind: 'formerr', chunks: [q.buf.subarray(0, q.questionEnd), BADVERS_OPT] };
}

/**
 * A stored upstream answer made this client's: its ID, its question case, its RD bit, and
 * every TTL lowered by the seconds the answer has spent with us. The stored buffer is
 * shared by every client, so this works on a copy.
 */
export function materialise(res: UpstreamResult, q: Query, ageSeconds: number, kind: AnswerKind): Answer {
  const src = res.wire;
  const out = Buffer.allocUnsafe(src.length);
  src.copy(out);
  out[0] = q.id >> 8;
  out[1] = q.id & 0xff;
  out[2] = (out[2]! & ~(FLAG_RD >> 8)) | ((q.flags & FLAG_RD) >> 8);
  q.buf.copy(out, HEADER_SIZE, HEADER_SIZE, q.questionEnd);
  if (ageSeconds > 0) {
    const offs = res.ttlOffsets;
    for (let k = 0; k < offs.length; k++) {
      const o = offs[k]!;
      const ttl = readU32(src, o);
      writeU32(out, o, ttl > ageSeconds ? ttl - ageSeconds : 0);
    }
  }
  return { kind, chunks: [out], source: res };
}
