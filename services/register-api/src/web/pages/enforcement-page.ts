import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { publicEnforcementView } from '../../routes/public-enforcement/public-enforcement-routes.js';
import type { AssetStore } from '../asset-store.js';
import { html } from '../html.js';
import { cardsTable } from '../parts/cards-table.js';
import { fill } from '../i18n/language.js';
import { layout } from '../layout.js';
import { pageContext } from '../page-context.js';
import { setPageHeaders } from '../security-headers.js';
import { langQuery } from './page-query.js';

/** `/enforcement`: the same data as `/public/v1/enforcement` (each ISP's enforced version and lag). */
export const enforcementPage: FastifyPluginAsyncZod<{ assets: AssetStore }> = async (app, opts) => {
  app.get('/enforcement', {
    schema: { tags: ['web'], summary: 'Enforcement by ISPs (HTML)', querystring: z.object({ lang: langQuery }), hide: true },
  }, async (request, reply) => {
    const ctx = pageContext(request, opts.assets);
    const { t, fmt } = ctx;
    const view = await publicEnforcementView(app.db);
    const num = (n: number | null) => (n === null ? t.none : fmt.number(n));
    setPageHeaders(reply);
    return reply.send(layout(ctx, {
      title: t.enforcementTitle,
      section: 'enforcement',
      body: html`<h1>${t.enforcementTitle}</h1>
<p class="lead">${fill(t.enforcementLead, { version: fmt.number(view.registerVersion) })}</p>
${view.isps.length ? cardsTable(html`<div class="scroll" tabindex="0"><table class="cards">
<caption>${t.enforcementTitle}</caption>
<thead><tr><th scope="col">${t.ispName}</th><th scope="col">${t.ispGateways}</th><th scope="col">${t.ispVersion}</th><th scope="col">${t.ispLagEntries}</th><th scope="col">${t.ispLagSeconds}</th><th scope="col">${t.ispLastSeen}</th></tr></thead>
<tbody>${view.isps.map((i) => html`<tr>
<th scope="row">${i.name ?? t.ispUnregistered}</th>
<td class="num" data-label="${t.ispGateways}">${fmt.number(i.gateways)} (${fmt.number(i.gatewaysReporting)})</td>
<td class="num" data-label="${t.ispVersion}">${num(i.minVersion)}</td><td class="num" data-label="${t.ispLagEntries}">${num(i.maxLagEntries)}</td><td class="num" data-label="${t.ispLagSeconds}">${num(i.maxLagSeconds)}</td>
<td data-label="${t.ispLastSeen}">${i.lastSeenAt ? html`<time datetime="${i.lastSeenAt}">${fmt.instant(i.lastSeenAt)}</time>` : t.none}</td>
</tr>`)}</tbody></table></div>`) : html`<p>${t.enforcementNone}</p>`}
<p><a href="/public/v1/enforcement">JSON</a></p>`,
    }));
  });
};
