import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { WitnessCore } from './witness-core.js';

/** tlog-witness bodies are a few hundred bytes plus up to 63 proof lines. */
const MAX_BODY = 64 * 1024;

export interface WitnessMetrics {
  registry: Registry;
  requests: Counter;
  alarms: Counter;
  cosigned: Counter;
  polls: Counter;
}

export function witnessMetrics(): WitnessMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({ name: 'witness_requests_total', help: 'add-checkpoint requests by HTTP status', labelNames: ['status'], registers: [registry] }),
    alarms: new Counter({ name: 'witness_alarms_total', help: 'Rollbacks and forks detected, by log origin and kind', labelNames: ['origin', 'kind'], registers: [registry] }),
    cosigned: new Counter({ name: 'witness_cosignatures_total', help: 'Checkpoints cosigned, by log origin', labelNames: ['origin'], registers: [registry] }),
    polls: new Counter({ name: 'witness_polls_total', help: 'Checkpoints fetched from logs, by outcome', labelNames: ['origin', 'outcome'], registers: [registry] }),
  };
}

/**
 * The witness's HTTP face: `POST /add-checkpoint` (C2SP tlog-witness), `GET /key` (its
 * cosignature verifier key), `GET /healthz`, `GET /metrics`. Slow or oversized requests are
 * cut off; nothing a client sends can crash it.
 */
export function createWitnessServer(core: WitnessCore, verifierKey: string, metrics: WitnessMetrics, logger: Logger): Server {
  // Node checks these timeouts only every connectionsCheckingInterval (30 s by default).
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, connectionsCheckingInterval: 1_000, keepAliveTimeout: 5_000, maxHeaderSize: 8 * 1024 }, (req, res) => {
    const send = (status: number, contentType: string, body: string) => {
      metrics.requests.inc({ status: String(status) });
      res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }).end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/key') return send(200, 'text/plain; charset=utf-8', `${verifierKey}\n`);
    if (req.method === 'GET' && path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
    if (req.method === 'GET' && path === '/metrics') {
      void metrics.registry.metrics().then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text));
      return;
    }
    if (path !== '/add-checkpoint') return send(404, 'text/plain; charset=utf-8', 'not found\n');
    if (req.method !== 'POST') return send(405, 'text/plain; charset=utf-8', 'POST only\n');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        send(413, 'text/plain; charset=utf-8', 'request body too large\n');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return;
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      if (!Buffer.from(text, 'utf8').equals(body)) return send(400, 'text/plain; charset=utf-8', 'the body is not UTF-8\n');
      core.addCheckpoint(text).then(
        (a) => send(a.status, a.contentType, a.body),
        (err: unknown) => {
          logger.error({ err }, 'add-checkpoint failed');
          send(500, 'text/plain; charset=utf-8', 'internal error\n');
        },
      );
    });
    req.on('error', () => undefined);
  });
  server.maxHeadersCount = 50;
  return server;
}
