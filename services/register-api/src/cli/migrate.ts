import { join } from 'node:path';
import { pino } from 'pino';
import { openDatabase } from '../db/database.js';
import { migrateDatabase } from '../db/migrate-database.js';
import { loadRegisterConfig } from '../config.js';

/**
 * `npm run migrate`: brings the configured database (Postgres or the embedded one) to the latest
 * schema; with MIGRATION_DATABASE_URL, as that owner, and grants DATABASE_URL's role its rights.
 */
const config = loadRegisterConfig(process.env);
const logger = pino({ name: 'migrate', level: config.LOG_LEVEL });
const database = await openDatabase({ url: config.DATABASE_URL, dataDir: join(config.DATA_DIR, 'register') });
try {
  const applied = await migrateDatabase({ serviceDatabase: database, databaseUrl: config.DATABASE_URL, migrationUrl: config.MIGRATION_DATABASE_URL }, logger);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already at the latest schema');
} catch (err) {
  console.error('migration failed:', err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  await database.close();
}
