import { HEADER_SIZE, TYPE_A, TYPE_AAAA } from './constants.js';
import { readU16 } from './header.js';
import { skipName, skipRecord } from './parse-query.js';

/** A and AAAA addresses in the answer section as text; cold path (resolveAddresses). */
export function readAddresses(msg: Uint8Array): string[] {
  if (msg.length < HEADER_SIZE) return [];
  const qd = readU16(msg, 4);
  const an = readU16(msg, 6);
  let i = HEADER_SIZE;
  for (let n = 0; n < qd; n++) {
    i = skipName(msg, i);
    if (i < 0) return [];
    i += 4;
  }
  const out: string[] = [];
  for (let n = 0; n < an; n++) {
    const start = skipName(msg, i);
    if (start < 0 || start + 10 > msg.length) break;
    const type = readU16(msg, start);
    const rdlen = readU16(msg, start + 8);
    const rd = start + 10;
    if (type === TYPE_A && rdlen === 4) out.push(Array.from(msg.subarray(rd, rd + 4)).join('.'));
    if (type === TYPE_AAAA && rdlen === 16) {
      const groups: string[] = [];
      for (let g = 0; g < 16; g += 2) groups.push(readU16(msg, rd + g).toString(16));
      out.push(compressV6(groups));
    }
    i = skipRecord(msg, i);
    if (i < 0) break;
  }
  return out;
}

function compressV6(groups: string[]): string {
  let best = -1; let bestLen = 0;
  for (let k = 0; k < 8;) {
    if (groups[k] !== '0') { k++; continue; }
    let e = k;
    while (e < 8 && groups[e] === '0') e++;
    if (e - k > bestLen && e - k > 1) { best = k; bestLen = e - k; }
    k = e;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
