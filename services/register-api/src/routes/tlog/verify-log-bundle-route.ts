import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { notFound } from '../../errors/error-catalogue.js';
import { errorResponses } from '../../schemas/error-responses.js';

/** The committed single-file verifier (`npm run build:verify-log` writes it; a test keeps it current). */
export const VERIFY_LOG_BUNDLE = new URL('../../../bundle/verify-log.mjs', import.meta.url);

/** `GET /tlog/verify-log.mjs`: the verifier a researcher runs with plain Node, nothing installed. */
export const verifyLogBundleRoute: FastifyPluginAsyncZod = async (app) => {
  const bundle = await readFile(VERIFY_LOG_BUNDLE, 'utf8').catch(() => undefined);
  app.get('/tlog/verify-log.mjs', {
    schema: {
      tags: ['transparency log'],
      summary: 'verify-log as one JavaScript file: `node verify-log.mjs <register URL>` (Node ≥ 20, no install)',
      response: { 200: z.string(), ...errorResponses(404) },
    },
  }, async (_request, reply) => {
    if (!bundle) throw notFound('verify-log bundle (not built in this installation)');
    return reply.header('cache-control', 'public, max-age=300').type('text/javascript; charset=utf-8').send(bundle);
  });
};
