import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN } from '../../auth/roles.js';
import { listAudit } from '../../repositories/audit-repository.js';
import { fieldError } from '../../errors/error-catalogue.js';
import { decodeCursor, encodeCursor, isoInstant, limitQuery, queryText, uuid } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';

const auditView = z.object({
  id: z.number(),
  at: z.string(),
  actorId: z.string().nullable(),
  actor: z.object({ id: z.string(), name: z.string() }).nullable().meta({ description: 'who did it; null for the system (bootstrap, scheduler)' }),
  sourceIp: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
}).meta({ id: 'AuditRecord' });

const auditQuery = z.object({
  actor: uuid.optional().describe('the id of the user who acted'),
  target: queryText(200).optional().describe('the id of what was acted on (a decision, a user, an ISP, …)'),
  action: z.string().regex(/^[a-z_.]{1,100}\*?$/, 'is an action such as decision.approve, or a prefix ending in * such as user.*').optional(),
  since: isoInstant.optional().describe('records at or after this instant'),
  until: isoInstant.optional().describe('records before this instant'),
  cursor: z.string().max(100).optional(),
  limit: limitQuery,
}).strict();

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/audit', {
    onRequest: app.authorize(CAN.readAudit),
    schema: {
      tags: ['audit'],
      summary: 'Every mutation: who, when, from where, what, before and after; newest first',
      description: 'Filters combine: `actor`, `target`, `action` (exact, or a prefix ending in `*`), `since` and `until`. Pages with `cursor`.',
      security: [{ bearer: [] }],
      querystring: auditQuery,
      response: { 200: z.object({ records: z.array(auditView), nextCursor: z.string().nullable() }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const q = request.query;
    if (q.since && q.until && q.until <= q.since) throw fieldError('until', 'must be later than since');
    const before = decodeCursor(q.cursor, z.object({ id: z.number().int().positive() }));
    const rows = await listAudit(app.db, {
      limit: q.limit, actorId: q.actor, targetId: q.target, action: q.action, since: q.since, until: q.until,
      ...(before ? { beforeId: before.id } : {}),
    });
    const last = rows.at(-1);
    return {
      records: rows.map((r) => ({
        id: Number(r.id), at: r.at.toISOString(), actorId: r.actor_id,
        actor: r.actor_id ? { id: r.actor_id, name: r.actor_name ?? '' } : null,
        sourceIp: r.source_ip, action: r.action, targetType: r.target_type, targetId: r.target_id, before: r.before, after: r.after,
      })),
      nextCursor: last && rows.length === q.limit ? encodeCursor({ id: Number(last.id) }) : null,
    };
  });
};
