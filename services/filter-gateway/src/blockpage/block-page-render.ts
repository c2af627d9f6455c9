import type { PublicLogEntry, RuleMode } from '@tizilim/shared';
import {
  APPEAL, BASIS_KINDS, CATEGORIES, DETAILS_UNAVAILABLE, LABELS, LANGS, LEAD, TITLE, WITHHELD, type Lang,
} from './block-page-texts.js';

export interface BlockContext {
  entry: number;
  entryUrl: string;
  /** The host the request named (already normalised). Never the path: see {@link shownResource}. */
  host: string;
  /** The public log entry, or undefined when the register could not be asked. */
  details: PublicLogEntry | undefined;
  mode: RuleMode;
  /** Epoch ms a suspension ends, 0 for none. */
  until: number;
}

/** Categories whose URLs are never published (DESIGN: only host and hash). */
const SENSITIVE = new Set(['child_sexual_abuse']);

/**
 * What the page may call the resource. The request path is never shown and neither is a
 * rule's URL unless the public log itself publishes it: for sensitive categories the log
 * carries only host and hash, and without the log we cannot tell whether it is sensitive.
 */
export function shownResource(ctx: BlockContext): { text: string; withheld: boolean } {
  const d = ctx.details;
  if (d === undefined) return { text: ctx.host, withheld: false };
  const r = d.resource;
  if (r.value === null || SENSITIVE.has(d.category)) return { text: r.host ?? ctx.host, withheld: r.kind === 'url' || r.value === null };
  return { text: r.display ?? r.value, withheld: false };
}

export function appealText(lang: Lang, ctx: BlockContext): string {
  return APPEAL[lang].replace('{entry}', String(ctx.entry)).replace('{url}', ctx.entryUrl);
}

/** The JSON variant: DESIGN's error shape, with the entry's public facts as details. */
export function renderBlockJson(ctx: BlockContext): string {
  const d = ctx.details;
  const shown = shownResource(ctx);
  return JSON.stringify({
    error: {
      code: 'unavailable_for_legal_reasons',
      message: TITLE.en,
      details: {
        entry: ctx.entry,
        entryUrl: ctx.entryUrl,
        host: ctx.host,
        resource: d ? { kind: d.resource.kind, display: shown.text, withheld: shown.withheld } : null,
        category: d?.category ?? null,
        mode: ctx.mode,
        until: ctx.until > 0 ? new Date(ctx.until).toISOString() : null,
        legalBasis: d ? { kind: d.legalBasis.kind, authority: d.legalBasis.authority, documentNumber: d.legalBasis.documentNumber, issuedAt: d.legalBasis.issuedAt } : null,
        decision: d ? { id: d.decision.id, action: d.decision.action, effectiveFrom: d.decision.effectiveFrom } : null,
        detailsAvailable: d !== undefined,
        appeal: { kk: appealText('kk', ctx), ru: appealText('ru', ctx), en: appealText('en', ctx) },
      },
    },
  });
}

export function renderBlockHtml(ctx: BlockContext): string {
  const sections = LANGS.map((lang) => section(lang, ctx)).join('\n');
  return `<!doctype html>
<html lang="kk">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>451 — ${esc(TITLE.kk)} / ${esc(TITLE.ru)} / ${esc(TITLE.en)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
section{border-top:1px solid #ccc;padding:1rem 0}
h1{font-size:1.3rem;margin:.2rem 0 .6rem}
dl{display:grid;grid-template-columns:minmax(10rem,auto) 1fr;gap:.2rem 1rem;margin:0 0 .8rem}
dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
.code{color:#777;font-size:.9rem}
</style>
</head>
<body>
<p class="code">HTTP 451 Unavailable For Legal Reasons</p>
${sections}
</body>
</html>
`;
}

function section(lang: Lang, ctx: BlockContext): string {
  const d = ctx.details;
  const rows: [string, string][] = [];
  const row = (label: keyof typeof LABELS, valueHtml: string): void => { rows.push([esc(LABELS[label][lang]), valueHtml]); };
  row('entry', `<a href="${esc(ctx.entryUrl)}" rel="blocked-by">№ ${ctx.entry}</a>`);
  const shown = shownResource(ctx);
  row('resource', esc(shown.text) + (shown.withheld ? ` (${esc(WITHHELD[lang])})` : ''));
  if (d !== undefined) {
    row('category', esc(CATEGORIES[d.category]?.[lang] ?? d.category));
    row('basisKind', esc(BASIS_KINDS[d.legalBasis.kind]?.[lang] ?? d.legalBasis.kind));
    row('authority', esc(d.legalBasis.authority));
    row('documentNumber', esc(d.legalBasis.documentNumber));
    row('documentDate', esc(day(d.legalBasis.issuedAt)));
    row('decisionDate', esc(day(d.decision.effectiveFrom)));
  }
  if (ctx.mode === 'suspend' && ctx.until > 0) row('suspendedUntil', esc(new Date(ctx.until).toISOString().replace('T', ' ').slice(0, 16) + ' UTC'));
  return `<section lang="${lang}">
<h1>${esc(TITLE[lang])}</h1>
<p>${esc(LEAD[lang])}</p>
${d === undefined ? `<p>${esc(DETAILS_UNAVAILABLE[lang])}</p>\n` : ''}<dl>
${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('\n')}
</dl>
<h2>${esc(LABELS.appeal[lang])}</h2>
<p>${linkify(appealText(lang, ctx), ctx.entryUrl)}</p>
</section>`;
}

/** The date part of an ISO instant; the text itself if it is not one. */
function day(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(iso) ? iso.slice(0, 10) : iso;
}

function linkify(text: string, url: string): string {
  const at = text.lastIndexOf(url);
  if (at < 0) return esc(text);
  return esc(text.slice(0, at)) + `<a href="${esc(url)}">${esc(url)}</a>` + esc(text.slice(at + url.length));
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!);
}
