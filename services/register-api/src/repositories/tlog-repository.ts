import { sql, type Kysely } from 'kysely';
import {
  TILE_HEIGHT, TILE_WIDTH, consistencyPath, emptyTreeHash, encodeEntryBundle, inclusionPath, nodeKey, nodesNeeded,
  readerOf, tileWidthAt, treeRoot, type NodeReader,
} from '@tizilim/shared/tlog/index';
import type { DB } from '../db/schema.js';
import { RegisterError, fieldError } from '../errors/error-catalogue.js';
import type { TlogNodeCache } from './tlog-node-cache.js';
import type { TlogTreeEdges } from './tlog-tree-edge.js';
import { cachedInclusion } from './tlog-cached-inclusion.js';

/**
 * Reads of the Merkle tree that migration 0010's trigger keeps in `tlog_nodes`. Nodes are
 * immutable once written, and a committed log head implies its nodes are committed (same
 * transaction), so reading the head and then nodes needs no snapshot.
 */
type Db = Kysely<DB>;

/** The number of leaves: the seq of the last committed entry. */
export async function tlogTreeSize(db: Db): Promise<number> {
  const head = await db.selectFrom('public_log_head').select('seq').where('id', '=', 1).executeTakeFirstOrThrow();
  return Number(head.seq);
}

/** Where proofs get nodes from: the database, or a process's cache of them. */
export interface ProofSources {
  cache?: TlogNodeCache | undefined;
  /** Per-size right edges over a node cache: inclusion proofs computed once, from memory when warm. */
  edges?: TlogTreeEdges | undefined;
  /** The latest signed tree size, when the caller keeps it (see TlogService). */
  latestCheckpointSize?: (() => Promise<number | undefined>) | undefined;
}

/** Fetches the stored nodes a computation needs (one query at most), then runs it with them. */
export async function withStoredNodes<T>(db: Db, compute: (read: NodeReader) => T, cache?: { cache: TlogNodeCache; treeSize: number }): Promise<T> {
  const ids = nodesNeeded(compute);
  if (cache) return compute(readerOf(await cache.cache.read(db, ids, cache.treeSize)));
  const nodes = new Map<string, Uint8Array>();
  if (ids.length > 0) {
    const { rows } = await sql<{ level: number; idx: number; hash: Buffer }>`
      SELECT w.level, w.idx, x.hash
      FROM unnest(${ids.map((i) => i.level)}::int[], ${ids.map((i) => i.index)}::bigint[]) AS w(level, idx),
      LATERAL (SELECT n.hash FROM tlog_nodes n WHERE n.level = w.level AND n.idx = w.idx OFFSET 0) x`.execute(db);
    for (const r of rows) nodes.set(nodeKey(r.level, Number(r.idx)), r.hash);
  }
  return compute(readerOf(nodes));
}

export async function tlogRoot(db: Db, treeSize: number): Promise<Buffer> {
  if (treeSize === 0) return emptyTreeHash();
  return Buffer.from(await withStoredNodes(db, (read) => treeRoot(read, treeSize)));
}

export interface InclusionProof {
  seq: number;
  leafIndex: number;
  treeSize: number;
  rootHash: string;
  hashes: string[];
}

/**
 * The inclusion proof (RFC 9162 §2.1.3) of entry `seq` in the tree of `treeSize` leaves; the
 * latest signed checkpoint's size when `treeSize` is omitted. This is the function the web
 * explorer's entry page calls. Throws RegisterError for seq 0, a seq beyond the tree, or a
 * tree larger than the log (RegisterError: 400 VALIDATION or 404 NOT_FOUND).
 */
