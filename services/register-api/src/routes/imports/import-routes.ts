import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN } from '../../auth/roles.js';
import { RegisterError, notFound } from '../../errors/error-catalogue.js';
import { importRegisterDump } from '../../domain/import-service.js';
import { findImport, importReportView, importSummaryView, listImports, type ImportError, type ImportedDecision } from '../../repositories/import-repository.js';
import { createdAtCursor, decodeCursor, encodeCursor, idParams, limitQuery } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { IMPORT_BODY_LIMIT, IMPORT_CONTENT_TYPES, importBody, importQuery, importReport, importReportQuery, importSummary } from './import-schemas.js';

/**
 * Bulk import of register dumps. This plugin is encapsulated (not wrapped in fastify-plugin),
 * so the raw-bytes body parsers below apply to its routes only; everywhere else stays JSON.
 */
export const importRoutes: FastifyPluginAsyncZod = async (app) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(IMPORT_CONTENT_TYPES, { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT }, (_request, body, done) => done(null, body));
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(new RegisterError('UNSUPPORTED_MEDIA_TYPE', `send the dump file itself with content-type ${IMPORT_CONTENT_TYPES.join(' or ')}`), undefined);
  });

  app.post('/v1/imports', {
    onRequest: app.authorize(CAN.draft),
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: {
      tags: ['imports'],
      summary: 'Import a register dump: one decision pending approval per cited document, with its legal basis',
      description:
        'Rows citing the same authority, number and date become one legal basis (an existing basis with the same kind, authority, number and date is reused) '
        + 'and one decision `restrict` pending approval (several when a document covers more than 1000 resources). '
        + 'Bad rows are reported by line and never stop the import; a group the database refuses is reported and written not at all. '
        + 'The report is stored as it goes: GET /v1/imports/{id} says what landed even if this request was cut short.',
      security: [{ bearer: [] }],
      consumes: IMPORT_CONTENT_TYPES,
      querystring: importQuery,
      body: importBody,
      response: { 201: importReport, ...errorResponses(400, 401, 403, 413, 415) },
    },
  }, async (request, reply) => {
    const { category, kind, dryRun } = request.query;
    const source = await importRegisterDump(app.db, { bytes: request.body, category, kind, dryRun }, { id: request.user!.id, sourceIp: request.ip }, request.log);
    return reply.status(201).send(importReportView(source, { dryRun }));
  });

  app.get('/v1/imports/:id', {
    onRequest: app.authorize(CAN.readDecisions),
    schema: {
      tags: ['imports'],
      summary: 'The stored report of an import: the decisions it created with their dump lines, and the bad lines',
      security: [{ bearer: [] }],
      params: idParams,
      querystring: importReportQuery,
      response: { 200: importReport, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const row = await findImport(app.db, request.params.id);
    if (!row) throw notFound('import');
    const source = { ...row, errors: row.errors as ImportError[], report: row.report as ImportedDecision[] };
    return importReportView(source, { dryRun: false, errorsFrom: request.query.errorsFrom });
  });

  app.get('/v1/imports', {
    onRequest: app.authorize(CAN.readDecisions),
    schema: {
      tags: ['imports'],
      summary: 'Imports, newest first (to find one whose answer was lost, e.g. by its file SHA-256)',
      security: [{ bearer: [] }],
      querystring: z.object({ cursor: z.string().max(200).optional(), limit: limitQuery }).strict(),
      response: { 200: z.object({ imports: z.array(importSummary), nextCursor: z.string().nullable() }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const rows = await listImports(app.db, { limit: request.query.limit, before: decodeCursor(request.query.cursor, createdAtCursor) });
    const last = rows.at(-1);
    return {
      imports: rows.map(importSummaryView),
      nextCursor: last && rows.length === request.query.limit ? encodeCursor({ t: last.created_at.toISOString(), id: last.id }) : null,
    };
  });
};
