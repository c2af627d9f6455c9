import { sql, type Kysely } from 'kysely';

/**
 * Exceptions: a restoration of a name or URL that a wider rule covers (a wildcard above a
 * name, a host above a URL, a suffix above a suffix) opens a span of its own with mode
 * `allow`. It is enforced, published and closed like any other span (one per resource at a
 * time, the exclusion constraint still holds); the most specific span covering a name decides.
 * Only a restoration opens one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE enforcement_periods DROP CONSTRAINT enforcement_periods_mode_check`.execute(db);
  await sql`ALTER TABLE enforcement_periods ADD CONSTRAINT enforcement_periods_mode_check
    CHECK (mode IN ('restrict','suspend','allow'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE enforcement_periods DROP CONSTRAINT enforcement_periods_mode_check`.execute(db);
  await sql`ALTER TABLE enforcement_periods ADD CONSTRAINT enforcement_periods_mode_check
    CHECK (mode IN ('restrict','suspend'))`.execute(db);
}
