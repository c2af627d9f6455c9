import { createHash } from 'node:crypto';
import { GENESIS_HASH } from '../public-log-types.js';
import { LogSourceError } from '../public-log/log-source-error.js';
import { decodeStrictBase64 } from '../public-log/signing-key.js';
import { parseCheckpoint, type Checkpoint } from '../tlog/checkpoint.js';
import { verifyConsistency } from '../tlog/consistency-proof.js';
import { decodeEntryBundle } from '../tlog/entry-bundle.js';
import { HASH_SIZE, emptyTreeHash, leafHash, nodeHash } from '../tlog/merkle-hash.js';
import { NoteError, ed25519NoteVerifier, openNote } from '../tlog/note.js';
import { nodeKey, nodesNeeded, readerOf, treeRoot } from '../tlog/stored-nodes.js';
import { splitTileHashes, tileForNode, tileWidthAt } from '../tlog/tile-hashes.js';
import { TILE_HEIGHT, TILE_WIDTH, tilePath, type TileCoordinates } from '../tlog/tile-path.js';
import { TlogHttp } from './tlog-fetch.js';
import type { VerifiedState } from './verifier-state.js';

/**
 * verify-log's transparency-log check: the latest checkpoint is signed by the log's key, is
 * consistent with the last one this verifier accepted (RFC 9162 §2.1.4), the tiles on its
 * right edge hash to its root and every other hash tile agrees with the ones below it; `full`
 * also rebuilds the whole tree from the entry bundles and
 * compares every hash tile, and replays the hash chain of the bodies.
 */
export type TlogFailure = 'rollback' | 'fork' | 'tampered' | 'wrong-key';

export type TlogVerdict =
  | { ok: true; checkpoint: Checkpoint; previous: { size: number; root: string } | null; keyFromServer: boolean; state: VerifiedState; chainHead?: string }
  | { ok: false; failure: TlogFailure; message: string }
  | { ok: 'absent' };

export interface VerifyTlogOptions {
  baseUrl: string;
  /** pinned verifier key; otherwise the state's, otherwise the one the register serves (first use) */
  key?: string | undefined;
  state: VerifiedState | null;
  full?: boolean;
  progress?: (line: string) => void;
}

const b64 = (h: Uint8Array): string => Buffer.from(h).toString('base64');
const fail = (failure: TlogFailure, message: string): TlogVerdict => ({ ok: false, failure, message });

