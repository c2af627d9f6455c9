import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { notFound } from '../../errors/error-catalogue.js';
import { latestTlogCheckpoint } from '../../domain/tlog-checkpoints.js';
import type { TlogService } from '../../domain/tlog-service.js';
import { errorResponses } from '../../schemas/error-responses.js';

/**
 * C2SP tlog-checkpoint: the latest signed checkpoint as a signed note (witness cosignatures
 * after the log's signature), and the note verifier key that checks it.
 */
export const tlogCheckpointRoutes: FastifyPluginAsyncZod<{ tlog: TlogService }> = async (app, opts) => {
  app.get('/tlog/checkpoint', {
    schema: {
      tags: ['transparency log'],
      summary: 'The latest checkpoint: origin, tree size, base64 root hash, then signature lines (C2SP signed-note)',
      description: 'Verify with the key from `GET /tlog/key` (e.g. Go\'s golang.org/x/mod/sumdb/note `note.Open`). Cosignatures of the witnesses in LOG_WITNESS_URLS follow the log\'s own signature.',
      response: { 200: z.string(), ...errorResponses(404) },
    },
  }, async (_request, reply) => {
    const cp = await latestTlogCheckpoint(app.db);
    if (!cp) throw notFound('checkpoint (none signed yet)');
    return reply.header('cache-control', 'no-cache').type('text/plain; charset=utf-8').send(cp.text);
  });

  app.get('/tlog/key', {
    schema: {
      tags: ['transparency log'],
      summary: 'The note verifier key of the log: <origin>+<key ID hex>+<base64(0x01 ‖ Ed25519 public key)>',
      response: { 200: z.string() },
    },
  }, async (_request, reply) => reply.type('text/plain; charset=utf-8').send(`${opts.tlog.verifierKey}\n`));
};
