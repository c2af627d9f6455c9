import type { Kysely, Transaction } from 'kysely';
import type { DB, IspRow } from '../db/schema.js';

type Conn = Kysely<DB> | Transaction<DB>;

export async function insertIsp(trx: Transaction<DB>, isp: { name: string; bin: string | null; contact: string; createdBy: string }): Promise<IspRow> {
  return trx
    .insertInto('isps')
    .values({ name: isp.name, bin: isp.bin, contact: isp.contact, created_by: isp.createdBy })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findIsp(db: Conn, id: string) {
  return db.selectFrom('isps').selectAll().where('id', '=', id).executeTakeFirst();
}

/** An ISP already holding this name or company id (BIN), to refuse a duplicate with a clear answer. */
export async function findIspClash(db: Conn, name: string, bin: string | null) {
  let q = db.selectFrom('isps').selectAll();
  q = bin ? q.where((eb) => eb.or([eb('name', '=', name), eb('bin', '=', bin)])) : q.where('name', '=', name);
  return q.executeTakeFirst();
}

export async function listIsps(db: Conn): Promise<IspRow[]> {
  return db.selectFrom('isps').selectAll().orderBy('name').orderBy('id').execute();
}

export async function tieUserToIsp(trx: Transaction<DB>, userId: string, ispId: string): Promise<void> {
  await trx.updateTable('users').set({ isp_id: ispId }).where('id', '=', userId).execute();
}

/** The ISP an isp-role token belongs to; null for a token not tied to one. */
export async function ispOfUser(db: Conn, userId: string): Promise<string | null> {
  const row = await db.selectFrom('users').select('isp_id').where('id', '=', userId).executeTakeFirst();
  return row?.isp_id ?? null;
}
