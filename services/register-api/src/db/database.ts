import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { join } from 'node:path';
import type { DB } from './schema.js';
import { configurePgTypes } from './pg-types.js';
import { acquireDirectoryLock } from './pglite-lock.js';
import { listenOnPostgres } from './notification-listener.js';

export interface Database {
  db: Kysely<DB>;
  kind: 'postgres' | 'pglite';
  /** Called with every pool error that has no request waiting on it (e.g. a restart of Postgres). */
  onPoolError(listener: (err: Error) => void): void;
  /** Subscribes to NOTIFY on a channel; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** PGlite only: the data directory as a tarball, for cloning a migrated template in tests. */
  dumpDataDir?: () => Promise<Blob>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Postgres connection string; when absent, the embedded PGlite under `dataDir`. */
  url?: string | undefined;
  dataDir?: string | undefined;
  /** An already-loaded PGlite data dump (tests clone a migrated template this way). */
  pgliteDump?: Blob | File | undefined;
  /** PGlite in memory only, nothing on disk (tests). */
  memory?: boolean;
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  configurePgTypes();
  return options.url ? openPostgres(options.url, options.poolSize ?? 10) : openPglite(options);
}

function openPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Fail fast while Postgres is down instead of queueing requests forever: the API answers 503.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  const listeners: ((err: Error) => void)[] = [];
  // A client whose server goes away emits 'error': on the pool while idle, on the client itself
  // while checked out (e.g. between the statements of a transaction). Unhandled, either kills
  // the process; handled, the statement in flight fails, the request answers 503, and pg's pool
  // discards the broken client.
  pool.on('error', (err) => listeners.forEach((l) => l(err)));
  pool.on('connect', (client) => client.on('error', (err) => listeners.forEach((l) => l(err))));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
  return {
    db,
    kind: 'postgres',
    onPoolError: (l) => void listeners.push(l),
    listen: async (channel, onPayload) => listenOnPostgres(url, channel, onPayload, (err) => listeners.forEach((l) => l(err))),
    close: () => db.destroy(),
  };
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { btree_gist } = await import('@electric-sql/pglite/contrib/btree_gist');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  const inMemory = options.memory || options.pgliteDump !== undefined;
  const dataDir = inMemory ? undefined : (options.dataDir ?? './data/register');
  const release = dataDir ? acquireDirectoryLock(join(dataDir, '..', `${basename(dataDir)}.lock`)) : () => {};
  try {
    const pglite = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      ...(options.pgliteDump ? { loadDataDir: options.pgliteDump } : {}),
      extensions: { btree_gist },
    });
    // PGlite is one connection; a pool of one keeps node-postgres from opening more.
    const pool = new pg.Pool({ ...(createPgConfig(pglite) as unknown as pg.PoolConfig), max: 1 });
    pool.on('error', () => {});
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
    return {
      db,
      kind: 'pglite',
      onPoolError: () => {},
      // PGlite delivers NOTIFY in-process, which is all there is: one process owns the data.
      listen: async (channel, onPayload) => {
        const unsubscribe = await pglite.listen(channel, onPayload);
        return async () => unsubscribe();
      },
      dumpDataDir: () => pglite.dumpDataDir('none'),
      close: async () => {
        await db.destroy();
        await pglite.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

function basename(p: string): string {
  return p.replace(/\/+$/, '').split('/').pop() || 'data';
}
