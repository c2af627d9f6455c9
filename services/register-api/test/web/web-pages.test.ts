import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../../src/testing/test-register.js';
import { apiClient } from '../../src/testing/http.js';
import { enforce } from '../../src/testing/register-fixtures.js';

/**
 * The pages over HTTP without a browser: status codes, languages, escaping, headers, the entry
 * URL's content negotiation, redaction, and the entry page's weight. Browser journeys are in
 * web-browser.test.ts.
 */
let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let idn: Awaited<ReturnType<typeof enforce>>;
let csam: Awaited<ReturnType<typeof enforce>>;

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

async function page(url: string, headers: Record<string, string> = {}) {
  const res = await reg.app.inject({ method: 'GET', url, headers: { accept: BROWSER_ACCEPT, ...headers } });
  return { status: res.statusCode, body: res.body, headers: res.headers };
}

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  idn = await enforce(api, reg, { resources: ['*.Пример.kz', 'exact.example.kz', '198.51.100.0/24'] });
  csam = await enforce(api, reg, { resources: ['https://hidden.example.kz/secret/page?id=1'], category: 'child_sexual_abuse' });
  expect((await api('POST', '/v1/log/checkpoints', reg.tokens.auditor)).status).toBe(200);
});
afterAll(async () => reg?.close());

describe('every page answers 200 with HTML under a strict CSP', () => {
  it.each(['/', '/search', '/search?q=exact.example.kz', '/stats', '/platforms', '/enforcement', '/log', '/log/1', '/resources/exact.example.kz'])('%s', async (url) => {
    const res = await page(url);
    expect(res.status, res.body.slice(0, 500)).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    // No inline script, style element or style attribute anywhere: the CSP would block them.
    expect(res.body).not.toMatch(/<script(?![^>]*\ssrc=)/);
    expect(res.body).not.toMatch(/<style|\sstyle=/);
    expect(res.body).toMatch(/<main id="main">/);
  });
});

describe('type-ahead wiring', () => {
  it('the search boxes of / and /search carry the script and their labels in the page language; other pages do not', async () => {
    for (const [url, id] of [['/?lang=kk', 'q'], ['/search?lang=kk', 'f-q']] as const) {
      const res = await page(url);
      const script = /<script src="(\/assets\/typeahead\.[0-9a-f]{12}\.js)" defer><\/script>/.exec(res.body);
      expect(script, url).not.toBeNull();
      const asset = await reg.app.inject({ method: 'GET', url: script![1]! });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      const input = new RegExp(`<input id="${id}"[^>]*>`).exec(res.body)![0];
      expect(input).toContain('data-typeahead=""');
      expect(input).toContain('data-ta-list="Ұсыныстар"');
      expect(input).toContain('data-ta-kind-domain-suffix=');
      expect(input).toContain('data-ta-lang="?lang=kk"');
    }
    for (const url of ['/log/1', '/stats', '/log']) expect((await page(url)).body, url).not.toContain('typeahead');
  });
});

describe('the log page', () => {
  it('gives the offline commands with the transparency log\'s key pinned, and the one-file verifier', async () => {
    const key = (await reg.app.inject({ method: 'GET', url: '/tlog/key' })).body.trim();
    const res = await page('/log?lang=en');
    expect(res.status).toBe(200);
    expect(res.body).toContain('/tlog/verify-log.mjs');
    expect(res.body).toContain(`node verify-log.mjs --key ${key} `);
    expect(res.body).toContain(`npm run verify-log -- --key ${key} --public-key `);
  });
});

