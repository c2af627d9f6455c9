import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN } from '../../auth/roles.js';
import { notFound } from '../../errors/error-catalogue.js';
import { approveDecision, createDecision, rejectDecision } from '../../domain/decision-service.js';
import { decisionResources, decisionView as toView, findDecision, listDecisions } from '../../repositories/decision-repository.js';
import { createdAtCursor, decodeCursor, encodeCursor, idParams, limitQuery } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { decisionBody, decisionStatus, decisionView, rejectBody } from './decision-schemas.js';

export const decisionRoutes: FastifyPluginAsyncZod<{ onAppended?: (seq: number) => void }> = async (app, opts) => {
  app.post('/v1/decisions', {
    onRequest: app.authorize(CAN.draft),
    schema: {
      tags: ['decisions'],
      summary: 'Draft a decision: restrict, suspend (until a time) or restore resources, citing a legal basis',
      description: 'The decision waits for approval by a different user before anything is enforced.',
      security: [{ bearer: [] }],
      body: decisionBody,
      response: { 201: decisionView, ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    const view = await createDecision(app.db, request.body, { id: request.user!.id, sourceIp: request.ip });
    return reply.status(201).send(view);
  });

  app.post('/v1/decisions/:id/approve', {
    onRequest: app.authorize(CAN.approve),
    schema: {
      tags: ['decisions'],
      summary: 'Approve a decision drafted by someone else; it takes effect now or is scheduled',
      security: [{ bearer: [] }],
      params: idParams,
      response: { 200: decisionView.extend({ logEntries: z.array(z.number()) }), ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => {
    const { decision, logEntries } = await approveDecision(app.db, request.params.id, { id: request.user!.id, sourceIp: request.ip });
    if (logEntries.length > 0) opts.onAppended?.(Math.max(...logEntries));
    return { ...decision, logEntries };
  });

  app.post('/v1/decisions/:id/reject', {
    onRequest: app.authorize(CAN.approve),
    schema: {
      tags: ['decisions'],
      summary: 'Reject a decision pending approval, with the reason',
      security: [{ bearer: [] }],
      params: idParams,
      body: rejectBody,
      response: { 200: decisionView, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => rejectDecision(app.db, request.params.id, request.body.reason, { id: request.user!.id, sourceIp: request.ip }));

  app.get('/v1/decisions/:id', {
    onRequest: app.authorize(CAN.readDecisions),
    schema: {
      tags: ['decisions'],
      summary: 'One decision with its resources',
      security: [{ bearer: [] }],
      params: idParams,
      response: { 200: decisionView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const row = await findDecision(app.db, request.params.id);
    if (!row) throw notFound('decision');
    const resources = await decisionResources(app.db, [row.id]);
    return toView(row, resources.get(row.id) ?? []);
  });

  app.get('/v1/decisions', {
    onRequest: app.authorize(CAN.readDecisions),
    schema: {
      tags: ['decisions'],
      summary: 'Decisions, newest first, optionally by status',
      security: [{ bearer: [] }],
      querystring: z.object({ status: decisionStatus.optional(), cursor: z.string().max(200).optional(), limit: limitQuery }),
      response: { 200: z.object({ decisions: z.array(decisionView), nextCursor: z.string().nullable() }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const { status, cursor, limit } = request.query;
    const rows = await listDecisions(app.db, { status, limit, before: decodeCursor(cursor, createdAtCursor) });
    const resources = await decisionResources(app.db, rows.map((r) => r.id));
    const last = rows.at(-1);
    return {
      decisions: rows.map((r) => toView(r, resources.get(r.id) ?? [])),
      nextCursor: last && rows.length === limit ? encodeCursor({ t: last.created_at.toISOString(), id: last.id }) : null,
    };
  });
};
