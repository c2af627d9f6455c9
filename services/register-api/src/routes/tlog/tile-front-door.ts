import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { FastifyServerFactory, FastifyServerOptions } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { matchesIfNoneMatch, type ImmutableTileCache } from './tile-cache.js';
import { answerMissingHost } from '../../errors/client-errors.js';

const PREFIX = '/tlog/tile/';

/**
 * Full tiles already in memory, served before the framework (C2SP tlog-tiles: full tiles are
 * immutable, meant for any HTTP cache). A hit is a map lookup and one write, like a static file
 * server or CDN edge would answer it; routing, hooks, validation and per-route metrics would
 * cost several times that per tile. Anything else — a miss, a partial tile, a query string, a
 * method other than GET/HEAD, a server that is closing — goes to Fastify's tile route unchanged,
 * which reads the tile, answers errors in the register's shape and fills the cache.
 */
export class TileFrontDoor {
  #open = true;
  readonly #served: Counter<'status'>;

  constructor(private readonly cache: ImmutableTileCache) {
    this.#served = new Counter({
      name: 'tlog_tile_front_door_total',
      help: 'Full tiles answered from memory before routing (not counted in http_requests_total), by status',
      labelNames: ['status'],
      registers: [],
    });
  }

  /** The server exists before the metrics registry does. */
  registerMetrics(registry: Registry): void {
    registry.registerMetric(this.#served);
  }

  /** From now on every request goes through Fastify (which answers 503 while closing). */
  close(): void {
    this.#open = false;
  }

  /** Answers the request and returns true when it is a cached full tile; false leaves it untouched. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if (!this.#open || url === undefined || !url.startsWith(PREFIX) || url.includes('?')) return false;
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const tile = this.cache.get(url.slice(PREFIX.length));
    if (!tile) return false;
    const { headers } = tile;
    if (matchesIfNoneMatch(req.headers['if-none-match'], tile.etag)) {
      res.writeHead(304, { 'cache-control': headers['cache-control']!, etag: tile.etag, 'access-control-allow-origin': '*' });
      res.end();
      this.#served.inc({ status: '304' });
      return true;
    }
    res.writeHead(200, {
      'content-type': headers['content-type']!,
      'cache-control': headers['cache-control']!,
      etag: tile.etag,
      'access-control-allow-origin': '*',
      'content-length': tile.body.length,
    });
    if (method === 'HEAD') res.end();
    else res.end(tile.body);
    this.#served.inc({ status: '200' });
    return true;
  }

  /**
   * Fastify's serverFactory: the HTTP/1.1 server Fastify would make (the same timeouts), with the
   * front door ahead of Fastify's handler.
   */
  serverFactory(): FastifyServerFactory {
    return (handler, options) => {
      const opts = options as FastifyServerOptions & { http?: http.ServerOptions };
      const server = http.createServer({ ...opts.http, requireHostHeader: false }, (req, res) => {
        if (answerMissingHost(req, res) || this.serve(req, res)) return;
        handler(req, res);
      });
      if (opts.keepAliveTimeout !== undefined) server.keepAliveTimeout = opts.keepAliveTimeout;
      if (opts.requestTimeout !== undefined) server.requestTimeout = opts.requestTimeout;
      if (opts.connectionTimeout !== undefined) server.setTimeout(opts.connectionTimeout);
      if (opts.maxRequestsPerSocket !== undefined && opts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
      return server;
    };
  }
}
