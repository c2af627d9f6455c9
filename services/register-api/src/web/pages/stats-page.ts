import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AssetStore } from '../asset-store.js';
import type { StatsCache, StatsView, WeeklyCounts } from '../data/stats-view.js';
import { html, type SafeHtml } from '../html.js';
import { cardsTable } from '../parts/cards-table.js';
import type { Messages } from '../i18n/en.js';
import { fill } from '../i18n/language.js';
import { layout } from '../layout.js';
import { href, pageContext, type PageContext } from '../page-context.js';
import { horizontalBars, lineChart, stackedBars, swatch } from '../parts/charts.js';
import { label } from '../parts/labels.js';
import { setPageHeaders } from '../security-headers.js';
import { langQuery } from './page-query.js';

const TABLES = ['in-force.csv', 'weekly-category.csv', 'weekly-basis.csv', 'authorities.csv'] as const;

/** `/stats`: each chart with its numbers as a table beside it and a CSV of the same numbers. */
export const statsPage: FastifyPluginAsyncZod<{ assets: AssetStore; stats: StatsCache }> = async (app, opts) => {
  app.get('/stats', {
    schema: { tags: ['web'], summary: 'Statistics page (HTML)', querystring: z.object({ lang: langQuery }), hide: true },
  }, async (request, reply) => {
    const ctx = pageContext(request, opts.assets);
    const stats = await opts.stats.get();
    setPageHeaders(reply);
    return reply.send(layout(ctx, { title: ctx.t.statsTitle, section: 'stats', body: statsBody(ctx, stats) }));
  });

  app.get('/stats/:table', {
    schema: { tags: ['web'], summary: 'The numbers of one chart of the statistics page, as CSV', params: z.object({ table: z.enum(TABLES) }), hide: true },
  }, async (request, reply) => {
    const s = await opts.stats.get();
    void reply.header('content-type', 'text/csv; charset=utf-8');
    void reply.header('content-disposition', `attachment; filename="tizilim-${request.params.table}"`);
    return reply.send(csv(request.params.table, s));
  });
};

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) || /^[=+\-@]/.test(s) ? `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"` : s;
}

function csv(table: (typeof TABLES)[number], s: StatsView): string {
  const lines: (string | number)[][] = [];
  const weeklyCsv = (w: WeeklyCounts) => {
    lines.push(['week', ...w.keys]);
    w.weeks.forEach((week, i) => lines.push([week, ...w.counts[i]!]));
  };
  switch (table) {
    case 'in-force.csv':
      lines.push(['month', 'added', 'removed', 'in_force']);
      for (const m of s.inForce) lines.push([m.month, m.added, m.removed, m.inForce]);
      break;
    case 'weekly-category.csv': weeklyCsv(s.weeklyByCategory); break;
    case 'weekly-basis.csv': weeklyCsv(s.weeklyByBasisKind); break;
    case 'authorities.csv':
      lines.push(['authority', 'restrictions_in_force']);
      for (const a of s.authorities) lines.push([a.key, a.n]);
      break;
  }
  return lines.map((l) => `${l.map(csvCell).join(',')}\r\n`).join('');
}

function weeklySection(ctx: PageContext, id: string, title: string, w: WeeklyCounts, keyLabel: (k: string) => string, file: string): SafeHtml {
  const { t, fmt } = ctx;
  return html`<section aria-labelledby="${id}"><h2 id="${id}">${title}</h2>
${w.weeks.length ? html`<div class="${w.keys.length > 3 ? 'chart-pair stacked' : 'chart-pair'}">
${stackedBars(fill(t.statsChartOf, { title }), w.weeks.map((d) => ctx.fmt.date(d)), w.counts, fmt.number)}
${cardsTable(html`<div class="scroll" tabindex="0"><table class="cards">
<caption>${title}</caption>
<thead><tr><th scope="col">${t.statsWeek}</th>${w.keys.map((k, i) => html`<th scope="col">${swatch(i)} ${keyLabel(k)}</th>`)}</tr></thead>
<tbody>${w.weeks.map((week, i) => html`<tr><th scope="row"><time datetime="${week}">${fmt.date(week)}</time></th>${w.counts[i]!.map((n, k) => html`<td class="num" data-label="${keyLabel(w.keys[k]!)}">${fmt.number(n)}</td>`)}</tr>`)}</tbody>
</table></div>`)}</div>` : html`<p>${t.statsEmpty}</p>`}
<p><a href="${href(ctx, `/stats/${file}`)}" download>${t.statsCsv}</a></p>
</section>`;
}

function statsBody(ctx: PageContext, s: StatsView): SafeHtml {
  const { t, fmt } = ctx;
  const cat = (k: string) => label(t as Messages, 'categories', k);
  const basis = (k: string) => label(t as Messages, 'basisKinds', k);
  return html`<h1>${t.statsTitle}</h1>
<section aria-labelledby="h-inforce"><h2 id="h-inforce">${t.statsInForce}</h2>
${s.inForce.length ? html`<div class="chart-pair">
${lineChart(fill(t.statsChartOf, { title: t.statsInForce }), s.inForce.map((m) => m.month), s.inForce.map((m) => m.inForce), fmt.number)}
<div class="scroll" tabindex="0"><table>
<caption>${t.statsInForce}</caption>
<thead><tr><th scope="col">${t.statsMonth}</th><th scope="col">${t.statsAdded}</th><th scope="col">${t.statsRemoved}</th><th scope="col">${t.statsInForceCount}</th></tr></thead>
<tbody>${s.inForce.map((m) => html`<tr><th scope="row">${m.month}</th><td class="num">${fmt.number(m.added)}</td><td class="num">${fmt.number(m.removed)}</td><td class="num">${fmt.number(m.inForce)}</td></tr>`)}</tbody>
</table></div></div>` : html`<p>${t.statsEmpty}</p>`}
<p><a href="${href(ctx, '/stats/in-force.csv')}" download>${t.statsCsv}</a></p>
</section>
${weeklySection(ctx, 'h-weekly-category', t.statsWeeklyCategory, s.weeklyByCategory, cat, 'weekly-category.csv')}
${weeklySection(ctx, 'h-weekly-basis', t.statsWeeklyBasis, s.weeklyByBasisKind, basis, 'weekly-basis.csv')}
<section aria-labelledby="h-authorities"><h2 id="h-authorities">${t.statsAuthorities}</h2>
${s.authorities.length ? html`<div class="chart-pair">
${horizontalBars(fill(t.statsChartOf, { title: t.statsAuthorities }), s.authorities.map((a) => a.key), s.authorities.map((a) => a.n), fmt.number)}
<div class="scroll" tabindex="0"><table>
<caption>${t.statsAuthorities}</caption>
<thead><tr><th scope="col">#</th><th scope="col">${t.authority}</th><th scope="col">${t.statsCount}</th></tr></thead>
<tbody>${s.authorities.map((a, i) => html`<tr><td class="num">${i + 1}</td><th scope="row">${a.key}</th><td class="num">${fmt.number(a.n)}</td></tr>`)}</tbody>
</table></div></div>` : html`<p>${t.statsEmpty}</p>`}
<p><a href="${href(ctx, '/stats/authorities.csv')}" download>${t.statsCsv}</a></p>
</section>`;
}
