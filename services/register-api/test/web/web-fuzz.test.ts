import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@tizilim/shared/seeded-random';
import { chooseLanguage, LANGUAGES } from '../../src/web/i18n/language.js';
import { escapeHtml, html } from '../../src/web/html.js';
import { startTestRegister, type TestRegister } from '../../src/testing/test-register.js';
import { apiClient } from '../../src/testing/http.js';
import { enforce } from '../../src/testing/register-fixtures.js';

/**
 * Seeded fuzzing of what the pages parse: the Accept-Language header, and every page's path and
 * query. Whatever arrives, the answer is a page with a 2xx, 400 or 404 (never a 5xx), and
 * nothing from the request comes back as markup.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const ALPHABET = ['a', 'z', '.', '-', '*', '/', ':', '%', '%2F', '%00', '%FF', '<', '>', '"', "'", '&', '=', '?', '#', ' ', 'Қ', 'ё', '😀', '\u202e', ';', ',', 'q=0.5', 'xn--', '1', '0', '[', ']', '\\', '\t'];

function junk(random: () => number, max: number): string {
  const n = Math.floor(random() * max);
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHABET[Math.floor(random() * ALPHABET.length)]!;
  return out;
}

describe('Accept-Language and ?lang=', () => {
  it('always choose one of kk, ru, en, whatever the header holds', () => {
    const random = seededRandom(SEED);
    for (let i = 0; i < 20_000; i++) {
      const header = i % 7 === 0 ? `${junk(random, 20)},`.repeat(Math.floor(random() * 300)) : junk(random, 80);
      const { lang } = chooseLanguage(random() < 0.2 ? junk(random, 5) : undefined, header);
      expect(LANGUAGES).toContain(lang);
    }
  });
});

describe('escaping', () => {
  it('no interpolated string survives as markup', () => {
    const random = seededRandom(SEED + 1);
    for (let i = 0; i < 20_000; i++) {
      const value = junk(random, 40);
      const out = html`<p title="${value}">${value}</p>`.value;
      expect(out).toBe(`<p title="${escapeHtml(value)}">${escapeHtml(value)}</p>`);
      expect(escapeHtml(value)).not.toMatch(/[<>"']/);
    }
  });
});

describe('pages under random input', () => {
  let reg: TestRegister;
  beforeAll(async () => {
    reg = await startTestRegister();
    await enforce(apiClient(reg.app), reg, { resources: ['fuzz.example.kz', 'https://fuzz.example.kz/a'] });
  });
  afterAll(async () => reg?.close());

  it('answer 2xx, 400 or 404 with an escaped page, never a 5xx', async () => {
    const random = seededRandom(SEED + 2);
    const params = ['q', 'category', 'basisKind', 'authority', 'since', 'until', 'state', 'cursor', 'lang', 'x'];
    const paths = ['/', '/search', '/search.csv', '/log', '/log/', '/resources/', '/stats', '/stats/', '/platforms', '/enforcement', '/public/v1/log/', '/assets/', '/', '/public/v1/suggest', '/public/v1/suggest'];
    const seen = new Map<number, number>();
    for (let i = 0; i < 600; i++) {
      const path = paths[Math.floor(random() * paths.length)]! + (random() < 0.6 ? encodeURIComponent(junk(random, 30)) : junk(random, 10).replace(/[^A-Za-z0-9._~%/*:-]/g, ''));
      const query = Array.from({ length: Math.floor(random() * 4) }, () => `${params[Math.floor(random() * params.length)]}=${encodeURIComponent(junk(random, 60))}`).join('&');
      const url = query ? `${path}?${query}` : path;
      const res = await reg.app.inject({ method: 'GET', url, headers: { accept: 'text/html', 'accept-language': junk(random, 30).replace(/[^\x20-\x7e]/g, '') } });
      seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
      expect(res.statusCode, url).toBeLessThan(500);
      expect([200, 400, 404], url).toContain(res.statusCode);
      if (String(res.headers['content-type']).startsWith('text/html')) {
        // The only elements are ours: no script but our own files, no event handler attribute.
        expect(res.body, url).not.toMatch(/<script(?![^>]*\ssrc="\/assets\/)|\son[a-z]+=/i);
      }
    }
    // Type-ahead with every kind of junk for q (and none): a suggestion list or a 400 naming q.
    let suggested = 0;
    for (let i = 0; i < 300; i++) {
      const q = i % 50 === 0 ? '' : junk(random, i % 10 === 0 ? 300 : 30);
      const res = await reg.app.inject({ method: 'GET', url: i % 97 === 0 ? '/public/v1/suggest' : `/public/v1/suggest?q=${encodeURIComponent(q)}` });
      expect([200, 400], q).toContain(res.statusCode);
      const body = res.json() as { suggestions?: unknown[]; error?: { details: { field: string }[] } };
      if (res.statusCode === 400) expect(body.error!.details.map((d) => d.field), q).toContain('q');
      else expect(body.suggestions!.length, q).toBeLessThanOrEqual(8);
      if (res.statusCode === 200) suggested++;
    }
    expect(suggested).toBeGreaterThan(100);
    // The run exercised both the pages and their error paths.
    console.log('status counts', Object.fromEntries(seen));
    expect(seen.get(200)).toBeGreaterThan(20);
    expect((seen.get(400) ?? 0) + (seen.get(404) ?? 0)).toBeGreaterThan(20);
  });
});