export async function verifyTlog(opts: VerifyTlogOptions): Promise<TlogVerdict> {
  const http = new TlogHttp(opts.baseUrl);
  const { state } = opts;
  let key = opts.key ?? state?.key;
  const keyFromServer = key === undefined;
  if (key === undefined) {
    const served = await http.text('tlog/key');
    if (served !== null) key = served.trim();
  }
  const note = await http.text('tlog/checkpoint');
  if (note === null || key === undefined) {
    if (state) return fail('rollback', `the register no longer serves a checkpoint; the last verified one was size ${state.size} root ${state.root}`);
    return { ok: 'absent' };
  }
  const verifier = ed25519NoteVerifier(key);
  if (!verifier) throw new LogSourceError(`not an Ed25519 note verifier key: ${key}`);

  let text: string;
  try {
    text = openNote(note, [verifier]).text;
  } catch (error) {
    const why = error instanceof NoteError ? error.message : String(error);
    return fail('wrong-key', `the checkpoint does not verify with key ${key}: ${why}`);
  }
  const cp = parseCheckpoint(text);
  if (!cp) return fail('tampered', 'the signed note is not a checkpoint (origin, size, base64 root)');
  if (cp.origin !== verifier.name) return fail('wrong-key', `checkpoint origin ${cp.origin} is not the key's name ${verifier.name}`);
  if (state && state.origin !== cp.origin) return fail('wrong-key', `checkpoint origin ${cp.origin} is not the remembered origin ${state.origin}`);
  const root = b64(cp.root);

  if (state) {
    const was = `size ${state.size} root ${state.root}`;
    const now = `size ${cp.size} root ${root}`;
    if (cp.size < state.size) return fail('rollback', `the log was verified at ${was} and now serves ${now}`);
    if (cp.size === state.size && root !== state.root) return fail('fork', `two checkpoints of size ${cp.size} with different roots: ${state.root} (verified before) and ${root} (now)`);
    if (cp.size > state.size) {
      const proof = await http.json(`public/v1/log/consistency?from=${state.size}&to=${cp.size}`).catch((e: unknown) => {
        if (e instanceof LogSourceError && /404/.test(e.message)) return null;
        throw e;
      });
      const hashes = proofHashes(proof);
      if (!hashes || !verifyConsistency(state.size, cp.size, decodeStrictBase64(state.root)!, cp.root, hashes)) {
        return fail('fork', `the checkpoint at ${now} is not consistent with the one verified before at ${was} (the log was rewritten)`);
      }
    }
  }

  const edge = await checkRightEdge(http, cp);
  if (edge) return fail('tampered', edge);

  let chainHead: string | undefined;
  if (opts.full) {
    const full = await checkWholeTree(http, cp, opts.progress);
    if (typeof full === 'object') return fail('tampered', full.error);
    chainHead = full;
  } else {
    const tiles = await checkEveryHashTile(http, cp, opts.progress);
    if (tiles) return fail('tampered', tiles);
  }
  return {
    ok: true,
    checkpoint: cp,
    previous: state ? { size: state.size, root: state.root } : null,
    keyFromServer,
    chainHead,
    state: { origin: cp.origin, key, size: cp.size, root, checkpoint: note },
  };
}

function proofHashes(proof: unknown): Buffer[] | null {
  if (typeof proof !== 'object' || proof === null || !Array.isArray((proof as { hashes?: unknown }).hashes)) return null;
  const out: Buffer[] = [];
  for (const h of (proof as { hashes: unknown[] }).hashes) {
    const bytes = typeof h === 'string' ? decodeStrictBase64(h) : null;
    if (bytes?.length !== HASH_SIZE) return null;
    out.push(bytes);
  }
  return out;
}

/**
 * Recomputes the signed root from the hash tiles on the tree's right edge (as Go's
 * TileHashReader does), so a tampered tile there is caught without reading the whole log.
 */
async function checkRightEdge(http: TlogHttp, cp: Checkpoint): Promise<string | null> {
  if (cp.size === 0) return cp.root.equals(emptyTreeHash()) ? null : 'a checkpoint of size 0 must carry the empty-tree root';
  const tiles = new Map<string, Uint8Array[]>();
  const nodes = new Map<string, Uint8Array>();
  for (const { level, index } of nodesNeeded((read) => treeRoot(read, cp.size))) {
    const where = tileForNode(level, index, cp.size);
    const path = tilePath(where.tile);
    let hashes = tiles.get(path);
    if (!hashes) {
      const data = await http.bytes(`tlog/${path}`);
      const split = data && splitTileHashes(data, where.tile.width);
      if (!split) return `tile ${path} is ${data ? `${data.length} bytes, not ${where.tile.width * HASH_SIZE}` : 'missing (404)'}`;
      hashes = split;
      tiles.set(path, hashes);
    }
    nodes.set(nodeKey(level, index), foldComplete(hashes.slice(where.offset, where.offset + where.count)));
  }
  const computed = treeRoot(readerOf(nodes), cp.size);
  return Buffer.compare(computed, cp.root) === 0 ? null : `the hash tiles do not hash to the signed root ${b64(cp.root)} (got ${b64(computed)}): a tile was tampered with`;
}

/** Root of a complete subtree given its 2^k hashes in order. */
function foldComplete(hashes: Uint8Array[]): Uint8Array {
  let level = hashes;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    level = next;
  }
  return level[0]!;
}

