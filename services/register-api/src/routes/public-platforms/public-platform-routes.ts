import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { DB } from '../../db/schema.js';
import { registrationStatus } from '../../domain/platform-registration.js';
import { complianceByPlatform, type ComplianceRow } from '../../repositories/order-repository.js';
import { currentDomains, listPlatforms } from '../../repositories/platform-repository.js';
import { currentRepresentatives } from '../../repositories/representative-repository.js';
import { resourceView } from '../../repositories/resource-repository.js';
import { createdAtCursor, decodeCursor, encodeCursor, limitQuery } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';

const compliance = z.object({
  orders: z.number(),
  onTime: z.number().describe('content removed or limited within 24 hours'),
  late: z.number().describe('content removed or limited after the 24 hours'),
  refused: z.number(),
  overdue: z.number().describe('past the 24 hours with no answer yet'),
  open: z.number().describe('within the 24 hours, no answer yet'),
  medianHoursToComply: z.number().nullable().describe('median time from issue to removal or limitation, in hours'),
});

const publicPlatform = z
  .object({
    id: z.string(),
    name: z.string(),
    country: z.string(),
    domains: z.array(z.object({ kind: z.string(), value: z.string(), display: z.string() })),
    dailyAudience: z.number(),
    registrationStatus: z.enum(['not_required', 'registered', 'pending', 'past_deadline']),
    registrationDeadline: z.string(),
    representative: z.object({ name: z.string(), country: z.string() }).nullable().describe('only the name and country are public'),
    compliance,
  })
  .meta({ id: 'PublicPlatform' });

function complianceView(c: ComplianceRow | undefined): z.infer<typeof compliance> {
  if (!c) return { orders: 0, onTime: 0, late: 0, refused: 0, overdue: 0, open: 0, medianHoursToComply: null };
  return {
    orders: c.orders,
    onTime: c.on_time,
    late: c.late,
    refused: c.refused,
    overdue: c.overdue,
    open: c.open,
    medianHoursToComply: c.median_hours === null ? null : Math.round(Number(c.median_hours) * 100) / 100,
  };
}

export const publicPlatformRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/public/v1/platforms', {
    schema: {
      tags: ['public'],
      summary: 'Foreign platforms and how they comply with orders: on time, late, refused, overdue, median hours to comply',
      querystring: z.object({ cursor: z.string().max(200).optional(), limit: limitQuery }),
      response: { 200: z.object({ platforms: z.array(publicPlatform), nextCursor: z.string().nullable() }), ...errorResponses(400) },
    },
  }, async (request) => publicPlatformsPage(app.db, request.query.limit, request.query.cursor));
};

/** One page of platforms as the public sees them (the JSON route and the web page share it). */
export async function publicPlatformsPage(db: Kysely<DB>, limit: number, cursor: string | undefined) {
  const rows = await listPlatforms(db, { limit, before: decodeCursor(cursor, createdAtCursor) });
  const ids = rows.map((r) => r.id);
  const [domains, reps, stats] = await Promise.all([currentDomains(db, ids), currentRepresentatives(db, ids), complianceByPlatform(db, ids)]);
  const now = new Date();
  const last = rows.at(-1);
  return {
    platforms: rows.map((p) => {
      const rep = reps.get(p.id);
      const dailyAudience = Number(p.daily_audience);
      return {
        id: p.id,
        name: p.name,
        country: p.country,
        domains: (domains.get(p.id) ?? []).map(resourceView),
        dailyAudience,
        registrationStatus: registrationStatus({ dailyAudience, deadline: p.registration_deadline, hasRepresentative: rep !== undefined }, now),
        registrationDeadline: p.registration_deadline.toISOString(),
        representative: rep ? { name: rep.name, country: rep.country } : null,
        compliance: complianceView(stats.get(p.id)),
      };
    }),
    nextCursor: last && rows.length === limit ? encodeCursor({ t: last.created_at.toISOString(), id: last.id }) : null,
  };
}
