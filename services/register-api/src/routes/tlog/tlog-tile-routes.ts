import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { TILE_WIDTH, parseTilePath } from '@tizilim/shared/tlog/index';
import { fieldError, notFound } from '../../errors/error-catalogue.js';
import { readEntryBundle, readHashTile } from '../../repositories/tlog-repository.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { matchesIfNoneMatch, servedTile, type ImmutableTileCache, type ServedTile } from './tile-cache.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
// A partial tile's bytes never change either, but readers should look for the wider one soon.
const PARTIAL = 'public, max-age=60';
/** Longer than any canonical tile path (level, five index groups, `.p/255`). */
const MAX_PATH = 64;

/**
 * C2SP tlog-tiles: hash tiles `tile/<L>/<N>[.p/<W>]` and entry bundles
 * `tile/entries/<N>[.p/<W>]`, as application/octet-stream. Full ones are immutable and say so,
 * so any HTTP cache or CDN can serve the whole log without the register; every tile carries a
 * strong ETag, and a matching If-None-Match is answered 304. Once cached, a full tile is
 * answered by tile-front-door.ts before this route is reached; this route fills that cache.
 */
export const tlogTileRoutes: FastifyPluginAsyncZod<{ cache: ImmutableTileCache }> = async (app, opts) => {
  const { cache } = opts;
  app.get('/tlog/tile/*', {
    schema: {
      tags: ['transparency log'],
      summary: 'A hash tile (tile/<L>/<N>[.p/<W>]) or entry bundle (tile/entries/<N>[.p/<W>]) per C2SP tlog-tiles',
      description: 'Hash tiles hold the 32-byte hashes of tree height 8·L, indices 256·N…; entry bundles hold each entry\'s canonical body after a big-endian uint16 length. Full tiles carry `Cache-Control: public, max-age=31536000, immutable`. Every tile carries a strong ETag; If-None-Match answers 304.',
      params: z.object({ '*': z.string().max(MAX_PATH) }),
      response: { 200: z.any().describe('application/octet-stream'), 304: z.null().describe('Not modified (If-None-Match)'), ...errorResponses(400, 404) },
    },
    // The schema documents the route; the cache is looked up by the raw path before any parsing
    // (only canonical paths are ever stored), and the path is checked by hand after a miss.
    validatorCompiler: () => (data) => ({ value: data }),
  }, async (request, reply) => {
    const path = (request.params as Record<string, unknown>)['*'];
    if (typeof path !== 'string') throw fieldError('path', 'a tile path is required');
    const hit = cache.get(path);
    if (hit) return send(request, reply, hit);
    const tile = path.length <= MAX_PATH ? parseTilePath(path) : null;
    if (!tile) throw fieldError('path', `not a C2SP tile path: ${JSON.stringify(path.slice(0, MAX_PATH))} (expected <L>/<N>[.p/<W>] or entries/<N>[.p/<W>], N in x-prefixed 3-digit groups)`);
    const full = tile.width === TILE_WIDTH;
    const read = tile.level === 'entries' ? await readEntryBundle(app.db, tile.index, tile.width) : await readHashTile(app.db, tile.level, tile.index, tile.width);
    if (!read) throw notFound(`tile ${path} (the log does not have it at this width yet)`);
    const served = servedTile(read, full ? IMMUTABLE : PARTIAL);
    if (full) cache.set(path, served);
    return send(request, reply, served);
  });
};

function send(request: FastifyRequest, reply: FastifyReply, tile: ServedTile): FastifyReply {
  reply.headers(tile.headers);
  if (matchesIfNoneMatch(request.headers['if-none-match'], tile.etag)) return reply.code(304).send();
  return reply.send(tile.body);
}
