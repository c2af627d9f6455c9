import { Agent, request, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';

/** Marks requests we forwarded, so one that comes back to us (a sinkholed origin) is caught. */
export const VIA_TOKEN = 'tizilim-blockpage';

/** RFC 9110 §7.6.1, plus `expect` (we already answered 100-continue ourselves). */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect',
]);

export interface OriginProxyOptions {
  /** Default 80: the block page stands in for the plain-HTTP side of sinkholed hosts. */
  port?: number;
  /** No response headers from the origin within this: 504. Default 30 s. */
  timeoutMs?: number;
}

export interface OriginProxy {
  /** Forwards the request to `address`, Host and body unchanged, and streams the answer back. */
  forward(req: IncomingMessage, res: ServerResponse, address: string, path: string, onError: (err: Error) => void): void;
  close(): void;
}

export function createOriginProxy(options: OriginProxyOptions = {}): OriginProxy {
  const port = options.port ?? 80;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 32, timeout: 60_000 });

  return {
    forward(req, res, address, path, onError) {
      const headers = forwardHeaders(req.headers);
      const up = request({ host: address, port, method: req.method, path, headers, agent, setHost: false });
      let answered = false;
      up.setTimeout(timeoutMs, () => up.destroy(new Error(`origin ${address}:${port} did not answer in ${timeoutMs} ms`)));
      up.on('response', (r: IncomingMessage) => {
        answered = true;
        up.setTimeout(0);
        res.writeHead(r.statusCode ?? 502, r.statusMessage, responseHeaders(r.rawHeaders));
        r.pipe(res);
        r.on('error', () => res.destroy());
      });
      up.on('error', (err) => {
        if (!answered && !res.headersSent) {
          onError(err);
          const timedOut = /did not answer/.test(err.message);
          res.writeHead(timedOut ? 504 : 502, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
          res.end(timedOut ? 'origin timed out\n' : 'origin unreachable\n');
        } else res.destroy();
      });
      // A client that leaves takes its origin request with it.
      res.on('close', () => { if (!res.writableFinished) up.destroy(); });
      req.pipe(up);
    },
    close() { agent.destroy(); },
  };
}

function forwardHeaders(h: IncomingMessage['headers']): OutgoingHttpHeaders {
  const named = connectionTokens(h.connection);
  const out: OutgoingHttpHeaders = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined || HOP_BY_HOP.has(k) || named.has(k)) continue;
    out[k] = v;
  }
  out['via'] = h.via ? `${h.via}, 1.1 ${VIA_TOKEN}` : `1.1 ${VIA_TOKEN}`;
  return out;
}

function responseHeaders(raw: readonly string[]): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'connection') named = connectionTokens(raw[i + 1]);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(k) || named?.has(k)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

function connectionTokens(v: string | string[] | undefined): Set<string> {
  const s = new Set<string>();
  if (v === undefined) return s;
  for (const part of (Array.isArray(v) ? v.join(',') : v).split(',')) {
    const t = part.trim().toLowerCase();
    if (t) s.add(t);
  }
  return s;
}
