import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { pino } from 'pino';
import { verifyChain } from '@tizilim/shared/public-log/index';
import { buildApp } from '../src/app.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { writeInOneStatement } from '../src/db/one-statement.js';
import { auditWrite } from '../src/repositories/audit-repository.js';
import { rowToPublicEntry } from '../src/repositories/public-log-repository.js';
import { DecisionScheduler } from '../src/scheduler/decision-scheduler.js';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient, courtRuling } from '../src/testing/http.js';

/**
 * The enforcement section after it was cut to a few round trips: the approval's answer built
 * without reading the decision back, the writes of a change made in one statement, schedulers
 * that leave the log head alone when nothing is due, and all of it across two API instances.
 */

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let second: { app: Awaited<ReturnType<typeof buildApp>>; database?: Database };
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  // A second API process's worth of state on the same Postgres database (on the embedded path,
  // one process by design, it shares the connection).
  const database = reg.database.url ? await openDatabase({ url: reg.database.url, poolSize: 10 }) : undefined;
  second = { app: await buildApp({ db: database?.db ?? reg.database.db, logger: silent }), ...(database ? { database } : {}) };
});
afterAll(async () => {
  await second?.app.close();
  await second?.database?.close();
  await reg?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function basis(): Promise<string> {
  const res = await api('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling);
  expect(res.status).toBe(201);
  return res.body.id;
}

async function draft(body: Record<string, unknown>): Promise<string> {
  const res = await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', category: 'gambling', legalBasisId: await basis(), ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function approve(id: string, app = reg.app) {
  const res = await apiClient(app)('POST', `/v1/decisions/${id}/approve`, reg.tokens.approver);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** The approval's answer must be the decision as stored, plus the entries it wrote. */
async function expectAnswerAsStored(answer: { logEntries: number[] } & Record<string, unknown>) {
  const { logEntries, ...decision } = answer;
  const stored = await api('GET', `/v1/decisions/${decision['id'] as string}`, reg.tokens.auditor);
  expect(stored.status).toBe(200);
  expect(decision).toEqual(stored.body);
  const audit = await reg.database.db.selectFrom('audit_log').select(['before', 'after']).where('action', '=', 'decision.approve').where('target_id', '=', decision['id'] as string).execute();
  expect(audit).toHaveLength(1);
  expect(audit[0]!.after).toEqual({ status: decision['status'], logEntries });
}

async function logRows() {
  return reg.database.db.selectFrom('public_log').select(['seq', 'time', 'body', 'prev_hash', 'hash']).orderBy('seq').execute();
}

describe('an approval', () => {
  it('answers the decision as it is stored: in force or scheduled; one whose window has passed is refused', async () => {
    const now = await api('POST', `/v1/decisions/${await draft({ resources: ['answer-now.example.kz'] })}/approve`, reg.tokens.approver);
    expect(now.body).toMatchObject({ status: 'in_force', approvedBy: reg.userIds.approver });
    expect(now.body.logEntries).toHaveLength(1);
    await expectAnswerAsStored(now.body);

    const later = await approve(await draft({ resources: ['answer-later.example.kz'], effectiveFrom: new Date(Date.now() + 3_600_000).toISOString() }));
    expect(later).toMatchObject({ status: 'scheduled', logEntries: [] });
    await expectAnswerAsStored(later);

    const lapsed = await draft({ action: 'suspend', resources: ['answer-lapsed.example.kz'], effectiveUntil: new Date(Date.now() + 1200).toISOString() });
    await sleep(1500);
    // Issue #10: it used to answer 200 'ended' with no log entry; now 409 and nothing is written.
    const refused = await api('POST', `/v1/decisions/${lapsed}/approve`, reg.tokens.approver);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('REG_ERR_WINDOW_PASSED');
    expect((await api('GET', `/v1/decisions/${lapsed}`, reg.tokens.auditor)).body.status).toBe('pending_approval');
  });

  it('closes what it supersedes in one go: a live span as superseded, a lapsed one as expired at its planned end', async () => {
    const until = new Date(Date.now() + 1200);
    const suspension = await draft({ action: 'suspend', resources: ['lapsed-span.example.kz'], effectiveUntil: until.toISOString() });
    await approve(suspension);
    const restriction = await draft({ resources: ['live-span.example.kz'] });
    await approve(restriction);
    await sleep(1500); // the suspension's end passes; no scheduler runs in this test

    const both = await approve(await draft({ resources: ['lapsed-span.example.kz', 'live-span.example.kz'] }));
    expect(both.logEntries).toHaveLength(4);
    const entries = (await logRows()).filter((r) => both.logEntries.includes(Number(r.seq))).map(rowToPublicEntry);
    expect(entries.map((e) => [e.op, e.reason, e.resource.value])).toEqual([
      ['remove', 'expired', 'lapsed-span.example.kz'],
      ['remove', 'superseded', 'live-span.example.kz'],
      ['add', 'approved', 'lapsed-span.example.kz'],
      ['add', 'approved', 'live-span.example.kz'],
    ]);

    const spans = await reg.database.db
      .selectFrom('enforcement_periods').select(['decision_id', 'ends_at', 'closed_at', 'end_reason', 'ended_by_decision_id', 'add_seq'])
      .where('decision_id', 'in', [suspension, restriction, both.id]).orderBy('id').execute();
    expect(spans.map((s) => [s.decision_id, s.end_reason, s.ended_by_decision_id])).toEqual([
      [suspension, 'expired', null],
      [restriction, 'superseded', both.id],
      [both.id, null, null],
      [both.id, null, null],
    ]);
    expect(spans[0]!.ends_at).toEqual(until); // kept its planned end
    expect(spans[1]!.ends_at).toEqual(new Date(both.approvedAt));
    expect(spans.slice(2).map((s) => s.add_seq)).toEqual(both.logEntries.slice(2));

    const ended = await reg.database.db.selectFrom('decisions').select(['id', 'status', 'end_reason']).where('id', 'in', [suspension, restriction]).execute();
    expect(Object.fromEntries(ended.map((d) => [d.id, [d.status, d.end_reason]]))).toEqual({
      [suspension]: ['ended', 'expired'],
      [restriction]: ['ended', 'superseded'],
    });
    await expectAnswerAsStored(both);
  });
});

describe('writes made as one statement', () => {
  it('land together or not at all', async () => {
    const failing = reg.database.db.transaction().execute(async (trx) => {
      await writeInOneStatement(trx, [
        auditWrite(trx, { actorId: reg.userIds.admin, sourceIp: null, action: 'test.one-statement', targetType: 'test', targetId: null }),
        trx.insertInto('public_log_head').values({ id: 1, seq: 0, hash: '0'.repeat(64) }), // the head exists: unique violation
      ]);
    });
    await expect(failing).rejects.toThrow();
    const audit = await reg.database.db.selectFrom('audit_log').select('id').where('action', '=', 'test.one-statement').execute();
    expect(audit).toEqual([]);
  });
});

describe('the decision scheduler', () => {
  it('leaves the log head alone when nothing is due', async (ctx) => {
    if (!reg.database.url) return ctx.skip(); // a second connection needs the server
    const holder = new pg.Client({ connectionString: reg.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM public_log_head WHERE id = 1 FOR UPDATE');
      let done = false;
      const tick = new DecisionScheduler({ db: reg.database.db, logger: silent }).tick().then(() => (done = true));
      // With the head held elsewhere, a pass that wanted it would wait until the ROLLBACK below.
      for (let i = 0; i < 200 && !done; i++) await sleep(50);
      expect(done).toBe(true);
      await tick;
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
  });
});

describe('two API instances approving while both schedulers end suspensions', () => {
  it('keep the log gapless, its chain intact, its times in order and one open span per resource', async () => {
    const apps = [reg.app, second.app];
    const schedulers = [reg.database.db, second.database?.db ?? reg.database.db].map((db) => new DecisionScheduler({ db, logger: silent }));
    const basisId = await basis();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      // short suspensions for the schedulers to end, over resources that approvals also supersede
      const suspend = i % 3 === 0;
      const res = await api('POST', '/v1/decisions', reg.tokens.operator, {
        action: suspend ? 'suspend' : 'restrict', legalBasisId: basisId, category: 'gambling',
        resources: [`both-${i}.example.kz`, `both-shared${i % 4}.example.kz`],
        ...(suspend ? { effectiveUntil: new Date(Date.now() + 2000 + i * 40).toISOString() } : {}),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids.push(res.body.id);
    }
    const before = Number((await reg.database.db.selectFrom('public_log_head').select('seq').executeTakeFirstOrThrow()).seq);

    let approving = true;
    const ticking = schedulers.map(async (s) => {
      while (approving) {
        await s.tick();
        await sleep(20);
      }
    });
    const results = await Promise.all(ids.map(async (id, i) => {
      await sleep((i % 10) * 100); // spread over the time the suspensions end
      // On a loaded machine a suspension's end may pass before its approval: refused, nothing written.
      const res = await apiClient(apps[i % 2]!)('POST', `/v1/decisions/${id}/approve`, reg.tokens.approver);
      if (res.status === 409 && res.body.error?.code === 'REG_ERR_WINDOW_PASSED') return { logEntries: [] };
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    }));
    await sleep(2500); // every suspension's end has passed
    await Promise.all(schedulers.map((s) => s.tick()));
    approving = false;
    await Promise.all(ticking);

    const rows = await logRows();
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    expect(verifyChain(rows.map(rowToPublicEntry))).toMatchObject({ ok: true, count: rows.length });
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.time.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.time.getTime());
    const approvalSeqs = results.flatMap((r) => r.logEntries as number[]);
    expect(new Set(approvalSeqs).size).toBe(approvalSeqs.length);
    for (const seq of approvalSeqs) expect(seq).toBeGreaterThan(before);

    const open = await reg.database.db.selectFrom('enforcement_periods').select(['resource_id', 'ends_at']).where('closed_at', 'is', null).execute();
    expect(new Set(open.map((o) => o.resource_id)).size).toBe(open.length);
    // the schedulers ended every suspension whose end has passed
    expect(open.filter((o) => o.ends_at !== null && o.ends_at <= new Date())).toEqual([]);
  });
});
