import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseResource } from '@tizilim/shared/resource/index';
import { fieldError } from '../../errors/error-catalogue.js';
import { publicResource } from '../../domain/public-view.js';
import { resourceStateAt } from '../../domain/resource-state.js';
import { decisionsOnResource, logEntriesOfResource } from '../../repositories/public-query-repository.js';
import { findResource } from '../../repositories/resource-repository.js';
import { rowToPublicEntry } from '../../repositories/public-log-repository.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { queryText } from '../../schemas/common-schemas.js';

export const publicHistoryRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/public/v1/resources/:value/history', {
    schema: {
      tags: ['public'],
      summary: 'Every approved decision on a resource, in order, with its legal basis and log entries (value URL-encoded)',
      params: z.object({ value: queryText(2048) }),
      response: { 200: z.object({}).passthrough(), ...errorResponses(400, 429) },
    },
  }, async (request) => {
    const parsed = parseResource(request.params.value);
    if (!parsed.ok) throw fieldError('value', parsed.reason);
    const row = await findResource(app.db, parsed.resource.kind, parsed.resource.value);
    const now = new Date();
    if (!row) {
      return { resource: parsed.resource, state: 'accessible', decisions: [], log: [] };
    }
    const [decisions, log, state] = await Promise.all([
      decisionsOnResource(app.db, row.id),
      logEntriesOfResource(app.db, row.id),
      resourceStateAt(app.db, parsed.resource, now),
    ]);
    const category = decisions.at(-1)?.category ?? 'other';
    const resource = publicResource(row, category);
    return {
      resource,
      state: state.state,
      ...(state.until ? { until: state.until } : {}),
      decisions: decisions.map((d) => ({
        id: d.id,
        action: d.action,
        status: d.status,
        category: d.category,
        effectiveFrom: d.effective_from.toISOString(),
        effectiveUntil: d.effective_until?.toISOString() ?? null,
        approvedAt: d.approved_at?.toISOString() ?? null,
        endedAt: d.ended_at?.toISOString() ?? null,
        endReason: d.end_reason,
        legalBasis: { kind: d.basis_kind, authority: d.authority, documentNumber: d.document_number, issuedAt: d.issued_at, provisions: d.provisions },
      })),
      log: log.map(rowToPublicEntry),
    };
  });
};
