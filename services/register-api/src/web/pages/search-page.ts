import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { LEGAL_BASIS_KINDS } from '@tizilim/shared';
import type { ActiveRules } from '../../domain/active-rules.js';
import { CATEGORIES } from '../../domain/categories.js';
import { CSV_COLUMNS, csvRow } from '../../domain/public-view.js';
import type { AssetStore } from '../asset-store.js';
import { runSearch, searchQuery, type SearchQuery, type SearchResult } from '../data/search.js';
import { html, type SafeHtml } from '../html.js';
import { fill } from '../i18n/language.js';
import { layout } from '../layout.js';
import { href, pageContext, type PageContext } from '../page-context.js';
import { entriesTable } from '../parts/entries-table.js';
import { label } from '../parts/labels.js';
import { typeaheadAttributes } from '../parts/typeahead.js';
import { setPageHeaders } from '../security-headers.js';

interface Options { assets: AssetStore; activeRules?: ActiveRules | undefined; publicBaseUrl: string }

/**
 * `/search`: the public API's filters as a form, results paged, and the exact rows shown as
 * CSV or NDJSON (`/search.csv`, `/search.ndjson` with the same query, cursor included).
 */
export const searchPage: FastifyPluginAsyncZod<Options> = async (app, opts) => {
  app.get('/search', {
    schema: { tags: ['web'], summary: 'Search page (HTML)', querystring: searchQuery, hide: true },
  }, async (request, reply) => {
    const ctx = pageContext(request, opts.assets);
    const result = await runSearch(app.db, opts.activeRules, opts.publicBaseUrl, request.query);
    setPageHeaders(reply);
    // A query that is not a name, URL or address is the reader's mistake: say so, with a 400.
    if (result.invalidQuery) void reply.status(400);
    return reply.send(layout(ctx, { title: ctx.t.searchTitle, section: 'search', scripts: ['typeahead.js'], body: searchBody(ctx, request.query, result) }));
  });

  for (const format of ['csv', 'ndjson'] as const) {
    app.get(`/search.${format}`, {
      schema: { tags: ['web'], summary: `The rows the search page shows for the same query, as ${format.toUpperCase()}`, querystring: searchQuery, hide: true },
    }, async (request, reply) => {
      const result = await runSearch(app.db, opts.activeRules, opts.publicBaseUrl, request.query);
      if (result.invalidQuery) void reply.status(400);
      void reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
      void reply.header('content-disposition', `attachment; filename="tizilim-search.${format}"`);
      void reply.header('x-content-type-options', 'nosniff');
      if (format === 'csv') return reply.send(`${CSV_COLUMNS.join(',')}\r\n${result.entries.map(csvRow).join('')}`);
      return reply.send(result.entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    });
  }
};

/** The query string of this search, minus the page-only parameters. */
function filtersOf(q: SearchQuery): Record<string, string | undefined> {
  return { q: q.q, category: q.category, basisKind: q.basisKind, authority: q.authority, since: q.since, until: q.until, state: q.state };
}

function select(ctx: PageContext, name: string, text: string, values: readonly string[], chosen: string | undefined, labelOf: (v: string) => string): SafeHtml {
  return html`<div class="field"><label for="f-${name}">${text}</label>
<select id="f-${name}" name="${name}"><option value="">${ctx.t.filterAny}</option>
${values.map((v) => html`<option value="${v}"${v === chosen ? html` selected` : ''}>${labelOf(v)}</option>`)}
</select></div>`;
}

function searchBody(ctx: PageContext, q: SearchQuery, r: SearchResult): SafeHtml {
  const { t } = ctx;
  const filters = filtersOf(q);
  return html`<h1>${t.searchTitle}</h1>
<form class="filters" action="/search" method="get" role="search" aria-labelledby="h-filters">
<h2 id="h-filters">${t.filtersHeading}</h2>
<div class="grid">
<div class="field wide"><label for="f-q">${t.filterQuery}</label><input id="f-q" name="q" type="search" value="${q.q ?? ''}" maxlength="2048" autocomplete="off" spellcheck="false" dir="auto"${typeaheadAttributes(ctx)}${r.invalidQuery ? html` aria-invalid="true" aria-describedby="q-error"` : ''}></div>
${select(ctx, 'category', t.filterCategory, CATEGORIES, q.category, (v) => label(t, 'categories', v))}
${select(ctx, 'basisKind', t.filterBasisKind, LEGAL_BASIS_KINDS, q.basisKind, (v) => label(t, 'basisKinds', v))}
<div class="field"><label for="f-authority">${t.filterAuthority}</label><input id="f-authority" name="authority" type="text" value="${q.authority ?? ''}" maxlength="300"></div>
<div class="field"><label for="f-since">${t.filterSince}</label><input id="f-since" name="since" type="date" value="${q.since ?? ''}"></div>
<div class="field"><label for="f-until">${t.filterUntil}</label><input id="f-until" name="until" type="date" value="${q.until ?? ''}"></div>
${select(ctx, 'state', t.filterState, ['active', 'ended'], q.state, (v) => (v === 'active' ? t.stateActive : t.stateEnded))}
</div>
${ctx.explicitLang ? html`<input type="hidden" name="lang" value="${ctx.lang}">` : ''}
<button type="submit">${t.applyFilters}</button>
</form>
${r.invalidQuery ? html`<p class="error" id="q-error" role="alert">${t.checkInvalid}</p>` : ''}
${r.check ? html`<section class="check" aria-labelledby="h-check"><h2 id="h-check">${fill(t.checkHeading, { name: r.check.name })}</h2>
<p class="${r.check.restricted ? 'verdict yes' : 'verdict no'}">${r.check.restricted ? t.checkRestricted : t.checkNotRestricted}</p>
${!r.check.restricted && r.check.related.length ? html`<p>${t.checkRelated}</p>` : ''}
</section>` : ''}
<section aria-labelledby="h-results"><h2 id="h-results">${t.resultsHeading}</h2>
${r.entries.length ? html`<p>${fill(t.resultsShown, { count: ctx.fmt.number(r.entries.length) })}</p>
${entriesTable(ctx, r.entries, t.resultsHeading)}` : html`<p>${t.resultsNone}</p>`}
<nav class="pager" aria-label="${t.resultsHeading}">
${q.cursor ? html`<a href="${href(ctx, '/search', filters)}">${t.firstPage}</a>` : ''}
${r.nextCursor ? html`<a href="${href(ctx, '/search', { ...filters, cursor: r.nextCursor })}" rel="next">${t.nextPage}</a>` : ''}
</nav>
${r.invalidQuery ? '' : html`<p>${t.exportHeading}: <a href="${href(ctx, '/search.csv', { ...filters, cursor: q.cursor })}" download>${t.exportCsv}</a> · <a href="${href(ctx, '/search.ndjson', { ...filters, cursor: q.cursor })}" download>${t.exportNdjson}</a></p>`}
</section>`;
}
