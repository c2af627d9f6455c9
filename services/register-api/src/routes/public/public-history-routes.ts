import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseResource } from '@tizilim/shared/resource/index';
import { fieldError } from '../../errors/error-catalogue.js';
import { publicEntry, publicResource } from '../../domain/public-view.js';
import { decidingSpanAt } from '../../domain/resource-state.js';
import { blocks } from '../../domain/coverage.js';
import { isoInstant, queryText } from '../../schemas/common-schemas.js';
import { decisionsOnResource, logEntriesOfResource } from '../../repositories/public-query-repository.js';
import { findResource } from '../../repositories/resource-repository.js';
import { rowToPublicEntry } from '../../repositories/public-log-repository.js';
import { errorResponses } from '../../schemas/error-responses.js';

export const publicHistoryRoutes: FastifyPluginAsyncZod<{ publicBaseUrl: string }> = async (app, opts) => {
  const { publicBaseUrl } = opts;
  app.get('/public/v1/resources/:value/history', {
    schema: {
      tags: ['public'],
      summary: 'Every approved decision on a resource, in order, with its legal basis and log entries (value URL-encoded); and which rule or exception decides it now (or at `at`)',
      params: z.object({ value: queryText(2048) }),
      querystring: z.object({ at: isoInstant.optional() }),
      response: { 200: z.object({}).passthrough(), ...errorResponses(400, 429) },
    },
  }, async (request) => {
    const parsed = parseResource(request.params.value);
    if (!parsed.ok) throw fieldError('value', parsed.reason);
    const at = request.query.at ?? new Date();
    const [row, coverage] = await Promise.all([
      findResource(app.db, parsed.resource.kind, parsed.resource.value),
      decidingSpanAt(app.db, parsed.resource, at),
    ]);
    // Coverage: the most specific rule in force, the resource's own or a wider one (see coverage.ts).
    const decider = coverage.span;
    const covered = {
      at: at.toISOString(),
      state: !blocks(decider) ? 'accessible' : decider!.mode === 'suspend' ? 'suspended' : 'restricted',
      ...(decider && blocks(decider) && decider.ends_at ? { until: decider.ends_at.toISOString() } : {}),
      decidedBy: decider ? publicEntry(decider, publicBaseUrl) : null,
    };
    if (!row) {
      return { resource: parsed.resource, ...covered, decisions: [], log: [] };
    }
    const [decisions, log] = await Promise.all([
      decisionsOnResource(app.db, row.id),
      logEntriesOfResource(app.db, row.id),
    ]);
    const category = decisions.at(-1)?.category ?? 'other';
    const resource = publicResource(row, category);
    return {
      resource,
      ...covered,
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
