import { sql, type Kysely } from 'kysely';
import { TILE_HEIGHT, TILE_WIDTH, nodeKey, type NodeId } from '@tizilim/shared/tlog/index';
import type { DB } from '../db/schema.js';

/**
 * Stored nodes are immutable, so each API process keeps the ones proofs ask for:
 *  - every node of height ≥ 8 it has read (there are n/128 of them: ~8k for 1M entries);
 *  - for full 256-leaf tiles, all 510 nodes of heights 0–7 in one 16 KiB buffer, loaded with
 *    one range read the first time any leaf of the tile is proved, and evicted least recently
 *    used beyond `maxBytes`.
 * A warm proof is then answered without a database round trip; nodes of the partial tile on
 * the right edge are read each time (they are few, and that tile is still filling).
 */
const LOWER_NODES = 2 * TILE_WIDTH - 2;
const HASH = 32;

/** Offset (in nodes) of height h within a tile's buffer: 256 leaves, then 128 parents, … */
const heightOffset = (h: number): number => 2 * TILE_WIDTH - (2 * TILE_WIDTH >> h);

/** Index of the first node of height h under tile `tile` (no 32-bit shifts: indices exceed 2^31). */
const firstAt = (tile: number, h: number): number => (tile * TILE_WIDTH) / 2 ** h;

export class TlogNodeCache {
  readonly #upper = new Map<string, Buffer>();
  readonly #tiles = new Map<number, Buffer>();
  readonly #maxTiles: number;

  constructor(maxBytes: number) {
    this.#maxTiles = Math.max(0, Math.floor(maxBytes / (LOWER_NODES * HASH)));
  }

  /** The hashes of `ids`, all of which must be stored in the tree of `treeSize` leaves. */
  async read(db: Kysely<DB>, ids: readonly NodeId[], treeSize: number): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const fullTiles = Math.floor(treeSize / TILE_WIDTH);
    const missingNodes: NodeId[] = [];
    const missingTiles = new Set<number>();
    for (const id of ids) {
      const key = nodeKey(id.level, id.index);
      if (id.level >= TILE_HEIGHT) {
        const hit = this.#upper.get(key);
        if (hit) out.set(key, hit);
        else missingNodes.push(id);
        continue;
      }
      const tile = Math.floor((id.index * 2 ** id.level) / TILE_WIDTH);
      if (tile >= fullTiles || this.#maxTiles === 0) {
        missingNodes.push(id);
        continue;
      }
      const buffer = this.#touch(tile);
      if (buffer) out.set(key, this.#slice(buffer, tile, id));
      else missingTiles.add(tile);
    }
    if (missingNodes.length === 0 && missingTiles.size === 0) return out;

    // Each tile is 8 index ranges (heights 0–7); LATERAL keeps every range an index scan of
    // (level, idx) (OFFSET 0 keeps the planner from flattening it into a hash join over a scan of
    // the whole table, which it chose at 1M entries: 1.4 s instead of 4 ms).
    const ranges = { tile: [] as number[], level: [] as number[], lo: [] as number[], hi: [] as number[] };
    for (const tile of missingTiles) {
      for (let h = 0; h < TILE_HEIGHT; h++) {
        ranges.tile.push(tile);
        ranges.level.push(h);
        ranges.lo.push(firstAt(tile, h));
        ranges.hi.push(firstAt(tile + 1, h));
      }
    }
    const { rows } = await sql<{ level: number; idx: number; hash: Buffer; tile: number | null }>`
      SELECT w.level, w.idx, x.hash, NULL::bigint AS tile
      FROM unnest(${missingNodes.map((i) => i.level)}::int[], ${missingNodes.map((i) => i.index)}::bigint[]) AS w(level, idx),
      LATERAL (SELECT n.hash FROM tlog_nodes n WHERE n.level = w.level AND n.idx = w.idx OFFSET 0) x
      UNION ALL
      SELECT r.level, x.idx, x.hash, r.tile
      FROM unnest(${ranges.tile}::bigint[], ${ranges.level}::int[], ${ranges.lo}::bigint[], ${ranges.hi}::bigint[]) AS r(tile, level, lo, hi),
      LATERAL (SELECT n.idx, n.hash FROM tlog_nodes n WHERE n.level = r.level AND n.idx >= r.lo AND n.idx < r.hi OFFSET 0) x`.execute(db);
    const filled = new Map<number, Buffer>();
    for (const r of rows) {
      const idx = Number(r.idx);
      if (r.tile === null) {
        out.set(nodeKey(r.level, idx), r.hash);
        if (r.level >= TILE_HEIGHT) this.#upper.set(nodeKey(r.level, idx), r.hash);
        continue;
      }
      const tile = Number(r.tile);
      let buffer = filled.get(tile);
      if (!buffer) filled.set(tile, (buffer = Buffer.alloc(LOWER_NODES * HASH)));
      r.hash.copy(buffer, (heightOffset(r.level) + idx - firstAt(tile, r.level)) * HASH);
    }
    for (const [tile, buffer] of filled) {
      this.#remember(tile, buffer);
      for (const id of ids) {
        if (id.level < TILE_HEIGHT && Math.floor((id.index * 2 ** id.level) / TILE_WIDTH) === tile) out.set(nodeKey(id.level, id.index), this.#slice(buffer, tile, id));
      }
    }
    return out;
  }

  #slice(buffer: Buffer, tile: number, id: NodeId): Buffer {
    const at = (heightOffset(id.level) + id.index - firstAt(tile, id.level)) * HASH;
    return buffer.subarray(at, at + HASH);
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
}
