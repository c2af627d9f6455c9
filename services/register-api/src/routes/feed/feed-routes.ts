import { PassThrough, type Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { sql } from 'kysely';
import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN } from '../../auth/roles.js';
import { RegisterError } from '../../errors/error-catalogue.js';
import type { LogWatcher } from '../../domain/log-watcher.js';
import { activeRulesQuery, changesSince, countActiveRules } from '../../repositories/feed-repository.js';
import { logHead } from '../../repositories/public-log-repository.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { changeFromLogRow, snapshotLine } from './feed-lines.js';
import { rpzHeader, rpzLines } from './rpz-lines.js';

export interface FeedOptions {
  watcher: LogWatcher;
  rpzZone: string;
  /** A gateway further behind than this reloads the snapshot instead (410). */
  maxChangesGap: number;
}

const changeSchema = z.object({
  seq: z.number(), op: z.enum(['add', 'remove']), id: z.string(), kind: z.string(), value: z.string(),
  mode: z.enum(['restrict', 'suspend']), until: z.string().optional(), entry: z.number(),
});

/**
 * The feed gateways and resolvers pull. Snapshots stream from one consistent database snapshot
 * (REPEATABLE READ), so the version in the header is exactly the set that follows; memory
 * stays flat whatever the number of rules.
 */
export const feedRoutes: FastifyPluginAsyncZod<FeedOptions> = async (app, opts) => {
  app.get('/v1/feed/snapshot', {
    onRequest: app.authorize(CAN.readFeed),
    schema: {
      tags: ['feed'],
      summary: 'Every active rule as NDJSON: a header line {version,count,generatedAt}, then one rule per line (gzip when accepted)',
      security: [{ bearer: [] }],
      produces: ['application/x-ndjson'],
    },
  }, async (request, reply) => {
    return streamRuleSet(request, reply, 'application/x-ndjson; charset=utf-8', (version, count) =>
      `${JSON.stringify({ version, count, generatedAt: new Date().toISOString() })}\n`, snapshotLine);
  });

  app.get('/v1/feed/rpz', {
    onRequest: app.authorize(CAN.readFeed),
    schema: {
      tags: ['feed'],
      summary: 'The register as an RPZ zone for BIND, Unbound, PowerDNS or Knot; SOA serial = version',
      security: [{ bearer: [] }],
      produces: ['text/dns'],
    },
  }, async (request, reply) => {
    return streamRuleSet(request, reply, 'text/dns; charset=utf-8', (version) => rpzHeader(opts.rpzZone, version), rpzLines);
  });

  app.get('/v1/feed/changes', {
    onRequest: app.authorize(CAN.readFeed),
    schema: {
      tags: ['feed'],
      summary: 'Changes after version `since`; waits up to `wait` seconds when there are none; 410 when the snapshot must be reloaded',
      security: [{ bearer: [] }],
      querystring: z.object({
        since: z.coerce.number().int().min(0),
        wait: z.coerce.number().min(0).max(60).default(0),
        limit: z.coerce.number().int().min(1).max(10_000).default(5_000),
      }),
      response: { 200: z.object({ from: z.number(), to: z.number(), changes: z.array(changeSchema) }), ...errorResponses(400, 401, 403, 410) },
    },
  }, async (request) => {
    const { since, wait, limit } = request.query;
    let head = (await logHead(app.db)).seq;
    if (since > head) throw new RegisterError('FEED_GONE', `version ${since} is ahead of the register (${head}); reload the snapshot`);
    if (head - since > opts.maxChangesGap) throw new RegisterError('FEED_GONE', `version ${since} is too far behind (${head}); reload the snapshot`);
    if (since === head && wait > 0) {
      await opts.watcher.waitBeyond(since, wait * 1000);
      head = (await logHead(app.db)).seq;
    }
    if (since === head) return { from: since, to: since, changes: [] };
    const rows = await changesSince(app.db, since, limit);
    const changes = rows.map(changeFromLogRow);
    return { from: since, to: changes.at(-1)?.seq ?? since, changes };
  });

  async function streamRuleSet(
    request: FastifyRequest,
    reply: FastifyReply,
    contentType: string,
    header: (version: number, count: number) => string,
    line: (row: Parameters<typeof snapshotLine>[0]) => string,
  ) {
    const body = new PassThrough();
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    reply.header('content-type', contentType).header('cache-control', 'no-store').header('vary', 'accept-encoding');
    let out: Writable = body;
    if (gzip) {
      const z = createGzip({ level: 1 });
      z.pipe(body);
      out = z;
      reply.header('content-encoding', 'gzip');
    }
    // If the client goes away mid-stream, tear the pipeline down so the snapshot transaction ends.
    let finished = false;
    reply.raw.once('close', () => {
      if (!finished) out.destroy(new Error('client went away'));
    });
    // The first rows decide the status: open the snapshot before answering, then stream.
    const started = new Promise<void>((resolve, reject) => {
      app.db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
        // A cursor is planned for its first 10 % of rows by default: a nested loop of random
        // lookups. Every row will be read, so plan for all of them (a hash join, one sort).
        await sql`SET LOCAL cursor_tuple_fraction = 1`.execute(trx);
        const version = (await logHead(trx)).seq;
        const count = await countActiveRules(trx);
        reply.header('x-register-version', String(version));
        resolve();
        await write(out, header(version, count));
        let chunk = '';
        for await (const row of activeRulesQuery(trx).stream(2000)) {
          chunk += line(row);
          if (chunk.length >= 64 * 1024) {
            await write(out, chunk);
            chunk = '';
          }
        }
        await write(out, chunk);
        finished = true;
        out.end();
      }).catch((err: unknown) => {
        reject(err);
        request.log.warn({ err }, 'feed stream aborted');
        out.destroy(err as Error);
      });
    });
    await started;
    return reply.send(body);
  }
};

/** Writes with backpressure; rejects when the stream is torn down, so a transaction never waits forever. */
async function write(out: Writable, text: string): Promise<void> {
  if (out.destroyed) throw new Error('client went away');
  if (!text || out.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const done = () => { cleanup(); resolve(); };
    const fail = () => { cleanup(); reject(new Error('client went away')); };
    const cleanup = () => { out.off('drain', done); out.off('close', fail); out.off('error', fail); };
    out.once('drain', done);
    out.once('close', fail);
    out.once('error', fail);
  });
}
