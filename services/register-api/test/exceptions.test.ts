import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient, courtRuling } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';
import { logHead } from '../src/repositories/public-log-repository.js';

/**
 * Exceptions (DESIGN.md, "Every rule kind, every transport"): a restoration of a name or URL
 * that a wider rule covers is recorded as an exception with its own legal basis and approver,
 * published in the log, carried by the feed (`"mode":"allow"`) and the RPZ export
 * (`rpz-passthru.`), and it decides the name wherever it is the most specific rule in force.
 */

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let url = '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  url = await reg.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => reg?.close());

const state = async (value: string, at?: Date) =>
  (await api('GET', `/v1/resources/state?value=${encodeURIComponent(value)}${at ? `&at=${at.toISOString()}` : ''}`, reg.tokens.auditor)).body;
/**
 * A check "now" is answered from the in-memory copy, which follows the log a few ms behind
 * (on a real server it hears of new entries by NOTIFY): wait for it, as a citizen would.
 */
async function copyCurrent(): Promise<void> {
  const head = (await logHead(reg.database.db)).seq;
  const rules = reg.app.activeRules;
  await expect.poll(() => rules.ready && rules.version >= head, { timeout: 10_000, interval: 10 }).toBe(true);
}
async function check(name: string, at?: Date) {
  if (!at) await copyCurrent();
  return (await api('GET', `/public/v1/check?name=${encodeURIComponent(name)}${at ? `&at=${at.toISOString()}` : ''}`)).body;
}
const history = async (value: string, at?: Date) =>
  (await api('GET', `/public/v1/resources/${encodeURIComponent(value)}/history${at ? `?at=${at.toISOString()}` : ''}`)).body;
