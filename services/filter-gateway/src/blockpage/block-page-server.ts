import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { NO_MATCH, insideDestinationReason, outsideAddresses, type Matcher } from '@tizilim/shared';
import { blocksNow } from '../sni/active-rule.js';
import { ipLiteralBytes } from '../sni/ip-literal.js';
import { createBlockPageMetrics } from './block-page-metrics.js';
import { renderBlockHtml, renderBlockJson, type BlockContext } from './block-page-render.js';
import type { EntryDetails } from './entry-details.js';
import { createOriginProxy, VIA_TOKEN } from './origin-proxy.js';
import { requestTarget, type RequestTarget } from './request-target.js';
import { DRAIN_GRACE_MS, listenOn } from '../util/listen.js';

export interface BlockPageServerOptions {
  host: string;
  port: number;
  /** Read on every request: the gateway swaps matchers on updates. */
  getMatcher: () => Matcher;
  /** The public log entry behind a rule; undefined (or a rejection) when unavailable. */
  entryDetails: EntryDetails;
  /** The register's public address (`PUBLIC_BASE_URL`), for the entry links. */
  publicBaseUrl: string;
  /**
   * Addresses of hosts that are not blocked, for proxying to them. Must not answer with the
   * sinkhole (that would loop back here; such a loop is answered 508).
   */
  resolve: (name: string) => Promise<string[]>;
  /** Port of origins proxied to. Default 80. */
  originPort?: number;
  /** Default 30 s. */
  originTimeoutMs?: number;
  /**
   * Proxy to loopback, private, link-local, CGNAT and metadata addresses too
   * (`RELAY_ALLOW_PRIVATE=1`, tests and labs only). Off by default: 403.
   */
  allowInsideDestinations?: boolean;
  registry: Registry;
  logger: Logger;
  now?: () => number;
}

export interface BlockPageServer {
  listen(): Promise<{ port: number }>;
  /** Stops accepting and ends open connections, idle or not. */
  close(): Promise<void>;
}

