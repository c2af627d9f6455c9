import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { TILE_WIDTH, parseTilePath } from '@tizilim/shared/tlog/index';
import { fieldError, notFound } from '../../errors/error-catalogue.js';
import { readEntryBundle, readHashTile } from '../../repositories/tlog-repository.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { ImmutableTileCache } from './tile-cache.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
// A partial tile's bytes never change either, but readers should look for the wider one soon.
const PARTIAL = 'public, max-age=60';

/**
 * C2SP tlog-tiles: hash tiles `tile/<L>/<N>[.p/<W>]` and entry bundles
 * `tile/entries/<N>[.p/<W>]`, as application/octet-stream. Full ones are immutable and say so,
 * so any HTTP cache or CDN can serve the whole log without the register.
 */
export const tlogTileRoutes: FastifyPluginAsyncZod<{ cacheBytes: number }> = async (app, opts) => {
  const cache = new ImmutableTileCache(opts.cacheBytes);
  app.get('/tlog/tile/*', {
    schema: {
      tags: ['transparency log'],
      summary: 'A hash tile (tile/<L>/<N>[.p/<W>]) or entry bundle (tile/entries/<N>[.p/<W>]) per C2SP tlog-tiles',
      description: 'Hash tiles hold the 32-byte hashes of tree height 8·L, indices 256·N…; entry bundles hold each entry\'s canonical body after a big-endian uint16 length. Full tiles carry `Cache-Control: public, max-age=31536000, immutable`.',
      params: z.object({ '*': z.string().max(64) }),
      response: { 200: z.any().describe('application/octet-stream'), ...errorResponses(400, 404) },
    },
  }, async (request, reply) => {
    const path = request.params['*'];
    const tile = parseTilePath(path);
    if (!tile) throw fieldError('path', `not a C2SP tile path: ${JSON.stringify(path)} (expected <L>/<N>[.p/<W>] or entries/<N>[.p/<W>], N in x-prefixed 3-digit groups)`);
    const full = tile.width === TILE_WIDTH;
    let data = full ? cache.get(path) : undefined;
    if (!data) {
      const read = tile.level === 'entries' ? await readEntryBundle(app.db, tile.index, tile.width) : await readHashTile(app.db, tile.level, tile.index, tile.width);
      if (!read) throw notFound(`tile ${path} (the log does not have it at this width yet)`);
      data = read;
      if (full) cache.set(path, data);
    }
    return reply.header('cache-control', full ? IMMUTABLE : PARTIAL).type('application/octet-stream').send(data);
  });
};
