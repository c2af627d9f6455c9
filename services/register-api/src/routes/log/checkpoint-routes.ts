import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { notFound } from '../../errors/error-catalogue.js';
import { signHead } from '../../domain/log-checkpoints.js';
import { recordAudit } from '../../repositories/audit-repository.js';
import { errorResponses } from '../../schemas/error-responses.js';
import type { TlogService } from '../../domain/tlog-service.js';

export const checkpointRoutes: FastifyPluginAsyncZod<{ signingKey: KeyObject; tlog: TlogService }> = async (app, opts) => {
  app.post('/v1/log/checkpoints', {
    onRequest: app.authorize(['admin', 'auditor']),
    schema: {
      tags: ['public log'],
      summary: 'Sign a checkpoint of the log head now, and a transparency-log checkpoint of the tree (both are also signed periodically)',
      security: [{ bearer: [] }],
      response: { 200: z.object({ seq: z.number(), hash: z.string(), time: z.string(), signature: z.string(), publicKey: z.string() }), ...errorResponses(401, 403, 404) },
    },
  }, async (request) => {
    await opts.tlog.signAndWitness();
    const cp = await signHead(app.db, opts.signingKey);
    if (!cp) throw notFound('log entry to sign (the log is empty)');
    await recordAudit(app.db, { actorId: request.user!.id, sourceIp: request.ip, action: 'log.checkpoint', targetType: 'checkpoint', targetId: String(cp.seq), after: cp });
    return cp;
  });
};
