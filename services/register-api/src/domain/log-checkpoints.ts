import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { SignedCheckpoint } from '@tizilim/shared';
import { exportSigningKey, generateSigningKey, loadSigningKey, publicKeyToBase64, signCheckpoint } from '@tizilim/shared/public-log/index';
import type { DB } from '../db/schema.js';
import { logHead } from '../repositories/public-log-repository.js';

const KEY_NAME = 'log-signing-ed25519';

/**
 * The key that signs checkpoints: `LOG_SIGNING_KEY` when given (PEM PKCS#8 or base64 of the
 * 32-byte seed); otherwise one generated on first start and kept in the database, so every API
 * process signs with the same key and its public half stays the same across restarts.
 */
export async function loadOrCreateSigningKey(db: Kysely<DB>, fromEnv: string | undefined): Promise<KeyObject> {
  if (fromEnv) return loadSigningKey(fromEnv);
  const existing = await db.selectFrom('service_keys').select('secret').where('name', '=', KEY_NAME).executeTakeFirst();
  if (existing) return loadSigningKey(existing.secret);
  await db
    .insertInto('service_keys')
    .values({ name: KEY_NAME, secret: exportSigningKey(generateSigningKey(), 'pem') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  // Another process may have won the race: whatever is stored is the key.
  const stored = await db.selectFrom('service_keys').select('secret').where('name', '=', KEY_NAME).executeTakeFirstOrThrow();
  return loadSigningKey(stored.secret);
}

export function publicKeyOf(key: KeyObject): string {
  return publicKeyToBase64(key);
}

/** Signs the current head unless it is already signed; returns the latest checkpoint. */
export async function signHead(db: Kysely<DB>, key: KeyObject): Promise<SignedCheckpoint | undefined> {
  const head = await logHead(db);
  const latest = await latestCheckpoint(db);
  if (head.seq === 0 || (latest && latest.seq >= head.seq)) return latest;
  const cp = signCheckpoint(key, { seq: head.seq, hash: head.hash, time: new Date().toISOString() });
  await db
    .insertInto('log_checkpoints')
    .values({ seq: cp.seq, hash: cp.hash, time: cp.time, signature: cp.signature, public_key: cp.publicKey })
    .onConflict((oc) => oc.column('seq').doNothing())
    .execute();
  return latestCheckpoint(db);
}

export async function latestCheckpoint(db: Kysely<DB>): Promise<SignedCheckpoint | undefined> {
  const row = await db.selectFrom('log_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row
    ? { seq: Number(row.seq), hash: row.hash, time: row.time.toISOString(), signature: row.signature, publicKey: row.public_key }
    : undefined;
}
