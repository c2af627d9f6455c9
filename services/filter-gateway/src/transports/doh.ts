import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Pipeline } from '../dns/pipeline/build-pipeline.js';
import { Query } from '../dns/pipeline/types.js';
import { MAX_MESSAGE } from '../dns/wire/constants.js';
import { dispatch } from './dispatch.js';
import { ConnectionDrain, listenOn } from '../util/listen.js';

const CONTENT_TYPE = 'application/dns-message';

/**
 * DNS over HTTPS (RFC 8484) on plain node:http: TLS is expected to be terminated in front
 * (or the listener stays on loopback). GET carries the message base64url in `dns`, POST as
 * the body; both answer with the message as the body.
 */
export async function startDoh(
  host: string, port: number, pipeline: Pipeline, log: Logger,
): Promise<{ port: number; close(graceMs?: number): Promise<void> }> {
  const server = http.createServer((req, res) => {
    // Each request is work on its connection until its response is done (or torn down).
    drain.begin(req.socket);
    res.once('close', () => drain.end(req.socket));
    const url = req.url ?? '/';
    const qs = url.indexOf('?');
    const path = qs < 0 ? url : url.slice(0, qs);
    if (path !== '/dns-query') return end(res, 404);
    if (req.method === 'GET') {
      const dns = new URLSearchParams(qs < 0 ? '' : url.slice(qs + 1)).get('dns');
      if (!dns || !/^[A-Za-z0-9_-]*$/.test(dns)) return end(res, 400);
      const msg = Buffer.from(dns, 'base64url');
      return answer(msg, res);
    }
    if (req.method === 'POST') {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== CONTENT_TYPE) return end(res, 415);
      const parts: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_MESSAGE) { end(res, 413); req.destroy(); return; }
        parts.push(c);
      });
      req.on('end', () => { if (!res.headersSent) answer(Buffer.concat(parts), res); });
      req.on('error', () => res.destroy());
      return;
    }
    res.setHeader('allow', 'GET, POST');
    return end(res, 405);
  });

  const answer = (msg: Buffer, res: http.ServerResponse): void => {
    const q = new Query(msg, 'doh', MAX_MESSAGE, performance.now());
    dispatch(pipeline, q, (chunks) => {
      if (res.destroyed || res.headersSent) return;
      if (chunks === null) return end(res, 400);
      const body = Buffer.concat(chunks);
      // Answered while draining: tell the client not to send more on this connection.
      if (drain.draining) res.setHeader('connection', 'close');
      res.writeHead(200, { 'content-type': CONTENT_TYPE, 'content-length': body.length });
      res.end(body);
    }, log);
  };

  const drain = new ConnectionDrain(server);
  server.on('clientError', (_err, socket) => socket.destroy());
  server.keepAliveTimeout = 10_000;
  const bound = await listenOn(server, port, host);
  return { port: bound, close: (graceMs?: number) => drain.drain(graceMs) };
}

function end(res: http.ServerResponse, status: number): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}
