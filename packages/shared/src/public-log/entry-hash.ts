import { createHash } from 'node:crypto';
import type { LogEntryBody } from '../public-log-types.js';
import { canonicalJson } from './canonical-json.js';
import { logEntryBodyOf } from './log-entry-body.js';

/** Lower-case hex SHA-256, the only spelling of a hash the log accepts. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * hex SHA-256( 32 raw bytes of prevHash ‖ UTF-8 of canonicalJson(body) ).
 * Extra properties of `body` (such as `prevHash`/`hash` of a whole entry) are not hashed.
 */
export function entryHash(prevHash: string, body: LogEntryBody): string {
  // Buffer.from(hex) silently stops at the first non-hex character, which would hash a
  // shorter prefix instead of failing.
  if (!SHA256_HEX.test(prevHash)) throw new TypeError('entryHash: prevHash must be 64 lower-case hex digits');
  return createHash('sha256')
    .update(Buffer.from(prevHash, 'hex'))
    .update(canonicalJson(logEntryBodyOf(body)), 'utf8')
    .digest('hex');
}
