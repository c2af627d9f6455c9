import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseResource } from '@tizilim/shared/resource/index';
import { fieldError } from '../../errors/error-catalogue.js';
import type { AssetStore } from '../asset-store.js';
import { loadResourceView, type ResourceView } from '../data/resource-view.js';
import { html, type SafeHtml } from '../html.js';
import { fill } from '../i18n/language.js';
import { layout, row } from '../layout.js';
import { pageContext, type PageContext } from '../page-context.js';
import { entriesTable } from '../parts/entries-table.js';
import { label } from '../parts/labels.js';
import { logTable } from '../parts/log-table.js';
import { resourceName } from '../parts/resource-name.js';
import { setPageHeaders } from '../security-headers.js';
import { langQuery } from './page-query.js';

/** `/resources/{value}`: one name, URL or IP address, span by span (value URL-encoded). */
export const resourcePage: FastifyPluginAsyncZod<{ assets: AssetStore; publicBaseUrl: string }> = async (app, opts) => {
  app.get('/resources/:value', {
    schema: {
      tags: ['web'], summary: 'Timeline of one resource (HTML)', hide: true,
      params: z.object({ value: z.string().min(1).max(2048, 'must be at most 2048 characters') }),
      querystring: z.object({ lang: langQuery }),
    },
  }, async (request, reply) => {
    const parsed = parseResource(request.params.value);
    if (!parsed.ok) throw fieldError('value', parsed.reason);
    const view = await loadResourceView(app.db, parsed.resource, opts.publicBaseUrl);
    const ctx = pageContext(request, opts.assets);
    setPageHeaders(reply);
    const name = view.resource.display ?? view.resource.host ?? ctx.t.unknown;
    return reply.send(layout(ctx, { title: fill(ctx.t.resourceTitle, { value: name }), section: 'search', body: resourceBody(ctx, view, name) }));
  });
};

function resourceBody(ctx: PageContext, v: ResourceView, name: string): SafeHtml {
  const { t, fmt } = ctx;
  return html`<h1>${fill(t.resourceTitle, { value: name })}</h1>
<dl>
${row(t.resourceAsTyped, resourceName(ctx, v.resource, false))}
${row(t.resourceKind, label(t, 'kinds', v.resource.kind))}
${row(t.resourceHash, html`<code class="hash">${v.resource.valueSha256}</code>`)}
${row(t.resourceStateNow, html`<span class="state state-${v.state}">${label(t, 'states', v.state)}</span>${v.until ? html` (${t.until}: <time datetime="${v.until}">${fmt.instant(v.until)}</time>)` : ''}`)}
</dl>
${v.resource.value === null ? html`<p class="notice">${t.redactedNotice}</p>` : ''}
${v.known ? html`<section aria-labelledby="h-spans"><h2 id="h-spans">${t.spansHeading}</h2>
${entriesTable(ctx, v.spans, t.spansHeading)}
</section>
<section aria-labelledby="h-log"><h2 id="h-log">${t.historyHeading}</h2>
${logTable(ctx, v.log, t.historyHeading)}
</section>` : html`<p>${t.resourceNeverRestricted}</p>`}`;
}
