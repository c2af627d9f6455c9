import { nodeHash, splitPoint } from './merkle-hash.js';

/**
 * The register stores only complete subtrees: node (level, index) is the root of leaves
 * [index·2^level, (index+1)·2^level). Every hash a proof needs (RFC 9162 §2.1.3, §2.1.4) is
 * MTH of some range [start, end) with start aligned; a range that is not itself complete is
 * folded from the complete ones it splits into, so any proof costs O(log n) stored reads.
 */
export interface NodeId {
  level: number;
  index: number;
}

/** Reads a stored node's hash; proofs are computed twice: once to learn the ids, once with them. */
export type NodeReader = (level: number, index: number) => Uint8Array;

/** MTH(D[start:end]) from stored complete subtrees (RFC 9162 §2.1.1's recursion, split at k). */
export function rangeHash(read: NodeReader, start: number, end: number): Uint8Array {
  const size = end - start;
  const level = Math.log2(size);
  if (Number.isInteger(level) && start % size === 0) return read(level, start / size);
  const k = splitPoint(size);
  return nodeHash(rangeHash(read, start, start + k), rangeHash(read, start + k, end));
}

/** The root of the tree of `size` leaves (size ≥ 1). */
export function treeRoot(read: NodeReader, size: number): Uint8Array {
  return rangeHash(read, 0, size);
}

/**
 * Runs `compute` with a reader that records which nodes it asks for (answering zeros), so a
 * caller can fetch exactly those in one query and run `compute` again with the real reader.
 */
export function nodesNeeded(compute: (read: NodeReader) => unknown): NodeId[] {
  const seen = new Map<string, NodeId>();
  const zero = new Uint8Array(32);
  compute((level, index) => {
    seen.set(`${level}/${index}`, { level, index });
    return zero;
  });
  return [...seen.values()];
}

/** A reader over fetched nodes; a node that was not fetched is a bug in the caller, so it throws. */
export function readerOf(nodes: ReadonlyMap<string, Uint8Array>): NodeReader {
  return (level, index) => {
    const hash = nodes.get(`${level}/${index}`);
    if (!hash) throw new Error(`tlog: node ${level}/${index} is not stored`);
    return hash;
  };
}

export const nodeKey = (level: number, index: number): string => `${level}/${index}`;
