import { sql, type Kysely } from 'kysely';

/**
 * Each enforcement span remembers the public log entry that opened it: the feed and the
 * public check name that entry for every active rule without searching the log.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE enforcement_periods ADD COLUMN add_seq bigint REFERENCES public_log(seq)`.execute(db);
  // The feed snapshot walks the open spans in this order.
  await sql`CREATE INDEX enforcement_open_feed_idx ON enforcement_periods (add_seq) WHERE closed_at IS NULL`.execute(db);
  await sql`CREATE INDEX resources_kind_value_idx ON resources (kind, value text_pattern_ops)`.execute(db);
  await sql`CREATE INDEX public_log_time_idx ON public_log (time)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('not reversible');
}
