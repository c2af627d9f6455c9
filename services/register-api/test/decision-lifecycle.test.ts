import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient, courtRuling } from '../src/testing/http.js';

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
});
afterAll(async () => reg?.close());

async function legalBasis(): Promise<string> {
  const res = await api('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling);
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('a restriction on a court ruling', () => {
  it('drafts, refuses self-approval, approves with four eyes and enforces every resource', async () => {
    const basisId = await legalBasis();
    const draft = await api('POST', '/v1/decisions', reg.tokens.operatorApprover, {
      action: 'restrict',
      resources: ['*.Пример.kz', 'bad.example.kz', 'https://News.Example.kz/articles/1?x=1#frag', '2a00:1450:4001::/48'],
      legalBasisId: basisId,
      category: 'extremism',
      note: 'ruling of 2026-10-01',
    });
    expect(draft.status).toBe(201);
    expect(draft.body.status).toBe('pending_approval');
    expect(draft.body.resources).toEqual([
      { kind: 'domain_suffix', value: 'xn--e1afmkfd.kz', display: '*.пример.kz' },
      { kind: 'domain', value: 'bad.example.kz', display: 'bad.example.kz' },
      { kind: 'url', value: 'https://news.example.kz/articles/1?x=1', display: 'https://news.example.kz/articles/1?x=1' },
      { kind: 'cidr', value: '2a00:1450:4001::/48', display: '2a00:1450:4001::/48' },
    ]);

    // nothing is enforced before approval
    const before = await api('GET', `/v1/resources/state?value=${encodeURIComponent('*.пример.kz')}`, reg.tokens.auditor);
    expect(before.body.state).toBe('accessible');

    const self = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.operatorApprover);
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe('REG_ERR_SELF_APPROVAL');

    const approved = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('in_force');
    expect(approved.body.logEntries).toHaveLength(4);
    expect(approved.body.logEntries).toEqual([...approved.body.logEntries].sort((a: number, b: number) => a - b));

    for (const value of ['*.пример.kz', '*.xn--e1afmkfd.kz', 'BAD.example.kz.', 'https://news.example.kz/articles/1?x=1', '2a00:1450:4001::/48']) {
      const s = await api('GET', `/v1/resources/state?value=${encodeURIComponent(value)}`, reg.tokens.isp);
      expect(s.status, value).toBe(200);
      expect(s.body.state, value).toBe('restricted');
      expect(s.body.decisionId).toBe(draft.body.id);
      expect(s.body.legalBasis).toMatchObject({ id: basisId, kind: 'court_ruling', documentNumber: courtRuling.documentNumber });
    }

    const again = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver2);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('REG_ERR_INVALID_STATE');
  });

  it('a rejected decision is never enforced', async () => {
    const basisId = await legalBasis();
    const draft = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restrict', resources: ['rejected.example.kz'], legalBasisId: basisId, category: 'gambling',
    });
    const rejected = await api('POST', `/v1/decisions/${draft.body.id}/reject`, reg.tokens.approver, { reason: 'the ruling names another domain' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', rejectReason: 'the ruling names another domain' });
    const approve = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
    expect(approve.status).toBe(409);
    const s = await api('GET', '/v1/resources/state?value=rejected.example.kz', reg.tokens.auditor);
    expect(s.body.state).toBe('accessible');
  });
});

