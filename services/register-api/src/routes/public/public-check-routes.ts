import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkName } from '../../domain/public-check.js';
import type { ActiveRules } from '../../domain/active-rules.js';
import { isoInstant } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { publicEntrySchema } from './public-schemas.js';

export const publicCheckRoutes: FastifyPluginAsyncZod<{ publicBaseUrl: string; activeRules?: ActiveRules | undefined }> = async (app, opts) => {
  app.get('/public/v1/check', {
    schema: {
      tags: ['public'],
      summary: 'Is this name, URL or IP address restricted now (or at `at`)? By which entry, on what legal basis',
      querystring: z.object({ name: z.string().min(1, 'is required').max(2048), at: isoInstant.optional() }),
      response: {
        200: z.object({ name: z.string(), at: z.string(), restricted: z.boolean(), matches: z.array(publicEntrySchema), related: z.array(publicEntrySchema) }),
        ...errorResponses(400, 429),
      },
    },
  }, async (request) => checkName(app.db, request.query.name, request.query.at, opts.publicBaseUrl, opts.activeRules));
};
