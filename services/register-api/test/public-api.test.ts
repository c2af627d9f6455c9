import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain, verifyCheckpoint } from '@tizilim/shared/public-log/index';
import { buildApp } from '../src/app.js';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let extremism: Awaited<ReturnType<typeof enforce>>;
let csam: Awaited<ReturnType<typeof enforce>>;
let beforeAll_: Date;

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  beforeAll_ = new Date();
  await new Promise((r) => setTimeout(r, 10));
  extremism = await enforce(api, reg, { resources: ['*.Пример.kz', 'exact.example.kz', 'https://news.example.kz/articles/', '198.51.100.0/24'] });
  csam = await enforce(api, reg, { resources: ['https://hidden.example.kz/secret/page?id=1'], category: 'child_sexual_abuse' });
  await enforce(api, reg, { resources: ['gamble.example.kz'], category: 'gambling' });
  await enforce(api, reg, { resources: ['notexample.kz'], category: 'drugs' });
});
afterAll(async () => reg?.close());

describe('GET /public/v1/check', () => {
  const check = async (name: string, at?: Date) =>
    (await api('GET', `/public/v1/check?name=${encodeURIComponent(name)}${at ? `&at=${at.toISOString()}` : ''}`)).body;

  it('names the entry and legal basis for exact names, names under a suffix, URLs and addresses', async () => {
    const sub = await check('Deep.Sub.ПРИМЕР.kz');
    expect(sub.restricted).toBe(true);
    expect(sub.matches[0]).toMatchObject({
      entry: extremism.logEntries[0],
      entryUrl: `http://127.0.0.1:8080/public/v1/log/${extremism.logEntries[0]}`,
      resource: { kind: 'domain_suffix', value: 'xn--e1afmkfd.kz', display: '*.пример.kz' },
      state: 'restricted',
      decisionId: extremism.id,
      category: 'extremism',
      legalBasis: { kind: 'court_ruling', documentNumber: '7194-26-00-4/1123' },
    });
    expect((await check('exact.example.kz')).matches[0].entry).toBe(extremism.logEntries[1]);
    expect((await check('other.exact.example.kz')).restricted).toBe(false);
    const page = await check('https://news.example.kz/articles/2026/11/x');
    expect(page.restricted).toBe(true);
    expect(page.matches[0].resource.kind).toBe('url');
    const host = await check('news.example.kz');
    expect(host.restricted).toBe(false);
    expect(host.related).toHaveLength(1);
    expect((await check('https://news.example.kz/about')).restricted).toBe(false);
    expect((await check('198.51.100.77')).matches[0].entry).toBe(extremism.logEntries[3]);
    expect((await check('198.51.101.1')).restricted).toBe(false);
  });

  it('answers for a past instant', async () => {
    expect((await check('exact.example.kz', beforeAll_)).restricted).toBe(false);
  });

  it('never shows the URL of a sensitive category, only its host and hash', async () => {
    const res = await check('https://hidden.example.kz/secret/page?id=1');
    expect(res.restricted).toBe(true);
    expect(res.matches[0].resource).toMatchObject({ kind: 'url', value: null, display: null, host: 'hidden.example.kz' });
    expect(res.matches[0].resource.valueSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(res.matches)).not.toContain('secret/page');
  });

  it('400 names the field for what is not a name', async () => {
    const res = await api('GET', '/public/v1/check?name=not%20a%20name');
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('name');
  });
});

describe('the public log', () => {
  it('pages through every entry; the chain and a signed checkpoint verify', async () => {
    const signed = await api('POST', '/v1/log/checkpoints', reg.tokens.auditor);
    expect(signed.status).toBe(200);
    const cp = (await api('GET', '/public/v1/log/checkpoint')).body;
    expect(cp).toEqual(signed.body);
    expect(verifyCheckpoint(cp)).toBe(true);
    const entries: unknown[] = [];
    for (let from: number | null = 1; from !== null; ) {
      const page: { body: { entries: unknown[]; next: number | null } } = await api('GET', `/public/v1/log?from=${from}&limit=2`);
      entries.push(...page.body.entries);
      from = page.body.next;
    }
    expect(entries).toHaveLength(cp.seq);
    expect(verifyChain(entries, { checkpoint: cp, expectedPublicKey: cp.publicKey })).toMatchObject({ ok: true, count: cp.seq });
    const csamEntry = (await api('GET', `/public/v1/log/${csam.logEntries[0]}`)).body;
    expect(csamEntry.resource).toMatchObject({ value: null, host: 'hidden.example.kz' });
    expect(JSON.stringify(entries)).not.toContain('secret/page');
    // the feed to ISPs still has the full value
    const feed = await api('GET', '/v1/feed/changes?since=0', reg.tokens.isp);
    expect(feed.body.changes.some((c: { value: string }) => c.value === 'https://hidden.example.kz/secret/page?id=1')).toBe(true);
  });

  it('a row altered behind the database\'s back is caught at its seq', async () => {
    const target = extremism.logEntries[2]!;
    await expect(sql`UPDATE public_log SET body = replace(body, 'news', 'nevs') WHERE seq = ${target}`.execute(reg.database.db)).rejects.toThrow(/append-only/);
    // someone with superuser rights switches the guard off and rewrites history
    await sql`ALTER TABLE public_log DISABLE TRIGGER public_log_no_update`.execute(reg.database.db);
    await sql`UPDATE public_log SET body = replace(body, 'news', 'nevs') WHERE seq = ${target}`.execute(reg.database.db);
    await sql`ALTER TABLE public_log ENABLE TRIGGER public_log_no_update`.execute(reg.database.db);
    const entries = (await api('GET', '/public/v1/log?from=1&limit=1000')).body.entries;
    const verdict = verifyChain(entries);
    expect(verdict).toMatchObject({ ok: false, firstBadSeq: target });
  });
});

