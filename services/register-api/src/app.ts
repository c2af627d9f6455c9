import Fastify from 'fastify';
import type { Kysely } from 'kysely';
import { pino, type Logger } from 'pino';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DB } from './db/schema.js';
import { dbPlugin } from './plugins/db-plugin.js';
import { authPlugin } from './plugins/auth-plugin.js';
import { errorHandlerPlugin } from './plugins/error-handler.js';
import { clientErrorHandler, frameworkErrorHandler, type BrowserErrorSlot } from './errors/client-errors.js';
import { shutdownPlugin } from './plugins/shutdown-plugin.js';
import { metricsPlugin } from './plugins/metrics-plugin.js';
import { openApiPlugin } from './plugins/openapi-plugin.js';
import { healthRoutes } from './routes/health/health-routes.js';
import { userRoutes } from './routes/users/user-routes.js';
import { userTokenRoutes } from './routes/users/user-token-routes.js';
import { legalBasisRoutes } from './routes/legal-bases/legal-basis-routes.js';
import { decisionRoutes } from './routes/decisions/decision-routes.js';
import { resourceStateRoutes } from './routes/resources/resource-state-routes.js';
import { auditRoutes } from './routes/audit/audit-routes.js';
import { platformRoutes } from './routes/platforms/platform-routes.js';
import { orderRoutes } from './routes/orders/order-routes.js';
import { ispRoutes } from './routes/isps/isp-routes.js';
import { heartbeatRoutes } from './routes/gateways/heartbeat-routes.js';
import { enforcementMetricsPlugin } from './plugins/enforcement-metrics-plugin.js';
import { importRoutes } from './routes/imports/import-routes.js';
import { feedRoutes } from './routes/feed/feed-routes.js';
import { checkpointRoutes } from './routes/log/checkpoint-routes.js';
import { publicApi } from './routes/public/public-plugin.js';
import { LogWatcher, type Listen } from './domain/log-watcher.js';
import { ActiveRules } from './domain/active-rules.js';
import { registerCheckCopyMetrics } from './plugins/check-copy-metrics.js';
import { registerTokenCacheMetrics } from './plugins/token-cache-metrics.js';
import { loadOrCreateSigningKey } from './domain/log-checkpoints.js';
import type { KeyObject } from 'node:crypto';
import { TlogService } from './domain/tlog-service.js';
import { defaultTlogOrigin } from './domain/tlog-checkpoints.js';
import { parseWitnessConfig } from './domain/witness-cosigning.js';
import { tlogApi } from './routes/tlog/tlog-plugin.js';
import { ImmutableTileCache } from './routes/tlog/tile-cache.js';
import { TileFrontDoor } from './routes/tlog/tile-front-door.js';
import { MAX_PATH_SEGMENT, webPages } from './web/web-plugin.js';

declare module 'fastify' {
  interface FastifyInstance {
    logSigningKey: KeyObject;
    activeRules: ActiveRules;
    tlog: TlogService;
  }
}

export interface AppOptions {
  db: Kysely<DB>;
  logger: Logger | false;
  /** Trust X-Forwarded-For from a load balancer in front (audit records the client address). */
  trustProxy?: boolean;
  /** NOTIFY subscription of the database, so long-polls wake at once; polling without it. */
  listen?: Listen | undefined;
  publicBaseUrl?: string;
  rpzZone?: string;
  /** PEM or base64 seed; generated once and kept in the database when absent. */
  signingKey?: string | undefined;
  publicRateLimitPerMinute?: number;
  feedMaxChangesGap?: number;
  /** Write the feed's snapshot copy at start (FEED_SNAPSHOT_WARM); off unless asked. */
  warmSnapshot?: boolean;
  /** TLOG_ORIGIN; host[:port] of publicBaseUrl + /tlog when absent. */
  tlogOrigin?: string | undefined;
  /** LOG_WITNESS_URLS / LOG_WITNESS_KEYS, comma-separated, paired by position. */
  witnessUrls?: string | undefined;
  witnessKeys?: string | undefined;
  /** Bytes of full tiles each process keeps in memory (TLOG_TILE_CACHE_MB). */
  tileCacheBytes?: number;
  /** Bytes of stored tree nodes each process keeps for proofs (TLOG_PROOF_CACHE_MB). */
  proofCacheBytes?: number;
  /** TOKEN_TTL_DAYS: expiry of issued tokens; null or absent: they never expire. */
  tokenTtlDays?: number | null;
}

