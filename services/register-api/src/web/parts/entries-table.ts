import type { PublicEntry } from '../../domain/public-view.js';
import { html, type SafeHtml } from '../html.js';
import { cardsTable } from './cards-table.js';
import { href, type PageContext } from '../page-context.js';
import { label } from './labels.js';
import { resourceName } from './resource-name.js';

/** Spans of enforcement (search results, check answers): one row each, linking to its entry. */
export function entriesTable(ctx: PageContext, entries: readonly PublicEntry[], caption: string): SafeHtml {
  const { t, fmt } = ctx;
  return cardsTable(html`<div class="scroll" tabindex="0"><table class="cards">
<caption>${caption}</caption>
<thead><tr><th scope="col">${t.colEntry}</th><th scope="col">${t.colResource}</th><th scope="col">${t.colState}</th><th scope="col">${t.colSince}</th><th scope="col">${t.colUntil}</th><th scope="col">${t.colCategory}</th><th scope="col">${t.colBasis}</th></tr></thead>
<tbody>
${entries.map((e) => html`<tr>
<td data-label="${t.colEntry}"><a href="${href(ctx, `/log/${e.entry}`)}">${e.entry}</a></td>
<td data-label="${t.colResource}">${resourceName(ctx, e.resource)}<br><span class="note">${label(t, 'kinds', e.resource.kind)}</span></td>
<td data-label="${t.colState}"><span class="state state-${e.state}">${label(t, 'states', e.state)}</span></td>
<td data-label="${t.colSince}"><time datetime="${e.since}">${fmt.instant(e.since)}</time></td>
<td data-label="${t.colUntil}">${e.until ? html`<time datetime="${e.until}">${fmt.instant(e.until)}</time>` : t.none}</td>
<td data-label="${t.colCategory}">${label(t, 'categories', e.category)}</td>
<td data-label="${t.colBasis}">${label(t, 'basisKinds', e.legalBasis.kind)}, ${e.legalBasis.authority}, № ${e.legalBasis.documentNumber}</td>
</tr>`)}
</tbody></table></div>`);
}
