import { HASH_SIZE, isPowerOfTwo, nodeHash } from './merkle-hash.js';
import { rangeHash, type NodeReader } from './stored-nodes.js';

/**
 * RFC 9162 §2.1.4.1: PROOF(m, D[n]) = SUBPROOF(m, D[n], true), the consistency proof from the
 * tree of m leaves to the tree of n. Empty when m = 0 or m = n (tlog-witness expects an empty
 * proof from size 0). Same order as Go's tlog.TreeProof.
 */
export function consistencyPath(read: NodeReader, oldSize: number, newSize: number): Uint8Array[] {
  if (!(oldSize >= 0 && oldSize <= newSize)) throw new RangeError(`no consistency proof from ${oldSize} to ${newSize}`);
  const path: Uint8Array[] = [];
  if (oldSize === 0 || oldSize === newSize) return path;
  subproof(read, oldSize, 0, newSize, true, path);
  return path;
}

function subproof(read: NodeReader, m: number, start: number, end: number, known: boolean, out: Uint8Array[]): void {
  if (start + m === end) {
    if (!known) out.push(rangeHash(read, start, end));
    return;
  }
  let k = 1;
  while (k * 2 < end - start) k *= 2;
  if (m <= k) {
    subproof(read, m, start, start + k, known, out);
    out.push(rangeHash(read, start + k, end));
  } else {
    subproof(read, m - k, start + k, end, false, out);
    out.push(rangeHash(read, start, start + k));
  }
}

/**
 * RFC 9162 §2.1.4.2: true when `path` proves that the tree of `oldSize` leaves with root
 * `oldRoot` is a prefix of the tree of `newSize` leaves with root `newRoot`.
 */
export function verifyConsistency(oldSize: number, newSize: number, oldRoot: Uint8Array, newRoot: Uint8Array, path: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false;
  if (path.some((p) => p.length !== HASH_SIZE)) return false;
  if (oldSize === 0) return path.length === 0;
  if (oldSize === newSize) return path.length === 0 && Buffer.compare(oldRoot, newRoot) === 0;
  const proof = isPowerOfTwo(oldSize) ? [oldRoot, ...path] : [...path];
  if (proof.length === 0) return false;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = proof[0]!;
  let sr: Uint8Array = proof[0]!;
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return Buffer.compare(fr, oldRoot) === 0 && Buffer.compare(sr, newRoot) === 0 && sn === 0;
}
