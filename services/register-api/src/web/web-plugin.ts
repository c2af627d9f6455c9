import { z } from 'zod';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ActiveRules } from '../domain/active-rules.js';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import { ERROR_CATALOGUE, RegisterError, type FieldIssue } from '../errors/error-catalogue.js';
import type { BrowserErrorSlot } from '../errors/client-errors.js';
import { AssetStore } from './asset-store.js';
import { DecisionDetailsCache } from './data/entry-view.js';
import { StatsCache } from './data/stats-view.js';
import { entryPage, seqParam, sendEntryPage } from './pages/entry-page.js';
import { enforcementPage } from './pages/enforcement-page.js';
import { sendErrorPage } from './pages/error-page.js';
import { homePage } from './pages/home-page.js';
import { logPage } from './pages/log-page.js';
import { platformsPage } from './pages/platforms-page.js';
import { resourcePage } from './pages/resource-page.js';
import { searchPage } from './pages/search-page.js';
import { statsPage } from './pages/stats-page.js';

/** The router's maxParamLength (app.ts): resource URLs, up to 2,048 characters, travel in paths. */
export const MAX_PATH_SEGMENT = 2100;

export interface WebOptions {
  publicBaseUrl: string;
  activeRules?: ActiveRules | undefined;
  /** the newest log head this process knows (cached statistics are rebuilt when it moves) */
  logHead: () => number;
  /** Where refusals before routing (answered by the app's frameworkErrors) find these pages. */
  browserErrors?: BrowserErrorSlot;
}

export const WEB_ASSETS = ['site.css', 'verify-log.js', 'typeahead.js', 'favicon.svg'] as const;

/**
 * True for a browser navigating (Accept names text/html, and prefers it to JSON); programs
 * (`*\/*`, JSON, or JSON with a lower-weighted HTML fallback) are not.
 */
export function wantsHtml(accept: string | undefined): boolean {
  if (accept === undefined || !accept.includes('text/html')) return false;
  let htmlQ = 0;
  let jsonQ = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (!Number.isFinite(weight)) continue;
    if (type === 'text/html') htmlQ = Math.max(htmlQ, weight);
    else if (type === 'application/json') jsonQ = Math.max(jsonQ, weight);
  }
  return htmlQ > 0 && htmlQ >= jsonQ;
}

/** `?format=json` asks for the JSON of a negotiated URL whatever the Accept header says (a link can't set it). */
export function asksForJson(url: string | undefined): boolean {
  return url !== undefined && /[?&]format=json(?:&|$)/.test(url);
}

