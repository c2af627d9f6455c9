import { sql, type Transaction } from 'kysely';
import { RpzCoverContext } from '@tizilim/shared';
import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN } from '../../auth/roles.js';
import { RegisterError } from '../../errors/error-catalogue.js';
import type { LogWatcher } from '../../domain/log-watcher.js';
import type { DB } from '../../db/schema.js';
import { activeRuleLinesQuery, activeSuffixModes, countActiveRules, rpzRulesQuery } from '../../repositories/feed-repository.js';
import { SharedChanges } from './shared-changes.js';
import { logHead } from '../../repositories/public-log-repository.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { shuttingDown } from '../../plugins/shutdown-plugin.js';
import { snapshotHeader, snapshotLine } from './feed-lines.js';
import { warmSnapshotCopy } from './snapshot-warmer.js';
import { rpzHeader, rpzLines } from './rpz-lines.js';
import { SnapshotCache, type SnapshotWriter } from './snapshot-cache.js';
import { FETCH_ROWS, FeedStream, acceptsGzip, feedHeaders, writeLines } from './feed-stream.js';
import { keptLines, snapshotStep } from './snapshot-derive.js';

/** A cached snapshot further behind than this many log entries is not patched up; the database streams afresh. */
const MAX_DERIVED_STEP = 50_000;

export interface FeedOptions {
  watcher: LogWatcher;
  rpzZone: string;
  /** A gateway further behind than this reloads the snapshot instead (410). */
  maxChangesGap: number;
  /** Write the snapshot copy once at start, before any gateway asks (FEED_SNAPSHOT_WARM). */
  warmSnapshot?: boolean;
}

const changeSchema = z.object({
  seq: z.number(), op: z.enum(['add', 'remove']), id: z.string(), kind: z.string(), value: z.string(),
  mode: z.enum(['restrict', 'suspend', 'allow']), until: z.string().optional(), entry: z.number(),
});

/**
 * The feed gateways and resolvers pull. Snapshots stream from one consistent database snapshot
 * (REPEATABLE READ), so the version in the header is exactly the set that follows; memory
 * stays flat whatever the number of rules. The NDJSON snapshot of the newest version is also
 * written to disk as it streams (plain and gzip), and served from there to every gateway that
 * asks for that version again; the next version is made from that copy and the log entries
 * in between, without the million-row query.
 */
