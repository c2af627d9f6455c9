import { sql, type Kysely } from 'kysely';
import type { LogEntryBody, SignedCheckpoint } from '@tizilim/shared';
import type { DB } from '../../db/schema.js';
import type { ActiveRules } from '../../domain/active-rules.js';
import { latestCheckpoint } from '../../domain/log-checkpoints.js';

export interface Headline {
  activeRestrictions: number;
  logEntries: number;
  checkpoint: SignedCheckpoint | undefined;
  latest: LogEntryBody[];
}

/** The home page's figures and latest entries. */
export async function loadHeadline(db: Kysely<DB>, rules: ActiveRules | undefined, latestCount: number): Promise<Headline> {
  // The in-memory copy knows how many spans are open without counting a million rows.
  const fromCopy = rules?.ready ? rules.stats?.spans : undefined;
  const [active, head, checkpoint, latest] = await Promise.all([
    fromCopy ?? db.selectFrom('enforcement_periods').select(sql<number>`count(*)::int`.as('n')).where('closed_at', 'is', null).executeTakeFirstOrThrow().then((r) => r.n),
    db.selectFrom('public_log_head').select('seq').where('id', '=', 1).executeTakeFirstOrThrow(),
    latestCheckpoint(db),
    latestEntries(db, latestCount),
  ]);
  return { activeRestrictions: active, logEntries: Number(head.seq), checkpoint, latest };
}

export async function latestEntries(db: Kysely<DB>, count: number): Promise<LogEntryBody[]> {
  const rows = await db.selectFrom('public_log').select('body').orderBy('seq', 'desc').limit(count).execute();
  return rows.map((r) => JSON.parse(r.body) as LogEntryBody);
}
