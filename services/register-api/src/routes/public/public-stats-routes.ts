import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { publicStats } from '../../repositories/public-query-repository.js';
import { errorResponses } from '../../schemas/error-responses.js';

const counts = z.array(z.object({ key: z.string(), n: z.number() }));

export const publicStatsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/public/v1/stats', {
    schema: {
      tags: ['public'],
      summary: 'Active rules by category, legal basis kind and authority (restrictions and suspensions; exceptions counted apart); entries added and removed by month',
      response: {
        200: z.object({
          version: z.number(),
          activeRules: z.number(),
          approvedDecisions: z.number(),
          activeExceptions: z.number().describe('exceptions in force (restorations carved out of wider rules); included in activeRules, not in the by* counts'),
          byCategory: counts,
          byBasisKind: counts,
          byAuthority: counts,
          byMonth: z.array(z.object({ month: z.string(), added: z.number(), removed: z.number() })),
        }),
        ...errorResponses(429),
      },
    },
  }, async () => {
    const s = await publicStats(app.db);
    return {
      version: Number(s.totals.seq),
      activeRules: Number(s.totals.active),
      approvedDecisions: Number(s.totals.decisions),
      activeExceptions: Number(s.totals.exceptions),
      byCategory: s.byCategory.map((r) => ({ key: r.key, n: Number(r.n) })),
      byBasisKind: s.byBasisKind.map((r) => ({ key: r.key, n: Number(r.n) })),
      byAuthority: s.byAuthority.map((r) => ({ key: r.key, n: Number(r.n) })),
      byMonth: s.byMonth.map((r) => ({ month: r.month, added: Number(r.added), removed: Number(r.removed) })),
    };
  });
};