export async function buildApp(options: AppOptions) {
  const tileCache = new ImmutableTileCache(options.tileCacheBytes ?? 64 * 1024 * 1024);
  const tileFrontDoor = new TileFrontDoor(tileCache);
  const browserErrors: BrowserErrorSlot = {};
  const app = Fastify({
    // Cached full tiles are answered ahead of routing (tile-front-door.ts); the rest is Fastify's.
    serverFactory: tileFrontDoor.serverFactory(),
    loggerInstance: options.logger === false ? pino({ enabled: false }) : options.logger,
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 1024 * 1024,
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler(browserErrors),
    // shutdownPlugin answers requests that arrive while closing, in the register's error shape.
    return503OnClosing: false,
    // Resource values (URLs up to 2048 characters) travel in the path of the resource pages.
    routerOptions: { maxParamLength: MAX_PATH_SEGMENT },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(errorHandlerPlugin);
  await app.register(shutdownPlugin);
  await app.register(dbPlugin, { db: options.db });
  await app.register(authPlugin, { listen: options.listen, tokenTtlDays: options.tokenTtlDays });
  await app.register(metricsPlugin);
  tileFrontDoor.registerMetrics(app.metrics);
  app.addHook('preClose', (done) => { tileFrontDoor.close(); done(); });
  await app.register(openApiPlugin);

  await app.register(healthRoutes);
  await app.register(userRoutes);
  await app.register(userTokenRoutes);
  await app.register(legalBasisRoutes);
  const watcher = new LogWatcher(options.db, options.listen);
  await watcher.start();
  app.addHook('onClose', () => watcher.stop());
  await app.register(decisionRoutes, { onAppended: (seq) => watcher.appended(seq) });
  await app.register(resourceStateRoutes);
  await app.register(auditRoutes);
  await app.register(platformRoutes);
  await app.register(orderRoutes);
  await app.register(ispRoutes);
  await app.register(heartbeatRoutes);
  await app.register(importRoutes);
  await app.register(enforcementMetricsPlugin);

  const signingKey = await loadOrCreateSigningKey(options.db, options.signingKey);
  app.decorate('logSigningKey', signingKey);
  await app.register(feedRoutes, { watcher, rpzZone: options.rpzZone ?? 'rpz.tizilim.', maxChangesGap: options.feedMaxChangesGap ?? 100_000, warmSnapshot: options.warmSnapshot ?? false });
  const tlog = new TlogService(
    options.db,
    { origin: options.tlogOrigin ?? defaultTlogOrigin(options.publicBaseUrl ?? 'http://127.0.0.1:8080'), key: signingKey },
    parseWitnessConfig(options.witnessUrls, options.witnessKeys),
    app.log,
    app.metrics,
    options.proofCacheBytes,
  );
  app.decorate('tlog', tlog);
  await app.register(checkpointRoutes, { signingKey, tlog });
  await app.register(tlogApi, { tlog, tileCache });
  // Public checks of names no rule covers are answered from memory once this has loaded (in the background).
  const activeRules = new ActiveRules(options.db, watcher, app.log);
  app.decorate('activeRules', activeRules);
  registerCheckCopyMetrics(app.metrics, activeRules);
  registerTokenCacheMetrics(app.metrics, app.tokenCache);
  app.addHook('onClose', () => activeRules.close());
  await app.register(publicApi, {
    publicBaseUrl: options.publicBaseUrl ?? 'http://127.0.0.1:8080',
    rateLimitPerMinute: options.publicRateLimitPerMinute ?? 600,
    activeRules,
  });
  await app.register(webPages, { publicBaseUrl: options.publicBaseUrl ?? 'http://127.0.0.1:8080', activeRules, logHead: () => watcher.head, browserErrors });
  activeRules.start();
  return app;
}
