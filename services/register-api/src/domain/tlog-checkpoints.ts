import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ed25519NoteSigner, ed25519VerifierKey, formatCheckpoint, signNote } from '@tizilim/shared/tlog/index';
import type { DB } from '../db/schema.js';
import { tlogRoot, tlogTreeSize } from '../repositories/tlog-repository.js';

/** The register's identity as a transparency log: its origin (also the note key name) and key. */
export interface TlogIdentity {
  origin: string;
  key: KeyObject;
}

/** DESIGN.md: TLOG_ORIGIN, or host[:port] of PUBLIC_BASE_URL followed by /tlog. */
export function defaultTlogOrigin(publicBaseUrl: string): string {
  return `${new URL(publicBaseUrl).host}/tlog`;
}

export function tlogVerifierKey(identity: TlogIdentity): string {
  return ed25519VerifierKey(identity.origin, identity.key);
}

export interface SignedTreeHead {
  treeSize: number;
  rootHash: Buffer;
  /** The note as the register signed it (no cosignatures). */
  note: string;
  /** True when this call stored it (only that process asks the witnesses). */
  isNew: boolean;
}

/**
 * Signs the current tree unless its size is already signed. The note carries no time, and
 * Ed25519 is deterministic, so API processes racing on one size produce the same row.
 */
export async function signTreeHead(db: Kysely<DB>, identity: TlogIdentity): Promise<SignedTreeHead> {
  const treeSize = await tlogTreeSize(db);
  const existing = await db.selectFrom('tlog_checkpoints').select(['tree_size', 'root_hash', 'note']).where('tree_size', '=', treeSize).executeTakeFirst();
  if (existing) return { treeSize, rootHash: existing.root_hash, note: existing.note, isNew: false };
  const rootHash = await tlogRoot(db, treeSize);
  const note = signNote(formatCheckpoint({ origin: identity.origin, size: treeSize, root: rootHash }), [ed25519NoteSigner(identity.origin, identity.key)]);
  const inserted = await db
    .insertInto('tlog_checkpoints')
    .values({ tree_size: treeSize, root_hash: rootHash, note })
    .onConflict((oc) => oc.column('tree_size').doNothing())
    .returning('tree_size')
    .executeTakeFirst();
  return { treeSize, rootHash, note, isNew: inserted !== undefined };
}

/** The latest signed checkpoint with the witnesses' cosignature lines after the log's own. */
export async function latestTlogCheckpoint(db: Kysely<DB>): Promise<{ treeSize: number; text: string } | undefined> {
  const row = await db.selectFrom('tlog_checkpoints').select(['tree_size', 'note']).orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
  if (!row) return undefined;
  const cosignatures = await db.selectFrom('tlog_cosignatures').select('line').where('tree_size', '=', row.tree_size).orderBy('witness').execute();
  return { treeSize: Number(row.tree_size), text: row.note + cosignatures.map((c) => c.line).join('') };
}
