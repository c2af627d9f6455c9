import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, PlatformRow, ResourceRow } from '../db/schema.js';
import { REPRESENTATIVE_AUDIENCE_THRESHOLD } from '../domain/platform-registration.js';

type Conn = Kysely<DB> | Transaction<DB>;

export interface NewPlatform {
  name: string;
  country: string;
  dailyAudience: number;
  registrationDeadline: Date;
  createdBy: string;
}

export async function insertPlatform(trx: Transaction<DB>, p: NewPlatform): Promise<PlatformRow> {
  return trx
    .insertInto('platforms')
    .values({
      name: p.name,
      country: p.country,
      daily_audience: p.dailyAudience,
      registration_deadline: p.registrationDeadline,
      created_by: p.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findPlatform(db: Conn, id: string) {
  return db.selectFrom('platforms').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Locks the platform row so concurrent updates, domain changes and appointments take turns. */
export async function lockPlatform(trx: Transaction<DB>, id: string) {
  return trx.selectFrom('platforms').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updatePlatformRow(
  trx: Transaction<DB>,
  id: string,
  set: { name?: string; country?: string; daily_audience?: number; registration_deadline?: Date },
  at: Date,
): Promise<PlatformRow> {
  return trx.updateTable('platforms').set({ ...set, updated_at: at }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/** The platform each of these resources is attached to now, if any. */
export async function domainOwners(db: Conn, resourceIds: readonly string[]): Promise<Map<string, string>> {
  if (resourceIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('platform_domains')
    .select(['resource_id', 'platform_id'])
    .where('resource_id', 'in', resourceIds)
    .where('removed_at', 'is', null)
    .execute();
  return new Map(rows.map((r) => [r.resource_id, r.platform_id]));
}

export async function attachDomains(trx: Transaction<DB>, platformId: string, resourceIds: readonly string[], at: Date): Promise<void> {
  if (resourceIds.length === 0) return;
  const { rows } = await sql<{ next: number }>`
    SELECT coalesce(max(position) + 1, 0)::int AS next FROM platform_domains WHERE platform_id = ${platformId}`.execute(trx);
  const start = rows[0]?.next ?? 0;
  await trx
    .insertInto('platform_domains')
    .values(resourceIds.map((resource_id, i) => ({ platform_id: platformId, resource_id, position: start + i, added_at: at })))
    .execute();
}

export async function detachDomains(trx: Transaction<DB>, platformId: string, resourceIds: readonly string[], at: Date): Promise<void> {
  if (resourceIds.length === 0) return;
  await trx
    .updateTable('platform_domains')
    .set({ removed_at: at })
    .where('platform_id', '=', platformId)
    .where('resource_id', 'in', resourceIds)
    .where('removed_at', 'is', null)
    .execute();
}

/** Each platform's domains now, in the order they were added. */
export async function currentDomains(db: Conn, platformIds: readonly string[]): Promise<Map<string, ResourceRow[]>> {
  const out = new Map<string, ResourceRow[]>();
  if (platformIds.length === 0) return out;
  const rows = await db
    .selectFrom('platform_domains as pd')
    .innerJoin('resources as r', 'r.id', 'pd.resource_id')
    .selectAll('r')
    .select('pd.platform_id')
    .where('pd.platform_id', 'in', platformIds)
    .where('pd.removed_at', 'is', null)
    .orderBy('pd.platform_id')
    .orderBy('pd.position')
    .execute();
  for (const { platform_id, ...r } of rows) {
    const list = out.get(platform_id) ?? [];
    list.push(r);
    out.set(platform_id, list);
  }
  return out;
}

export interface PlatformFilter {
  /** true: no representative on record; false: one on record. */
  withoutRepresentative?: boolean | undefined;
  /** true: above the audience threshold with the deadline passed; false: not so. */
  pastDeadline?: boolean | undefined;
  limit: number;
  before?: { createdAt: Date; id: string } | undefined;
}

/** Platforms, newest first. "Past deadline" is read against the database clock. */
export async function listPlatforms(db: Conn, f: PlatformFilter): Promise<PlatformRow[]> {
  let q = db.selectFrom('platforms as p').selectAll('p').orderBy('p.created_at', 'desc').orderBy('p.id', 'desc').limit(f.limit);
  if (f.withoutRepresentative !== undefined) {
    const hasRep = sql<boolean>`EXISTS (SELECT 1 FROM platform_representatives pr WHERE pr.platform_id = p.id AND pr.replaced_at IS NULL)`;
    q = q.where(f.withoutRepresentative ? sql<boolean>`NOT ${hasRep}` : hasRep);
  }
  if (f.pastDeadline !== undefined) {
    const past = sql<boolean>`(p.daily_audience > ${REPRESENTATIVE_AUDIENCE_THRESHOLD} AND p.registration_deadline <= now())`;
    q = q.where(f.pastDeadline ? past : sql<boolean>`NOT ${past}`);
  }
  if (f.before) {
    const { createdAt, id } = f.before;
    q = q.where((eb) => eb.or([eb('p.created_at', '<', createdAt), eb.and([eb('p.created_at', '=', createdAt), eb('p.id', '<', id)])]));
  }
  return q.execute();
}