export async function inclusionProof(db: Db, seq: number, treeSize?: number, sources: ProofSources = {}): Promise<InclusionProof> {
  if (!Number.isSafeInteger(seq) || seq < 1) throw fieldError('seq', `must be a whole number ≥ 1, got ${seq}`);
  const latest = await (sources.latestCheckpointSize ?? (() => latestCheckpointSize(db)))();
  const size = treeSize ?? latest;
  if (size === undefined) throw notFoundTlog('no checkpoint has been signed yet');
  // A signed size is never beyond the log, so only larger sizes need a look at the head.
  if (latest === undefined || size > latest) {
    const current = await tlogTreeSize(db);
    if (size > current) throw notFoundTlog(`treeSize ${size} is beyond the log (${current} entries)`);
  }
  if (seq > size) {
    if (treeSize === undefined) throw notFoundTlog(`entry ${seq} is not in the latest checkpoint (tree size ${size})`);
    throw fieldError('seq', `entry ${seq} is not in the tree of size ${size}`);
  }
  if (sources.edges) return { seq, leafIndex: seq - 1, treeSize: size, ...(await cachedInclusion(db, sources.edges, seq - 1, size)) };
  const { root, path } = await withStoredNodes(
    db,
    (read) => ({ root: treeRoot(read, size), path: inclusionPath(read, seq - 1, size) }),
    sources.cache ? { cache: sources.cache, treeSize: size } : undefined,
  );
  return { seq, leafIndex: seq - 1, treeSize: size, rootHash: b64(root), hashes: path.map(b64) };
}

export interface ConsistencyProof {
  from: number;
  to: number;
  hashes: string[];
}

/** The consistency proof (RFC 9162 §2.1.4) from the tree of `from` leaves to the tree of `to`. */
export async function consistencyProof(db: Db, from: number, to: number, sources: ProofSources = {}): Promise<ConsistencyProof> {
  if (from > to) throw fieldError('from', `must not exceed to (${from} > ${to})`);
  const current = await tlogTreeSize(db);
  if (to > current) throw notFoundTlog(`to ${to} is beyond the log (${current} entries)`);
  const path = await withStoredNodes(db, (read) => consistencyPath(read, from, to), sources.cache ? { cache: sources.cache, treeSize: to } : undefined);
  return { from, to, hashes: path.map(b64) };
}

export async function latestCheckpointSize(db: Db): Promise<number | undefined> {
  const row = await db.selectFrom('tlog_checkpoints').select('tree_size').orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
  return row === undefined ? undefined : Number(row.tree_size);
}

/**
 * A hash tile (C2SP tlog-tiles): `width` hashes of tree height 8·level from index 256·index.
 * Null when the log does not have that tile at that width yet (or any more: a partial tile
 * of a width the tree has grown past is still served, as its hashes never change).
 */
export async function readHashTile(db: Db, level: number, index: number, width: number): Promise<Buffer | null> {
  if (tileWidthAt(level, index, await tlogTreeSize(db)) < width) return null;
  const first = index * TILE_WIDTH;
  const rows = await db
    .selectFrom('tlog_nodes').select('hash')
    .where('level', '=', level * TILE_HEIGHT).where('idx', '>=', first).where('idx', '<', first + width)
    .orderBy('idx').execute();
  if (rows.length !== width) return null;
  return Buffer.concat(rows.map((r) => r.hash));
}

/** An entry bundle: the canonical bodies of entries 256·index + 1 … 256·index + width. */
export async function readEntryBundle(db: Db, index: number, width: number): Promise<Buffer | null> {
  if (tileWidthAt('entries', index, await tlogTreeSize(db)) < width) return null;
  const first = index * TILE_WIDTH + 1;
  const rows = await db
    .selectFrom('public_log').select('body')
    .where('seq', '>=', first).where('seq', '<', first + width)
    .orderBy('seq').execute();
  if (rows.length !== width) return null;
  return encodeEntryBundle(rows.map((r) => Buffer.from(r.body, 'utf8')));
}

const notFoundTlog = (message: string): RegisterError => new RegisterError('NOT_FOUND', message);

const b64 = (hash: Uint8Array): string => Buffer.from(hash).toString('base64');
