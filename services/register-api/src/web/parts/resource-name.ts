import { html, type SafeHtml } from '../html.js';
import { resourceHref, type PageContext } from '../page-context.js';

/** What a page knows of a resource: the public (possibly redacted) form of the log and the API. */
export interface PublicResourceShape {
  kind: string;
  value: string | null;
  host: string | null;
  display: string | null;
  valueSha256: string;
}

/** The form parseResource reads back: suffix rules are written `*.name`. */
export function typedForm(r: PublicResourceShape): string | null {
  if (r.value === null) return null;
  return r.kind === 'domain_suffix' ? `*.${r.value}` : r.value;
}

/**
 * A resource as people read it (Unicode), with its A-label beside it when the two differ, so
 * an IDN is recognisable and still exactly identifiable. A redacted URL shows only its host.
 */
export function resourceName(ctx: PageContext, r: PublicResourceShape, link = true): SafeHtml {
  const typed = typedForm(r);
  if (typed === null) {
    return html`<span class="res redacted">${r.host ?? ctx.t.unknown} <span class="note">(${ctx.t.urlWithheld})</span></span>`;
  }
  const shown = r.display ?? typed;
  const alabel = shown !== typed ? html` <span class="alabel" lang="en">${typed}</span>` : '';
  const name = html`<bdi class="res">${shown}</bdi>${alabel}`;
  return link ? html`<a href="${resourceHref(ctx, typed)}">${name}</a>` : name;
}
