import { HEADER_SIZE, MAX_NAME_WIRE } from '../wire/constants.js';
import { keyFlags } from '../wire/parse-query.js';
import type { Query } from '../pipeline/types.js';

/**
 * Room for the longest question (name, type, class) and the flags byte. One buffer per process,
 * allocated outside Node's pool: the key is copied out of it as a string at once, so nothing
 * ever holds a view of it.
 */
const scratch = Buffer.allocUnsafeSlow(MAX_NAME_WIRE + 8);

/**
 * The exact identity of a question, as a string: the name with ASCII letters lower-cased (DNS
 * names compare case-insensitively, other bytes exactly), type, class and the flags that change
 * the answer (see keyFlags). A string, not a Buffer: it lives on the V8 heap, keys a Map by
 * content (no hash collisions to check) and cannot pin one of Node's 8 KiB pool slabs the way a
 * small Buffer kept in a long-lived cache does.
 */
export function questionKey(q: Query): string {
  const buf = q.buf;
  const end = q.questionEnd;
  const nameEnd = end - 4;
  let n = 0;
  for (let i = HEADER_SIZE; i < end; i++) {
    let c = buf[i]!;
    if (i < nameEnd && c >= 0x41 && c <= 0x5a) c |= 0x20;
    scratch[n++] = c;
  }
  scratch[n++] = keyFlags(q);
  return scratch.toString('latin1', 0, n);
}
