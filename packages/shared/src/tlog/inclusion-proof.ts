import { HASH_SIZE, nodeHash } from './merkle-hash.js';
import { rangeHash, type NodeReader } from './stored-nodes.js';

/**
 * RFC 9162 §2.1.3.1: PATH(m, D[n]), the audit path of leaf m in the tree of n leaves, leaf
 * side first. This is also the order of Go's tlog.RecordProof (RFC 6962 §2.1.1).
 */
export function inclusionPath(read: NodeReader, leafIndex: number, treeSize: number): Uint8Array[] {
  if (!(leafIndex >= 0 && leafIndex < treeSize)) throw new RangeError(`leaf ${leafIndex} is not in a tree of ${treeSize}`);
  const path: Uint8Array[] = [];
  walk(read, leafIndex, 0, treeSize, path);
  return path;
}

function walk(read: NodeReader, m: number, start: number, end: number, out: Uint8Array[]): void {
  if (end - start === 1) return;
  let k = 1;
  while (k * 2 < end - start) k *= 2;
  if (m < start + k) {
    walk(read, m, start, start + k, out);
    out.push(rangeHash(read, start + k, end));
  } else {
    walk(read, m, start + k, end, out);
    out.push(rangeHash(read, start, start + k));
  }
}

/**
 * RFC 9162 §2.1.3.2: true when `path` proves leaf `leafIndex` with hash `leaf` is in the tree
 * of `treeSize` leaves whose root is `root`. Never throws on malformed input.
 */
export function verifyInclusion(leafIndex: number, treeSize: number, leaf: Uint8Array, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) return false;
  if (leaf.length !== HASH_SIZE || root.length !== HASH_SIZE) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Uint8Array = leaf;
  for (const p of path) {
    if (p.length !== HASH_SIZE || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.compare(r, root) === 0;
}
