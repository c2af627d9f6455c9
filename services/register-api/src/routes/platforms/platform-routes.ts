import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN } from '../../auth/roles.js';
import { notFound } from '../../errors/error-catalogue.js';
import { appointRepresentative, createPlatform, updatePlatform } from '../../domain/platform-service.js';
import { platformView as toView, representativeView as toRepView } from '../../domain/platform-view.js';
import { currentDomains, findPlatform, listPlatforms } from '../../repositories/platform-repository.js';
import { currentRepresentatives, representativeHistory } from '../../repositories/representative-repository.js';
import { createdAtCursor, decodeCursor, encodeCursor, idParams, limitQuery } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { booleanQuery } from '../../schemas/platform-order-inputs.js';
import { platformBody, platformDetailView, platformPatchBody, platformView, representativeBody } from './platform-schemas.js';

export const platformRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/v1/platforms', {
    onRequest: app.authorize(CAN.managePlatforms),
    schema: {
      tags: ['platforms'],
      summary: 'Record a foreign online platform: its domains, country and average daily audience in the country',
      description: 'Above 100,000 daily users a platform must have a legal representative on record by its registration deadline.',
      security: [{ bearer: [] }],
      body: platformBody,
      response: { 201: platformView, ...errorResponses(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const view = await createPlatform(app.db, request.body, { id: request.user!.id, sourceIp: request.ip });
    return reply.status(201).send(view);
  });

  app.patch('/v1/platforms/:id', {
    onRequest: app.authorize(CAN.managePlatforms),
    schema: {
      tags: ['platforms'],
      summary: 'Change a platform: name, domains (the list given replaces the current one), country, audience, deadline',
      security: [{ bearer: [] }],
      params: idParams,
      body: platformPatchBody,
      response: { 200: platformView, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => updatePlatform(app.db, request.params.id, request.body, { id: request.user!.id, sourceIp: request.ip }));

  app.put('/v1/platforms/:id/representative', {
    onRequest: app.authorize(CAN.managePlatforms),
    schema: {
      tags: ['platforms'],
      summary: "Record the platform's legal representative in the country; a previous one is replaced and kept in the history",
      security: [{ bearer: [] }],
      params: idParams,
      body: representativeBody,
      response: { 200: platformView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => appointRepresentative(app.db, request.params.id, request.body, { id: request.user!.id, sourceIp: request.ip }));

  app.get('/v1/platforms/:id', {
    onRequest: app.authorize(CAN.readPlatforms),
    schema: {
      tags: ['platforms'],
      summary: 'One platform with its domains, representative and the history of its representatives',
      security: [{ bearer: [] }],
      params: idParams,
      response: { 200: platformDetailView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const row = await findPlatform(app.db, request.params.id);
    if (!row) throw notFound('platform');
    const [domains, reps, history] = await Promise.all([
      currentDomains(app.db, [row.id]), currentRepresentatives(app.db, [row.id]), representativeHistory(app.db, row.id),
    ]);
    return { ...toView(row, domains.get(row.id) ?? [], reps.get(row.id), new Date()), representativeHistory: history.map(toRepView) };
  });

  app.get('/v1/platforms', {
    onRequest: app.authorize(CAN.readPlatforms),
    schema: {
      tags: ['platforms'],
      summary: 'Platforms, newest first',
      description:
        '`withoutRepresentative=true`: no representative on record. `pastDeadline=true`: above 100,000 daily users and past the '
        + 'registration deadline. Both together: the platforms in breach of the duty to have a representative.',
      security: [{ bearer: [] }],
      querystring: z.object({
        withoutRepresentative: booleanQuery.optional(),
        pastDeadline: booleanQuery.optional(),
        cursor: z.string().max(200).optional(),
        limit: limitQuery,
      }),
      response: { 200: z.object({ platforms: z.array(platformView), nextCursor: z.string().nullable() }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const { withoutRepresentative, pastDeadline, cursor, limit } = request.query;
    const rows = await listPlatforms(app.db, { withoutRepresentative, pastDeadline, limit, before: decodeCursor(cursor, createdAtCursor) });
    const ids = rows.map((r) => r.id);
    const [domains, reps] = await Promise.all([currentDomains(app.db, ids), currentRepresentatives(app.db, ids)]);
    const now = new Date();
    const last = rows.at(-1);
    return {
      platforms: rows.map((r) => toView(r, domains.get(r.id) ?? [], reps.get(r.id), now)),
      nextCursor: last && rows.length === limit ? encodeCursor({ t: last.created_at.toISOString(), id: last.id }) : null,
    };
  });
};
