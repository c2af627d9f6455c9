import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ActiveRules } from '../../domain/active-rules.js';
import type { AssetStore } from '../asset-store.js';
import { loadHeadline } from '../data/headline.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import { href, pageContext } from '../page-context.js';
import { logTable } from '../parts/log-table.js';
import { searchBox } from '../parts/search-box.js';
import { setPageHeaders } from '../security-headers.js';
import { langQuery } from './page-query.js';

/** `/`: the question most visitors come with, the register in figures, and what changed last. */
export const homePage: FastifyPluginAsyncZod<{ assets: AssetStore; activeRules?: ActiveRules | undefined }> = async (app, opts) => {
  app.get('/', {
    schema: { tags: ['web'], summary: 'Home page (HTML)', querystring: z.object({ lang: langQuery }), hide: true },
  }, async (request, reply) => {
    const ctx = pageContext(request, opts.assets);
    const { t, fmt } = ctx;
    const h = await loadHeadline(app.db, opts.activeRules, 10);
    setPageHeaders(reply);
    return reply.send(layout(ctx, {
      title: t.homeTitle,
      section: 'home',
      scripts: ['typeahead.js'],
      body: html`<h1>${t.homeTitle}</h1>
<p class="lead">${t.homeLead}</p>
${searchBox(ctx, '')}
<section aria-labelledby="h-figures"><h2 id="h-figures">${t.figuresHeading}</h2>
<ul class="figures">
<li><strong>${fmt.number(h.activeRestrictions)}</strong> ${t.figureActiveRules}</li>
<li><strong>${fmt.number(h.logEntries)}</strong> ${t.figureLogEntries}</li>
${h.checkpoint ? html`<li><strong>${fmt.number(h.checkpoint.seq)}</strong> ${t.figureCheckpoint} (<time datetime="${h.checkpoint.time}">${fmt.instant(h.checkpoint.time)}</time>)</li>` : ''}
</ul>
</section>
<section aria-labelledby="h-latest"><h2 id="h-latest">${t.latestHeading}</h2>
${h.latest.length ? logTable(ctx, h.latest, t.latestHeading, { withResource: true }) : html`<p>${t.latestEmpty}</p>`}
<p><a href="${href(ctx, '/log')}">${t.seeAllChanges}</a></p>
</section>`,
    }));
  });
};
