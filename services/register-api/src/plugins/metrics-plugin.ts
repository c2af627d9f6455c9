import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { countDecisionsByStatus } from '../repositories/decision-repository.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

/**
 * Requests and latencies by route (the route pattern, never the raw URL, so label values stay
 * bounded), and decisions by status, read from the database when scraped.
 */
export const metricsPlugin = fp(async (app: FastifyInstance) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'register_decisions',
    help: 'Decisions by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const row of await countDecisionsByStatus(app.db)) this.set({ status: row.status }, Number(row.n));
      } catch {
        // database down: the gauge is absent for this scrape rather than failing /metrics
      }
    },
  });
  app.decorate('metrics', registry);

  // A callback hook, not an async one: it runs for every request, and a promise each costs.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });

  app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}, { name: 'metrics', dependencies: ['db'] });
