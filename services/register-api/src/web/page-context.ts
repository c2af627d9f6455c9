import type { FastifyRequest } from 'fastify';
import type { Messages } from './i18n/en.js';
import { FORMATTERS, type Formatters } from './i18n/formatting.js';
import { chooseLanguage, MESSAGES, type Language } from './i18n/language.js';
import type { AssetStore } from './asset-store.js';

/** What every page needs to know about the request it answers, besides its own data. */
export interface PageContext {
  lang: Language;
  t: Messages;
  fmt: Formatters;
  /** the language came from `?lang=`: links keep it, so the choice survives navigation */
  explicitLang: boolean;
  /** path of this page (for the language switcher), without the query */
  path: string;
  /** the query as given, for the switcher to keep the reader's filters */
  query: Record<string, string>;
  assets: AssetStore;
}

export function pageContext(request: FastifyRequest, assets: AssetStore): PageContext {
  const query = plainQuery(request.query);
  const { lang, explicit } = chooseLanguage(query.lang, request.headers['accept-language']);
  return {
    lang,
    t: MESSAGES[lang],
    fmt: FORMATTERS[lang],
    explicitLang: explicit,
    path: request.url.split('?')[0]!,
    query,
    assets,
  };
}

function plainQuery(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (query && typeof query === 'object') {
    for (const [k, v] of Object.entries(query)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** A link to one of our pages, carrying the reader's explicit language choice. */
export function href(ctx: PageContext, path: string, params: Record<string, string | number | undefined | null> = {}): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  if (ctx.explicitLang) search.set('lang', ctx.lang);
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

/** The page of one resource: its value in the path, encoded whole (URLs contain slashes). */
export function resourceHref(ctx: PageContext, value: string): string {
  return href(ctx, `/resources/${encodeURIComponent(value)}`);
}
