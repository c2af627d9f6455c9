import http from 'node:http';
import type { Logger } from 'pino';
import { listenOn } from '../util/listen.js';

export interface ObservabilityHandlers {
  metrics(): Promise<{ contentType: string; body: string }>;
  ready(): boolean;
  /** Extra detail for /readyz, e.g. which part is not ready yet. */
  status?(): Record<string, unknown>;
}

/** `/metrics`, `/healthz`, `/readyz` on plain node:http: nothing here is worth a framework. */
export async function startObservabilityServer(
  host: string, port: number, h: ObservabilityHandlers, log: Logger,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }).end(); return; }
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const ready = h.ready();
      return json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...(h.status?.() ?? {}) });
    }
    if (path === '/metrics') {
      h.metrics().then(
        (m) => { res.writeHead(200, { 'content-type': m.contentType }); res.end(m.body); },
        (err: unknown) => { log.error({ err }, 'metrics collection failed'); res.writeHead(500).end(); },
      );
      return;
    }
    res.writeHead(404).end();
  });
  const bound = await listenOn(server, port, host);
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
