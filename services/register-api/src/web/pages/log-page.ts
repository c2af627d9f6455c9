import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { latestCheckpoint } from '../../domain/log-checkpoints.js';
import type { AssetStore } from '../asset-store.js';
import { latestEntries } from '../data/headline.js';
import { html } from '../html.js';
import type { Messages } from '../i18n/en.js';
import { layout, row } from '../layout.js';
import { pageContext } from '../page-context.js';
import { logTable } from '../parts/log-table.js';
import { setPageHeaders } from '../security-headers.js';
import { langQuery } from './page-query.js';

/** Labels the in-browser verifier shows, handed to it as data attributes (no inline script). */
const VERIFIER_MESSAGES = [
  'verifyProgress', 'verifyOk', 'verifyOkNoCheckpoint', 'verifyBad', 'verifyBadSignature', 'verifyNoEd25519', 'verifyFailed',
  'verifyReasonHash', 'verifyReasonPrev', 'verifyReasonSeq', 'verifyReasonShape', 'verifyReasonTime', 'verifyReasonCheckpoint', 'verifyReasonShort',
] as const satisfies readonly (keyof Messages)[];

/** `/log`: the latest signed checkpoint, how to verify offline, and "verify in this browser". */
export const logPage: FastifyPluginAsyncZod<{ assets: AssetStore; publicBaseUrl: string }> = async (app, opts) => {
  app.get('/log', {
    schema: { tags: ['web'], summary: 'The public log: checkpoint and in-browser verification (HTML)', querystring: z.object({ lang: langQuery }), hide: true },
  }, async (request, reply) => {
    const ctx = pageContext(request, opts.assets);
    const { t, fmt } = ctx;
    const [cp, recent] = await Promise.all([latestCheckpoint(app.db), latestEntries(app.db, 20)]);
    const messages = VERIFIER_MESSAGES.map((k) => html` data-msg-${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}="${t[k]}"`);
    setPageHeaders(reply);
    return reply.send(layout(ctx, {
      title: t.logTitle,
      section: 'log',
      scripts: ['verify-log.js'],
      body: html`<h1>${t.logTitle}</h1>
<p class="lead">${t.logLead}</p>
<section aria-labelledby="h-checkpoint"><h2 id="h-checkpoint">${t.checkpointHeading}</h2>
${cp ? html`<dl>
${row(t.checkpointSeq, fmt.number(cp.seq))}
${row(t.checkpointTime, html`<time datetime="${cp.time}">${fmt.instant(cp.time)}</time>`)}
${row(t.checkpointHash, html`<code class="hash">${cp.hash}</code>`)}
${row(t.checkpointKey, html`<code class="hash">${cp.publicKey}</code>`)}
${row(t.checkpointSignature, html`<code class="hash">${cp.signature}</code>`)}
</dl>
<p><a href="/public/v1/log/checkpoint">JSON</a></p>` : html`<p>${t.checkpointNone}</p>`}
</section>
<section aria-labelledby="h-browser"><h2 id="h-browser">${t.browserHeading}</h2>
<p>${t.browserText}</p>
<div class="verifier" id="verifier"${messages} data-locale="${ctx.lang}" data-head="${recent[0]?.seq ?? 0}">
<noscript><p>${t.browserNeedsJs}</p></noscript>
<button type="button" id="verify-button" hidden>${t.verifyButton}</button>
<progress id="verify-progress" max="1" value="0" hidden aria-labelledby="verify-button"></progress>
<p id="verify-status" role="status" aria-live="polite"></p>
</div>
</section>
<section aria-labelledby="h-offline"><h2 id="h-offline">${t.offlineHeading}</h2>
<p>${t.offlineText}</p>
<pre><code>curl -sO ${opts.publicBaseUrl}/tlog/verify-log.mjs
node verify-log.mjs --key ${app.tlog.verifierKey} ${opts.publicBaseUrl}</code></pre>
<pre><code>npm run verify-log -- --key ${app.tlog.verifierKey} ${cp ? `--public-key ${cp.publicKey} ` : ''}${opts.publicBaseUrl}</code></pre>
<p><a href="/tlog/checkpoint">/tlog/checkpoint</a> · <a href="/tlog/key">/tlog/key</a></p>
<p>${t.offlineSpec}</p>
</section>
<section aria-labelledby="h-recent"><h2 id="h-recent">${t.recentHeading}</h2>
${recent.length ? logTable(ctx, recent, t.recentHeading, { withResource: true }) : html`<p>${t.latestEmpty}</p>`}
</section>`,
    }));
  });
};
