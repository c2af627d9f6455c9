import { NO_MATCH, type Matcher } from '@tizilim/shared';
import { isEnforced } from '../rules/rule-set.js';
import {
  HEADER_SIZE, MAX_NAME_WIRE, TYPE_A, TYPE_AAAA, TYPE_CNAME,
} from '../wire/constants.js';
import { skipName } from '../wire/parse-query.js';
import { readNameInto } from '../wire/read-name.js';

// The walk calls nothing that can re-enter it, so one set of scratch buffers serves every query.
const v4 = new Uint8Array(4);
const v6 = new Uint8Array(16);
const name = new Uint8Array(MAX_NAME_WIRE + 1);

/**
 * The first rule that an upstream answer runs into, or NO_MATCH: an A or AAAA record inside an
 * enforced IP/CIDR rule, or a CNAME whose target is an enforced name (the chain leads through
 * a restricted name, as RPZ's rpz-ip and CNAME-chain triggers do). Only the answer section
 * counts: authority and additional records are not what the client will connect to.
 * Walks the wire bytes by index and copies into module scratch buffers: no allocation.
 */
export function restrictedInAnswer(msg: Uint8Array, m: Matcher, now: number): number {
  const len = msg.length;
  if (len < HEADER_SIZE) return NO_MATCH;
  const qd = (msg[4]! << 8) | msg[5]!;
  const an = (msg[6]! << 8) | msg[7]!;
  if (an === 0) return NO_MATCH;
  let i = HEADER_SIZE;
  for (let n = 0; n < qd; n++) {
    i = skipName(msg, i);
    if (i < 0) return NO_MATCH;
    i += 4;
  }
  for (let n = 0; n < an; n++) {
    i = skipName(msg, i);
    if (i < 0 || i + 10 > len) return NO_MATCH;
    const type = (msg[i]! << 8) | msg[i + 1]!;
    const rdlen = (msg[i + 8]! << 8) | msg[i + 9]!;
    const rd = i + 10;
    if (rd + rdlen > len) return NO_MATCH;
    let h = NO_MATCH;
    if (type === TYPE_A && rdlen === 4) {
      v4[0] = msg[rd]!; v4[1] = msg[rd + 1]!; v4[2] = msg[rd + 2]!; v4[3] = msg[rd + 3]!;
      h = m.matchIp(v4);
    } else if (type === TYPE_AAAA && rdlen === 16) {
      for (let k = 0; k < 16; k++) v6[k] = msg[rd + k]!;
      h = m.matchIp(v6);
    } else if (type === TYPE_CNAME) {
      if (readNameInto(msg, rd, name) > 0) h = m.matchWireName(name, 0);
    }
    if (h !== NO_MATCH && isEnforced(m, h, now)) return h;
    i = rd + rdlen;
  }
  return NO_MATCH;
}