describe('suspension, restoration and the state at past instants', () => {
  it('a suspension ends by itself; a restoration lifts a restriction; history answers at three instants', async () => {
    const basisId = await legalBasis();
    const { rows } = await import('kysely').then(({ sql }) => sql<{ now: Date }>`SELECT now() AS now`.execute(reg.database.db));
    const now = rows[0]!.now.getTime();

    const suspend = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'suspend', resources: ['paused.example.kz'], legalBasisId: basisId, category: 'unregistered_platform',
      effectiveUntil: new Date(now + 1500).toISOString(),
    });
    expect(suspend.status).toBe(201);
    const approved = await api('POST', `/v1/decisions/${suspend.body.id}/approve`, reg.tokens.approver);
    expect(approved.body.status).toBe('in_force');
    const during = await api('GET', '/v1/resources/state?value=paused.example.kz', reg.tokens.auditor);
    expect(during.body).toMatchObject({ state: 'suspended', decisionId: suspend.body.id });
    expect(during.body.until).toBeDefined();

    // the state after `until` is accessible even before the scheduler has run
    const later = new Date(now + 5000).toISOString();
    const afterUntil = await api('GET', `/v1/resources/state?value=paused.example.kz&at=${encodeURIComponent(later)}`, reg.tokens.auditor);
    expect(afterUntil.body.state).toBe('accessible');

    // the scheduler ends it with nobody calling the API
    const { DecisionScheduler } = await import('../src/scheduler/decision-scheduler.js');
    const { pino } = await import('pino');
    const scheduler = new DecisionScheduler({ db: reg.database.db, logger: pino({ enabled: false }), intervalMs: 100 });
    scheduler.start();
    try {
      await expect.poll(async () => (await api('GET', `/v1/decisions/${suspend.body.id}`, reg.tokens.auditor)).body.status, { timeout: 8000, interval: 100 }).toBe('ended');
    } finally {
      await scheduler.stop();
    }
    const ended = await api('GET', `/v1/decisions/${suspend.body.id}`, reg.tokens.auditor);
    expect(ended.body.endReason).toBe('expired');
    const entries = await reg.database.db.selectFrom('public_log').select(['seq', 'op', 'body']).where('decision_id', '=', suspend.body.id).orderBy('seq').execute();
    expect(entries.map((e) => [e.op, JSON.parse(e.body).reason])).toEqual([['add', 'approved'], ['remove', 'expired']]);

    // restriction then restoration
    const restrict = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restrict', resources: ['restored.example.kz'], legalBasisId: basisId, category: 'drugs',
    });
    await api('POST', `/v1/decisions/${restrict.body.id}/approve`, reg.tokens.approver);
    const t1 = new Date();
    await new Promise((r) => setTimeout(r, 20));

    const badRestore = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restore', resources: ['restored.example.kz', 'never-restricted.example.kz'], legalBasisId: basisId, category: 'drugs',
    });
    expect(badRestore.status).toBe(400);
    expect(badRestore.body.error.details).toEqual([expect.objectContaining({ field: 'resources[1]' })]);

    const restore = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restore', resources: ['restored.example.kz'], legalBasisId: basisId, category: 'drugs', note: 'appeal granted',
    });
    expect(restore.status).toBe(201);
    const restoreApproved = await api('POST', `/v1/decisions/${restore.body.id}/approve`, reg.tokens.approver2);
    expect(restoreApproved.body.logEntries).toHaveLength(1);
    const t2 = new Date();

    const at = (t: Date) => api('GET', `/v1/resources/state?value=restored.example.kz&at=${encodeURIComponent(t.toISOString())}`, reg.tokens.auditor);
    expect((await at(new Date(now - 60_000))).body.state).toBe('accessible');
    expect((await at(t1)).body).toMatchObject({ state: 'restricted', decisionId: restrict.body.id });
    expect((await at(t2)).body.state).toBe('accessible');
    expect((await api('GET', `/v1/decisions/${restrict.body.id}`, reg.tokens.auditor)).body).toMatchObject({ status: 'ended', endReason: 'restored' });
  });

  it('a decision scheduled for later starts by itself', async () => {
    const basisId = await legalBasis();
    const startAt = new Date(Date.now() + 800).toISOString();
    const draft = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restrict', resources: ['later.example.kz'], legalBasisId: basisId, category: 'gambling', effectiveFrom: startAt,
    });
    const approved = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
    expect(approved.body).toMatchObject({ status: 'scheduled', logEntries: [] });
    const { DecisionScheduler } = await import('../src/scheduler/decision-scheduler.js');
    const { pino } = await import('pino');
    const scheduler = new DecisionScheduler({ db: reg.database.db, logger: pino({ enabled: false }), intervalMs: 100 });
    scheduler.start();
    try {
      await expect.poll(async () => (await api('GET', '/v1/resources/state?value=later.example.kz', reg.tokens.auditor)).body.state, { timeout: 8000, interval: 100 }).toBe('restricted');
    } finally {
      await scheduler.stop();
    }
    const entry = await reg.database.db.selectFrom('public_log').select('body').where('decision_id', '=', draft.body.id).executeTakeFirstOrThrow();
    expect(JSON.parse(entry.body).reason).toBe('scheduled_start');
  });
});
