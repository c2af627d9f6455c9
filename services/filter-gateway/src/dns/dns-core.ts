import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GatewayConfig } from '../config.js';
import { DnsMetrics } from '../observability/dns-metrics.js';
import { registerRuleSetMetrics } from '../observability/rule-set-metrics.js';
import { CoarseClock } from '../util/clock.js';
import { Deadlines } from '../util/deadlines.js';
import { AnswerCache } from './cache/answer-cache.js';
import { BlockResponder } from './pipeline/block-responder.js';
import { buildPipeline, type Pipeline } from './pipeline/build-pipeline.js';
import { Query } from './pipeline/types.js';
import type { RuleSet } from './rules/rule-set.js';
import { RandomIds } from './upstream/random-ids.js';
import { UpstreamPool } from './upstream/upstream-pool.js';
import { FLAG_RD, MAX_MESSAGE, TYPE_A, TYPE_AAAA } from './wire/constants.js';
import { readAddresses } from './wire/read-addresses.js';
import { encodeName } from './wire/synthetic-records.js';

/**
 * The DNS core of one process: the pipeline and what it needs (cache, upstreams, the clock its
 * deadlines run on). It knows no transport: listeners (dns-listeners.ts, beside gateway.ts)
 * take the pipeline and feed it queries, so transports depend on the core and never the reverse.
 */
export interface DnsCore {
  pipeline: Pipeline;
  cache: AnswerCache;
  /** The process's coarse clock; stream transports sweep their deadlines on its tick. */
  clock: CoarseClock;
  /** A and AAAA of a name through the same pipeline as clients (blocking and cache included). */
  resolveAddresses(name: string): Promise<string[]>;
  close(): void;
}

export function createDnsCore(cfg: GatewayConfig, rules: RuleSet, registry: Registry, log: Logger): DnsCore {
  const clock = new CoarseClock();
  clock.start();
  const stopExpiry = clock.onTick((now) => rules.expire(now));
  const deadlines = new Deadlines(clock);
  const cache = new AnswerCache(cfg.cacheMaxEntries);
  // Names asked once would otherwise stay until the cache is full, with their memory.
  const stopSweep = clock.onTick((now) => { cache.sweepExpired(now); });
  const metrics = new DnsMetrics(registry, () => cache.size);
  registerRuleSetMetrics(registry, rules);
  const pool = new UpstreamPool({
    upstreams: cfg.upstreams,
    attemptTimeoutMs: cfg.upstreamAttemptTimeoutMs,
    totalTimeoutMs: cfg.upstreamTotalTimeoutMs,
    onError: (up, reason) => metrics.upstreamError(up.label, reason),
  }, clock, deadlines);
  const responder = new BlockResponder({
    mode: cfg.blockMode, sinkholeV4: cfg.sinkholeV4, sinkholeV6: cfg.sinkholeV6, publicBaseUrl: cfg.publicBaseUrl,
  });
  const pipeline = buildPipeline({
    rules, responder, cache, pool, clock, metrics,
    queryLog: cfg.logQueries ? log.child({ component: 'query' }) : undefined,
  });

  const ids = new RandomIds();
  const ask = async (name: string, qtype: number): Promise<string[]> => {
    const qname = encodeName(name);
    const msg = Buffer.alloc(12 + qname.length + 4);
    msg.writeUInt16BE(ids.next(), 0);
    msg.writeUInt16BE(FLAG_RD, 2);
    msg.writeUInt16BE(1, 4);
    qname.copy(msg, 12);
    msg.writeUInt16BE(qtype, 12 + qname.length);
    msg.writeUInt16BE(1, 14 + qname.length);
    const a = await pipeline(new Query(msg, 'internal', MAX_MESSAGE, performance.now()));
    return a.chunks ? readAddresses(Buffer.concat(a.chunks)) : [];
  };

  return {
    pipeline,
    cache,
    clock,
    async resolveAddresses(name: string) {
      const [v4, v6] = await Promise.all([ask(name, TYPE_A), ask(name, TYPE_AAAA)]);
      return [...v4, ...v6];
    },
    close() {
      stopExpiry();
      stopSweep();
      deadlines.close();
      clock.stop();
    },
  };
}
