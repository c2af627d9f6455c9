import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ANSWER_KINDS, TRANSPORTS, type AnswerKind, type Transport } from '../dns/pipeline/types.js';

type Inc = { inc(): void };

/**
 * Per-query metrics. Label children are resolved once up front: prom-client hashes a labels
 * object on every inc(), which would be an allocation per query.
 */
export class DnsMetrics {
  readonly #counts = new Map<Transport, Map<AnswerKind, Inc>>();
  readonly #latency: Histogram;
  readonly #upstreamErrors: Counter<'upstream' | 'reason'>;

  constructor(registry: Registry, cacheSize: () => number) {
    const queries = new Counter({
      name: 'dns_queries_total',
      help: 'DNS queries answered, by transport and result',
      labelNames: ['transport', 'result'] as const,
      registers: [registry],
    });
    for (const t of TRANSPORTS) {
      const byKind = new Map<AnswerKind, Inc>();
      for (const k of ANSWER_KINDS) byKind.set(k, queries.labels(t, k));
      this.#counts.set(t, byKind);
    }
    this.#latency = new Histogram({
      name: 'dns_query_duration_seconds',
      help: 'Time from receiving a query to having its answer',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.#upstreamErrors = new Counter({
      name: 'dns_upstream_errors_total',
      help: 'Failed attempts to reach an upstream resolver',
      labelNames: ['upstream', 'reason'] as const,
      registers: [registry],
    });
    new Gauge({
      name: 'dns_cache_entries',
      help: 'Answers held in the DNS cache',
      registers: [registry],
      collect() { this.set(cacheSize()); },
    });
  }

  record(transport: Transport, kind: AnswerKind, startedAt: number): void {
    this.#counts.get(transport)?.get(kind)?.inc();
    this.#latency.observe((performance.now() - startedAt) / 1000);
  }

  upstreamError(upstream: string, reason: string): void {
    this.#upstreamErrors.inc({ upstream, reason });
  }
}
