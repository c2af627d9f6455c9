import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { publicPlatformsPage } from '../../routes/public-platforms/public-platform-routes.js';
import type { AssetStore } from '../asset-store.js';
import { html } from '../html.js';
import { cardsTable } from '../parts/cards-table.js';
import { layout } from '../layout.js';
import { href, pageContext } from '../page-context.js';
import { label } from '../parts/labels.js';
import { setPageHeaders } from '../security-headers.js';
import { blankAsMissing, langQuery } from './page-query.js';

const PAGE = 100;

/** `/platforms`: the same data as `/public/v1/platforms` (legal representatives, orders, compliance). */
export const platformsPage: FastifyPluginAsyncZod<{ assets: AssetStore }> = async (app, opts) => {
  app.get('/platforms', {
    schema: { tags: ['web'], summary: 'Foreign platforms and their compliance (HTML)', querystring: z.object({ cursor: blankAsMissing(z.string().max(200)), lang: langQuery }), hide: true },
  }, async (request, reply) => {
    const ctx = pageContext(request, opts.assets);
    const { t, fmt } = ctx;
    const page = await publicPlatformsPage(app.db, PAGE, request.query.cursor);
    setPageHeaders(reply);
    return reply.send(layout(ctx, {
      title: t.platformsTitle,
      section: 'platforms',
      body: html`<h1>${t.platformsTitle}</h1>
<p class="lead">${t.platformsLead}</p>
${page.platforms.length ? cardsTable(html`<div class="scroll dense" tabindex="0"><table class="cards">
<caption>${t.platformsTitle}</caption>
<thead><tr><th scope="col">${t.platformName}</th><th scope="col">${t.platformCountry}</th><th scope="col">${t.platformDomains}</th><th scope="col">${t.platformAudience}</th><th scope="col">${t.platformRegistration}</th><th scope="col">${t.platformRepresentative}</th><th scope="col">${t.platformOrders}</th><th scope="col">${t.platformOnTime}</th><th scope="col">${t.platformLate}</th><th scope="col">${t.platformRefused}</th><th scope="col">${t.platformOverdue}</th><th scope="col">${t.platformMedianHours}</th></tr></thead>
<tbody>${page.platforms.map((p) => html`<tr>
<th scope="row">${p.name}</th><td data-label="${t.platformCountry}">${p.country}</td>
<td data-label="${t.platformDomains}">${p.domains.map((d, i) => html`${i ? ', ' : ''}<bdi>${d.display.split('.').map((label, j) => html`${j ? html`.<wbr>` : ''}${label}`)}</bdi>`)}</td>
<td class="num" data-label="${t.platformAudience}">${fmt.number(p.dailyAudience)}</td>
<td data-label="${t.platformRegistration}">${label(t, 'registrationStatuses', p.registrationStatus)} (<time datetime="${p.registrationDeadline}">${fmt.instant(p.registrationDeadline)}</time>)</td>
<td data-label="${t.platformRepresentative}">${p.representative ? `${p.representative.name} (${p.representative.country})` : t.platformNoRepresentative}</td>
<td class="num" data-label="${t.platformOrders}">${fmt.number(p.compliance.orders)}</td><td class="num" data-label="${t.platformOnTime}">${fmt.number(p.compliance.onTime)}</td><td class="num" data-label="${t.platformLate}">${fmt.number(p.compliance.late)}</td>
<td class="num" data-label="${t.platformRefused}">${fmt.number(p.compliance.refused)}</td><td class="num" data-label="${t.platformOverdue}">${fmt.number(p.compliance.overdue)}</td>
<td class="num" data-label="${t.platformMedianHours}">${p.compliance.medianHoursToComply === null ? t.none : fmt.number(p.compliance.medianHoursToComply)}</td>
</tr>`)}</tbody></table></div>`) : html`<p>${t.platformsNone}</p>`}
${page.nextCursor ? html`<nav class="pager" aria-label="${t.platformsTitle}"><a href="${href(ctx, '/platforms', { cursor: page.nextCursor })}" rel="next">${t.nextPage}</a></nav>` : ''}
<p><a href="/public/v1/platforms">JSON</a></p>`,
    }));
  });
};
