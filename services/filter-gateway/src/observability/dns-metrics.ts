import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ANSWER_KINDS, TRANSPORTS, type AnswerKind, type Transport } from '../dns/pipeline/types.js';

const KINDS = ANSWER_KINDS.length;
const KIND_INDEX = new Map<AnswerKind, number>(ANSWER_KINDS.map((k, i) => [k, i]));
const TRANSPORT_INDEX = new Map<Transport, number>(TRANSPORTS.map((t, i) => [t, i]));
/** One query in this many is timed into the latency histogram. */
const LATENCY_SAMPLE = 16;

/**
 * Per-query metrics, kept off the hot path: a query adds one to a typed-array cell, and the
 * cells are handed to prom-client when /metrics is scraped. prom-client's own inc() builds and
 * checks a label key on every call, which the DNS benchmark measured at ~5 % of a busy worker.
 * Latency is sampled (one query in LATENCY_SAMPLE) for the same reason.
 */
export class DnsMetrics {
  readonly #counts = new Float64Array(TRANSPORTS.length * KINDS);
  readonly #flushed = new Float64Array(TRANSPORTS.length * KINDS);
  readonly #latency: Histogram;
  readonly #upstreamErrors: Counter<'upstream' | 'reason'>;
  #seen = 0;

  constructor(registry: Registry, cacheSize: () => number) {
    const counts = this.#counts;
    const flushed = this.#flushed;
    new Counter({
      name: 'dns_queries_total',
      help: 'DNS queries answered, by transport and result',
      labelNames: ['transport', 'result'] as const,
      registers: [registry],
      collect() {
        for (let t = 0; t < TRANSPORTS.length; t++) {
          for (let k = 0; k < KINDS; k++) {
            const i = t * KINDS + k;
            const delta = counts[i]! - flushed[i]!;
            // Zero adds make every series visible from the first scrape on.
            this.inc({ transport: TRANSPORTS[t]!, result: ANSWER_KINDS[k]! }, delta);
            flushed[i] = counts[i]!;
          }
        }
      },
    });
    this.#latency = new Histogram({
      name: 'dns_query_duration_seconds',
      help: `Time from receiving a query to having its answer (sampled: one query in ${LATENCY_SAMPLE})`,
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
    this.#counts[TRANSPORT_INDEX.get(transport)! * KINDS + KIND_INDEX.get(kind)!]! += 1;
    if (++this.#seen % LATENCY_SAMPLE === 0) this.#latency.observe((performance.now() - startedAt) / 1000);
  }

  upstreamError(upstream: string, reason: string): void {
    this.#upstreamErrors.inc({ upstream, reason });
  }
}
