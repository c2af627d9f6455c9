import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActiveRules } from '../src/domain/active-rules.js';
import { suggestPrefix } from '../src/domain/suggest-prefix.js';
import { logHead } from '../src/repositories/public-log-repository.js';
import { suggestFromDatabase } from '../src/repositories/suggest-repository.js';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';

/**
 * Type-ahead over HTTP on a real socket: what is suggested (prefixes, case, IDN in both
 * forms, URLs without their scheme), what never is (sensitive URLs, exceptions, restored
 * resources), the limit, and bad input. The in-memory index is held to the database's answer.
 */
let reg: TestRegister;
let rules: ActiveRules;
let base: string;
const MANY = Array.from({ length: 12 }, (_, i) => `many-${String(i).padStart(2, '0')}.suggest.example.kz`);

interface Suggestion { value: string; display: string; kind: string; state: string; entry: number; entryUrl: string; page: string }

beforeAll(async () => {
  reg = await startTestRegister();
  const api = apiClient(reg.app);
  await enforce(api, reg, { resources: ['*.Пример.kz', 'casino.example.kz', 'Casino-Two.example.kz', '203.0.113.0/24', '2001:db8:42::/48'], category: 'gambling' });
  await enforce(api, reg, { resources: ['https://news.example.kz/Articles/1'], category: 'extremism' });
  await enforce(api, reg, { resources: ['https://hidden.example.kz/secret/page?id=1', 'hidden.example.kz'], category: 'child_sexual_abuse' });
  await enforce(api, reg, { resources: MANY });
  const paused = await enforce(api, reg, { action: 'suspend', resources: ['paused.example.kz', 'restored.example.kz'], category: 'unregistered_platform', effectiveUntil: new Date(Date.now() + 86_400_000).toISOString() });
  await enforce(api, reg, { action: 'restore', resources: ['restored.example.kz'], category: 'unregistered_platform', legalBasisId: paused.legalBasisId });
  rules = reg.app.activeRules;
  const head = (await logHead(reg.database.db)).seq;
  for (const until = Date.now() + 5000; !(rules.ready && rules.version >= head) && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
  expect(rules.ready && rules.version >= head).toBe(true);
  base = await reg.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => reg?.close());

async function suggest(q: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/public/v1/suggest?q=${encodeURIComponent(q)}`);
  return { status: res.status, body: await res.json() };
}
const displays = async (q: string) => ((await suggest(q)).body.suggestions as Suggestion[]).map((s) => s.display);

describe('GET /public/v1/suggest', () => {
  it('suggests restrictions in force by prefix, each with its entry', async () => {
    const { status, body } = await suggest('casino');
    expect(status).toBe(200);
    expect(body.q).toBe('casino');
    expect(Object.keys(body)).toEqual(['q', 'suggestions']);
    expect(Object.keys(body.suggestions[0])).toEqual(['value', 'display', 'kind', 'state', 'entry', 'entryUrl', 'page']);
    expect(body.suggestions.map((s: Suggestion) => s.value)).toEqual(['casino-two.example.kz', 'casino.example.kz']);
    for (const s of body.suggestions as Suggestion[]) {
      expect(s.kind).toBe('domain');
      expect(s.state).toBe('restricted');
      expect(s.page).toBe(`/log/${s.entry}`);
      expect(s.entryUrl).toMatch(new RegExp(`/public/v1/log/${s.entry}$`));
      // The entry is the one that put this very resource in force.
      const entry = await (await fetch(`${base}/public/v1/log/${s.entry}`)).json() as { body: { resource: { value: string } } };
      expect(JSON.stringify(entry)).toContain(s.value);
    }
    expect(await displays('CASINO.EX')).toEqual(['casino-two.example.kz', 'casino.example.kz'].filter((v) => v.startsWith('casino.ex')));
    expect(await displays('nothing-like-this')).toEqual([]);
  });

  it('finds an IDN by its Unicode form and by its A-label, case-blind, with or without *.', async () => {
    for (const q of ['пример', 'ПРИМЕР.k', '*.При', 'xn--e1af', 'XN--E1AFMKFD.KZ']) {
      const { body } = await suggest(q);
      expect(body.suggestions, q).toHaveLength(1);
      expect(body.suggestions[0], q).toMatchObject({ kind: 'domain_suffix', value: 'xn--e1afmkfd.kz', display: '*.пример.kz' });
    }
  });

  it('finds URLs without their scheme, addresses and prefixes', async () => {
    expect(await displays('news.example.kz/art')).toEqual(['https://news.example.kz/Articles/1']);
    expect(await displays('https://NEWS.')).toEqual(['https://news.example.kz/Articles/1']);
    expect((await suggest('203.0')).body.suggestions[0]).toMatchObject({ kind: 'cidr', value: '203.0.113.0/24' });
    expect((await suggest('2001:DB8')).body.suggestions[0]).toMatchObject({ kind: 'cidr', value: '2001:db8:42::/48' });
  });

  it('never suggests a URL of a sensitive category, nor what is no longer restricted', async () => {
    const hidden = await suggest('hidden');
    // The host itself is a name rule and public; its URL is not, in any form.
    expect(hidden.body.suggestions.map((s: Suggestion) => s.value)).toEqual(['hidden.example.kz']);
    expect(JSON.stringify(hidden.body)).not.toContain('secret');
    expect(JSON.stringify((await suggest('hidden.example.kz/')).body.suggestions)).toBe('[]');
    expect(await displays('restored')).toEqual([]);
    expect((await suggest('paused')).body.suggestions[0]).toMatchObject({ value: 'paused.example.kz', state: 'suspended' });
  });

  it('answers at most eight, in order', async () => {
    const all = await displays('many-');
    expect(all).toEqual(MANY.slice(0, 8));
    expect(await displays('many-1')).toEqual(MANY.slice(10));
  });

  it('refuses empty, over-long and control-character input with 400 naming q', async () => {
    const bad = ['', '   ', '*.', 'https://', 'a'.repeat(257), 'casino\u0000', 'ca\u0007sino', 'ca\u001bsino'];
    for (const q of bad) {
      const { status, body } = await suggest(q);
      expect(status, JSON.stringify(q)).toBe(400);
      expect(body.error.code, JSON.stringify(q)).toBe('REG_ERR_VALIDATION');
      expect(body.error.details.map((d: { field: string }) => d.field), JSON.stringify(q)).toContain('q');
    }
    const missing = await fetch(`${base}/public/v1/suggest`);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { details: { field: string }[] } }).error.details[0]!.field).toBe('q');
    expect((await suggest('a'.repeat(256))).status).toBe(200);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await (await fetch(`${base}/openapi.json`)).json() as { paths: Record<string, { get: { description?: string; parameters?: { name: string; description?: string }[] } }> };
    const op = doc.paths['/public/v1/suggest']!.get;
    expect(op.description).toContain('sensitive');
    expect(op.parameters!.find((p) => p.name === 'q')!.description).toBeTruthy();
  });

  it('answers from the in-memory index exactly as the database does', async () => {
    const now = new Date();
    for (const typed of ['c', 'casino', 'пример', 'xn--', 'news', 'hidden', 'many-0', '20', 'paused', 'restored', 'zzz']) {
      const prefix = suggestPrefix(typed);
      const fromCopy = rules.suggest(prefix, 8, 64, now.getTime())!.map((r) => Number(r.add_seq)).sort((a, b) => a - b);
      const fromDb = (await suggestFromDatabase(reg.database.db, prefix, 8, now)).map((r) => Number(r.add_seq)).sort((a, b) => a - b);
      expect(fromCopy, typed).toEqual(fromDb);
    }
  });

  // Last: it stops the copy.
  it('without the in-memory copy the database answers, the same, and the metric says so', async () => {
    const before = await (await fetch(`${base}/public/v1/suggest?q=casino`)).json();
    await rules.close();
    expect(rules.ready).toBe(false);
    expect(await (await fetch(`${base}/public/v1/suggest?q=casino`)).json()).toEqual(before);
    expect(await displays('пример')).toEqual(['*.пример.kz']);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^register_public_suggest_total\{source="database"\} 2$/m);
    expect(metrics).toMatch(/^register_public_suggest_total\{source="copy"\} [1-9]\d*$/m);
  });
});
