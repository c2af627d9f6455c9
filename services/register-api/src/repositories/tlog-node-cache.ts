import { sql, type Kysely } from 'kysely';
import { TILE_HEIGHT, TILE_WIDTH, nodeKey, type NodeId } from '@tizilim/shared/tlog/index';
import type { DB } from '../db/schema.js';

/**
 * Stored nodes are immutable, so each API process keeps the ones proofs ask for:
 *  - every node of height ≥ 8 it has read (there are n/128 of them: ~8k for 1M entries);
 *  - for full 256-leaf tiles, all 510 nodes of heights 0–7 in one 16 KiB buffer, loaded with
 *    one range read the first time any leaf of the tile is proved, and evicted least recently
 *    used beyond `maxBytes`;
 *  - the few newest partial tiles on the right edge, each with the number of leaves it was read
 *    with: it answers for any tree that ends within those leaves (a node complete in a smaller
 *    tree is stored once and never changes), and is read again, wider, for a larger tree.
 * A warm proof is then answered without a database round trip.
 */
const LOWER_NODES = 2 * TILE_WIDTH - 2;
const HASH = 32;
/** Partial tiles kept: the right edge moves into a new tile every 256 entries. */
const PARTIAL_TILES = 4;

/** Offset (in nodes) of height h within a tile's buffer: 256 leaves, then 128 parents, … */
const heightOffset = (h: number): number => 2 * TILE_WIDTH - (2 * TILE_WIDTH >> h);

/** Index of the first node of height h under tile `tile` (no 32-bit shifts: indices exceed 2^31). */
const firstAt = (tile: number, h: number): number => (tile * TILE_WIDTH) / 2 ** h;

/** The level-0 tile under node (level < 8, index). */
const tileOf = (level: number, index: number): number => Math.floor((index * 2 ** level) / TILE_WIDTH);

/** A number key for a node: levels are < 64 and indices < 2^47, so this stays a safe integer. */
export const nodeNumber = (level: number, index: number): number => index * 64 + level;

interface PartialTile {
  /** Leaves of the tile that were stored when it was read. */
  leaves: number;
  buffer: Buffer;
}

export class TlogNodeCache {
  readonly #upper = new Map<number, Buffer>();
  readonly #tiles = new Map<number, Buffer>();
  readonly #partial = new Map<number, PartialTile>();
  readonly #maxTiles: number;

  constructor(maxBytes: number) {
    this.#maxTiles = Math.max(0, Math.floor(maxBytes / (LOWER_NODES * HASH)));
  }

  /** The hash of a node complete in the tree of `treeSize` leaves, when this process has it. */
  lookup(level: number, index: number, treeSize: number): Buffer | undefined {
    if (level >= TILE_HEIGHT) return this.#upper.get(nodeNumber(level, index));
    const tile = tileOf(level, index);
    // A full tile holds every node under it, so it answers for smaller trees too.
    const buffer = this.#touch(tile);
    if (buffer) return slice(buffer, tile, level, index);
    const partial = this.#partial.get(tile);
    if (partial && treeSize - tile * TILE_WIDTH <= partial.leaves) return slice(partial.buffer, tile, level, index);
    return undefined;
  }

  /** The hashes of `ids`, all of which must be stored in the tree of `treeSize` leaves. */
  async read(db: Kysely<DB>, ids: readonly NodeId[], treeSize: number): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const missing: NodeId[] = [];
    for (const id of ids) {
      const hit = this.lookup(id.level, id.index, treeSize);
      if (hit) out.set(nodeKey(id.level, id.index), hit);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const fetched = await this.load(db, missing, treeSize);
    for (const id of missing) {
      const hash = fetched.get(nodeNumber(id.level, id.index)) ?? this.lookup(id.level, id.index, treeSize);
      if (hash) out.set(nodeKey(id.level, id.index), hash);
    }
    return out;
  }