export const feedRoutes: FastifyPluginAsyncZod<FeedOptions> = async (app, opts) => {
  const cache = new SnapshotCache();
  const shared = new SharedChanges(app.db);
  const stopWarming = new AbortController();
  let warming: Promise<unknown> = Promise.resolve();
  if (opts.warmSnapshot) {
    app.addHook('onReady', async () => {
      // In the background: the API answers meanwhile, and a snapshot asked for before the copy
      // is done streams from the database as before.
      const started = Date.now();
      warming = warmSnapshotCopy(app.db, cache, stopWarming.signal).then(
        (version) => { if (version !== undefined) app.log.info({ version, ms: Date.now() - started }, 'snapshot copy written'); },
        (err: unknown) => { if (!stopWarming.signal.aborted) app.log.warn({ err }, 'could not write the snapshot copy; snapshots stream from the database'); },
      );
    });
  }
  app.addHook('onClose', async () => {
    stopWarming.abort();
    await warming;
    cache.close();
  });

  app.get('/v1/feed/snapshot', {
    onRequest: app.authorize(CAN.readFeed),
    schema: {
      tags: ['feed'],
      summary: 'Every active rule as NDJSON: a header line {version,count,generatedAt}, then one rule per line (gzip when accepted)',
      security: [{ bearer: [] }],
      produces: ['application/x-ndjson'],
    },
  }, async (request, reply) => {
    const contentType = 'application/x-ndjson; charset=utf-8';
    const head = (await logHead(app.db)).seq;
    const gzip = acceptsGzip(request);
    const cached = await cache.open(head, gzip ? 'gzip' : 'identity');
    if (cached) {
      feedHeaders(reply, contentType, gzip);
      return reply.header('x-register-version', String(head)).send(cached);
    }
    if (await streamDerived(request, reply, contentType, head)) return reply;
    return streamRuleSet(request, reply, contentType, snapshotHeader,
      (trx) => activeRuleLinesQuery(trx).stream(FETCH_ROWS), (row) => row.line, (version, count) => cache.begin(version, count));
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
    let context: RpzCoverContext | undefined;
    // The suffix rules are read first, in the same snapshot as the rules streamed after them.
    async function* rules(trx: Transaction<DB>) {
      context = new RpzCoverContext(await activeSuffixModes(trx));
      yield* rpzRulesQuery(trx).stream(FETCH_ROWS);
    }
    return streamRuleSet(request, reply, 'text/dns; charset=utf-8', (version) => rpzHeader(opts.rpzZone, version),
      rules, (row) => rpzLines(row, context, opts.rpzZone));
  });

  app.get('/v1/feed/changes', {
    onRequest: app.authorize(CAN.readFeed),
    schema: {
      tags: ['feed'],
      summary: 'Changes after version `since`; waits up to `wait` seconds when there are none; 410 when the snapshot must be reloaded; 503 with Retry-After when the register is stopping',
      security: [{ bearer: [] }],
      querystring: z.object({
        since: z.coerce.number().int().min(0),
        wait: z.coerce.number().min(0).max(60).default(0),
        limit: z.coerce.number().int().min(1).max(10_000).default(5_000),
      }),
      response: { 200: z.object({ from: z.number(), to: z.number(), changes: z.array(changeSchema) }), ...errorResponses(400, 401, 403, 410, 503) },
    },
  }, async (request, reply) => {
    const { since, wait, limit } = request.query;
    // The watcher's head (kept by NOTIFY) spares a query per poll; the database is asked only
    // when the gateway claims more than the watcher has seen, which may be the watcher lagging.
    // A poll that will not wait reads the database's head: it must see a change committed a moment ago.
    const head = wait === 0 || since > opts.watcher.head ? (await logHead(app.db)).seq : opts.watcher.head;
    if (since > head) throw new RegisterError('FEED_GONE', `version ${since} is ahead of the register (${head}); reload the snapshot`);
    if (head - since > opts.maxChangesGap) throw new RegisterError('FEED_GONE', `version ${since} is too far behind (${head}); reload the snapshot`);
    if (since === head) {
      if (wait === 0) return { from: since, to: since, changes: [] };
      // Woken by a new entry (NOTIFY is sent after its commit) or by the end of the wait: the
      // changes query alone tells which, one round trip between the wake-up and the answer.
      await opts.watcher.waitBeyond(since, wait * 1000, app.stopping);
      // Stopping: end the poll now with a retry hint rather than hold the process for `wait`.
      if (app.stopping.aborted && opts.watcher.head <= since) throw shuttingDown();
    }
    // Encoded once for every poll that shares it (the schema above still documents the shape).
    const { json } = await shared.page(since, limit);
    // A string body bypasses the serializer; the type provider only knows the object form.
    return reply.type('application/json; charset=utf-8').send(json as never);
  });

  /** Every active rule from one REPEATABLE READ snapshot of the database, optionally kept as the cache's copy. */
  async function streamRuleSet<Row>(
    request: FastifyRequest,
    reply: FastifyReply,
    contentType: string,
    header: (version: number, count: number) => string,
    rows: (trx: Transaction<DB>) => AsyncIterable<Row>,
    line: (row: Row) => string,
    keep?: (version: number, count: number) => SnapshotWriter | undefined,
  ) {
    const out = new FeedStream(request, reply, contentType);
    // The first rows decide the status: open the snapshot before answering, then stream.
    const started = new Promise<void>((resolve, reject) => {
      app.db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
        // A cursor is planned for its first 10 % of rows by default: a nested loop of random
        // lookups. Every row will be read, so plan for all of them (a hash join, one sort).
        await sql`SET LOCAL cursor_tuple_fraction = 1`.execute(trx);
        const version = (await logHead(trx)).seq;
        const count = await countActiveRules(trx);
        out.open(version, keep?.(version, count));
        resolve();
        await out.write(header(version, count));
        await writeLines(rows(trx), line, (text) => out.write(text));
        await out.end();
      }).catch((err: unknown) => {
        reject(err);
        request.log.warn({ err }, 'feed stream aborted');
        out.fail(err as Error);
      });
    });
    await started;
    return reply.send(out.body);
  }

  /**
   * The snapshot of `version` made from the cached one of an earlier version and the log
   * entries in between: the old file's lines minus the rules since removed, then the rules
   * since added (their entries are the newest, so the order by entry holds). No million-row
   * query; the result is the cache's copy of `version` in turn.
   *
   * Says whether it took the reply, rather than returning it: a FastifyReply is thenable, so
   * an async function returning one resolves when the response has finished, to undefined,
   * and the caller then streamed a second reply into the same request (issue #10's "Reply was
   * already sent" when a second gateway connected).
   */
  async function streamDerived(request: FastifyRequest, reply: FastifyReply, contentType: string, version: number): Promise<boolean> {
    const base = cache.latest();
    if (!base || version <= base.version || version - base.version > MAX_DERIVED_STEP) return false;
    const step = await snapshotStep(app.db, base.version, version);
    const file = step && (await base.open());
    if (!step || !file) return false;
    const count = base.count - step.removed.size + step.added.length;
    const out = new FeedStream(request, reply, contentType);
    out.open(version, cache.begin(version, count));
    void (async () => {
      try {
        await out.write(snapshotHeader(version, count));
        const dropped = { n: 0 };
        for await (const lines of keptLines(file, step.removed, dropped)) await out.write(lines);
        if (dropped.n !== step.removed.size) throw new Error(`snapshot ${base.version} → ${version}: ${dropped.n} lines dropped, ${step.removed.size} rules removed`);
        await writeLines(step.added, snapshotLine, (text) => out.write(text));
        await out.end();
      } catch (err) {
        request.log.warn({ err }, 'feed stream aborted');
        out.fail(err as Error);
      } finally {
        await file.close().catch(() => {});
      }
    })();
    void reply.send(out.body);
    return true;
  }
};
