import type { Kysely, Transaction } from 'kysely';
import type { DB, Role } from '../db/schema.js';

export async function insertUser(
  trx: Transaction<DB> | Kysely<DB>,
  user: { name: string; roles: Role[]; tokenHash: Buffer; createdBy: string | null },
) {
  return trx
    .insertInto('users')
    .values({ name: user.name, roles: user.roles, token_hash: user.tokenHash, created_by: user.createdBy })
    .returning(['id', 'name', 'roles', 'created_at'])
    .executeTakeFirstOrThrow();
}

export async function findUserByTokenHash(db: Kysely<DB>, tokenHash: Buffer) {
  return db.selectFrom('users').select(['id', 'name', 'roles']).where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function countAdmins(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) => eb(eb.val('admin'), '=', eb.fn.any('roles')))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listUsers(db: Kysely<DB>) {
  return db.selectFrom('users').select(['id', 'name', 'roles', 'created_at', 'created_by']).orderBy('created_at').execute();
}
