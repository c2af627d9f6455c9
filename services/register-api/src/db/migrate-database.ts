import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { grantServiceRole, migrateToLatest } from '@tizilim/migrations';
import { openDatabase, type Database } from './database.js';

/** The service role named by DATABASE_URL: its user and, if the URL has one, its password. */
export function serviceRoleOf(databaseUrl: string): { name: string; password?: string } {
  const u = new URL(databaseUrl);
  const name = decodeURIComponent(u.username);
  if (!name) throw new Error('DATABASE_URL names no user: with MIGRATION_DATABASE_URL set it must name the role the service runs as');
  return u.password ? { name, password: decodeURIComponent(u.password) } : { name };
}

/**
 * Brings the schema to the latest migration. With a MIGRATION_DATABASE_URL, as that owner, in a
 * connection of its own, and then (re)grants the service role exactly what it needs, covering
 * tables that new migrations added. Without one, on the service's own connection (PGlite, or a
 * Postgres where the service is the owner, which it warns about).
 */
export async function migrateDatabase(
  options: { serviceDatabase: Database; databaseUrl?: string | undefined; migrationUrl?: string | undefined },
  logger: Pick<Logger, 'info' | 'warn'>,
): Promise<string[]> {
  let result;
  if (options.migrationUrl && options.databaseUrl) {
    const owner = await openDatabase({ url: options.migrationUrl, poolSize: 1 });
    try {
      result = await migrateToLatest(owner.db as unknown as Kysely<unknown>);
      const role = serviceRoleOf(options.databaseUrl);
      const grants = await grantServiceRole(owner.db as unknown as Kysely<unknown>, role);
      logger.info({ role: role.name }, 'service role granted SELECT, INSERT and its updatable columns');
      if (grants.unprotectedTables.length > 0) {
        logger.warn({ tables: grants.unprotectedTables }, 'tables no migration protected (protectRegisterTable): the service may UPDATE every column of them');
      }
    } finally {
      await owner.close();
    }
  } else {
    result = await migrateToLatest(options.serviceDatabase.db as unknown as Kysely<unknown>);
    if (options.serviceDatabase.kind === 'postgres') {
      logger.warn('MIGRATION_DATABASE_URL is not set: the service runs with the database owner\'s rights (it could TRUNCATE or rewrite the register); see the README');
    }
  }
  return result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
}
