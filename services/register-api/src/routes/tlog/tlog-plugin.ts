import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { TlogService } from '../../domain/tlog-service.js';
import type { ImmutableTileCache } from './tile-cache.js';
import { tlogCheckpointRoutes } from './tlog-checkpoint-routes.js';
import { tlogTileRoutes } from './tlog-tile-routes.js';
import { verifyLogBundleRoute } from './verify-log-bundle-route.js';

/**
 * `/tlog/…`: what tlog clients (Go's sumdb/tlog, witnesses, verify-log) read. Readable from any
 * origin and not rate-limited here: full tiles are meant to be served by caches, and the checkpoint is small.
 */
export const tlogApi: FastifyPluginAsyncZod<{ tlog: TlogService; tileCache: ImmutableTileCache }> = async (app, opts) => {
  // Plain GETs need no preflight, so the header alone opens them to any page (the public API's
  // CORS plugin already owns the OPTIONS route of this server).
  // A callback hook, not an async one: it runs on every tile, and a promise per reply costs.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('access-control-allow-origin', '*');
    done(null, payload);
  });
  await app.register(tlogCheckpointRoutes, { tlog: opts.tlog });
  await app.register(tlogTileRoutes, { cache: opts.tileCache });
  await app.register(verifyLogBundleRoute);
};
