import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Pipeline } from '../dns/pipeline/build-pipeline.js';
import { Query } from '../dns/pipeline/types.js';
import { MAX_MESSAGE } from '../dns/wire/constants.js';
import type { ConnectionMetrics } from '../observability/connection-metrics.js';
import type { TlsCredentials } from '../tls/tls-credentials.js';
import { DRAIN_GRACE_MS, listenOn } from '../util/listen.js';
import { ConnectionLimits } from './connection-limits.js';
import { dispatch } from './dispatch.js';

const CONTENT_TYPE = 'application/dns-message';
/** The parts of a request and response that HTTP/1.1 and HTTP/2 (compatibility API) share. */
type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export interface DohOptions {
  host: string;
  port: number;
  /** TLS (HTTP/2 by ALPN "h2", and HTTP/1.1); undefined = plain HTTP/1.1 (DOH_PLAIN=1). */
  tls: TlsCredentials | undefined;
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerClient: number;
  metrics: ConnectionMetrics;
}

/**
 * DNS over HTTPS (RFC 8484): GET carries the message base64url in `dns`, POST as the body;
 * both answer with the message as the body. Over TLS it speaks HTTP/2 (ALPN h2, which kdig
 * +https and browsers use) and HTTP/1.1 on the same port; DOH_PLAIN=1 serves plain HTTP for
 * a TLS proxy in front. Connections are capped like DNS over TCP.
 */
export async function startDoh(
  opts: DohOptions, pipeline: Pipeline, log: Logger,
): Promise<{ port: number; close(): Promise<void> }> {
  const handle = (req: Req, res: Res): void => {
    const url = req.url ?? '/';
    const qs = url.indexOf('?');
    const path = qs < 0 ? url : url.slice(0, qs);
    if (path !== '/dns-query') return end(res, 404);
    if (req.method === 'GET') {
      const dns = new URLSearchParams(qs < 0 ? '' : url.slice(qs + 1)).get('dns');
      if (!dns || !/^[A-Za-z0-9_-]*$/.test(dns)) return end(res, 400);
      return answer(Buffer.from(dns, 'base64url'), req, res);
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
      req.on('end', () => { if (!res.headersSent) answer(Buffer.concat(parts), req, res); });
      req.on('error', () => req.destroy());
      return;
    }
    res.setHeader('allow', 'GET, POST');
    return end(res, 405);
  };

  const answer = (msg: Buffer, req: Req, res: Res): void => {
    const q = new Query(msg, 'doh', MAX_MESSAGE, performance.now());
    dispatch(pipeline, q, (chunks) => {
      if (req.destroyed || res.headersSent || res.writableEnded) return;
      if (chunks === null) return end(res, 400);
      const body = Buffer.concat(chunks);
      // Answered while closing: an HTTP/1.1 client must not send more on this connection.
      if (closing && req.httpVersionMajor === 1) res.setHeader('connection', 'close');
      res.writeHead(200, { 'content-type': CONTENT_TYPE, 'content-length': body.length });
      res.end(body);
    }, log);
  };

  let closing = false;
  const transport = opts.tls ? 'doh' : 'doh-plain';
  const server: net.Server = opts.tls
    ? http2.createSecureServer({
      ...opts.tls.secureContextOptions(),
      allowHTTP1: true,
      settings: { maxConcurrentStreams: 128 },
      ALPNProtocols: ['h2', 'http/1.1'],
      handshakeTimeout: opts.handshakeTimeoutMs,
      minVersion: 'TLSv1.2',
    }, handle)
    : http.createServer(handle);
  if (server instanceof http.Server) {
    server.keepAliveTimeout = opts.idleTimeoutMs;
    server.headersTimeout = Math.max(opts.handshakeTimeoutMs, 1000);
    server.requestTimeout = Math.max(opts.handshakeTimeoutMs, 1000) * 2;
    server.on('clientError', (_err, socket) => socket.destroy());
  } else {
    // HTTP/2 sessions and HTTP/1.1 sockets with nothing going on for this long are closed.
    (server as http2.Http2SecureServer).setTimeout(opts.idleTimeoutMs);
    server.on('tlsClientError', (err: NodeJS.ErrnoException, sock: net.Socket) => {
      if (err.code !== 'ECONNRESET') opts.metrics.refused(transport, 'tls-handshake');
      sock.destroy();
    });
  }
  const limits = new ConnectionLimits(opts.maxConnections, opts.maxConnectionsPerClient);
  opts.metrics.trackOpen(transport, () => limits.total);
  const sockets = new Set<net.Socket>();
  server.prependListener('connection', (raw: net.Socket) => {
    const client = raw.remoteAddress ?? '?';
    const verdict = limits.acquire(client);
    if (verdict !== 'ok') {
      opts.metrics.refused(transport, verdict);
      raw.destroy();
      return;
    }
    sockets.add(raw);
    raw.once('close', () => { limits.release(client); sockets.delete(raw); });
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  server.on('error', () => undefined);
  if (opts.tls) opts.tls.attach(server as http2.Http2SecureServer);
  const bound = await listenOn(server, opts.port, opts.host);
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => {
      closing = true;
      if (opts.tls) opts.tls.detach(server as http2.Http2SecureServer);
      server.close(() => resolve());
      if (server instanceof http.Server) server.closeIdleConnections();
      // HTTP/2 sessions get GOAWAY and finish their streams; whoever lingers is cut after the drain grace.
      for (const s of sessions) s.close();
      const t = setTimeout(() => { for (const s of sockets) s.destroy(); }, DRAIN_GRACE_MS);
      t.unref();
    }),
  };
}

function end(res: Res, status: number): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}
