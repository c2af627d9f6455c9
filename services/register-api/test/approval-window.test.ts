import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient, courtRuling } from '../src/testing/http.js';
import { logHead } from '../src/repositories/public-log-repository.js';

/** Issue #10: approving a suspension whose window has already passed answered 200 'ended' and wrote nothing to the log. */
let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
});
afterAll(async () => reg?.close());

async function dbNow(): Promise<number> {
  const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(reg.database.db);
  return rows[0]!.now.getTime();
}

async function auditCount(targetId: string): Promise<number> {
  const row = await reg.database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('target_id', '=', targetId).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('approving a decision whose window has passed', () => {
  it('answers 409 REG_ERR_WINDOW_PASSED naming the end, and writes nothing', async () => {
    const basis = (await api('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling)).body.id;
    const until = new Date((await dbNow()) + 800);
    const draft = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'suspend', resources: ['late.window.example.kz'], legalBasisId: basis, category: 'unregistered_platform',
      effectiveUntil: until.toISOString(),
    });
    expect(draft.status).toBe(201);
    while ((await dbNow()) <= until.getTime() + 50) await new Promise((r) => setTimeout(r, 100));

    const headBefore = (await logHead(reg.database.db)).seq;
    const auditBefore = await auditCount(draft.body.id);
    const res = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('REG_ERR_WINDOW_PASSED');
    expect(res.body.error.message).toContain(until.toISOString());
    expect(res.body.error.message).toMatch(/never be in force/);

    expect((await logHead(reg.database.db)).seq).toBe(headBefore);
    expect(await auditCount(draft.body.id)).toBe(auditBefore);
    const after = await api('GET', `/v1/decisions/${draft.body.id}`, reg.tokens.auditor);
    expect(after.body).toMatchObject({ status: 'pending_approval', approvedBy: null });
    // It can still be rejected, the way out the message names.
    const rejected = await api('POST', `/v1/decisions/${draft.body.id}/reject`, reg.tokens.approver, { reason: 'window passed before approval' });
    expect(rejected.status).toBe(200);
  });

  it('a window still open is approved as before', async () => {
    const basis = (await api('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling)).body.id;
    const draft = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'suspend', resources: ['open.window.example.kz'], legalBasisId: basis, category: 'unregistered_platform',
      effectiveUntil: new Date((await dbNow()) + 3_600_000).toISOString(),
    });
    const res = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('in_force');
    expect(res.body.logEntries).toHaveLength(1);
  });
});
