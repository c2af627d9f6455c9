import type { Kysely, Transaction } from 'kysely';
import type { DB, PlatformRepresentativeRow } from '../db/schema.js';

type Conn = Kysely<DB> | Transaction<DB>;

export interface NewRepresentative {
  name: string;
  contact: string;
  country: string;
  appointedAt: Date;
}

/** Each platform's representative now (the one not yet replaced). */
export async function currentRepresentatives(db: Conn, platformIds: readonly string[]): Promise<Map<string, PlatformRepresentativeRow>> {
  if (platformIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('platform_representatives')
    .selectAll()
    .where('platform_id', 'in', platformIds)
    .where('replaced_at', 'is', null)
    .execute();
  return new Map(rows.map((r) => [r.platform_id, r]));
}

/** Every representative the platform has had, newest first. */
export async function representativeHistory(db: Conn, platformId: string): Promise<PlatformRepresentativeRow[]> {
  return db
    .selectFrom('platform_representatives')
    .selectAll()
    .where('platform_id', '=', platformId)
    .orderBy('recorded_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/** The new representative takes over; the old row stays, stamped with when it was replaced. */
export async function replaceRepresentative(
  trx: Transaction<DB>,
  platformId: string,
  rep: NewRepresentative,
  recordedBy: string,
  at: Date,
): Promise<{ previous: PlatformRepresentativeRow | undefined; current: PlatformRepresentativeRow }> {
  const previous = await trx
    .updateTable('platform_representatives')
    .set({ replaced_at: at })
    .where('platform_id', '=', platformId)
    .where('replaced_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  const current = await trx
    .insertInto('platform_representatives')
    .values({
      platform_id: platformId,
      name: rep.name,
      contact: rep.contact,
      country: rep.country,
      appointed_at: rep.appointedAt,
      recorded_by: recordedBy,
      recorded_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { previous, current };
}