const PAGE_PATHS = /^\/(?:$|[?#]|(?:search|log|resources|stats|platforms|enforcement|public\/v1\/log)(?:[/?.#]|$))/;

/** Whether a raw request URL is one of the pages' (or the negotiated entry URL's). */
export function isPagePath(url: string): boolean {
  return PAGE_PATHS.test(url);
}

/**
 * The public web pages: server-rendered HTML in kk, ru and en over the same data as the public
 * API, in a scope of their own so their error handler answers with pages, not JSON. Scripts only
 * enhance (the in-browser log verifier); every page is complete without them.
 */
export const webPages: FastifyPluginAsyncZod<WebOptions> = async (app, opts) => {
  const assets = new AssetStore(new URL('./assets/', import.meta.url), WEB_ASSETS);

  app.setErrorHandler((err: FastifyError, request, reply) => pageForError(err, request, reply, assets));
  // Refusals before routing (a broken percent-encoding in /log/%ff) reach no scope's error
  // handler; for a browser on one of the pages' paths they are pages too.
  if (opts.browserErrors) opts.browserErrors.page = (request, reply, status, message, details) => {
    if (!wantsHtml(request.headers.accept) || !isPagePath(request.url)) return false;
    sendErrorPage(request, reply, assets, status, message, details);
    return true;
  };

  app.get('/assets/:file', {
    schema: { tags: ['web'], summary: 'Fingerprinted CSS and scripts of the web pages', params: z.object({ file: z.string().max(100) }), hide: true },
  }, async (request, reply) => {
    const asset = assets.byUrl(`/assets/${request.params.file}`);
    if (!asset) return sendErrorPage(request, reply, assets, 404, `no asset ${request.params.file}`);
    const encoding = String(request.headers['accept-encoding'] ?? '');
    const [body, coding] = encoding.includes('br') ? [asset.brotli, 'br'] : encoding.includes('gzip') ? [asset.gzip, 'gzip'] : [asset.identity, undefined];
    void reply.header('content-type', asset.type);
    void reply.header('cache-control', 'public, max-age=31536000, immutable');
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('vary', 'Accept-Encoding');
    if (coding) void reply.header('content-encoding', coding);
    return reply.send(body);
  });

  await app.register(homePage, { assets, activeRules: opts.activeRules });
  await app.register(searchPage, { assets, activeRules: opts.activeRules, publicBaseUrl: opts.publicBaseUrl });
  const decisions = new DecisionDetailsCache(app.db, opts.logHead);
  await app.register(entryPage, { assets, decisions });
  await app.register(resourcePage, { assets, publicBaseUrl: opts.publicBaseUrl });
  await app.register(statsPage, { assets, stats: new StatsCache(app.db, opts.logHead) });
  await app.register(platformsPage, { assets });
  await app.register(enforcementPage, { assets });
  await app.register(logPage, { assets, publicBaseUrl: opts.publicBaseUrl });

  // The URL every EDE text and 451 page names: a browser gets the entry page, a program keeps
  // the JSON of the public route (same path, no constraint). Routing by the Accept header keeps
  // the JSON route untouched and as fast as before.
  if (!app.hasConstraintStrategy('representation')) {
    app.addConstraintStrategy({
      name: 'representation',
      storage() {
        const handlers = new Map<string, unknown>();
        return { get: (k: string) => (handlers.get(k) ?? null) as never, set: (k: string, v: unknown) => { handlers.set(k, v); } };
      },
      deriveConstraint: (req: { url?: string; headers: Record<string, string | string[] | undefined> }) =>
        (!asksForJson(req.url) && wantsHtml(req.headers.accept as string | undefined) ? 'html' : 'data'),
      mustMatchWhenDerived: false,
    });
  }
  app.get('/public/v1/log/:seq', {
    constraints: { representation: 'html' },
    schema: { tags: ['web'], summary: 'The entry page, for browsers asking the public entry URL with Accept: text/html', params: seqParam, hide: true },
  }, async (request, reply) => {
    void reply.header('vary', 'Accept, Accept-Language');
    return sendEntryPage(app.db, decisions, assets, request, reply, request.params.seq);
  });

  // Any other path a browser opens gets a page that says so; programs get the register's JSON 404.
  // The wildcard also catches a path whose segment outgrew the router's parameter limit, which
  // would otherwise have been refused before routing: it stays a 414, for people and programs.
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0]!;
    const tooLong = path.split('/').some((segment) => segment.length > MAX_PATH_SEGMENT);
    if (!wantsHtml(request.headers.accept)) {
      if (!tooLong) return reply.callNotFound();
      const { code, status } = ERROR_CATALOGUE.URI_TOO_LONG;
      return reply.status(status).send({ error: { code, message: 'path: a path segment is too long', details: [{ field: 'path', message: 'a path segment is too long' }] } });
    }
    if (tooLong) return sendErrorPage(request, reply, assets, 414, 'path: a path segment is too long');
    return sendErrorPage(request, reply, assets, 404, `${request.url.split('?')[0]!}`);
  });
};

function pageForError(err: FastifyError, request: FastifyRequest, reply: FastifyReply, assets: AssetStore): FastifyReply {
  if (err instanceof RegisterError) return sendErrorPage(request, reply, assets, err.status, err.message, err.details);
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'query';
    const details: FieldIssue[] = err.validation.map((v) => ({ field: v.instancePath.split('/').filter(Boolean).join('.') || where, message: v.message ?? 'is invalid' }));
    return sendErrorPage(request, reply, assets, 400, details.map((d) => `${d.field}: ${d.message}`).join('; '), details);
  }
  if (isDatabaseUnavailable(err)) {
    request.log.warn({ err: { message: err.message, code: err.code } }, 'database unavailable');
    void reply.header('retry-after', '2');
    return sendErrorPage(request, reply, assets, 503, 'the register database is unavailable; retry later');
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return sendErrorPage(request, reply, assets, status, err.message);
  request.log.error({ err }, 'unhandled error in a web page');
  return sendErrorPage(request, reply, assets, 500, 'internal error');
}
