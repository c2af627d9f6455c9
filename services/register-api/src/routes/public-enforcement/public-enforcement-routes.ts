import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { DB } from '../../db/schema.js';
import { enforcementOverview } from '../../domain/enforcement-overview.js';

/**
 * What the public sees of enforcement: per ISP, how many gateways report, the oldest version
 * among them and the worst lag. Not gateway names (they are often host names inside the
 * ISP's network) nor contacts.
 */
const publicIsp = z.object({
  name: z.string().nullable().describe('null: gateways whose token is not tied to a registered ISP'),
  gateways: z.number(),
  gatewaysReporting: z.number().describe('gateways heard from in the last minute'),
  minVersion: z.number().nullable(),
  maxLagEntries: z.number().nullable(),
  maxLagSeconds: z.number().nullable(),
  lastSeenAt: z.string().nullable(),
});

export const publicEnforcementRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/public/v1/enforcement', {
    schema: {
      tags: ['public'],
      summary: 'Which version of the register each ISP enforces and how far behind it is',
      response: { 200: z.object({ registerVersion: z.number(), generatedAt: z.string(), isps: z.array(publicIsp) }).meta({ id: 'PublicEnforcement' }) },
    },
  }, async () => publicEnforcementView(app.db));
};

/** Enforcement per ISP as the public sees it (the JSON route and the web page share it). */
export async function publicEnforcementView(db: Kysely<DB>) {
  const overview = await enforcementOverview(db);
  return {
    registerVersion: overview.registerVersion,
    generatedAt: overview.generatedAt,
    isps: overview.isps.map((i) => ({
      name: i.name,
      gateways: i.gateways.length,
      gatewaysReporting: i.gateways.filter((g) => g.status !== 'silent').length,
      minVersion: i.minVersion,
      maxLagEntries: i.maxLagEntries,
      maxLagSeconds: i.maxLagSeconds,
      lastSeenAt: i.lastSeenAt,
    })),
  };
}
