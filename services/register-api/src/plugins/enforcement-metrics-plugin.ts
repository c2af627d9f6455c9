import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import { enforcementOverview } from '../domain/enforcement-overview.js';

/**
 * Gateway lag as metrics, read from the database when scraped. Labelled by ISP id only: ISPs
 * are bounded by registration, while gateway ids are chosen by the gateways and are not, so
 * each gauge holds the worst gateway of the ISP (`isp="none"`: tokens not tied to an ISP).
 * Per-gateway detail is in GET /v1/isps/enforcement.
 */
export const enforcementMetricsPlugin = fp(async (app: FastifyInstance) => {
  let pending: ReturnType<typeof enforcementOverview> | undefined;
  // The three gauges are collected one after another on a scrape: share one read between them.
  const overview = () => {
    pending ??= enforcementOverview(app.db).finally(() => setImmediate(() => (pending = undefined)));
    return pending;
  };
  const gauge = (name: string, help: string, pick: (i: Awaited<ReturnType<typeof enforcementOverview>>['isps'][number]) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['isp'],
      registers: [app.metrics],
      async collect() {
        this.reset();
        try {
          for (const isp of (await overview()).isps) {
            const v = pick(isp);
            if (v !== null) this.set({ isp: isp.id ?? 'none' }, v);
          }
        } catch {
          // database down: the gauge is absent for this scrape rather than failing /metrics
        }
      },
    });
  gauge('gateway_lag_entries', 'Log entries the furthest-behind gateway of the ISP has not applied', (i) => i.maxLagEntries);
  gauge('gateway_lag_seconds', 'Age of the oldest log entry the furthest-behind gateway of the ISP has not applied', (i) => i.maxLagSeconds);
  gauge('gateway_heartbeat_age_seconds', 'Seconds since the least recently heard gateway of the ISP reported', (i) =>
    i.gateways.length ? Math.max(...i.gateways.map((g) => g.secondsSinceLastSeen)) : null);
}, { name: 'enforcement-metrics', dependencies: ['metrics', 'db'] });
