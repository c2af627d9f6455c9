import type { LogEntryBody } from '@tizilim/shared';
import { html, type SafeHtml } from '../html.js';
import { cardsTable } from './cards-table.js';
import { href, type PageContext } from '../page-context.js';
import { label } from './labels.js';
import { resourceName } from './resource-name.js';

/** Log entries in a table: what changed, when, why. `current` marks the entry being read. */
export function logTable(ctx: PageContext, entries: readonly LogEntryBody[], caption: string, opts: { withResource?: boolean; current?: number } = {}): SafeHtml {
  const { t, fmt } = ctx;
  return cardsTable(html`<div class="scroll" tabindex="0"><table class="cards">
<caption>${caption}</caption>
<thead><tr><th scope="col">${t.colEntry}</th><th scope="col">${t.colTime}</th>${opts.withResource ? html`<th scope="col">${t.colResource}</th>` : ''}<th scope="col">${t.colChange}</th><th scope="col">${t.colReason}</th><th scope="col">${t.colMode}</th><th scope="col">${t.colUntil}</th><th scope="col">${t.colCategory}</th></tr></thead>
<tbody>
${entries.map((e) => html`<tr${e.seq === opts.current ? html` class="current"` : ''}>
<td data-label="${t.colEntry}">${e.seq === opts.current ? html`<span aria-current="true">${e.seq}</span>` : html`<a href="${href(ctx, `/log/${e.seq}`)}">${e.seq}</a>`}</td>
<td data-label="${t.colTime}"><time datetime="${e.time}">${fmt.instant(e.time)}</time></td>
${opts.withResource ? html`<td data-label="${t.colResource}">${resourceName(ctx, e.resource)}</td>` : ''}
<td data-label="${t.colChange}"><span class="op op-${e.op}">${label(t, 'op', e.op)}</span></td>
<td data-label="${t.colReason}">${label(t, 'reasons', e.reason)}</td>
<td data-label="${t.colMode}">${label(t, 'modes', e.mode)}</td>
<td data-label="${t.colUntil}">${e.until ? html`<time datetime="${e.until}">${fmt.instant(e.until)}</time>` : t.none}</td>
<td data-label="${t.colCategory}">${label(t, 'categories', e.category)}</td>
</tr>`)}
</tbody></table></div>`);
}
