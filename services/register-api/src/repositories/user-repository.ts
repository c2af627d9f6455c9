import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, Role } from '../db/schema.js';

type Conn = Transaction<DB> | Kysely<DB>;

/** A new token's expiry, on the database's clock; null: it never expires. */
function expiryOf(ttlDays: number | null | undefined) {
  return ttlDays ? sql<Date>`now() + make_interval(days => ${ttlDays})` : null;
}

/** A user and their first token. Run it in a transaction: it writes two rows. */
export async function insertUser(
  trx: Conn,
  user: { name: string; roles: Role[]; tokenHash: Buffer; createdBy: string | null; ttlDays?: number | null },
) {
  const row = await trx
    .insertInto('users')
    .values({ name: user.name, roles: user.roles, created_by: user.createdBy })
    .returning(['id', 'name', 'roles', 'created_at'])
    .executeTakeFirstOrThrow();
  const token = await insertApiToken(trx, { userId: row.id, tokenHash: user.tokenHash, createdBy: user.createdBy, ttlDays: user.ttlDays });
  return { ...row, token };
}

export async function insertApiToken(trx: Conn, token: { userId: string; tokenHash: Buffer; createdBy: string | null; ttlDays?: number | null | undefined }) {
  return trx
    .insertInto('api_tokens')
    .values({ user_id: token.userId, token_hash: token.tokenHash, created_by: token.createdBy, expires_at: expiryOf(token.ttlDays) })
    .returning(['id', 'created_at', 'expires_at'])
    .executeTakeFirstOrThrow();
}

/** The user a token belongs to, if the token is valid now: not revoked, not expired, its user not disabled. */
export async function findUserByTokenHash(db: Conn, tokenHash: Buffer) {
  return activeTokens(db).where('t.token_hash', '=', tokenHash).executeTakeFirst();
}

/** Every valid token with its user: what each API process keeps in memory. */
export async function listActiveTokens(db: Conn) {
  return activeTokens(db).execute();
}

function activeTokens(db: Conn) {
  return db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['u.id', 'u.name', 'u.roles', 't.id as token_id', 't.token_hash', 't.expires_at'])
    .where('t.revoked_at', 'is', null)
    .where('u.disabled_at', 'is', null)
    .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', sql<Date>`now()`)]));
}

/**
 * Grows whenever a token is revoked or a user disabled (both are set once and never undone):
 * a cheap question that tells an API process its copy of the tokens is stale.
 */
export async function authFingerprint(db: Conn): Promise<string> {
  const { rows } = await sql<{ revoked: string; disabled: string }>`
    SELECT (SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL) AS revoked,
           (SELECT count(*) FROM users WHERE disabled_at IS NOT NULL) AS disabled`.execute(db);
  return `${rows[0]!.revoked}/${rows[0]!.disabled}`;
}

/** Active admins: disabling the last one would lock everyone out of managing people. */
export async function countAdmins(db: Conn): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) => eb(eb.val('admin'), '=', eb.fn.any('roles')))
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listUsers(db: Conn) {
  return db
    .selectFrom('users')
    .select(['id', 'name', 'roles', 'created_at', 'created_by', 'isp_id', 'disabled_at', 'disabled_by'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function listTokens(db: Conn) {
  return db
    .selectFrom('api_tokens')
    .select(['id', 'user_id', 'created_at', 'created_by', 'expires_at', 'revoked_at', 'revoked_by'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function lockUser(trx: Transaction<DB>, id: string) {
  return trx.selectFrom('users').select(['id', 'name', 'roles', 'disabled_at']).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function disableUser(trx: Transaction<DB>, id: string, by: string) {
  return trx
    .updateTable('users')
    .set({ disabled_at: sql<Date>`now()`, disabled_by: by })
    .where('id', '=', id)
    .returning(['disabled_at'])
    .executeTakeFirstOrThrow();
}

export async function lockToken(trx: Transaction<DB>, userId: string, tokenId: string) {
  return trx
    .selectFrom('api_tokens')
    .select(['id', 'user_id', 'revoked_at', 'expires_at'])
    .where('id', '=', tokenId)
    .where('user_id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
}

export async function revokeToken(trx: Transaction<DB>, tokenId: string, by: string) {
  return trx
    .updateTable('api_tokens')
    .set({ revoked_at: sql<Date>`now()`, revoked_by: by })
    .where('id', '=', tokenId)
    .returning(['id', 'created_at', 'created_by', 'expires_at', 'revoked_at', 'revoked_by'])
    .executeTakeFirstOrThrow();
}

/** Whether a token was ever issued with this hash, valid or not. */
export async function tokenHashKnown(db: Conn, tokenHash: Buffer): Promise<boolean> {
  return (await db.selectFrom('api_tokens').select('id').where('token_hash', '=', tokenHash).executeTakeFirst()) !== undefined;
}
