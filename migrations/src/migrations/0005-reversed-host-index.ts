import { sql, type Kysely } from 'kysely';

/** Lets "every entry under example.kz" be an index range instead of a scan of every resource. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX resources_host_reversed_idx ON resources (reverse(host) text_pattern_ops)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX resources_host_reversed_idx`.execute(db);
}
