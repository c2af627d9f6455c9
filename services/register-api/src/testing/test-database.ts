import type {} from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '@tizilim/migrations';
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
}

export async function cloneTemplate(ref: TemplateRef, poolSize = 10): Promise<TestDatabase> {
  if (ref.kind === 'pglite') {
    const dump = new Blob([await readFile(ref.dumpPath)]);
    return { ...(await openDatabase({ pgliteDump: dump })), url: undefined };
  }
  const name = `${PREFIX}${randomBytes(4).toString('hex')}_${ref.template.split('_').slice(-2).join('_')}`;
  await adminQuery(ref.serverUrl, `CREATE DATABASE ${name} TEMPLATE ${ref.template}`);
  const url = withDatabase(ref.serverUrl, name);
  const database = await openDatabase({ url, poolSize });
  return {
    ...database,
    url,
    async close() {
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

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export { sql };
