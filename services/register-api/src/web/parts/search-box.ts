import { html, type SafeHtml } from '../html.js';
import type { PageContext } from '../page-context.js';
import { typeaheadAttributes } from './typeahead.js';

/** The one question of the home page; a plain GET form, so it works without scripts. */
export function searchBox(ctx: PageContext, value: string): SafeHtml {
  const { t } = ctx;
  return html`<form class="search" action="/search" method="get" role="search">
<label for="q">${t.searchLabel}</label>
<div class="row"><input id="q" name="q" type="search" value="${value}" placeholder="${t.searchPlaceholder}" maxlength="2048" autocomplete="off" spellcheck="false" dir="auto"${typeaheadAttributes(ctx)}>
${ctx.explicitLang ? html`<input type="hidden" name="lang" value="${ctx.lang}">` : ''}
<button type="submit">${t.searchButton}</button></div>
</form>`;
}
