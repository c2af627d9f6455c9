import { CLASS_IN, TYPE_A, TYPE_AAAA, TYPE_SOA } from './constants.js';

/** Seconds resolvers behind us keep a blocked answer: short, so an unblock shows quickly. */
export const BLOCK_TTL = 60;

const SOA_MNAME = encodeName('tizilim.invalid');
const SOA_RNAME = encodeName('hostmaster.tizilim.invalid');

/**
 * The SOA for negative blocked answers. Its owner is a pointer to the question name (offset
 * 12) rather than a fixed `rpz.tizilim.`: resolvers (Unbound, BIND) only take a negative
 * answer's SOA for caching when its owner is the queried name or one of its ancestors, and
 * the real zone apex is unknown to us, so the queried name is the one owner that is always
 * in bailiwick. TTL and MINIMUM are both BLOCK_TTL, the RFC 2308 negative TTL.
 * MNAME/RNAME are under `.invalid` (RFC 6761) so nothing ever tries to reach them.
 */
export function buildSoaRecord(serial: number): Buffer {
  const rdlen = SOA_MNAME.length + SOA_RNAME.length + 20;
  const b = Buffer.alloc(12 + rdlen);
  b.writeUInt16BE(0xc00c, 0);
  b.writeUInt16BE(TYPE_SOA, 2);
  b.writeUInt16BE(CLASS_IN, 4);
  b.writeUInt32BE(BLOCK_TTL, 6);
  b.writeUInt16BE(rdlen, 10);
  let i = 12;
  SOA_MNAME.copy(b, i); i += SOA_MNAME.length;
  SOA_RNAME.copy(b, i); i += SOA_RNAME.length;
  b.writeUInt32BE(serial >>> 0, i);
  b.writeUInt32BE(3600, i + 4); // refresh
  b.writeUInt32BE(600, i + 8); // retry
  b.writeUInt32BE(86400, i + 12); // expire
  b.writeUInt32BE(BLOCK_TTL, i + 16); // minimum = negative TTL
  return b;
}

/** A or AAAA of the block page, owned by the question name (pointer to offset 12). */
export function buildAddressRecord(addr: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + addr.length);
  b.writeUInt16BE(0xc00c, 0);
  b.writeUInt16BE(addr.length === 4 ? TYPE_A : TYPE_AAAA, 2);
  b.writeUInt16BE(CLASS_IN, 4);
  b.writeUInt32BE(BLOCK_TTL, 6);
  b.writeUInt16BE(addr.length, 10);
  b.set(addr, 12);
  return b;
}

/** Text name to uncompressed wire form; cold path (records built once). */
export function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new Error(`label too long in ${name}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new Error(`name too long: ${name}`);
  return out;
}