/**
 * Without --full: every hash tile, whatever its level, agrees with the level-0 tiles below it
 * (each stored node is the fold of the 256 below it), so with the right edge folding to the
 * signed root, every leaf hash the log serves is the signed tree's. This is 32 bytes a leaf
 * (32 MB for 1M entries), not the entries themselves (--full reads those too).
 */
async function checkEveryHashTile(http: TlogHttp, cp: Checkpoint, progress?: (line: string) => void): Promise<string | null> {
  const leaves: Uint8Array[] = [];
  for (let n = 0; n * TILE_WIDTH < cp.size; n++) {
    const tile: TileCoordinates = { level: 0, index: n, width: tileWidthAt(0, n, cp.size) };
    const path = tilePath(tile);
    const data = await http.bytes(`tlog/${path}`);
    const split = data && splitTileHashes(data, tile.width);
    if (!split) return `hash tile ${path} is ${data ? `${data.length} bytes, not ${tile.width * HASH_SIZE}: tampered` : 'missing (404)'}`;
    leaves.push(...split);
    if (n % 256 === 255) progress?.(`read the hashes of ${leaves.length} of ${cp.size} entries`);
  }
  return compareHashTiles(http, leaves, 1);
}

/**
 * Folds `leaves` level by level and compares each level that a hash tile holds (every 8th,
 * from tile level `fromLevel`) with the tiles the log serves. Returns an error or null.
 */
async function compareHashTiles(http: TlogHttp, leaves: Uint8Array[], fromLevel: number): Promise<string | null> {
  let level = leaves;
  for (let height = 0; ; height++) {
    if (height % TILE_HEIGHT === 0 && height / TILE_HEIGHT >= fromLevel && level.length > 0) {
      const l = height / TILE_HEIGHT;
      for (let t = 0; t * TILE_WIDTH < level.length; t++) {
        const tile: TileCoordinates = { level: l, index: t, width: Math.min(TILE_WIDTH, level.length - t * TILE_WIDTH) };
        const path = tilePath(tile);
        const data = await http.bytes(`tlog/${path}`);
        const expected = Buffer.concat(level.slice(t * TILE_WIDTH, t * TILE_WIDTH + tile.width));
        if (!data || !data.equals(expected)) return `hash tile ${path} ${data ? `does not match the hashes ${l === 0 ? 'of the entries' : 'of the tiles below it'}` : 'is missing (404)'}: tampered`;
      }
    }
    if (level.length <= 1) return null;
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    level = next;
  }
}

/**
 * --full: every entry bundle → leaves → every level of complete nodes, compared with every hash
 * tile the log serves, and the root with the checkpoint. Returns the chain hash of the last
 * entry (SHA-256(prevHash ‖ body) replayed over the bundled bodies), or an error.
 */
async function checkWholeTree(http: TlogHttp, cp: Checkpoint, progress?: (line: string) => void): Promise<string | { error: string }> {
  let level: Uint8Array[] = [];
  let chain = Buffer.from(GENESIS_HASH, 'hex');
  for (let n = 0; n * TILE_WIDTH < cp.size; n++) {
    const tile: TileCoordinates = { level: 'entries', index: n, width: tileWidthAt('entries', n, cp.size) };
    const path = tilePath(tile);
    const data = await http.bytes(`tlog/${path}`);
    if (!data) return { error: `entry bundle ${path} is missing (404)` };
    let entries: Uint8Array[];
    try {
      entries = decodeEntryBundle(data);
    } catch (error) {
      return { error: `${path}: ${(error as Error).message}` };
    }
    if (entries.length !== tile.width) return { error: `${path} holds ${entries.length} entries, expected ${tile.width}` };
    for (const e of entries) {
      level.push(leafHash(e));
      chain = createHash('sha256').update(chain).update(e).digest();
    }
    if (n % 64 === 63) progress?.(`read ${level.length} of ${cp.size} entries`);
  }
  const error = await compareHashTiles(http, level, 0);
  if (error) return { error };
  // Every tile now matches the entries, and checkRightEdge already folded them to the signed root.
  return chain.toString('hex');
}
