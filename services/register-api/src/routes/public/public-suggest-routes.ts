import { z } from 'zod';
import { Counter } from 'prom-client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ActiveRules } from '../../domain/active-rules.js';
import type { PublicEntrySource } from '../../domain/public-view.js';
import { suggestPrefix } from '../../domain/suggest-prefix.js';
import { fieldError } from '../../errors/error-catalogue.js';
import { suggestFromDatabase } from '../../repositories/suggest-repository.js';
import { queryText } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';

/** Suggestions per answer: a list a reader can take in at a glance. */
export const SUGGEST_LIMIT = 8;
/** Longest prefix accepted: a host name is at most 253 characters; a URL prefix a little more. */
export const SUGGEST_MAX_LENGTH = 256;
/** Keys looked at per request at most (spans not in force now are skipped): bounds the work. */
const MAX_SCAN = 64;
/** How long a request waits for the copy to apply a change it has heard of. */
const CATCH_UP_WAIT_MS = 100;

const suggestionSchema = z.object({
  value: z.string().describe('the resource as the register holds it (IDN in A-labels)'),
  display: z.string().describe('the resource as people read it (IDN in Unicode; `*.` before a zone)'),
  kind: z.enum(['domain', 'domain_suffix', 'url', 'ip', 'cidr']),
  state: z.enum(['restricted', 'suspended']),
  entry: z.number().describe('seq of the public log entry that put the restriction in force'),
  entryUrl: z.string().describe('the entry in the public API (a browser gets its page)'),
  page: z.string().describe('path of the entry page on this site'),
});

const suggestResultSchema = z.object({
  q: z.string().describe('the prefix searched: lower case, without scheme or leading `*.`'),
  suggestions: z.array(suggestionSchema).max(SUGGEST_LIMIT),
}).meta({ id: 'SuggestResult' });

/**
 * `GET /public/v1/suggest?q=`: type-ahead for the search boxes. Up to eight restrictions in
 * force whose name, URL or address starts with what was typed (case-blind; IDN in Unicode or
 * A-labels), from the sorted index of the in-memory copy the public check uses: a binary
 * search and at most MAX_SCAN keys per request. URLs of sensitive categories are never
 * suggested, the same rule as the rest of the public API.
 */
export const publicSuggestRoutes: FastifyPluginAsyncZod<{ publicBaseUrl: string; activeRules?: ActiveRules | undefined }> = async (app, opts) => {
  const answers = new Counter({
    name: 'register_public_suggest_total',
    help: 'Type-ahead answers by source: the in-memory copy, or the database while the copy loads',
    labelNames: ['source'],
    registers: [app.metrics],
  });

  app.get('/public/v1/suggest', {
    schema: {
      tags: ['public'],
      summary: 'Type-ahead: restrictions in force whose name, URL or IP address starts with `q`',
      description: 'At most 8 suggestions in key order, each with its public log entry. Case-blind; an IDN matches in Unicode and in A-labels; '
        + '`http(s)://` and a leading `*.` are ignored. Exceptions and URLs of sensitive categories are never suggested. '
        + '400 `REG_ERR_VALIDATION` naming `q` when it is empty, longer than 256 characters or holds control characters.',
      querystring: z.object({
        q: queryText(SUGGEST_MAX_LENGTH).describe('what the reader has typed so far (a prefix)'),
      }),
      response: {
        200: suggestResultSchema,
        ...errorResponses(400, 429),
      },
    },
    // Built below in exactly the schema's shape (the HTTP test holds it to it): re-encoding
    // through zod on every keystroke would cost more than the lookup.
    serializerCompiler: () => (data) => JSON.stringify(data),
  }, async (request, reply) => {
    const prefix = suggestPrefix(request.query.q);
    if (prefix === '') throw fieldError('q', 'must hold more than spaces, a scheme or `*.`');
    const now = new Date();
    const rules = opts.activeRules;
    let rows: readonly PublicEntrySource[] | undefined;
    if (rules) {
      if (!rules.ready) await rules.waitCurrent(CATCH_UP_WAIT_MS);
      rows = rules.suggest(prefix, SUGGEST_LIMIT, MAX_SCAN, now.getTime());
    }
    answers.inc({ source: rows ? 'copy' : 'database' });
    rows ??= await suggestFromDatabase(app.db, prefix, SUGGEST_LIMIT, now);
    void reply.header('cache-control', 'public, max-age=10');
    return {
      q: prefix,
      suggestions: rows.map((row) => {
        const entry = Number(row.add_seq);
        return {
          value: row.value,
          display: row.display,
          kind: row.kind,
          state: row.mode === 'suspend' ? 'suspended' as const : 'restricted' as const,
          entry,
          entryUrl: `${opts.publicBaseUrl}/public/v1/log/${entry}`,
          page: `/log/${entry}`,
        };
      }),
    };
  });
};
