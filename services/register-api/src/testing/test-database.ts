import type {} from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import pg from 'pg';
import { grantServiceRole, migrateToLatest } from '@tizilim/migrations';
import { openDatabase, type Database } from '../db/database.js';

/**
 * Test databases: one migrated template per test run, cloned for each test file, so files
 * never see each other's rows and nobody waits for migrations twice. Real Postgres when
 * TEST_DATABASE_URL is set (CREATE DATABASE … TEMPLATE), embedded PGlite otherwise (a data
 * dump loaded into a fresh in-memory instance).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    dbTemplate: TemplateRef;
  }
}

export type TemplateRef = { kind: 'postgres'; serverUrl: string; template: string } | { kind: 'pglite'; dumpPath: string };

const PREFIX = 'tizilim_test_';
/** The least-privilege role of test databases on Postgres (cluster-wide, shared by parallel runs; see grantServiceRole). */
export const TEST_SERVICE_ROLE = 'tizilim_test_service';

export async function createTemplate(serverUrl: string | undefined): Promise<TemplateRef> {
  if (!serverUrl) {
    const database = await openDatabase({ memory: true });
    await migrateToLatest(database.db as unknown as Kysely<unknown>);
    const dump = await database.dumpDataDir!();
    await database.close();
    const dumpPath = join(tmpdir(), `${PREFIX}${process.pid}_${randomBytes(4).toString('hex')}.tar`);
    await writeFile(dumpPath, Buffer.from(await dump.arrayBuffer()));
    return { kind: 'pglite', dumpPath };
  }
  const template = `${PREFIX}tpl_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${template}`);
  const database = await openDatabase({ url: withDatabase(serverUrl, template), poolSize: 1 });
  try {
    await migrateToLatest(database.db as unknown as Kysely<unknown>);
    // Grants live in the database, so every clone has them: no test pays for them again.
    await grantServiceRole(database.db as unknown as Kysely<unknown>, { name: TEST_SERVICE_ROLE });
  } finally {
    await database.close();
  }
  return { kind: 'postgres', serverUrl, template };
}

export async function dropTemplate(ref: TemplateRef): Promise<void> {
  // The dump is ~40 MB: left behind, every embedded run would add one to the temp folder.
  if (ref.kind === 'pglite') return rm(ref.dumpPath, { force: true });
  // Clones whose test file crashed before cleaning up go too.
  const client = new pg.Client({ connectionString: ref.serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${PREFIX}%_${process.pid}_%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export interface TestDatabase extends Database {
  /** Connection string of the clone (Postgres only): for tests that start a second API process. */
  url: string | undefined;
  /** The clone as the service role (Postgres only): SELECT, INSERT and the updatable columns, nothing more. */
  serviceUrl: string | undefined;
  /**
   * A connection as the service role, closed with the clone. On PGlite (one role, the owner)
   * it is the clone's own connection.
   */
  openAsService(): Promise<Database>;
}

export async function cloneTemplate(ref: TemplateRef, poolSize = 10): Promise<TestDatabase> {
  if (ref.kind === 'pglite') {
    const dump = new Blob([await readFile(ref.dumpPath)]);
    const database = await openDatabase({ pgliteDump: dump });
    return { ...database, url: undefined, serviceUrl: undefined, openAsService: async () => ({ ...database, close: async () => {} }) };
  }
  const name = `${PREFIX}${randomBytes(4).toString('hex')}_${ref.template.split('_').slice(-2).join('_')}`;
  await adminQuery(ref.serverUrl, `CREATE DATABASE ${name} TEMPLATE ${ref.template}`);
  const url = withDatabase(ref.serverUrl, name);
  const serviceUrl = withUser(url, TEST_SERVICE_ROLE);
  // TEST_AS_SERVICE_ROLE=1 runs every test's register as the service role: a check that the
  // grants cover every route.
  const database = await openDatabase({ url: process.env.TEST_AS_SERVICE_ROLE === '1' ? serviceUrl : url, poolSize });
  const extra: Database[] = [];
  return {
    ...database,
    url,
    serviceUrl,
    async openAsService() {
      const service = await openDatabase({ url: serviceUrl, poolSize: 2 });
      extra.push(service);
      return service;
    },
    async close() {
      for (const e of extra) await e.close();
      await database.close();
      await adminQuery(ref.serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function withUser(url: string, user: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = '';
  return u.toString();
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export { sql };
