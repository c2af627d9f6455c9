import { HASH_SIZE } from './merkle-hash.js';
import { TILE_HEIGHT, TILE_WIDTH, type TileCoordinates } from './tile-path.js';

/**
 * C2SP tlog-tiles §"Merkle Tree": the hash tile at level L, index N holds the hashes of the
 * tree nodes at height 8·L, indices 256·N … 256·N + W − 1, concatenated (32 bytes each). A
 * tile exists for a tree of size n only as wide as the nodes complete in that tree; full
 * tiles (W = 256) never change, partial ones grow until they are full.
 */

/** Nodes complete at tree height h in a tree of `treeSize` leaves. */
export function completeNodesAt(height: number, treeSize: number): number {
  return Math.floor(treeSize / 2 ** height);
}

/**
 * The width of a tile in the tree of `treeSize` leaves: 0 when the tile does not exist yet,
 * TILE_WIDTH when it is full. Entry bundles follow level 0.
 */
export function tileWidthAt(level: number | 'entries', index: number, treeSize: number): number {
  const height = level === 'entries' ? 0 : level * TILE_HEIGHT;
  const nodes = completeNodesAt(height, treeSize);
  return Math.max(0, Math.min(TILE_WIDTH, nodes - index * TILE_WIDTH));
}

/** The tree node (height, first index) that a tile's first hash is. */
export function tileNodes(tile: TileCoordinates): { height: number; first: number; count: number } {
  if (tile.level === 'entries') throw new TypeError('an entry bundle holds entries, not hashes');
  return { height: tile.level * TILE_HEIGHT, first: tile.index * TILE_WIDTH, count: tile.width };
}

/** Splits a hash tile into its hashes; null when its length is not width·32. */
export function splitTileHashes(data: Uint8Array, width: number): Uint8Array[] | null {
  if (data.length !== width * HASH_SIZE) return null;
  const out: Uint8Array[] = [];
  for (let i = 0; i < width; i++) out.push(data.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  return out;
}

/**
 * Where a stored node's hash comes from when reading tiles (C2SP tlog-tiles): node (h, i) with
 * h = 8·L + r is the root of 2^r consecutive hashes of the level-L tile, starting at offset
 * (i·2^r mod 256). `width` is how wide that tile is in the tree of `treeSize` leaves.
 */
export function tileForNode(height: number, index: number, treeSize: number): { tile: TileCoordinates; offset: number; count: number } {
  const level = Math.floor(height / TILE_HEIGHT);
  const count = 2 ** (height - level * TILE_HEIGHT);
  const first = index * count;
  const tileIndex = Math.floor(first / TILE_WIDTH);
  return { tile: { level, index: tileIndex, width: tileWidthAt(level, tileIndex, treeSize) }, offset: first - tileIndex * TILE_WIDTH, count };
}