export function createBlockPageServer(options: BlockPageServerOptions): BlockPageServer {
  const { getMatcher, entryDetails, resolve, logger, now = Date.now } = options;
  const base = options.publicBaseUrl.replace(/\/+$/, '');
  const metrics = createBlockPageMetrics(options.registry);
  const proxy = createOriginProxy({
    ...(options.originPort !== undefined ? { port: options.originPort } : {}),
    ...(options.originTimeoutMs !== undefined ? { timeoutMs: options.originTimeoutMs } : {}),
  });

  // Responses not yet finished, so a stop can tell them to close their connection after.
  const inFlight = new Set<ServerResponse>();
  let draining = false;

  const server: Server = createServer({ keepAliveTimeout: 5000, headersTimeout: 10_000, requestTimeout: 60_000 }, (req, res) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    if (draining) res.setHeader('connection', 'close');
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'blockpage: request failed');
      if (!res.headersSent) plain(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = requestTarget(req.url, req.headers.host);
    if (target === undefined) {
      metrics.bad_request.inc();
      plain(res, 400, 'a request needs a Host\n');
      req.resume();
      return;
    }
    if (req.headers.via?.includes(VIA_TOKEN)) {
      metrics.loop.inc();
      plain(res, 508, 'this request already passed the block page: the origin resolves back to it\n');
      req.resume();
      return;
    }
    const matcher = getMatcher();
    const t = now();
    const ip = ipLiteralBytes(target.host);
    let handle = ip !== undefined ? matcher.matchIp(ip) : NO_MATCH;
    if (!blocksNow(matcher, handle, t)) handle = matchTarget(matcher, target);
    if (blocksNow(matcher, handle, t)) {
      await blocked(req, res, matcher, handle, target.host);
      return;
    }

    const insideHost = options.allowInsideDestinations ? undefined : insideDestinationReason(target.host);
    if (insideHost !== undefined) { refuseInside(req, res, target.host, insideHost); return; }
    let addrs: string[];
    try {
      addrs = ip !== undefined ? [target.host] : await resolve(target.host);
    } catch (err) {
      if (logger.isLevelEnabled('debug')) logger.debug({ err, host: target.host }, 'blockpage: resolve failed');
      metrics.origin_error.inc();
      plain(res, 502, 'origin host does not resolve\n');
      req.resume();
      return;
    }
    if (!options.allowInsideDestinations) {
      // A name that resolves inside is refused as if named so: DNS is the attacker's to choose.
      const outside = outsideAddresses(addrs);
      if (outside.allowed.length === 0 && outside.refused !== undefined) { refuseInside(req, res, target.host, outside.refused); return; }
      addrs = outside.allowed;
    }
    // IP rules cover where a name leads too; an unrestricted address of the name still serves.
    let address: string | undefined;
    let ipHandle = NO_MATCH;
    for (const a of addrs) {
      const bytes = ipLiteralBytes(a);
      const h = bytes === undefined ? NO_MATCH : matcher.matchIp(bytes);
      if (blocksNow(matcher, h, t)) { if (ipHandle === NO_MATCH) ipHandle = h; continue; }
      address = a;
      break;
    }
    if (address === undefined) {
      if (ipHandle !== NO_MATCH) { await blocked(req, res, matcher, ipHandle, target.host); return; }
      metrics.origin_error.inc();
      plain(res, 502, 'origin host has no address\n');
      req.resume();
      return;
    }
    metrics.proxied.inc();
    proxy.forward(req, res, address, target.sentPath, (err) => {
      metrics.origin_error.inc();
      if (logger.isLevelEnabled('debug')) logger.debug({ err, host: target.host, address }, 'blockpage: origin failed');
    });
  }

  /** DESIGN "Never a relay into the inside": the proxy is no way into the gateway's own network. */
  function refuseInside(req: IncomingMessage, res: ServerResponse, host: string, why: string): void {
    metrics.inside.inc();
    logger.warn({ host, why }, 'blockpage: refused to proxy to a destination inside the network');
    plain(res, 403, `the block page does not proxy to ${host}: ${why}\n`);
    req.resume();
  }

  async function blocked(req: IncomingMessage, res: ServerResponse, matcher: Matcher, handle: number, host: string): Promise<void> {
    metrics.blocked.inc();
    req.resume();
    const entry = matcher.entryOf(handle);
    const mode = matcher.modeOf(handle);
    const until = matcher.untilOf(handle);
    const entryUrl = `${base}/public/v1/log/${entry}`;
    const details = await entryDetails(entry).catch(() => undefined);
    const ctx: BlockContext = { entry, entryUrl, host, details, mode, until };
    const json = wantsJson(req.headers.accept);
    const body = json ? renderBlockJson(ctx) : renderBlockHtml(ctx);
    res.writeHead(451, 'Unavailable For Legal Reasons', {
      'content-type': json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'link': `<${entryUrl}>; rel="blocked-by"`,
      'content-language': 'kk, ru, en',
      'cache-control': 'no-store',
      'vary': 'Accept',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  return {
    listen: async () => {
      const port = await listenOn(server, options.port, options.host);
      logger.info({ host: options.host, port }, 'block page listening');
      return { port };
    },
    /**
     * Drains like DoH: stops accepting, closes idle keep-alive connections at once, lets
     * requests in flight (a page being rendered, a proxied origin answering) finish with
     * `connection: close`, and cuts whatever is left when the drain grace ends.
     */
    close: async () => {
      if (server.listening) {
        draining = true;
        for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
        const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
        server.closeIdleConnections();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([closed, new Promise<void>((r) => { timer = setTimeout(r, DRAIN_GRACE_MS); })]);
        clearTimeout(timer);
        server.closeAllConnections();
      }
      proxy.close();
    },
  };
}

/** URL rules by host and path, then host rules; the escape-normalised path first. */
function matchTarget(m: Matcher, target: RequestTarget): number {
  // Rules are built canonical and the target is canonical: one spelling, one lookup.
  return m.matchUrl(target.host, target.path);
}

/** JSON when the client ranks application/json above text/html (a bare `*\/*` means HTML). */
export function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined || !accept.includes('json')) return false;
  let json = 0;
  let html = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q' && v !== undefined) q = Number(v) || 0;
    }
    const t = type.trim();
    if (t === 'application/json' || t.endsWith('+json')) json = Math.max(json, q);
    else if (t === 'text/html') html = Math.max(html, q);
  }
  return json > 0 && json >= html;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
