import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkName } from '../../domain/public-check.js';
import type { ActiveRules } from '../../domain/active-rules.js';
import { isoInstant, queryText } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { checkResultSchema } from './public-schemas.js';

export const publicCheckRoutes: FastifyPluginAsyncZod<{ publicBaseUrl: string; activeRules?: ActiveRules | undefined }> = async (app, opts) => {
  app.get('/public/v1/check', {
    schema: {
      tags: ['public'],
      summary: 'Is this name, URL or IP address restricted now (or at `at`)? By which entry, on what legal basis',
      querystring: z.object({ name: queryText(2048), at: isoInstant.optional() }),
      response: {
        200: checkResultSchema,
        ...errorResponses(400, 429),
      },
    },
    // The answer is built by checkName in exactly the schema's shape and key order (a test holds
    // both to it); re-encoding it through zod on every request cost more than the check itself.
    serializerCompiler: () => (data) => JSON.stringify(data),
  }, async (request) => checkName(app.db, request.query.name, request.query.at, opts.publicBaseUrl, opts.activeRules));
};
