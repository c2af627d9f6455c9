import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN } from '../../auth/roles.js';
import { listAudit } from '../../repositories/audit-repository.js';
import { decodeCursor, encodeCursor, limitQuery } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';

const auditView = z.object({
  id: z.number(),
  at: z.string(),
  actorId: z.string().nullable(),
  sourceIp: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
}).meta({ id: 'AuditRecord' });

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/audit', {
    onRequest: app.authorize(CAN.readAudit),
    schema: {
      tags: ['audit'],
      summary: 'Every mutation: who, when, from where, what, before and after; newest first',
      security: [{ bearer: [] }],
      querystring: z.object({ cursor: z.string().max(100).optional(), limit: limitQuery }),
      response: { 200: z.object({ records: z.array(auditView), nextCursor: z.string().nullable() }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const before = decodeCursor(request.query.cursor, z.object({ id: z.number().int().positive() }));
    const rows = await listAudit(app.db, { limit: request.query.limit, ...(before ? { beforeId: before.id } : {}) });
    const last = rows.at(-1);
    return {
      records: rows.map((r) => ({
        id: Number(r.id), at: r.at.toISOString(), actorId: r.actor_id, sourceIp: r.source_ip, action: r.action,
        targetType: r.target_type, targetId: r.target_id, before: r.before, after: r.after,
      })),
      nextCursor: last && rows.length === request.query.limit ? encodeCursor({ id: Number(last.id) }) : null,
    };
  });
};
