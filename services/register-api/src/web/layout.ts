import { html, type HtmlValue, type SafeHtml } from './html.js';
import { LANGUAGES, MESSAGES } from './i18n/language.js';
import { href, type PageContext } from './page-context.js';

export interface PageShell {
  title: string;
  /** which item of the main navigation is this page (aria-current) */
  section?: 'home' | 'search' | 'stats' | 'platforms' | 'enforcement' | 'log';
  body: SafeHtml;
  /** asset names of scripts this page enhances itself with (deferred, same origin only) */
  scripts?: readonly string[];
}

/** The frame of every page: landmarks, skip link, navigation, language switcher. */
export function layout(ctx: PageContext, page: PageShell): string {
  const { t } = ctx;
  const nav: [PageShell['section'], string, string][] = [
    ['home', '/', t.navHome],
    ['search', '/search', t.navSearch],
    ['stats', '/stats', t.navStats],
    ['platforms', '/platforms', t.navPlatforms],
    ['enforcement', '/enforcement', t.navEnforcement],
    ['log', '/log', t.navLog],
  ];
  return html`<!doctype html>
<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · ${t.siteShort}</title>
<link rel="icon" href="${ctx.assets.url('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${ctx.assets.url('site.css')}">
${(page.scripts ?? []).map((s) => html`<script src="${ctx.assets.url(s)}" defer></script>`)}
</head>
<body>
<a class="skip" href="#main">${t.skipToContent}</a>
<header class="site">
<a class="brand" href="${href(ctx, '/')}">${t.siteShort}</a>
<nav aria-label="${t.navLabel}"><ul>
${nav.map(([key, path, label]) => html`<li><a href="${href(ctx, path)}"${key === page.section ? html` aria-current="page"` : ''}>${label}</a></li>`)}
</ul></nav>
<nav aria-label="${t.languageLabel}" class="langs"><ul>
${LANGUAGES.map((l) => html`<li><a href="${switchTo(ctx, l)}" lang="${l}" hreflang="${l}"${l === ctx.lang ? html` aria-current="true"` : ''}>${MESSAGES[l].langName}</a></li>`)}
</ul></nav>
</header>
<main id="main">
${page.body}
</main>
<footer class="site">
<p>${t.footerNote}</p>
<p><a href="/public/v1/stats">${t.footerApi}</a> · <a href="/docs">${t.footerOpenApi}</a></p>
</footer>
</body>
</html>
`.value;
}

/** This page in language `lang`, with the reader's other query parameters kept. */
function switchTo(ctx: PageContext, lang: string): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(ctx.query)) if (k !== 'lang') search.set(k, v);
  search.set('lang', lang);
  return `${ctx.path}?${search.toString()}`;
}

/** A definition list row, skipped when there is nothing to say. */
export function row(label: string, value: HtmlValue): SafeHtml | '' {
  if (value === null || value === undefined || value === '' || value === false) return '';
  return html`<dt>${label}</dt><dd>${value}</dd>`;
}
