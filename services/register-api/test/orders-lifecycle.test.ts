import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderScheduler } from '../src/scheduler/order-scheduler.js';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { fixtures, hoursAfter, hoursAgo } from './platform-order-fixtures.js';

let reg: TestRegister;
let f: ReturnType<typeof fixtures>;
let basisId: string;
beforeAll(async () => {
  reg = await startTestRegister();
  f = fixtures(reg);
  basisId = await f.legalBasis();
});
afterAll(async () => reg?.close());

const silent = pino({ level: 'silent' });

async function waitForStatus(id: string, status: string, timeoutMs = 10_000): Promise<any> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await f.api('GET', `/v1/orders/${id}`, reg.tokens.auditor);
    if (res.body.status === status) return res.body;
    if (Date.now() > end) throw new Error(`order ${id} is still ${res.body.status}, not ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('24-hour orders', () => {
  it('an order is due 24 hours after it is issued and starts open', async () => {
    const p = await f.platform();
    const issuedAt = '2026-03-10T08:30:00+05:00';
    const order = await f.order(p.id, basisId, { issuedAt, contentUrls: ['https://Video.Example.com/v/1?t=3', 'http://video.example.com/v/2'], note: 'first order' });
    expect(order).toMatchObject({
      platformId: p.id, legalBasisId: basisId, category: 'child_cyberbullying', note: 'first order',
      issuedAt: '2026-03-10T03:30:00.000Z', dueAt: '2026-03-11T03:30:00.000Z', status: 'open', outcome: null, late: null, escalations: [],
      contentUrls: [
        { kind: 'url', value: 'https://video.example.com/v/1?t=3', display: 'https://video.example.com/v/1?t=3' },
        { kind: 'url', value: 'http://video.example.com/v/2', display: 'http://video.example.com/v/2' },
      ],
      createdBy: reg.userIds.operator,
    });
    const now = Date.now();
    const fresh = await f.order(p.id, basisId);
    expect(Math.abs(Date.parse(fresh.issuedAt) - now)).toBeLessThan(60_000);
    expect(Date.parse(fresh.dueAt) - Date.parse(fresh.issuedAt)).toBe(24 * 3_600_000);
    const got = await f.api('GET', `/v1/orders/${order.id}`, reg.tokens.approver);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(order);
  });

  it('outcomes: on time, late, refused; final once recorded', async () => {
    const p = await f.platform();
    const issuedAt = hoursAgo(72);
    const onTime = await f.order(p.id, basisId, { issuedAt });
    const late = await f.order(p.id, basisId, { issuedAt });
    const refused = await f.order(p.id, basisId, { issuedAt });

    const r1 = await f.api('POST', `/v1/orders/${onTime.id}/outcome`, reg.tokens.operator, { outcome: 'removed', at: hoursAfter(issuedAt, 5), evidence: 'URL answers 404 since 13:05' });
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ status: 'removed', outcome: 'removed', late: false, evidence: 'URL answers 404 since 13:05', outcomeRecordedBy: reg.userIds.operator });
    const r2 = await f.api('POST', `/v1/orders/${late.id}/outcome`, reg.tokens.operator2, { outcome: 'limited', at: hoursAfter(issuedAt, 30), evidence: 'geo-blocked in KZ' });
    expect(r2.body).toMatchObject({ status: 'limited', late: true });
    const r3 = await f.api('POST', `/v1/orders/${refused.id}/outcome`, reg.tokens.operator, { outcome: 'refused', at: hoursAfter(issuedAt, 2), evidence: 'letter of refusal no. 17' });
    expect(r3.body).toMatchObject({ status: 'refused', late: false });

    const again = await f.api('POST', `/v1/orders/${onTime.id}/outcome`, reg.tokens.operator, { outcome: 'refused', at: hoursAfter(issuedAt, 6), evidence: 'changed mind' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('REG_ERR_INVALID_STATE');

    const byStatus = await f.api('GET', `/v1/orders?platformId=${p.id}&status=limited`, reg.tokens.auditor);
    expect(byStatus.body.orders.map((o: { id: string }) => o.id)).toEqual([late.id]);
    const all = await f.api('GET', `/v1/orders?platformId=${p.id}`, reg.tokens.admin);
    expect(all.body.orders).toHaveLength(3);

    const audit = await reg.database.db.selectFrom('audit_log').selectAll().where('target_id', '=', late.id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['order.create', 'order.outcome']);
    expect(audit[1]).toMatchObject({ actor_id: reg.userIds.operator2, before: { status: 'open' }, after: { status: 'limited', late: true, evidence: 'geo-blocked in KZ' } });
  });

  it('an order with no outcome becomes overdue by itself, with nobody calling the API', async () => {
    const p = await f.platform();
    const longPast = await f.order(p.id, basisId, { issuedAt: hoursAgo(25) });
    // due two seconds from now: open at first, overdue once the 24 hours are up
    const dueSoon = await f.order(p.id, basisId, { issuedAt: new Date(Date.now() - 24 * 3_600_000 + 2_000).toISOString() });
    const answered = await f.order(p.id, basisId, { issuedAt: hoursAgo(30) });
    await f.api('POST', `/v1/orders/${answered.id}/outcome`, reg.tokens.operator, { outcome: 'removed', at: hoursAgo(29), evidence: 'gone' });
    expect(longPast.status).toBe('open');

    const scheduler = new OrderScheduler({ db: reg.database.db, logger: silent, intervalMs: 50 });
    scheduler.start();
    try {
      const overdue = await waitForStatus(longPast.id, 'overdue');
      expect(overdue.overdueAt).not.toBeNull();
      expect((await f.api('GET', `/v1/orders/${dueSoon.id}`, reg.tokens.auditor)).body.status).toBe('open');
      const later = await waitForStatus(dueSoon.id, 'overdue');
      expect(Date.parse(later.overdueAt)).toBeGreaterThanOrEqual(Date.parse(later.dueAt));
    } finally {
      await scheduler.stop();
    }
    expect((await f.api('GET', `/v1/orders/${answered.id}`, reg.tokens.auditor)).body.status).toBe('removed');

    const audit = await reg.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'order.overdue').where('target_id', 'in', [longPast.id, dueSoon.id]).execute();
    expect(audit).toHaveLength(2);
    for (const a of audit) expect(a).toMatchObject({ actor_id: null, source_ip: null, target_type: 'order', before: { status: 'open' }, after: { status: 'overdue' } });

    // an answer after the order turned overdue is allowed, and late
    const lateAnswer = await f.api('POST', `/v1/orders/${longPast.id}/outcome`, reg.tokens.operator, { outcome: 'removed', at: new Date().toISOString(), evidence: 'finally removed' });
    expect(lateAnswer.status).toBe(200);
    expect(lateAnswer.body).toMatchObject({ status: 'removed', late: true });
    const overdueList = await f.api('GET', `/v1/orders?platformId=${p.id}&status=overdue`, reg.tokens.operator);
    expect(overdueList.body.orders.map((o: { id: string }) => o.id)).toEqual([dueSoon.id]);
  });

  it('several schedulers at once mark each order overdue exactly once', async () => {
    const p = await f.platform();
    const orders = [];
    for (let i = 0; i < 12; i++) orders.push(await f.order(p.id, basisId, { issuedAt: hoursAgo(48) }));
    const schedulers = [1, 2, 3].map(() => new OrderScheduler({ db: reg.database.db, logger: silent, batchSize: 5 }));
    await Promise.all(schedulers.map((s) => s.tick()));
    await Promise.all(schedulers.map((s) => s.tick()));
    const ids = orders.map((o) => o.id);
    const audit = await reg.database.db.selectFrom('audit_log').select('target_id').where('action', '=', 'order.overdue').where('target_id', 'in', ids).execute();
    expect(audit.map((a) => a.target_id).sort()).toEqual([...ids].sort());
  });

  it('public compliance per platform: on time, late, refused, overdue, median hours to comply', async () => {
    const p = await f.platform();
    const issuedAt = hoursAgo(100);
    const answer = async (outcome: string, afterHours: number) => {
      const o = await f.order(p.id, basisId, { issuedAt });
      const res = await f.api('POST', `/v1/orders/${o.id}/outcome`, reg.tokens.operator, { outcome, at: hoursAfter(issuedAt, afterHours), evidence: 'checked' });
      expect(res.status).toBe(200);
    };
    await answer('removed', 2);
    await answer('limited', 10);
    await answer('removed', 40);
    await answer('refused', 1);
    const never = await f.order(p.id, basisId, { issuedAt });
    await new OrderScheduler({ db: reg.database.db, logger: silent }).tick();
    await f.order(p.id, basisId);

    expect((await f.api('GET', `/v1/orders/${never.id}`, reg.tokens.operator)).body.status).toBe('overdue');
    const res = await f.api('GET', '/public/v1/platforms?limit=500');
    const mine = res.body.platforms.find((x: { id: string }) => x.id === p.id);
    expect(mine.compliance).toEqual({ orders: 6, onTime: 2, late: 1, refused: 1, overdue: 1, open: 1, medianHoursToComply: 10 });
  });

  it('an overdue or refused order escalates into a pending restriction that, once approved, is enforced', async () => {
    const p = await f.platform({ domains: ['escalated-platform.example.com', '*.escalated-cdn.example.com'] });
    const overdue = await f.order(p.id, basisId, { issuedAt: hoursAgo(30), contentUrls: ['https://escalated-platform.example.com/post/42'] });
    const open = await f.order(p.id, basisId);
    await new OrderScheduler({ db: reg.database.db, logger: silent }).tick();

    const notYet = await f.api('POST', `/v1/orders/${open.id}/escalate`, reg.tokens.operator, { target: 'domains' });
    expect(notYet.status).toBe(409);
    expect(notYet.body.error.code).toBe('REG_ERR_INVALID_STATE');

    const esc = await f.api('POST', `/v1/orders/${overdue.id}/escalate`, reg.tokens.operatorApprover, { target: 'domains', note: 'platform ignored the order' });
    expect(esc.status).toBe(201);
    expect(esc.body).toMatchObject({
      action: 'restrict', status: 'pending_approval', category: 'order_noncompliance', legalBasisId: basisId, createdBy: reg.userIds.operatorApprover,
      resources: [
        { kind: 'domain', value: 'escalated-platform.example.com' },
        { kind: 'domain_suffix', value: 'escalated-cdn.example.com' },
      ],
    });
    expect(esc.body.note).toContain(overdue.id);
    expect(esc.body.note).toContain('platform ignored the order');

    const dup = await f.api('POST', `/v1/orders/${overdue.id}/escalate`, reg.tokens.operator2, { target: 'domains' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('REG_ERR_CONFLICT');

    // nothing is enforced until a different person approves
    const before = await f.api('GET', '/v1/resources/state?value=escalated-platform.example.com', reg.tokens.isp);
    expect(before.body.state).toBe('accessible');
    const self = await f.api('POST', `/v1/decisions/${esc.body.id}/approve`, reg.tokens.operatorApprover);
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe('REG_ERR_SELF_APPROVAL');
    const approved = await f.api('POST', `/v1/decisions/${esc.body.id}/approve`, reg.tokens.approver);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('in_force');
    expect(approved.body.logEntries).toHaveLength(2);
    for (const value of ['escalated-platform.example.com', '*.escalated-cdn.example.com']) {
      const state = await f.api('GET', `/v1/resources/state?value=${value}`, reg.tokens.isp);
      expect(state.body, value).toMatchObject({ state: 'restricted', decisionId: esc.body.id });
    }
    const order = await f.api('GET', `/v1/orders/${overdue.id}`, reg.tokens.auditor);
    expect(order.body.escalations).toEqual([expect.objectContaining({ decisionId: esc.body.id, target: 'domains', decisionStatus: 'in_force', createdBy: reg.userIds.operatorApprover })]);

    // the content itself can be escalated too, separately
    const content = await f.api('POST', `/v1/orders/${overdue.id}/escalate`, reg.tokens.operator, { target: 'content' });
    expect(content.status).toBe(201);
    expect(content.body.resources).toEqual([{ kind: 'url', value: 'https://escalated-platform.example.com/post/42', display: 'https://escalated-platform.example.com/post/42' }]);

    const audit = await reg.database.db.selectFrom('audit_log').selectAll().where('target_id', '=', overdue.id).where('action', '=', 'order.escalate').execute();
    expect(audit.map((a) => (a.after as { decisionId: string }).decisionId).sort()).toEqual([esc.body.id, content.body.id].sort());
    const created = await reg.database.db.selectFrom('audit_log').select('action').where('target_id', '=', content.body.id).execute();
    expect(created.map((a) => a.action)).toEqual(['decision.create']);
  });

  it('a refused order escalates; a rejected escalation may be made again; concurrent escalations make one draft', async () => {
    const p = await f.platform();
    const refused = await f.order(p.id, basisId, { issuedAt: hoursAgo(3) });
    await f.api('POST', `/v1/orders/${refused.id}/outcome`, reg.tokens.operator, { outcome: 'refused', at: hoursAgo(1), evidence: 'refusal letter' });
    const attempts = await Promise.all([1, 2, 3].map(() => f.api('POST', `/v1/orders/${refused.id}/escalate`, reg.tokens.operator, { target: 'content' })));
    expect(attempts.map((a) => a.status).sort()).toEqual([201, 409, 409]);
    const first = attempts.find((a) => a.status === 201)!;
    const rejected = await f.api('POST', `/v1/decisions/${first.body.id}/reject`, reg.tokens.approver, { reason: 'wrong URL' });
    expect(rejected.body.status).toBe('rejected');
    const again = await f.api('POST', `/v1/orders/${refused.id}/escalate`, reg.tokens.operator, { target: 'content' });
    expect(again.status).toBe(201);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM order_escalations WHERE order_id = ${refused.id}`.execute(reg.database.db);
    expect(rows[0]!.n).toBe(2);
  });

  it('a removed order cannot be escalated; unknown orders are 404', async () => {
    const p = await f.platform();
    const o = await f.order(p.id, basisId, { issuedAt: hoursAgo(30) });
    await f.api('POST', `/v1/orders/${o.id}/outcome`, reg.tokens.operator, { outcome: 'removed', at: hoursAgo(29), evidence: 'gone' });
    expect((await f.api('POST', `/v1/orders/${o.id}/escalate`, reg.tokens.operator, { target: 'content' })).status).toBe(409);
    const unknown = '00000000-0000-4000-8000-00000000beef';
    expect((await f.api('GET', `/v1/orders/${unknown}`, reg.tokens.operator)).status).toBe(404);
    expect((await f.api('POST', `/v1/orders/${unknown}/escalate`, reg.tokens.operator, { target: 'content' })).status).toBe(404);
    expect((await f.api('POST', `/v1/orders/${unknown}/outcome`, reg.tokens.operator, { outcome: 'removed', at: hoursAgo(1), evidence: 'x' })).status).toBe(404);
  });

  it('malformed bodies and queries: a 400 naming the field, nothing written', async () => {
    const p = await f.platform();
    const o = await f.order(p.id, basisId, { issuedAt: hoursAgo(2) });
    const good = { platformId: p.id, legalBasisId: basisId, contentUrls: ['https://x.example.com/a'], category: 'extremism' };
    const outcome = { outcome: 'removed', at: hoursAgo(1), evidence: 'gone' };
    const before = await f.rowCounts();
    const cases: [string, 'POST' | 'GET', string, unknown, string][] = [
      ['no platform', 'POST', '/v1/orders', { ...good, platformId: undefined }, 'platformId'],
      ['platform not a uuid', 'POST', '/v1/orders', { ...good, platformId: 'tiktok' }, 'platformId'],
      ['platform unknown', 'POST', '/v1/orders', { ...good, platformId: '00000000-0000-4000-8000-000000000009' }, 'platformId'],
      ['basis unknown', 'POST', '/v1/orders', { ...good, legalBasisId: '00000000-0000-4000-8000-000000000009' }, 'legalBasisId'],
      ['no urls', 'POST', '/v1/orders', { ...good, contentUrls: [] }, 'contentUrls'],
      ['url a domain', 'POST', '/v1/orders', { ...good, contentUrls: ['https://x.example.com/a', 'x.example.com'] }, 'contentUrls[1]'],
      ['url ftp', 'POST', '/v1/orders', { ...good, contentUrls: ['ftp://x.example.com/a'] }, 'contentUrls[0]'],
      ['url loopback', 'POST', '/v1/orders', { ...good, contentUrls: ['http://127.0.0.1/a'] }, 'contentUrls[0]'],
      ['url repeated', 'POST', '/v1/orders', { ...good, contentUrls: ['https://x.example.com/a', 'https://X.example.com/a'] }, 'contentUrls[1]'],
      ['bad category', 'POST', '/v1/orders', { ...good, category: 'rude' }, 'category'],
      ['issuedAt garbage', 'POST', '/v1/orders', { ...good, issuedAt: 'yesterday' }, 'issuedAt'],
      ['issuedAt future', 'POST', '/v1/orders', { ...good, issuedAt: '2099-01-01T00:00:00Z' }, 'issuedAt'],
      ['dueAt smuggled', 'POST', '/v1/orders', { ...good, dueAt: '2099-01-01T00:00:00Z' }, 'dueAt'],
      ['outcome unknown', 'POST', `/v1/orders/${o.id}/outcome`, { ...outcome, outcome: 'ignored' }, 'outcome'],
      ['outcome overdue', 'POST', `/v1/orders/${o.id}/outcome`, { ...outcome, outcome: 'overdue' }, 'outcome'],
      ['outcome no at', 'POST', `/v1/orders/${o.id}/outcome`, { ...outcome, at: undefined }, 'at'],
      ['outcome at before issue', 'POST', `/v1/orders/${o.id}/outcome`, { ...outcome, at: hoursAgo(5) }, 'at'],
      ['outcome at future', 'POST', `/v1/orders/${o.id}/outcome`, { ...outcome, at: '2099-01-01T00:00:00Z' }, 'at'],
      ['outcome no evidence', 'POST', `/v1/orders/${o.id}/outcome`, { ...outcome, evidence: ' ' }, 'evidence'],
      ['outcome bad id', 'POST', '/v1/orders/42/outcome', outcome, 'id'],
      ['escalate no target', 'POST', `/v1/orders/${o.id}/escalate`, {}, 'target'],
      ['escalate bad target', 'POST', `/v1/orders/${o.id}/escalate`, { target: 'everything' }, 'target'],
      ['escalate unknown field', 'POST', `/v1/orders/${o.id}/escalate`, { target: 'content', resources: ['x.kz'] }, 'resources'],
      ['list bad status', 'GET', '/v1/orders?status=late', undefined, 'status'],
      ['list bad platform', 'GET', '/v1/orders?platformId=x', undefined, 'platformId'],
    ];
    for (const [label, method, url, body, field] of cases) {
      f.expectFieldError(await f.api(method, url, reg.tokens.operator, body), field, label);
    }
    expect(await f.rowCounts()).toEqual(before);
  });

  it('the database refuses to delete orders or their escalations', async () => {
    for (const table of ['orders', 'order_content_urls', 'order_escalations']) {
      await expect(sql`DELETE FROM ${sql.table(table)}`.execute(reg.database.db)).rejects.toThrow(/never deletes/);
    }
  });
});
