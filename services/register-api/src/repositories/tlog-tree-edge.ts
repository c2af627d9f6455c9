import type { Kysely } from 'kysely';
import { nodeHash, nodeKey, type NodeId } from '@tizilim/shared/tlog/index';
import type { DB } from '../db/schema.js';
import type { TlogNodeCache } from './tlog-node-cache.js';

/**
 * The right edge of the tree of one size. A tree of n leaves is a row of complete subtrees, one
 * per bit set in n, largest first (n = 2^h0 + 2^h1 + …); they are stored nodes. The hashes a
 * proof needs that are not stored are all of one kind: MTH of the leaves from the start of
 * subtree j to the end of the tree (RFC 9162 splits every incomplete range there). There are as
 * many as bits in n, and the first is the root. Computed once per size, kept base64.
 */
export interface TreeEdge {
  readonly size: number;
  /** Height and first leaf of each complete subtree, left to right. */
  readonly heights: readonly number[];
  readonly starts: readonly number[];
  /** Each complete subtree's root (a stored node), base64. */
  readonly subtreeRoots: readonly string[];
  /** MTH(D[starts[j] : size]), base64: suffixes[0] is the tree's root. */
  readonly suffixes: readonly string[];
  readonly root: Buffer;
}

/** Tree sizes whose edge a process keeps: proofs ask for the latest checkpoints, mostly. */
const DEFAULT_SIZES = 256;

export class TlogTreeEdges {
  readonly #edges = new Map<number, TreeEdge>();
  readonly #pending = new Map<number, Promise<TreeEdge>>();

  constructor(readonly nodes: TlogNodeCache, private readonly maxSizes = DEFAULT_SIZES) {}

  /** The edge of the tree of `size` ≥ 1 leaves, all of which must be in the log. */
  edge(db: Kysely<DB>, size: number): TreeEdge | Promise<TreeEdge> {
    const hit = this.#edges.get(size);
    if (hit) return hit;
    let pending = this.#pending.get(size);
    if (!pending) {
      // Requests for one size while it is computed share the one read.
      pending = computeEdge(db, this.nodes, size).then(
        (edge) => { this.#remember(edge); this.#pending.delete(size); return edge; },
        (err: unknown) => { this.#pending.delete(size); throw err; },
      );
      this.#pending.set(size, pending);
    }
    return pending;
  }

  #remember(edge: TreeEdge): void {
    if (this.maxSizes <= 0) return;
    this.#edges.set(edge.size, edge);
    // Oldest first out: a size asked for again after 256 newer ones is cheap to recompute.
    while (this.#edges.size > this.maxSizes) this.#edges.delete(this.#edges.keys().next().value!);
  }
}

async function computeEdge(db: Kysely<DB>, nodes: TlogNodeCache, size: number): Promise<TreeEdge> {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`tlog: no edge for a tree of ${size}`);
  const heights: number[] = [];
  const starts: number[] = [];
  const ids: NodeId[] = [];
  let start = 0;
  for (let h = Math.floor(Math.log2(size)); h >= 0; h--) {
    if (Math.floor(size / 2 ** h) % 2 === 0) continue;
    heights.push(h);
    starts.push(start);
    ids.push({ level: h, index: start / 2 ** h });
    start += 2 ** h;
  }
  const read = await nodes.read(db, ids, size);
  const roots = ids.map((id) => {
    const hash = read.get(nodeKey(id.level, id.index));
    if (!hash) throw new Error(`tlog: node ${id.level}/${id.index} is not stored`);
    return hash;
  });
  const suffixes: Uint8Array[] = new Array(roots.length);
  let acc = roots[roots.length - 1]!;
  suffixes[roots.length - 1] = acc;
  for (let j = roots.length - 2; j >= 0; j--) suffixes[j] = acc = nodeHash(roots[j]!, acc);
  return {
    size,
    heights,
    starts,
    subtreeRoots: roots.map(b64),
    suffixes: suffixes.map(b64),
    root: Buffer.from(suffixes[0]!),
  };
}

const b64 = (hash: Uint8Array): string => Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('base64');
