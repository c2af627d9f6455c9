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

describe('the audit log', () => {
  it('records every mutation with actor, source address, action, before and after', async () => {
    const basis = await api('POST', '/v1/legal-bases', reg.tokens.operator, { ...courtRuling, kind: 'ministry_order', authority: 'Ministry of Culture and Information' });
    const draft = await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', resources: ['audited.example.kz'], legalBasisId: basis.body.id, category: 'drugs' });
    await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
    const rejectedDraft = await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', resources: ['other.example.kz'], legalBasisId: basis.body.id, category: 'drugs' });
    await api('POST', `/v1/decisions/${rejectedDraft.body.id}/reject`, reg.tokens.approver2, { reason: 'wrong domain' });
    const user = await api('POST', '/v1/users', reg.tokens.admin, { name: 'new approver', roles: ['approver'] });

    const page = await api('GET', '/v1/audit?limit=5', reg.tokens.auditor);
    expect(page.status).toBe(200);
    const actions = page.body.records.map((r: { action: string }) => r.action);
    expect(actions).toEqual(['user.create', 'decision.reject', 'decision.create', 'decision.approve', 'decision.create']);
    const [userRec, rejectRec, , approveRec] = page.body.records;
    expect(userRec).toMatchObject({ actorId: reg.userIds.admin, targetType: 'user', targetId: user.body.id, sourceIp: '127.0.0.1' });
    expect(JSON.stringify(userRec)).not.toContain(user.body.token);
    expect(rejectRec).toMatchObject({ actorId: reg.userIds.approver2, before: { status: 'pending_approval' }, after: { status: 'rejected', reason: 'wrong domain' } });
    expect(approveRec).toMatchObject({ actorId: reg.userIds.approver, targetId: draft.body.id, before: { status: 'pending_approval' }, after: { status: 'in_force' } });

    const next = await api('GET', `/v1/audit?limit=5&cursor=${page.body.nextCursor}`, reg.tokens.auditor);
    expect(next.body.records[0].action).toBe('legal_basis.create');
    expect(next.body.records[0].id).toBeLessThan(page.body.records[4].id);
  });

  it('the database refuses to delete register rows or rewrite the public log', async () => {
    const { sql } = await import('kysely');
    await expect(sql`DELETE FROM decisions`.execute(reg.database.db)).rejects.toThrow(/never deletes/);
    await expect(sql`DELETE FROM audit_log`.execute(reg.database.db)).rejects.toThrow(/never deletes/);
    await expect(sql`UPDATE public_log SET category = 'other'`.execute(reg.database.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM public_log`.execute(reg.database.db)).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE public_log CASCADE`.execute(reg.database.db)).rejects.toThrow(/append-only/);
    const basis = await api('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling);
    // no decision without a legal basis, even for SQL that bypasses the API
    await expect(sql`INSERT INTO decisions (action, category, legal_basis_id, effective_from, created_by) VALUES ('restrict', 'other', NULL, now(), ${reg.userIds.operator})`.execute(reg.database.db)).rejects.toThrow(/legal_basis_id/);
    // and no self-approval either (nor a decision born approved: migration 0022)
    await expect(sql`INSERT INTO decisions (action, category, legal_basis_id, effective_from, created_by, approved_by, status) VALUES ('restrict', 'other', ${basis.body.id}, now(), ${reg.userIds.operator}, ${reg.userIds.operator}, 'in_force')`.execute(reg.database.db)).rejects.toThrow(/check|drafted pending approval/);
  });
});

describe('observability', () => {
  it('serves OpenAPI for every route, Swagger UI, health, readiness and metrics', async () => {
    const doc = (await api('GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const routes = reg.app.printRoutes({ commonPrefix: false });
    for (const path of ['/v1/users', '/v1/legal-bases', '/v1/decisions', '/v1/decisions/{id}/approve', '/v1/decisions/{id}/reject', '/v1/resources/state', '/v1/audit', '/healthz', '/readyz']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    // printRoutes nests every path under the home page's `/` route, so the leading slash is not printed.
    expect(routes).toMatch(/\/?v1\/decisions/);
    expect(doc.paths['/v1/decisions'].post.requestBody.content['application/json'].schema.properties.resources).toBeDefined();
    const ui = await reg.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
    expect((await api('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await api('GET', '/readyz')).body).toEqual({ status: 'ready' });
    await api('GET', '/v1/decisions', reg.tokens.auditor);
    const metrics = await reg.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/http_requests_total\{method="GET",route="\/v1\/decisions",status="200"\} \d+/);
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
    expect(metrics.body).toMatch(/register_decisions\{status="in_force"\} \d+/);
  });

  it('an unknown route is a 404 in the error shape', async () => {
    const res = await api('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('REG_ERR_NOT_FOUND');
  });
});
