import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { migrateToLatest } from '@tizilim/migrations';
import { openDatabase } from '../db/database.js';
import { loadRegisterConfig } from '../config.js';

/** `npm run migrate`: brings the configured database (Postgres or the embedded one) to the latest schema. */
const config = loadRegisterConfig(process.env);
const database = await openDatabase({ url: config.DATABASE_URL, dataDir: join(config.DATA_DIR, 'register') });
try {
  const result = await migrateToLatest(database.db as unknown as Kysely<unknown>);
  const applied = result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already at the latest schema');
} catch (err) {
  console.error('migration failed:', err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  await database.close();
}
