import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { notFound } from '../../errors/error-catalogue.js';
import type { Role } from '../../db/schema.js';
import { entryInclusionProof } from '../../domain/entry-inclusion.js';
import { loadEntryView, type DecisionDetailsCache, type EntryView } from '../data/entry-view.js';
import { html, type SafeHtml } from '../html.js';
import { fill } from '../i18n/language.js';
import { layout, row } from '../layout.js';
import { href, pageContext, resourceHref, type PageContext } from '../page-context.js';
import { label } from '../parts/labels.js';
import { logTable } from '../parts/log-table.js';
import { resourceName, typedForm } from '../parts/resource-name.js';
import { setPageHeaders } from '../security-headers.js';
import type { AssetStore } from '../asset-store.js';

/** A seq as the path carries it: digits only, within the range the log can reach. */
export const seqParam = z.object({ seq: z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be a log entry number (1, 2, 3, …)').transform(Number) });

/**
 * `/log/{seq}`: the page every blocked answer links to. Also answers `/public/v1/log/{seq}` for
 * browsers (see web-plugin.ts), so the URL in EDE texts and 451 pages opens this page.
 */
export const entryPage: FastifyPluginAsyncZod<{ assets: AssetStore; decisions: DecisionDetailsCache }> = async (app, opts) => {
  app.get('/log/:seq', {
    schema: { tags: ['web'], summary: 'Web page of one log entry (HTML)', params: seqParam, hide: true },
  }, (request, reply) => sendEntryPage(app.db, opts.decisions, opts.assets, request, reply, request.params.seq));
};

export async function sendEntryPage(db: Parameters<typeof loadEntryView>[0], decisions: DecisionDetailsCache, assets: AssetStore, request: FastifyRequest, reply: FastifyReply, seq: number): Promise<FastifyReply> {
  const view = await loadEntryView(db, decisions, seq);
  if (!view) throw notFound(`log entry ${seq}`);
  const proof = await entryInclusionProof(request.server, seq);
  if (proof) view.inclusionProof = { ...proof, checkpointUrl: '/tlog/checkpoint' };
  const ctx = pageContext(request, assets);
  setPageHeaders(reply);
  return reply.send(layout(ctx, { title: fill(ctx.t.entryTitle, { seq }), section: 'log', body: entryBody(ctx, view) }));
}

function roles(ctx: PageContext, list: readonly Role[]): string {
  return list.length ? list.map((r) => label(ctx.t, 'roles', r)).join(', ') : ctx.t.unknown;
}

function provisionText(p: unknown): string {
  if (typeof p === 'string') return p;
  if (p && typeof p === 'object') {
    const { law, article } = p as { law?: unknown; article?: unknown };
    return [typeof law === 'string' ? law : '', typeof article === 'string' ? `art. ${article}` : ''].filter(Boolean).join(', ');
  }
  return '';
}

/** Only http(s) links reach an href: a stored `javascript:` URL must not become a link. */
function safeLink(url: string | null): string | null {
  return url && /^https?:\/\//i.test(url) ? url : null;
}

function appeal(ctx: PageContext, v: EntryView): string {
  const b = v.entry.legalBasis;
  const values = { doc: b.documentNumber, authority: b.authority };
  switch (b.kind) {
    case 'court_ruling': return fill(ctx.t.appealCourt, values);
    case 'prosecutor_recommendation': return fill(ctx.t.appealProsecutor, values);
    default: return fill(ctx.t.appealMinistry, values);
  }
}

function entryBody(ctx: PageContext, v: EntryView): SafeHtml {
  const { t, fmt } = ctx;
  const e = v.entry;
  const r = e.resource;
  const typed = typedForm(r);
  const link = safeLink(v.basis.documentUrl);
  return html`<h1>${fill(t.entryTitle, { seq: e.seq })}</h1>
<p class="lead"><span class="op op-${e.op}">${e.op === 'add' ? t.entryAdded : t.entryRemoved}</span></p>

<section aria-labelledby="h-resource"><h2 id="h-resource">${t.resourceHeading}</h2>
<dl>
${row(t.resourceAsTyped, html`<bdi class="res big">${r.display ?? r.host ?? t.unknown}</bdi>`)}
${row(t.resourceALabel, typed && typed !== r.display ? html`<code>${typed}</code>` : '')}
${row(t.resourceKind, label(t, 'kinds', r.kind))}
${row(t.resourceHost, r.host && r.host !== r.value ? html`<code>${r.host}</code>` : '')}
${row(t.resourceHash, html`<code class="hash">${r.valueSha256}</code>`)}
</dl>
${r.value === null ? html`<p class="notice">${t.redactedNotice}</p>` : ''}
</section>

<section aria-labelledby="h-action"><h2 id="h-action">${t.actionHeading}</h2>
<dl>
${row(t.action, label(t, 'actions', e.decision.action))}
${row(t.mode, label(t, 'modes', e.mode))}
${row(t.reason, label(t, 'reasons', e.reason))}
${row(t.since, html`<time datetime="${e.decision.effectiveFrom}">${fmt.instant(e.decision.effectiveFrom)}</time>`)}
${row(t.until, e.until ? html`<time datetime="${e.until}">${fmt.instant(e.until)}</time>` : t.untilNone)}
${row(t.entryTime, html`<time datetime="${e.time}">${fmt.instant(e.time)}</time>`)}
</dl>
</section>

<section aria-labelledby="h-decision"><h2 id="h-decision">${t.decisionHeading}</h2>
<dl>
${row(t.decisionId, html`<code>${e.decision.id}</code>`)}
${row(t.category, label(t, 'categories', e.category))}
${row(t.decisionStatus, label(t, 'decisionStatuses', v.decision.status))}
${row(t.draftedBy, roles(ctx, v.decision.draftedByRoles))}
${row(t.approvedBy, roles(ctx, v.decision.approvedByRoles))}
</dl>
<p class="note">${t.rolesNote}</p>
</section>

<section aria-labelledby="h-basis"><h2 id="h-basis">${t.basisHeading}</h2>
<dl>
${row(t.basisKind, label(t, 'basisKinds', e.legalBasis.kind))}
${row(t.authority, e.legalBasis.authority)}
${row(t.documentNumber, e.legalBasis.documentNumber)}
${row(t.issuedAt, html`<time datetime="${e.legalBasis.issuedAt}">${fmt.date(e.legalBasis.issuedAt)}</time>`)}
${row(t.effectiveAt, v.basis.effectiveAt ? html`<time datetime="${v.basis.effectiveAt}">${fmt.date(v.basis.effectiveAt)}</time>` : '')}
${row(t.provisions, v.basis.provisions.length ? html`<ul>${v.basis.provisions.map((p) => html`<li>${provisionText(p)}</li>`)}</ul>` : '')}
${row(t.summary, v.basis.summary)}
${row(t.document, link ? html`<a href="${link}" rel="noopener noreferrer">${link}</a>` : '')}
${row(t.documentSha256, v.basis.documentSha256 ? html`<code class="hash">${v.basis.documentSha256}</code>` : '')}
</dl>
</section>

<section aria-labelledby="h-appeal"><h2 id="h-appeal">${t.appealHeading}</h2>
<p>${appeal(ctx, v)}</p>
<p>${t.appealRestore}</p>
</section>

<section aria-labelledby="h-history"><h2 id="h-history">${t.historyHeading}</h2>
${v.historyTruncated ? html`<p class="note">${fill(t.historyTruncated, { count: v.history.length })}</p>` : ''}
${logTable(ctx, v.history, t.historyHeading, { current: e.seq })}
${typed ? html`<p><a href="${resourceHref(ctx, typed)}">${t.resourcePageLink}</a>: ${resourceName(ctx, r, false)}</p>` : ''}
</section>

<section aria-labelledby="h-integrity"><h2 id="h-integrity">${t.integrityHeading}</h2>
<dl>
${row(t.hash, html`<code class="hash">${e.hash}</code>`)}
${row(t.prevHash, html`<code class="hash">${e.prevHash}</code>`)}
</dl>
${v.inclusionProof ? inclusionProof(ctx, v.inclusionProof) : ''}
<p><a href="/public/v1/log/${e.seq}?format=json" type="application/json">${t.entryJson}</a> · <a href="${href(ctx, '/log')}">${t.verifyLink}</a></p>
</section>`;
}

/** The audit path, with the checkpoint it verifies against; absent until a checkpoint covers the entry. */
function inclusionProof(ctx: PageContext, p: NonNullable<EntryView['inclusionProof']>): SafeHtml {
  return html`<h3>${ctx.t.inclusionProofHeading}</h3>
<dl>
${row(ctx.t.inclusionTreeSize, ctx.fmt.number(p.treeSize))}
${row(ctx.t.inclusionLeafIndex, ctx.fmt.number(p.leafIndex))}
</dl>
<ol class="proof" data-tree-size="${p.treeSize}" data-leaf-index="${p.leafIndex}">
${p.hashes.map((h) => html`<li><code class="hash">${h}</code></li>`)}
</ol><p><a href="${p.checkpointUrl}">${ctx.t.checkpointHeading}</a></p>`;
}
