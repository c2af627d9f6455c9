import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ActiveRules } from '../../domain/active-rules.js';
import { publicLogRoutes } from './public-log-routes.js';
import { tlogProofRoutes } from '../tlog/tlog-proof-routes.js';
import { publicCheckRoutes } from './public-check-routes.js';
import { publicSuggestRoutes } from './public-suggest-routes.js';
import { publicEntriesRoutes } from './public-entries-routes.js';
import { publicHistoryRoutes } from './public-history-routes.js';
import { publicStatsRoutes } from './public-stats-routes.js';
import { publicPlatformRoutes } from '../public-platforms/public-platform-routes.js';
import { publicEnforcementRoutes } from '../public-enforcement/public-enforcement-routes.js';

export interface PublicOptions {
  publicBaseUrl: string;
  /** requests per minute per client address */
  rateLimitPerMinute: number;
  /** in-memory copy of the active rules: checks of uncovered names skip the database */
  activeRules?: ActiveRules | undefined;
}

/**
 * The researchers' API: no credentials, open CORS (any page may show what is restricted),
 * and a per-address rate limit so one scraper cannot starve everyone else. Both live in this
 * encapsulated scope and touch no authenticated route.
 */
export const publicApi: FastifyPluginAsyncZod<PublicOptions> = async (app, opts) => {
  await app.register(cors, { origin: '*', methods: ['GET', 'HEAD', 'OPTIONS'] });
  await app.register(rateLimit, {
    max: opts.rateLimitPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (request) => request.ip,
  });
  await app.register(publicLogRoutes);
  await app.register(tlogProofRoutes);
  await app.register(publicCheckRoutes, { publicBaseUrl: opts.publicBaseUrl, activeRules: opts.activeRules });
  await app.register(publicSuggestRoutes, { publicBaseUrl: opts.publicBaseUrl, activeRules: opts.activeRules });
  await app.register(publicEntriesRoutes, { publicBaseUrl: opts.publicBaseUrl });
  await app.register(publicHistoryRoutes, { publicBaseUrl: opts.publicBaseUrl });
  await app.register(publicStatsRoutes);
  await app.register(publicPlatformRoutes);
  await app.register(publicEnforcementRoutes);
};
