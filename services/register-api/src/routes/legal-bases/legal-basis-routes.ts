import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN } from '../../auth/roles.js';
import { notFound } from '../../errors/error-catalogue.js';
import { findLegalBasis, insertLegalBasis, legalBasisView as toView, listLegalBases } from '../../repositories/legal-basis-repository.js';
import { recordAudit } from '../../repositories/audit-repository.js';
import { createdAtCursor, decodeCursor, encodeCursor, idParams, limitQuery } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { legalBasisBody, legalBasisView } from './legal-basis-schemas.js';

export const legalBasisRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/v1/legal-bases', {
    onRequest: app.authorize(CAN.draft),
    schema: {
      tags: ['legal bases'],
      summary: 'Record the document a decision rests on',
      security: [{ bearer: [] }],
      body: legalBasisBody,
      response: { 201: legalBasisView, ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    const row = await app.db.transaction().execute(async (trx) => {
      const created = await insertLegalBasis(trx, request.body, request.user!.id);
      await recordAudit(trx, {
        actorId: request.user!.id, sourceIp: request.ip, action: 'legal_basis.create', targetType: 'legal_basis', targetId: created.id,
        after: toView(created),
      });
      return created;
    });
    return reply.status(201).send(toView(row));
  });

  app.get('/v1/legal-bases/:id', {
    onRequest: app.authorize(CAN.readDecisions),
    schema: {
      tags: ['legal bases'],
      summary: 'One legal basis',
      security: [{ bearer: [] }],
      params: idParams,
      response: { 200: legalBasisView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const row = await findLegalBasis(app.db, request.params.id);
    if (!row) throw notFound('legal basis');
    return toView(row);
  });

  app.get('/v1/legal-bases', {
    onRequest: app.authorize(CAN.readDecisions),
    schema: {
      tags: ['legal bases'],
      summary: 'Legal bases, newest first',
      security: [{ bearer: [] }],
      querystring: z.object({ cursor: z.string().max(200).optional(), limit: limitQuery }),
      response: { 200: z.object({ legalBases: z.array(legalBasisView), nextCursor: z.string().nullable() }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const before = decodeCursor(request.query.cursor, createdAtCursor);
    const rows = await listLegalBases(app.db, { limit: request.query.limit, ...(before ? { before } : {}) });
    const last = rows.at(-1);
    return {
      legalBases: rows.map(toView),
      nextCursor: last && rows.length === request.query.limit ? encodeCursor({ t: last.created_at.toISOString(), id: last.id }) : null,
    };
  });
};
