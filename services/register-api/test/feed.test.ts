import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
});
afterAll(async () => reg?.close());

function ndjson(text: string): any[] {
  return text.trim().split('\n').map((l) => JSON.parse(l));
}

describe('the feed for gateways', () => {
  it('snapshot: a version header then every active rule with its entry, gzip when accepted', async () => {
    const a = await enforce(api, reg, { resources: ['feed-a.example.kz', '*.feed-zone.example.kz', '203.0.113.0/24'] });
    const b = await enforce(api, reg, { action: 'suspend', resources: ['feed-b.example.kz'], effectiveUntil: new Date(Date.now() + 3_600_000).toISOString() });
    await enforce(api, reg, { action: 'restore', resources: ['feed-a.example.kz'], legalBasisId: a.legalBasisId });

    const res = await reg.app.inject({ method: 'GET', url: '/v1/feed/snapshot', headers: { authorization: `Bearer ${reg.tokens.isp}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const [header, ...rules] = ndjson(res.body);
    const head = await reg.database.db.selectFrom('public_log_head').select('seq').executeTakeFirstOrThrow();
    expect(header).toMatchObject({ version: Number(head.seq), count: rules.length });
    expect(rules.map((r) => [r.kind, r.value, r.mode, r.entry])).toEqual([
      ['domain_suffix', 'feed-zone.example.kz', 'restrict', a.logEntries[1]],
      ['cidr', '203.0.113.0/24', 'restrict', a.logEntries[2]],
      ['domain', 'feed-b.example.kz', 'suspend', b.logEntries[0]],
    ]);
    expect(rules[2].until).toMatch(/Z$/);
    expect(rules[0].id).toMatch(/^[0-9a-f-]{36}$/);

    const gz = await reg.app.inject({ method: 'GET', url: '/v1/feed/snapshot', headers: { authorization: `Bearer ${reg.tokens.isp}`, 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const [gzHeader, ...gzRules] = ndjson(gunzipSync(gz.rawPayload).toString());
    expect(gzHeader.version).toBe(header.version);
    expect(gzRules).toEqual(rules);
  });

  it('changes: every entry after `since`, with full values, in order', async () => {
    const res = await api('GET', '/v1/feed/changes?since=0', reg.tokens.isp);
    expect(res.status).toBe(200);
    const seqs = res.body.changes.map((c: { seq: number }) => c.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    expect(res.body).toMatchObject({ from: 0, to: seqs.at(-1) });
    const removal = res.body.changes.find((c: { op: string; value: string }) => c.op === 'remove' && c.value === 'feed-a.example.kz');
    expect(removal).toMatchObject({ kind: 'domain', mode: 'restrict' });
    const page = await api('GET', '/v1/feed/changes?since=1&limit=2', reg.tokens.isp);
    expect(page.body.changes.map((c: { seq: number }) => c.seq)).toEqual([2, 3]);
    expect(page.body.to).toBe(3);
  });

  it('changes: a long-poll wakes when an approval lands, and answers empty after `wait` otherwise', async () => {
    const head = Number((await reg.database.db.selectFrom('public_log_head').select('seq').executeTakeFirstOrThrow()).seq);
    const started = Date.now();
    const empty = await api('GET', `/v1/feed/changes?since=${head}&wait=1`, reg.tokens.isp);
    expect(empty.body).toEqual({ from: head, to: head, changes: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const poll = api('GET', `/v1/feed/changes?since=${head}&wait=20`, reg.tokens.isp);
    await new Promise((r) => setTimeout(r, 200));
    const approved = await enforce(api, reg, { resources: ['woken.example.kz'] });
    const woke = await poll;
    expect(woke.body.changes.map((c: { seq: number; value: string }) => [c.seq, c.value])).toEqual([[approved.logEntries[0], 'woken.example.kz']]);
  });

  it('changes: 410 when `since` is ahead of the register or too far behind', async () => {
    const ahead = await api('GET', '/v1/feed/changes?since=999999', reg.tokens.isp);
    expect(ahead.status).toBe(410);
    expect(ahead.body.error.code).toBe('REG_ERR_FEED_GONE');
    const strict = await buildApp({ db: reg.database.db, logger: false, feedMaxChangesGap: 2 });
    try {
      const behind = await apiClient(strict)('GET', '/v1/feed/changes?since=0', reg.tokens.isp);
      expect(behind.status).toBe(410);
    } finally {
      await strict.close();
    }
  });

  it('rpz: an RPZ zone whose SOA serial is the version, each rule annotated with its entry', async () => {
    const res = await reg.app.inject({ method: 'GET', url: '/v1/feed/rpz', headers: { authorization: `Bearer ${reg.tokens.isp}` } });
    expect(res.statusCode).toBe(200);
    const head = Number((await reg.database.db.selectFrom('public_log_head').select('seq').executeTakeFirstOrThrow()).seq);
    expect(res.body).toContain('$ORIGIN rpz.tizilim.');
    expect(res.body).toMatch(new RegExp(`@ IN SOA localhost\\. hostmaster\\.tizilim\\.invalid\\. ${head} `));
    expect(res.body).toMatch(/; entry \d+ restrict\nfeed-zone\.example\.kz CNAME \.\n\*\.feed-zone\.example\.kz CNAME \.\n/);
    expect(res.body).toContain('24.0.113.0.203.rpz-ip CNAME .');
    expect(res.body).not.toMatch(/^feed-a\.example\.kz/m);
  });

  it('rpz: a name rule and a suffix on the same name write one apex record (one CNAME per owner)', async () => {
    await enforce(api, reg, { resources: ['apex-both.example.kz', '*.apex-both.example.kz'] });
    const res = await reg.app.inject({ method: 'GET', url: '/v1/feed/rpz', headers: { authorization: `Bearer ${reg.tokens.isp}` } });
    expect(res.statusCode).toBe(200);
    expect(res.body.match(/^apex-both\.example\.kz CNAME/gm)).toHaveLength(1);
    expect(res.body.match(/^\*\.apex-both\.example\.kz CNAME \.$/gm)).toHaveLength(1);
  });

  it('only ISP credentials read the feed', async () => {
    for (const url of ['/v1/feed/snapshot', '/v1/feed/rpz', '/v1/feed/changes?since=0']) {
      expect((await api('GET', url)).status).toBe(401);
      expect((await api('GET', url, reg.tokens.operator)).status).toBe(403);
    }
  });
});

describe('long-polls across two API instances', () => {
  let other: { app: Awaited<ReturnType<typeof buildApp>>; database: Database } | undefined;
  afterAll(async () => {
    await other?.app.close();
    await other?.database.close();
  });

  it('a poll on one instance wakes for an approval on the other', async () => {
    if (!reg.database.url) return; // one process owns the embedded database: nothing to cross
    const database = await openDatabase({ url: reg.database.url, poolSize: 4 });
    other = { app: await buildApp({ db: database.db, logger: pino({ level: 'silent' }), listen: database.listen }), database };
    const head = Number((await reg.database.db.selectFrom('public_log_head').select('seq').executeTakeFirstOrThrow()).seq);
    const poll = apiClient(other.app)('GET', `/v1/feed/changes?since=${head}&wait=20`, reg.tokens.isp);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const approved = await enforce(api, reg, { resources: ['cross-instance.example.kz'] });
    const woke = await poll;
    expect(woke.body.changes[0]).toMatchObject({ seq: approved.logEntries[0], value: 'cross-instance.example.kz' });
    // woken by NOTIFY, not by the once-a-second re-read of the head
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