describe('search, export, history, stats', () => {
  it('filters entries and pages with a cursor', async () => {
    const all = (await api('GET', '/public/v1/entries?limit=1000')).body.entries;
    expect(all.length).toBeGreaterThanOrEqual(6);
    const gambling = (await api('GET', '/public/v1/entries?category=gambling')).body.entries;
    expect(gambling.map((e: { resource: { value: string } }) => e.resource.value)).toEqual(['gamble.example.kz']);
    const byDomain = (await api('GET', '/public/v1/entries?domain=example.kz&active=true')).body.entries;
    const hosts = byDomain.map((e: { resource: { host: string } }) => e.resource.host);
    expect(hosts).toEqual(expect.arrayContaining(['exact.example.kz', 'news.example.kz', 'hidden.example.kz', 'gamble.example.kz']));
    expect(hosts.every((h: string) => h.endsWith('.example.kz'))).toBe(true);
    expect((await api('GET', '/public/v1/entries?domain=NotExample.kz')).body.entries).toHaveLength(1);
    const byAuthority = (await api('GET', `/public/v1/entries?authority=${encodeURIComponent('administrative court')}&basisKind=court_ruling`)).body.entries;
    expect(byAuthority.length).toBe(all.length);
    const first = (await api('GET', '/public/v1/entries?limit=2')).body;
    const second = (await api('GET', `/public/v1/entries?limit=2&cursor=${first.nextCursor}`)).body;
    expect(second.entries[0].entry).toBeGreaterThan(first.entries[1].entry);
    const bad = await api('GET', '/public/v1/entries?category=nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('category');
  });

  it('streams CSV and NDJSON exports', async () => {
    const csv = await reg.app.inject({ method: 'GET', url: '/public/v1/entries?active=true', headers: { accept: 'text/csv' } });
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('entry,state,kind,value,host,value_sha256,since,until,end_reason,category,decision_id,basis_kind,authority,document_number,issued_at,entry_url');
    expect(csv.body).not.toContain('secret/page');
    const nd = await reg.app.inject({ method: 'GET', url: '/public/v1/entries?active=true', headers: { accept: 'application/x-ndjson' } });
    const rows = nd.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBe(lines.length - 1);
  });

  it('tells the history of a resource and counts the register', async () => {
    const history = (await api('GET', `/public/v1/resources/${encodeURIComponent('exact.example.kz')}/history`)).body;
    expect(history.state).toBe('restricted');
    expect(history.decisions).toHaveLength(1);
    expect(history.decisions[0]).toMatchObject({ id: extremism.id, action: 'restrict', legalBasis: { kind: 'court_ruling' } });
    expect(history.log.map((e: { seq: number }) => e.seq)).toEqual([extremism.logEntries[1]]);
    const stats = (await api('GET', '/public/v1/stats')).body;
    expect(stats.byCategory).toEqual(expect.arrayContaining([{ key: 'extremism', n: 4 }, { key: 'gambling', n: 1 }]));
    expect(stats.byMonth.at(-1).added).toBeGreaterThanOrEqual(6);
  });

  it('is open to any origin and rate-limited per address', async () => {
    const cors = await reg.app.inject({ method: 'GET', url: '/public/v1/stats', headers: { origin: 'https://example.org' } });
    expect(cors.headers['access-control-allow-origin']).toBe('*');
    const strict = await buildApp({ db: reg.database.db, logger: false, publicRateLimitPerMinute: 3 });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await apiClient(strict)('GET', '/public/v1/stats')).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const limited = await apiClient(strict)('GET', '/public/v1/stats');
      expect(limited.body.error.code).toBe('REG_ERR_RATE_LIMITED');
      // authenticated routes are not limited by the public budget
      expect((await apiClient(strict)('GET', '/v1/me', reg.tokens.auditor)).status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});
