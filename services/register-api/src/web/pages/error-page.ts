import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FieldIssue } from '../../errors/error-catalogue.js';
import type { AssetStore } from '../asset-store.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import { href, pageContext } from '../page-context.js';
import { setPageHeaders } from '../security-headers.js';

/** What the reader is told, at most: a message quoting 5,000 characters of input helps nobody. */
const MAX_MESSAGE = 300;

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

/**
 * A page for a request the pages cannot answer: the right status, a title in the reader's
 * language, and the register's message (escaped, clipped) naming the field that was wrong.
 */
export function sendErrorPage(request: FastifyRequest, reply: FastifyReply, assets: AssetStore, status: number, message: string, details?: readonly FieldIssue[]): FastifyReply {
  // The language switcher keeps only the language: a bad query is not worth repeating, nor a
  // path longer than any of ours.
  const base = pageContext(request, assets);
  const ctx = { ...base, query: {}, path: base.path.length > MAX_MESSAGE ? '/' : base.path };
  const { t } = ctx;
  const title = status === 404 ? t.errorTitle404 : status === 429 ? t.errorTitle429 : status === 503 ? t.errorTitle503 : status >= 400 && status < 500 ? t.errorTitle400 : t.errorTitle500;
  const lead = status === 404 ? t.errorLead404 : status === 414 ? t.errorLead414 : status === 400 ? t.errorLead400 : null;
  // One line per field, in the reader's language where the catalogue knows the field; the
  // register's own (English) wording stays available below, marked as English.
  const hints: Record<string, string> = t.errorHints;
  const fields = [...new Map((details ?? []).map((d) => [d.field, d])).values()];
  setPageHeaders(reply);
  void reply.header('cache-control', 'no-store');
  return reply.status(status).send(layout(ctx, {
    title,
    body: html`<h1>${title}</h1>
<p class="error" role="alert">${lead ?? html`<span lang="en">${clip(message)}</span>`}</p>
${fields.length ? html`<ul>${fields.map((d) => {
      const hint = Object.hasOwn(hints, d.field) ? hints[d.field] : undefined;
      return html`<li>${t.errorField} <code>${clip(d.field)}</code>: ${hint ?? html`<span lang="en">${clip(d.message)}</span>`}</li>`;
    })}</ul>` : ''}
${lead ? html`<details><summary>${t.errorTechnical}</summary><p lang="en"><code>${clip(message)}</code></p></details>` : ''}
<p><a href="${href(ctx, '/')}">${t.errorBack}</a></p>`,
  }));
}
