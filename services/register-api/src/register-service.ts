import { join } from 'node:path';
import type { Logger } from 'pino';
import { openDatabase, type Database } from './db/database.js';
import { migrateDatabase } from './db/migrate-database.js';
import { buildApp } from './app.js';
import type { RegisterConfig } from './config.js';
import { bootstrapAdmin } from './domain/bootstrap-admin.js';
import { DecisionScheduler } from './scheduler/decision-scheduler.js';
import { OrderScheduler } from './scheduler/order-scheduler.js';
import { CheckpointScheduler } from './scheduler/checkpoint-scheduler.js';
import { TlogCheckpointScheduler } from './scheduler/tlog-checkpoint-scheduler.js';
import { SHUTDOWN_GRACE_MS } from './plugins/shutdown-plugin.js';

export interface RunningRegister {
  url: string;
  database: Database;
  close(): Promise<void>;
}

/** The whole register-api process: database, migrations, HTTP, scheduler; and its orderly stop. */
export async function startRegister(config: RegisterConfig, logger: Logger): Promise<RunningRegister> {
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: join(config.DATA_DIR, 'register'), poolSize: config.DB_POOL_SIZE });
  logger.info({ database: database.kind }, 'database open');
  database.onPoolError((err) => logger.warn({ err: { message: err.message } }, 'idle database connection lost'));
  try {
    await migrateDatabase({ serviceDatabase: database, databaseUrl: config.DATABASE_URL, migrationUrl: config.MIGRATION_DATABASE_URL }, logger);
    const tokenTtlDays = config.TOKEN_TTL_DAYS || null;
    await bootstrapAdmin(database.db, config.ADMIN_TOKEN, logger, tokenTtlDays);
    const app = await buildApp({
      db: database.db,
      logger,
      trustProxy: config.TRUST_PROXY,
      listen: database.listen,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      rpzZone: config.RPZ_ZONE,
      signingKey: config.LOG_SIGNING_KEY,
      publicRateLimitPerMinute: config.PUBLIC_RATE_LIMIT,
      feedMaxChangesGap: config.FEED_MAX_CHANGES_GAP,
      warmSnapshot: config.FEED_SNAPSHOT_WARM,
      tlogOrigin: config.TLOG_ORIGIN,
      witnessUrls: config.LOG_WITNESS_URLS,
      witnessKeys: config.LOG_WITNESS_KEYS,
      tileCacheBytes: config.TLOG_TILE_CACHE_MB * 1024 * 1024,
      proofCacheBytes: config.TLOG_PROOF_CACHE_MB * 1024 * 1024,
      tokenTtlDays,
    });
    const scheduler = new DecisionScheduler({ db: database.db, logger, intervalMs: config.SCHEDULER_INTERVAL_MS });
    const orderScheduler = new OrderScheduler({ db: database.db, logger, intervalMs: config.SCHEDULER_INTERVAL_MS });
    const checkpoints = new CheckpointScheduler({ db: database.db, key: app.logSigningKey, logger, intervalMs: config.CHECKPOINT_INTERVAL_MS });
    const tlogCheckpoints = new TlogCheckpointScheduler({ tlog: app.tlog, logger, intervalMs: config.TLOG_CHECKPOINT_INTERVAL_MS });
    const address = await app.listen({ host: config.API_HOST, port: config.API_PORT });
    scheduler.start();
    orderScheduler.start();
    checkpoints.start();
    tlogCheckpoints.start();
    return {
      url: address,
      database,
      async close() {
        // Long-polls end at once (preClose); running requests get SHUTDOWN_GRACE_MS, then their
        // connections are closed. Schedulers finish the pass they are in.
        const force = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        force.unref();
        try {
          await Promise.all([checkpoints.stop(), tlogCheckpoints.stop(), scheduler.stop(), orderScheduler.stop(), app.close()]);
        } finally {
          clearTimeout(force);
        }
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
