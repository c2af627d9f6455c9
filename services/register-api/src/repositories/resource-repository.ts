import type { Kysely, Transaction } from 'kysely';
import type { DB, ResourceRow } from '../db/schema.js';
import type { ParsedResource } from '@tizilim/shared/resource/index';

/**
 * Resources are shared by every decision that names them: one row per (kind, value), so the
 * history of `bad.kz` is one thread however many decisions touched it.
 */
export async function upsertResources(trx: Transaction<DB>, resources: readonly ParsedResource[]): Promise<ResourceRow[]> {
  if (resources.length === 0) return [];
  await trx
    .insertInto('resources')
    .values(resources.map((r) => ({ kind: r.kind, value: r.value, display: r.display, host: r.host })))
    .onConflict((oc) => oc.columns(['kind', 'value']).doNothing())
    .execute();
  const rows = await findResources(trx, resources);
  const byKey = new Map(rows.map((r) => [`${r.kind} ${r.value}`, r]));
  return resources.map((r) => byKey.get(`${r.kind} ${r.value}`)!);
}

export async function findResources(db: Kysely<DB> | Transaction<DB>, keys: readonly { kind: string; value: string }[]): Promise<ResourceRow[]> {
  if (keys.length === 0) return [];
  return db
    .selectFrom('resources')
    .selectAll()
    .where((eb) => eb.or(keys.map((k) => eb.and([eb('kind', '=', k.kind as ResourceRow['kind']), eb('value', '=', k.value)]))))
    .execute();
}

export async function findResource(db: Kysely<DB> | Transaction<DB>, kind: ResourceRow['kind'], value: string) {
  return db.selectFrom('resources').selectAll().where('kind', '=', kind).where('value', '=', value).executeTakeFirst();
}

export function resourceView(row: Pick<ResourceRow, 'kind' | 'value' | 'display'>) {
  return { kind: row.kind, value: row.value, display: row.display };
}
