import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { normaliseHost } from '@tizilim/shared/resource/index';
import { LEGAL_BASIS_KINDS } from '@tizilim/shared';
import { CATEGORIES } from '../../domain/categories.js';
import { fieldError } from '../../errors/error-catalogue.js';
import { CSV_COLUMNS, csvRow, publicEntry } from '../../domain/public-view.js';
import { entriesQuery, type EntryFilters } from '../../repositories/public-query-repository.js';
import { decodeCursor, encodeCursor, isoInstant, queryText } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { publicEntrySchema } from './public-schemas.js';

const filters = z.object({
  domain: queryText(253).optional(),
  category: z.enum(CATEGORIES).optional(),
  basisKind: z.enum(LEGAL_BASIS_KINDS as [string, ...string[]]).optional(),
  authority: queryText(300).optional(),
  since: isoInstant.optional(),
  until: isoInstant.optional(),
  active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * Search over every span a resource was enforced. JSON pages for browsing; the same filters
 * with `Accept: text/csv` or `application/x-ndjson` stream the whole result, with flat memory.
 */
export const publicEntriesRoutes: FastifyPluginAsyncZod<{ publicBaseUrl: string }> = async (app, opts) => {
  app.get('/public/v1/entries', {
    schema: {
      tags: ['public'],
      summary: 'Search the register; `Accept: text/csv` or `application/x-ndjson` streams a bulk export of every match',
      querystring: filters,
      response: { 200: z.object({ entries: z.array(publicEntrySchema), nextCursor: z.string().nullable() }), ...errorResponses(400, 429) },
    },
  }, async (request, reply) => {
    const q = request.query;
    let domain: string | undefined;
    if (q.domain !== undefined) {
      domain = normaliseHost(q.domain.replace(/^\*\./, ''));
      if (!domain) throw fieldError('domain', 'must be a host name');
    }
    const base: EntryFilters = { domain, category: q.category, basisKind: q.basisKind, authority: q.authority, since: q.since, until: q.until, active: q.active };
    const accept = String(request.headers.accept ?? '');
    const format = accept.includes('text/csv') ? 'csv' : accept.includes('application/x-ndjson') ? 'ndjson' : 'json';

    if (format !== 'json') {
      const body = new PassThrough();
      void reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
      void reply.header('content-disposition', `attachment; filename="tizilim-entries.${format === 'csv' ? 'csv' : 'ndjson'}"`);
      void streamEntries(base, format, body).catch((err: unknown) => {
        request.log.warn({ err }, 'export aborted');
        body.destroy(err as Error);
      });
      reply.raw.once('close', () => body.destroy());
      return reply.send(body as never);
    }

    const after = decodeCursor(q.cursor, z.object({ s: z.number().int() }));
    const rows = await entriesQuery(app.db, { ...base, afterSpan: after?.s }).limit(q.limit).execute();
    const last = rows.at(-1);
    return {
      entries: rows.map((r) => publicEntry(r, opts.publicBaseUrl)),
      nextCursor: last && rows.length === q.limit ? encodeCursor({ s: Number(last.span_id) }) : null,
    };
  });

  async function streamEntries(f: EntryFilters, format: 'csv' | 'ndjson', out: PassThrough): Promise<void> {
    await app.db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
      // Every matching row will be read: plan the cursor for all of them, not the first 10 %.
      await sql`SET LOCAL cursor_tuple_fraction = 1`.execute(trx);
      let chunk = format === 'csv' ? `${CSV_COLUMNS.join(',')}\r\n` : '';
      for await (const row of entriesQuery(trx, f).stream(2000)) {
        const e = publicEntry(row, opts.publicBaseUrl);
        chunk += format === 'csv' ? csvRow(e) : `${JSON.stringify(e)}\n`;
        if (chunk.length >= 64 * 1024) {
          if (out.destroyed) throw new Error('client went away');
          if (!out.write(chunk)) await drained(out);
          chunk = '';
        }
      }
      if (!out.destroyed) out.end(chunk);
    });
  }
};

function drained(out: PassThrough): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => { cleanup(); resolve(); };
    const fail = () => { cleanup(); reject(new Error('client went away')); };
    const cleanup = () => { out.off('drain', done); out.off('close', fail); };
    out.once('drain', done);
    out.once('close', fail);
  });
}
