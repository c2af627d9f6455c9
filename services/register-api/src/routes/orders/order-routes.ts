import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN } from '../../auth/roles.js';
import { notFound } from '../../errors/error-catalogue.js';
import { createOrder, escalateOrder, getOrderView, recordOrderOutcome } from '../../domain/order-service.js';
import { orderView as toView } from '../../domain/order-view.js';
import { listOrders, orderContentUrls, orderEscalations } from '../../repositories/order-repository.js';
import { createdAtCursor, decodeCursor, encodeCursor, idParams, limitQuery, uuid } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { decisionView } from '../decisions/decision-schemas.js';
import { escalateBody, orderBody, orderStatus, orderView, outcomeBody } from './order-schemas.js';

export const orderRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/v1/orders', {
    onRequest: app.authorize(CAN.managePlatforms),
    schema: {
      tags: ['orders'],
      summary: 'Issue an order to a platform to remove or limit content; it is due 24 hours after it is issued',
      description: 'An order with no outcome by `dueAt` becomes `overdue` by itself.',
      security: [{ bearer: [] }],
      body: orderBody,
      response: { 201: orderView, ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    const view = await createOrder(app.db, request.body, { id: request.user!.id, sourceIp: request.ip });
    return reply.status(201).send(view);
  });

  app.post('/v1/orders/:id/outcome', {
    onRequest: app.authorize(CAN.managePlatforms),
    schema: {
      tags: ['orders'],
      summary: 'Record what the platform did: removed, limited or refused, when, and the evidence',
      description: 'An outcome after `dueAt`, or on an order already overdue, is recorded as late. An outcome is final (409 on a second one).',
      security: [{ bearer: [] }],
      params: idParams,
      body: outcomeBody,
      response: { 200: orderView, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => recordOrderOutcome(app.db, request.params.id, request.body, { id: request.user!.id, sourceIp: request.ip }));

  app.post('/v1/orders/:id/escalate', {
    onRequest: app.authorize(CAN.managePlatforms),
    schema: {
      tags: ['orders'],
      summary: "Draft a restriction of the order's content URLs or the platform's domains, citing an overdue or refused order",
      description: 'The draft (category order_noncompliance, the order’s legal basis) waits for approval by a different user like any other decision.',
      security: [{ bearer: [] }],
      params: idParams,
      body: escalateBody,
      response: { 201: decisionView, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    const decision = await escalateOrder(app.db, request.params.id, request.body, { id: request.user!.id, sourceIp: request.ip });
    return reply.status(201).send(decision);
  });

  app.get('/v1/orders/:id', {
    onRequest: app.authorize(CAN.readPlatforms),
    schema: {
      tags: ['orders'],
      summary: 'One order with its outcome and escalations',
      security: [{ bearer: [] }],
      params: idParams,
      response: { 200: orderView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const view = await getOrderView(app.db, request.params.id);
    if (!view) throw notFound('order');
    return view;
  });

  app.get('/v1/orders', {
    onRequest: app.authorize(CAN.readPlatforms),
    schema: {
      tags: ['orders'],
      summary: 'Orders, newest first, optionally of one platform and in one status',
      security: [{ bearer: [] }],
      querystring: z.object({ platformId: uuid.optional(), status: orderStatus.optional(), cursor: z.string().max(200).optional(), limit: limitQuery }),
      response: { 200: z.object({ orders: z.array(orderView), nextCursor: z.string().nullable() }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const { platformId, status, cursor, limit } = request.query;
    const rows = await listOrders(app.db, { platformId, status, limit, before: decodeCursor(cursor, createdAtCursor) });
    const ids = rows.map((r) => r.id);
    const [urls, escalations] = await Promise.all([orderContentUrls(app.db, ids), orderEscalations(app.db, ids)]);
    const last = rows.at(-1);
    return {
      orders: rows.map((r) => toView(r, urls.get(r.id) ?? [], escalations.get(r.id) ?? [])),
      nextCursor: last && rows.length === limit ? encodeCursor({ t: last.created_at.toISOString(), id: last.id }) : null,
    };
  });
};