describe('the entry page', () => {
  it('carries the entry\'s inclusion proof against the latest checkpoint, the same as the JSON entry', async () => {
    const seq = idn.logEntries[0]!;
    const json = (await api('GET', `/public/v1/log/${seq}`)).body as { inclusion: { treeSize: number; leafIndex: number; hashes: string[] } | null };
    expect(json.inclusion).not.toBeNull();
    const res = await page(`/log/${seq}?lang=en`);
    expect(res.body).toContain('Inclusion proof');
    expect(res.body).toContain(`data-tree-size="${json.inclusion!.treeSize}" data-leaf-index="${seq - 1}"`);
    for (const h of json.inclusion!.hashes) expect(res.body).toContain(h);
    expect(res.body).toContain('href="/tlog/checkpoint"');
  });

  it('shows the resource in Unicode with its A-label, the decision, basis, roles and appeal', async () => {
    const res = await page(`/log/${idn.logEntries[0]}?lang=en`);
    expect(res.body).toContain('*.пример.kz');
    expect(res.body).toContain('*.xn--e1afmkfd.kz');
    expect(res.body).toContain('7194-26-00-4/1123');
    expect(res.body).toContain('Specialised Inter-District Administrative Court of Astana');
    expect(res.body).toContain('On communications, art. 41-1');
    expect(res.body).toMatch(/Drafted by<\/dt><dd>operator<\/dd>/);
    expect(res.body).toMatch(/Approved by<\/dt><dd>approver<\/dd>/);
    expect(res.body).toContain('How to appeal');
    // Names of people never appear; the fixture users are called after their roles, so check
    // the one name no role has.
    expect(res.body).not.toContain('operatorApprover');
  });

  it('never shows the URL of a sensitive category', async () => {
    const res = await page(`/log/${csam.logEntries[0]}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('hidden.example.kz');
    expect(res.body).not.toContain('secret/page');
  });

  it('the public entry URL is the page for browsers and JSON for programs', async () => {
    const seq = idn.logEntries[1]!;
    const html = await page(`/public/v1/log/${seq}`);
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.body).toContain('exact.example.kz');
    for (const accept of ['application/json', '*/*', undefined, 'text/html;q=0.5, application/json']) {
      const res = await reg.app.inject({ method: 'GET', url: `/public/v1/log/${seq}`, headers: accept ? { accept } : {} });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('application/json');
      expect(res.json().seq).toBe(seq);
    }
  });

  it('gives the page to a client that prefers HTML to JSON', async () => {
    const res = await reg.app.inject({ method: 'GET', url: `/public/v1/log/${idn.logEntries[1]}`, headers: { accept: 'application/json;q=0.5, text/html' } });
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('links "this entry as JSON" to the JSON, which a browser following the link gets', async () => {
    const seq = idn.logEntries[1]!;
    const res = await page(`/log/${seq}?lang=en`);
    expect(res.body).toContain(`href="/public/v1/log/${seq}?format=json"`);
    const json = await page(`/public/v1/log/${seq}?format=json`);
    expect(json.headers['content-type']).toContain('application/json');
    expect(JSON.parse(json.body).seq).toBe(seq);
  });

  it('shows the tree size and leaf index its inclusion proof is for', async () => {
    const seq = idn.logEntries[1]!;
    const res = await page(`/log/${seq}?lang=en`);
    expect(res.body).toContain('Inclusion proof');
    expect(res.body).toContain('Tree size');
    expect(res.body).toContain('Leaf index');
  });

  it('weighs at most 30 KB compressed with its CSS and scripts', async () => {
    const res = await page(`/log/${idn.logEntries[0]}`);
    let total = gzipSync(res.body).length;
    for (const [, src] of res.body.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)) {
      const asset = await reg.app.inject({ method: 'GET', url: src!, headers: { 'accept-encoding': 'gzip' } });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      total += asset.rawPayload.length;
    }
    expect(total).toBeLessThan(30 * 1024);
  });
});

describe('languages', () => {
  it('?lang= wins, then Accept-Language, then Kazakh; dates in the reader\'s language', async () => {
    const seq = idn.logEntries[0];
    expect((await page(`/log/${seq}?lang=ru`)).body).toMatch(/<html lang="ru">[\s\S]*Правовое основание/);
    expect((await page(`/log/${seq}`, { 'accept-language': 'en-US,en;q=0.9' })).body).toMatch(/<html lang="en">[\s\S]*Legal basis/);
    expect((await page(`/log/${seq}`, { 'accept-language': 'fr, ru;q=0.5, en;q=0.3' })).body).toContain('<html lang="ru">');
    const kk = await page(`/log/${seq}`);
    expect(kk.body).toMatch(/<html lang="kk">[\s\S]*Құқықтық негіз/);
    expect(kk.body).toMatch(/ж\. \d+ (қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан)/);
  });

  it('links keep an explicit choice', async () => {
    const res = await page('/?lang=en');
    expect(res.body).toContain('href="/search?lang=en"');
  });
});

describe('bad input gets a page, not a failure', () => {
  it.each([
    [`/search?q=${'a'.repeat(5000)}`, 400],
    ['/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E', 400],
    ['/search?category=%3Cscript%3E', 400],
    ['/search?since=yesterday', 400],
    ['/search?cursor=%3Cscript%3E', 400],
    ['/log/abc', 400],
    ['/log/0', 400],
    ['/log/99999999', 404],
    ['/log/1%3Cscript%3E', 400],
    ['/resources/%3Cscript%3Ealert(1)%3C%2Fscript%3E', 400],
    ['/resources/' + 'a'.repeat(5000), 414],
    ['/resources/' + 'a'.repeat(300) + '.kz', 400],
    ['/stats/nope.csv', 400],
    ['/no/such/page%3Cscript%3E', 404],
  ])('case %#', async (url, status) => {
    const res = await page(url);
    expect(res.status, res.body.slice(-1500)).toBe(status);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).not.toContain('<script>');
    expect(res.body).not.toMatch(/a{400}/);
  });

  it('explains the error in the reader\'s language, the register\'s English wording marked as such', async () => {
    const kk = await page('/log/abc?lang=kk');
    expect(kk.status).toBe(400);
    expect(kk.body).toContain('журнал жазбасының нөмірі болуы керек');
    expect(kk.body).toMatch(/<p lang="en"><code>seq: must be a log entry number/);
    const ru = await page('/search?since=yesterday&lang=ru');
    expect(ru.body).toContain('должно быть датой в виде ГГГГ-ММ-ДД');
    expect(ru.body.match(/<li>Поле /g)?.length).toBe(1);
    const long = await page(`/resources/${'a'.repeat(5000)}?lang=en`);
    expect(long.status).toBe(414);
    expect(long.body).toContain('This address is too long.');
    expect(long.body).not.toContain('Something went wrong');
  });

  it('a broken percent-encoding in a page\'s path is a page for a browser, JSON for a program', async () => {
    for (const url of ['/log/%ff', '/resources/%E0%A4%A?lang=ru', '/public/v1/log/%ff']) {
      const res = await page(url);
      expect(res.status, url).toBe(400);
      expect(res.headers['content-type'], url).toBe('text/html; charset=utf-8');
      expect(res.body, url).toContain('<h1>');
    }
    expect((await page('/resources/%E0%A4%A?lang=ru')).body).toContain('lang="ru"');
    const program = await reg.app.inject({ method: 'GET', url: '/log/%ff', headers: { accept: 'application/json' } });
    expect(program.statusCode).toBe(400);
    expect(program.json().error.code).toBe('REG_ERR_VALIDATION');
    // The API's own paths stay JSON, browser or not.
    const api = await page('/v1/decisions/%ff');
    expect(api.status).toBe(400);
    expect(api.headers['content-type']).toContain('application/json');
  });

  it('programs still get the JSON 404 for unknown paths', async () => {
    const res = await reg.app.inject({ method: 'GET', url: '/no/such/thing', headers: { accept: 'application/json' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('REG_ERR_NOT_FOUND');
  });
});

describe('the resource page', () => {
  it('takes a long URL in its path and shows its timeline', async () => {
    const long = `https://news.example.kz/${'x'.repeat(400)}`;
    await enforce(api, reg, { resources: [long] });
    const res = await page(`/resources/${encodeURIComponent(long)}?lang=en`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('Spans of enforcement');
  });
});

describe('search', () => {
  it('answers the check and lists the spans, with CSV and NDJSON of exactly the rows shown', async () => {
    const res = await page('/search?q=deep.sub.%D0%BF%D1%80%D0%B8%D0%BC%D0%B5%D1%80.kz&lang=en');
    expect(res.status).toBe(200);
    expect(res.body).toContain('Yes: restricted now.');
    const all = await page('/search?lang=en');
    const rows = [...all.body.matchAll(/<tr[^>]*>\s*<td[^>]*><a href="\/log\/(\d+)/g)].map((m) => Number(m[1]));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const csv = await reg.app.inject({ method: 'GET', url: '/search.csv' });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.body.trim().split('\r\n');
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(rows);
    expect(csv.body).not.toContain('secret/page');
    const nd = await reg.app.inject({ method: 'GET', url: '/search.ndjson' });
    expect(nd.body.trim().split('\n').map((l) => JSON.parse(l).entry)).toEqual(rows);
  });
});
