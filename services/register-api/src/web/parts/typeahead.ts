import { html, type SafeHtml } from '../html.js';
import type { PageContext } from '../page-context.js';

/** Resource kinds the suggest route answers with, each labelled in the page's language. */
const KINDS = ['domain', 'domain_suffix', 'url', 'ip', 'cidr'] as const;

/**
 * Attributes that make a search box a type-ahead combobox once assets/typeahead.js runs: the
 * labels it shows and announces, in the page's language (the script holds no text, and the
 * CSP allows no inline script to pass them), and the language suffix for the entry links.
 * Without the script they do nothing.
 */
export function typeaheadAttributes(ctx: PageContext): SafeHtml {
  const { t } = ctx;
  return html` data-typeahead="" data-ta-list="${t.suggestList}" data-ta-count="${t.suggestCount}" data-ta-none="${t.suggestNone}"${
    KINDS.map((k) => html` data-ta-kind-${k.replace('_', '-')}="${t.kinds[k]}"`)}${ctx.explicitLang ? html` data-ta-lang="?lang=${ctx.lang}"` : ''}`;
}
