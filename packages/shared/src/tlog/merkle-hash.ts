import { createHash } from 'node:crypto';

/**
 * RFC 9162 §2.1.1: leaf hash SHA-256(0x00 ‖ data), interior node SHA-256(0x01 ‖ left ‖ right).
 * The prefixes keep a leaf from ever hashing like an interior node (second-preimage defence).
 */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** RFC 9162 §2.1.1: the hash of an empty tree is the hash of the empty string. */
export function emptyTreeHash(): Buffer {
  return createHash('sha256').digest();
}

/** The largest power of two strictly smaller than n (n ≥ 2): the split point k of RFC 9162 §2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && Number.isSafeInteger(n) && 2 ** Math.round(Math.log2(n)) === n;
}
