import type { Kysely } from 'kysely';
import type { NodeId } from '@tizilim/shared/tlog/index';
import type { DB } from '../db/schema.js';
import type { TlogTreeEdges } from './tlog-tree-edge.js';
import { nodeNumber } from './tlog-node-cache.js';

/**
 * RFC 9162 §2.1.3.1 PATH(m, D[n]) from a process's caches, computed once (no first pass to learn
 * which nodes it needs). Leaf m lies in complete subtree j of the tree's edge (see TreeEdge); its
 * path is, leaf side first:
 *  1. the siblings inside that subtree (stored nodes: one cached tile, plus nodes of height ≥ 8);
 *  2. MTH of everything right of the subtree (the edge's suffix j + 1), unless it is the last;
 *  3. the roots of the complete subtrees left of it, nearest first.
 * Equal to `inclusionPath` over stored nodes (test/…/tlog-proof-cache.test.ts checks it).
 */
export async function cachedInclusion(db: Kysely<DB>, edges: TlogTreeEdges, leafIndex: number, size: number): Promise<{ rootHash: string; hashes: string[] }> {
  const edge = await edges.edge(db, size);
  let j = 0;
  while (leafIndex >= edge.starts[j]! + 2 ** edge.heights[j]!) j++;
  const height = edge.heights[j]!;
  const nodes = edges.nodes;
  const inner: (Buffer | undefined)[] = new Array(height);
  let missing: NodeId[] | undefined;
  for (let level = 0, i = leafIndex; level < height; level++, i = Math.floor(i / 2)) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    const hit = nodes.lookup(level, sibling, size);
    inner[level] = hit;
    if (!hit) (missing ??= []).push({ level, index: sibling });
  }
  if (missing) {
    const direct = await nodes.load(db, missing, size);
    for (const { level, index } of missing) {
      const hash = direct.get(nodeNumber(level, index)) ?? nodes.lookup(level, index, size);
      if (!hash) throw new Error(`tlog: node ${level}/${index} is not stored`);
      inner[level] = hash;
    }
  }
  const hashes: string[] = new Array(height + (j + 1 < edge.heights.length ? 1 : 0) + j);
  let at = 0;
  for (let level = 0; level < height; level++) hashes[at++] = inner[level]!.toString('base64');
  if (j + 1 < edge.heights.length) hashes[at++] = edge.suffixes[j + 1]!;
  for (let left = j - 1; left >= 0; left--) hashes[at++] = edge.subtreeRoots[left]!;
  return { rootHash: edge.suffixes[0]!, hashes };
}