  /**
   * Reads `ids` (nodes `lookup` did not have) in one query: whole tiles for nodes of heights
   * 0–7, single nodes above. Afterwards `lookup` has them; the returned map (by nodeNumber) holds
   * the nodes that could not be kept (a cache of zero bytes).
   */
  async load(db: Kysely<DB>, ids: readonly NodeId[], treeSize: number): Promise<Map<number, Buffer>> {
    const fullTiles = Math.floor(treeSize / TILE_WIDTH);
    const singles: NodeId[] = [];
    const tiles = new Set<number>();
    for (const id of ids) {
      if (id.level < TILE_HEIGHT && (this.#maxTiles > 0 || tileOf(id.level, id.index) >= fullTiles)) tiles.add(tileOf(id.level, id.index));
      else singles.push(id);
    }
    // Each tile is 8 index ranges (heights 0–7); LATERAL keeps every range an index scan of
    // (level, idx) (OFFSET 0 keeps the planner from flattening it into a hash join over a scan of
    // the whole table, which it chose at 1M entries: 1.4 s instead of 4 ms).
    const ranges = { tile: [] as number[], level: [] as number[], lo: [] as number[], hi: [] as number[] };
    for (const tile of tiles) {
      for (let h = 0; h < TILE_HEIGHT; h++) {
        ranges.tile.push(tile);
        ranges.level.push(h);
        ranges.lo.push(firstAt(tile, h));
        ranges.hi.push(firstAt(tile + 1, h));
      }
    }
    const { rows } = await sql<{ level: number; idx: number | string; hash: Buffer; tile: number | string | null }>`
      SELECT w.level, w.idx, x.hash, NULL::bigint AS tile
      FROM unnest(${singles.map((i) => i.level)}::int[], ${singles.map((i) => i.index)}::bigint[]) AS w(level, idx),
      LATERAL (SELECT n.hash FROM tlog_nodes n WHERE n.level = w.level AND n.idx = w.idx OFFSET 0) x
      UNION ALL
      SELECT r.level, x.idx, x.hash, r.tile
      FROM unnest(${ranges.tile}::bigint[], ${ranges.level}::int[], ${ranges.lo}::bigint[], ${ranges.hi}::bigint[]) AS r(tile, level, lo, hi),
      LATERAL (SELECT n.idx, n.hash FROM tlog_nodes n WHERE n.level = r.level AND n.idx >= r.lo AND n.idx < r.hi OFFSET 0) x`.execute(db);
    const direct = new Map<number, Buffer>();
    const filled = new Map<number, PartialTile>();
    for (const r of rows) {
      const idx = Number(r.idx);
      const hash = Buffer.isBuffer(r.hash) ? r.hash : Buffer.from(r.hash);
      if (r.tile === null) {
        direct.set(nodeNumber(r.level, idx), hash);
        if (r.level >= TILE_HEIGHT) this.#upper.set(nodeNumber(r.level, idx), hash);
        continue;
      }
      const tile = Number(r.tile);
      let read = filled.get(tile);
      if (!read) filled.set(tile, (read = { leaves: 0, buffer: Buffer.alloc(LOWER_NODES * HASH) }));
      if (r.level === 0) read.leaves++;
      hash.copy(read.buffer, (heightOffset(r.level) + idx - firstAt(tile, r.level)) * HASH);
    }
    // One statement sees one snapshot, and a leaf's parents are written in its transaction, so
    // a tile read with `leaves` leaves holds every node complete within them.
    for (const [tile, read] of filled) {
      if (read.leaves === TILE_WIDTH && this.#maxTiles > 0) this.#remember(tile, read.buffer);
      else if (read.leaves < TILE_WIDTH) this.#rememberPartial(tile, read);
      if (this.#maxTiles === 0) {
        for (const id of ids) {
          if (id.level < TILE_HEIGHT && tileOf(id.level, id.index) === tile) direct.set(nodeNumber(id.level, id.index), slice(read.buffer, tile, id.level, id.index));
        }
      }
    }
    return direct;
  }

  #touch(tile: number): Buffer | undefined {
    const hit = this.#tiles.get(tile);
    if (hit) {
      this.#tiles.delete(tile);
      this.#tiles.set(tile, hit);
    }
    return hit;
  }

  #remember(tile: number, buffer: Buffer): void {
    this.#tiles.set(tile, buffer);
    while (this.#tiles.size > this.#maxTiles) this.#tiles.delete(this.#tiles.keys().next().value!);
  }

  #rememberPartial(tile: number, read: PartialTile): void {
    const known = this.#partial.get(tile);
    if (known && known.leaves >= read.leaves) return;
    this.#partial.delete(tile);
    this.#partial.set(tile, read);
    while (this.#partial.size > PARTIAL_TILES) this.#partial.delete(this.#partial.keys().next().value!);
  }
}

function slice(buffer: Buffer, tile: number, level: number, index: number): Buffer {
  const at = (heightOffset(level) + index - firstAt(tile, level)) * HASH;
  return buffer.subarray(at, at + HASH);
}
