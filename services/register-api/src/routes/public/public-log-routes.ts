import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { notFound } from '../../errors/error-catalogue.js';
import { latestCheckpoint } from '../../domain/log-checkpoints.js';
import { rowToPublicEntry } from '../../repositories/public-log-repository.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { entryInclusionProof } from '../../domain/entry-inclusion.js';

const publicLogEntry = z
  .object({
    seq: z.number(),
    time: z.string(),
    op: z.enum(['add', 'remove']),
    reason: z.enum(['approved', 'scheduled_start', 'restored', 'expired', 'superseded']),
    mode: z.enum(['restrict', 'suspend', 'allow']),
    until: z.string().nullable(),
    resource: z.object({
      kind: z.enum(['domain', 'domain_suffix', 'url', 'ip', 'cidr']),
      value: z.string().nullable(),
      host: z.string().nullable(),
      display: z.string().nullable(),
      valueSha256: z.string(),
    }),
    category: z.string(),
    decision: z.object({ id: z.string(), action: z.enum(['restrict', 'suspend', 'restore']), effectiveFrom: z.string() }),
    legalBasis: z.object({
      id: z.string(),
      kind: z.enum(['court_ruling', 'prosecutor_recommendation', 'ministry_order']),
      authority: z.string(),
      documentNumber: z.string(),
      issuedAt: z.string(),
    }),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'PublicLogEntry', description: 'A log entry: the hashed body (see the README, "The public log") plus prevHash and hash' });
const entryInclusion = z
  .object({ treeSize: z.number(), leafIndex: z.number(), hashes: z.array(z.string()) })
  .nullable()
  .describe('Inclusion proof against the latest transparency-log checkpoint (GET /tlog/checkpoint); null until a checkpoint covers the entry');
const checkpoint = z.object({ seq: z.number(), hash: z.string(), time: z.string(), signature: z.string(), publicKey: z.string() }).meta({ id: 'SignedCheckpoint' });

export const publicLogRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/public/v1/log', {
    schema: {
      tags: ['public'],
      summary: 'The public log in order, from `from` (a seq), each entry with seq, hash and prevHash',
      querystring: z.object({ from: z.coerce.number().int().min(1).default(1), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      response: { 200: z.object({ entries: z.array(publicLogEntry), next: z.number().nullable() }), ...errorResponses(400, 429) },
    },
  }, async (request) => {
    const { from, limit } = request.query;
    const rows = await app.db
      .selectFrom('public_log').select(['seq', 'body', 'prev_hash', 'hash'])
      .where('seq', '>=', from).orderBy('seq').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    return { entries: page.map(rowToPublicEntry), next: rows.length > limit ? Number(rows[limit]!.seq) : null };
  });

  app.get('/public/v1/log/checkpoint', {
    schema: {
      tags: ['public'],
      summary: 'The latest signed checkpoint (seq, hash, time) with its Ed25519 signature and public key',
      response: { 200: checkpoint, ...errorResponses(404, 429) },
    },
  }, async () => {
    const cp = await latestCheckpoint(app.db);
    if (!cp) throw notFound('checkpoint (the log is empty)');
    return cp;
  });

  app.get('/public/v1/log/:seq', {
    schema: {
      tags: ['public'],
      summary: 'One log entry: what entered or left the enforced set, by which decision, on what legal basis',
      params: z.object({ seq: z.coerce.number().int().min(1) }),
      response: { 200: publicLogEntry.extend({ inclusion: entryInclusion }), ...errorResponses(400, 404, 429) },
    },
  }, async (request) => {
    const row = await app.db.selectFrom('public_log').select(['seq', 'body', 'prev_hash', 'hash']).where('seq', '=', request.params.seq).executeTakeFirst();
    if (!row) throw notFound(`log entry ${request.params.seq}`);
    return { ...rowToPublicEntry(row), inclusion: await entryInclusionProof(app, request.params.seq) };
  });

};
