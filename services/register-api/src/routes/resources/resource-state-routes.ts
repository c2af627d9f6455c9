import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseResource } from '@tizilim/shared/resource/index';
import { CAN } from '../../auth/roles.js';
import { fieldError } from '../../errors/error-catalogue.js';
import { resourceStateAt } from '../../domain/resource-state.js';
import { isoInstant, queryText } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';

export const resourceStateView = z
  .object({
    value: z.string(),
    kind: z.string(),
    display: z.string(),
    at: z.string(),
    state: z.enum(['restricted', 'suspended', 'accessible']),
    since: z.string().optional(),
    until: z.string().optional(),
    decisionId: z.string().optional(),
    category: z.string().optional(),
    legalBasis: z.object({ id: z.string(), kind: z.string(), authority: z.string(), documentNumber: z.string(), issuedAt: z.string() }).optional(),
    decidedBy: z.object({
      entry: z.number().describe('public log entry that put the deciding rule in force'),
      kind: z.string(), value: z.string(), display: z.string(),
      mode: z.enum(['restrict', 'suspend', 'allow']),
      own: z.boolean().describe("true: the resource's own rule; false: a wider rule covering it (a wildcard above a name, a host above a URL)"),
      exception: z.boolean().describe('true: an exception (a restoration carved out of a wider rule) keeps the resource accessible'),
    }).optional().describe('the most specific rule or exception in force covering the resource; absent when none covers it'),
  })
  .meta({ id: 'ResourceState' });

export const resourceStateRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/resources/state', {
    onRequest: app.authorize(CAN.readState),
    schema: {
      tags: ['resources'],
      summary: 'The state of a resource now, or at a past instant, and which rule or exception decides it (its own, or a wider one covering it)',
      security: [{ bearer: [] }],
      querystring: z.object({
        value: queryText(2048),
        at: isoInstant.optional(),
      }),
      response: { 200: resourceStateView, ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const parsed = parseResource(request.query.value);
    if (!parsed.ok) throw fieldError('value', parsed.reason);
    return resourceStateAt(app.db, parsed.resource, request.query.at ?? new Date());
  });
};
