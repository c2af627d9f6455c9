import { HEADER_SIZE } from '../wire/constants.js';
import { keyFlags } from '../wire/parse-query.js';
import type { Query } from '../pipeline/types.js';

/**
 * The exact identity behind a query's keyHash: lower-cased name, type, class and key flags.
 * Built only when something is stored (cold); compared against a live query without
 * allocating, so a hash collision is a miss and never a wrong answer.
 */
export function makeQuestionKey(q: Query): Buffer {
  const nameEnd = q.questionEnd - 4;
  const key = Buffer.allocUnsafe(q.questionEnd - HEADER_SIZE + 1);
  for (let i = HEADER_SIZE; i < q.questionEnd; i++) {
    let c = q.buf[i]!;
    if (i < nameEnd && c >= 0x41 && c <= 0x5a) c |= 0x20;
    key[i - HEADER_SIZE] = c;
  }
  key[key.length - 1] = keyFlags(q);
  return key;
}

export function questionKeyMatches(key: Uint8Array, q: Query): boolean {
  const n = q.questionEnd - HEADER_SIZE;
  if (key.length !== n + 1 || key[n] !== keyFlags(q)) return false;
  const buf = q.buf;
  const nameEnd = q.questionEnd - 4;
  for (let i = HEADER_SIZE; i < q.questionEnd; i++) {
    let c = buf[i]!;
    if (i < nameEnd && c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (key[i - HEADER_SIZE] !== c) return false;
  }
  return true;
}