const feed = async (path: string) => {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${reg.tokens.isp}` } });
  expect(res.status, path).toBe(200);
  return res.text();
};
async function restoreBasis(): Promise<string> {
  const res = await api('POST', '/v1/legal-bases', reg.tokens.operator, { ...courtRuling, documentNumber: 'restore-2026/77', summary: 'Access renewed by the appeal court' });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('a restoration under a wildcard', () => {
  let wide: Awaited<ReturnType<typeof enforce>>;
  let exception: Awaited<ReturnType<typeof enforce>>;
  let restoreBasisId = '';
  let beforeException: Date;

  it('is recorded as an exception with its legal basis and approver, instead of being refused', async () => {
    wide = await enforce(api, reg, { resources: ['*.betzone.com'], category: 'gambling' });
    await sleep(5);
    beforeException = new Date();
    await sleep(5);
    restoreBasisId = await restoreBasis();
    const draft = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restore', resources: ['www.betzone.com'], legalBasisId: restoreBasisId, category: 'gambling', note: 'court ordered www restored',
    });
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    const approved = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('in_force');
    expect(approved.body.logEntries).toHaveLength(1);
    exception = { id: draft.body.id, logEntries: approved.body.logEntries, legalBasisId: restoreBasisId };

    const entry = (await api('GET', `/public/v1/log/${exception.logEntries[0]}`)).body;
    expect(entry).toMatchObject({
      op: 'add', mode: 'allow', reason: 'approved', resource: { kind: 'domain', value: 'www.betzone.com' },
      decision: { id: draft.body.id, action: 'restore' }, legalBasis: { id: restoreBasisId, documentNumber: 'restore-2026/77' },
    });
    const audit = (await api('GET', `/v1/audit?target=${draft.body.id}`, reg.tokens.auditor)).body;
    expect(JSON.stringify(audit)).toContain('decision.approve');
  });

  it('decides the name it names, and only that name: the wildcard still decides the rest', async () => {
    const www = await state('www.betzone.com');
    expect(www).toMatchObject({
      state: 'accessible', decisionId: exception.id, legalBasis: { id: restoreBasisId },
      decidedBy: { kind: 'domain', value: 'www.betzone.com', mode: 'allow', own: true, exception: true, entry: exception.logEntries[0] },
    });
    for (const name of ['a.www.betzone.com', 'betzone.com', 'mail.betzone.com']) {
      expect(await state(name), name).toMatchObject({
        state: 'restricted', decisionId: wide.id, decidedBy: { kind: 'domain_suffix', value: 'betzone.com', own: false, exception: false },
      });
    }
    const c = await check('www.betzone.com');
    expect(c.restricted).toBe(false);
    expect(c.decidedBy).toMatchObject({ entry: exception.logEntries[0], mode: 'allow', state: 'excepted' });
    expect(c.matches.map((m: { resource: { kind: string } }) => m.resource.kind)).toEqual(['domain_suffix', 'domain']);
    expect((await check('a.www.betzone.com')).restricted).toBe(true);
    const h = await history('www.betzone.com');
    expect(h).toMatchObject({ state: 'accessible', decidedBy: { entry: exception.logEntries[0], mode: 'allow' } });
    expect(h.decisions.map((d: { action: string }) => d.action)).toEqual(['restore']);
  });

  it('answers for a past instant as it was then', async () => {
    expect(await state('www.betzone.com', beforeException)).toMatchObject({ state: 'restricted', decidedBy: { value: 'betzone.com', own: false } });
    expect((await check('www.betzone.com', beforeException)).restricted).toBe(true);
    expect(await history('www.betzone.com', beforeException)).toMatchObject({ state: 'restricted', decidedBy: { mode: 'restrict' } });
  });

  it('travels in the feed as mode allow, in snapshot and changes, and in RPZ as rpz-passthru', async () => {
    const snapshot = (await feed('/v1/feed/snapshot')).trim().split('\n').map((l) => JSON.parse(l));
    expect(snapshot.find((r) => r.value === 'www.betzone.com')).toMatchObject({ kind: 'domain', mode: 'allow', entry: exception.logEntries[0] });
    expect(snapshot.find((r) => r.value === 'betzone.com')).toMatchObject({ kind: 'domain_suffix', mode: 'restrict' });
    const since = exception.logEntries[0]! - 1;
    const changes = JSON.parse(await feed(`/v1/feed/changes?since=${since}`));
    expect(changes.changes[0]).toMatchObject({ op: 'add', kind: 'domain', value: 'www.betzone.com', mode: 'allow', entry: exception.logEntries[0] });
    const rpz = await feed('/v1/feed/rpz');
    expect(rpz).toMatch(/^www\.betzone\.com CNAME rpz-passthru\.$/m);
    expect(rpz).toMatch(/^\*\.betzone\.com CNAME \.$/m);
  });

  it('refuses a second restoration of what an exception already keeps accessible', async () => {
    const draft = await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restore', resources: ['www.betzone.com'], legalBasisId: restoreBasisId, category: 'gambling' });
    expect(draft.status).toBe(400);
    expect(draft.body.error.details).toBeDefined();
    expect(JSON.stringify(draft.body)).toContain('already accessible');
    const nothing = await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restore', resources: ['never.example.kz'], legalBasisId: restoreBasisId, category: 'gambling' });
    expect(nothing.status).toBe(400);
    expect(JSON.stringify(nothing.body)).toContain('nothing to restore');
  });

  it('survives restricting the wider rule anew and an overlapping rule; the public log records both', async () => {
    const anew = await enforce(api, reg, { resources: ['*.betzone.com'], category: 'gambling' });
    expect(anew.logEntries).toHaveLength(2); // remove (superseded) and add of the wildcard: the exception is untouched
    const overlap = await enforce(api, reg, { resources: ['*.www.betzone.com'], category: 'gambling' });
    expect(await state('www.betzone.com')).toMatchObject({ state: 'accessible', decidedBy: { entry: exception.logEntries[0], exception: true } });
    expect(await state('a.www.betzone.com')).toMatchObject({ state: 'restricted', decisionId: overlap.id, decidedBy: { value: 'www.betzone.com', kind: 'domain_suffix' } });
    expect(await state('*.www.betzone.com')).toMatchObject({ state: 'restricted', decidedBy: { own: true } });
    const log = (await api('GET', `/public/v1/log?from=${exception.logEntries[0]}&limit=10`)).body;
    const entries = (Array.isArray(log) ? log : log.entries) as { op: string; mode: string; resource: { value: string } }[];
    expect(entries.map((e) => [e.op, e.mode, e.resource.value])).toEqual([
      ['add', 'allow', 'www.betzone.com'],
      ['remove', 'restrict', 'betzone.com'],
      ['add', 'restrict', 'betzone.com'],
      ['add', 'restrict', 'www.betzone.com'],
    ]);
    // An exact restriction of the excepted name is the one thing that ends the exception.
    const exact = await enforce(api, reg, { resources: ['www.betzone.com'], category: 'gambling' });
    expect(exact.logEntries).toHaveLength(2);
    expect(await state('www.betzone.com')).toMatchObject({ state: 'restricted', decisionId: exact.id, decidedBy: { own: true, mode: 'restrict' } });
    expect((await api('GET', `/v1/decisions/${exception.id}`, reg.tokens.auditor)).body).toMatchObject({ status: 'ended', endReason: 'superseded' });
  });

  it('the RPZ export never writes two records for one owner when an exact rule and a suffix exception share a name', async () => {
    await enforce(api, reg, { resources: ['*.tree.kz', 'apex.tree.kz'] });
    await enforce(api, reg, { action: 'restore', resources: ['*.apex.tree.kz'], legalBasisId: restoreBasisId });
    const rpz = await feed('/v1/feed/rpz');
    expect(rpz.match(/^apex\.tree\.kz CNAME .*$/gm)).toEqual(['apex.tree.kz CNAME .']);
    expect(rpz).toMatch(/^\*\.apex\.tree\.kz CNAME rpz-passthru\.$/m);
    expect(await state('apex.tree.kz')).toMatchObject({ state: 'restricted', decidedBy: { kind: 'domain', own: true } });
    expect(await state('x.apex.tree.kz')).toMatchObject({ state: 'accessible', decidedBy: { kind: 'domain_suffix', value: 'apex.tree.kz', exception: true } });
  });
});

describe('other exceptions', () => {
  it('a URL restored on a restricted host is an exception for that page; the host stays restricted', async () => {
    await enforce(api, reg, { resources: ['news-x.kz', 'https://pages-x.kz/bad'] });
    const r = await enforce(api, reg, { action: 'restore', resources: ['https://news-x.kz/court-ordered', 'https://pages-x.kz/bad/reviewed'] });
    expect(r.logEntries).toHaveLength(2);
    expect(await state('https://news-x.kz/court-ordered')).toMatchObject({ state: 'accessible', decidedBy: { kind: 'url', exception: true, own: true } });
    expect((await check('https://news-x.kz/court-ordered/part-2')).restricted).toBe(false);
    expect((await check('https://news-x.kz/other')).restricted).toBe(true);
    expect((await check('news-x.kz')).restricted).toBe(true);
    expect((await check('https://pages-x.kz/bad/reviewed')).restricted).toBe(false);
    expect((await check('https://pages-x.kz/bad/other')).restricted).toBe(true);
  });

  it('a suffix restored under a wider suffix reopens its subtree; its own restriction is closed first', async () => {
    await enforce(api, reg, { resources: ['*.nest.kz', '*.open.nest.kz'] });
    const r = await enforce(api, reg, { action: 'restore', resources: ['*.open.nest.kz'] });
    expect(r.logEntries).toHaveLength(2); // remove (restored) of its own restriction, add of the exception
    for (const name of ['open.nest.kz', 'a.b.open.nest.kz']) expect((await check(name)).restricted, name).toBe(false);
    for (const name of ['nest.kz', 'closed.nest.kz']) expect((await check(name)).restricted, name).toBe(true);
  });

  it('restoring the wider rule together with a name under it leaves no exception behind', async () => {
    await enforce(api, reg, { resources: ['*.both.kz'] });
    const r = await enforce(api, reg, { action: 'restore', resources: ['*.both.kz', 'www.both.kz'] });
    expect(r.logEntries).toHaveLength(1);
    expect(await state('www.both.kz')).toEqual(expect.objectContaining({ state: 'accessible' }));
    expect((await state('www.both.kz')).decidedBy).toBeUndefined();
  });

  it('an address restored inside a restricted prefix is an exception too', async () => {
    await enforce(api, reg, { resources: ['198.51.100.0/24'] });
    await enforce(api, reg, { action: 'restore', resources: ['198.51.100.7'] });
    expect((await check('198.51.100.7')).restricted).toBe(false);
    expect((await check('198.51.100.8')).restricted).toBe(true);
    expect(await state('198.51.100.7')).toMatchObject({ state: 'accessible', decidedBy: { kind: 'ip', exception: true } });
    // a narrower prefix with no rule of its own is decided by the prefix around it
    expect(await state('198.51.100.0/25')).toMatchObject({ state: 'restricted', decidedBy: { kind: 'cidr', value: '198.51.100.0/24', own: false } });
  });

  it('public statistics count exceptions apart from restrictions', async () => {
    const stats = (await api('GET', '/public/v1/stats')).body;
    expect(stats.activeExceptions).toBeGreaterThanOrEqual(5);
    const byCategory = stats.byCategory.reduce((n: number, c: { n: number }) => n + c.n, 0);
    expect(byCategory + stats.activeExceptions).toBe(stats.activeRules);
  });

  it('refuses a malformed instant for coverage with a 400 naming the field', async () => {
    const res = await api('GET', '/public/v1/resources/www.betzone.com/history?at=yesterday');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('at');
  });
});
