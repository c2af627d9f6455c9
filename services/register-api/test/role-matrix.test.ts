import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister, type TestUsers } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
});
afterAll(async () => reg?.close());

const someId = '00000000-0000-4000-8000-000000000000';

/** Every route that needs a token, with the users allowed through. */
const MATRIX: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string; url: string; allowed: (keyof TestUsers)[] }[] = [
  { method: 'POST', path: '/v1/users', url: '/v1/users', allowed: ['admin'] },
  { method: 'GET', path: '/v1/users', url: '/v1/users', allowed: ['admin'] },
  { method: 'GET', path: '/v1/me', url: '/v1/me', allowed: ['admin', 'operator', 'operator2', 'approver', 'approver2', 'auditor', 'isp', 'operatorApprover'] },
  { method: 'POST', path: '/v1/legal-bases', url: '/v1/legal-bases', allowed: ['operator', 'operator2', 'operatorApprover'] },
  { method: 'GET', path: '/v1/legal-bases', url: '/v1/legal-bases', allowed: ['admin', 'operator', 'operator2', 'approver', 'approver2', 'auditor', 'operatorApprover'] },
  { method: 'GET', path: '/v1/legal-bases/{id}', url: `/v1/legal-bases/${someId}`, allowed: ['admin', 'operator', 'operator2', 'approver', 'approver2', 'auditor', 'operatorApprover'] },
  { method: 'POST', path: '/v1/decisions', url: '/v1/decisions', allowed: ['operator', 'operator2', 'operatorApprover'] },
  { method: 'GET', path: '/v1/decisions', url: '/v1/decisions', allowed: ['admin', 'operator', 'operator2', 'approver', 'approver2', 'auditor', 'operatorApprover'] },
  { method: 'GET', path: '/v1/decisions/{id}', url: `/v1/decisions/${someId}`, allowed: ['admin', 'operator', 'operator2', 'approver', 'approver2', 'auditor', 'operatorApprover'] },
  { method: 'POST', path: '/v1/decisions/{id}/approve', url: `/v1/decisions/${someId}/approve`, allowed: ['approver', 'approver2', 'operatorApprover'] },
  { method: 'POST', path: '/v1/decisions/{id}/reject', url: `/v1/decisions/${someId}/reject`, allowed: ['approver', 'approver2', 'operatorApprover'] },
  { method: 'GET', path: '/v1/resources/state', url: '/v1/resources/state?value=bad.kz', allowed: ['admin', 'operator', 'operator2', 'approver', 'approver2', 'auditor', 'isp', 'operatorApprover'] },
  { method: 'GET', path: '/v1/audit', url: '/v1/audit', allowed: ['auditor'] },
  { method: 'POST', path: '/v1/platforms', url: '/v1/platforms', allowed: ['operator', 'operator2', 'operatorApprover'] },
  { method: 'GET', path: '/v1/platforms', url: '/v1/platforms', allowed: ['admin', 'operator', 'operator2', 'approver', 'approver2', 'auditor', 'operatorApprover'] },
  { method: 'GET', path: '/v1/platforms/{id}', url: `/v1/platforms/${someId}`, allowed: ['admin', 'operator', 'operator2', 'approver', 'approver2', 'auditor', 'operatorApprover'] },
  { method: 'PATCH', path: '/v1/platforms/{id}', url: `/v1/platforms/${someId}`, allowed: ['operator', 'operator2', 'operatorApprover'] },
  { method: 'PUT', path: '/v1/platforms/{id}/representative', url: `/v1/platforms/${someId}/representative`, allowed: ['operator', 'operator2', 'operatorApprover'] },
  { method: 'POST', path: '/v1/orders', url: '/v1/orders', allowed: ['operator', 'operator2', 'operatorApprover'] },
  { method: 'GET', path: '/v1/orders', url: '/v1/orders', allowed: ['admin', 'operator', 'operator2', 'approver', 'approver2', 'auditor', 'operatorApprover'] },
  { method: 'GET', path: '/v1/orders/{id}', url: `/v1/orders/${someId}`, allowed: ['admin', 'operator', 'operator2', 'approver', 'approver2', 'auditor', 'operatorApprover'] },
  { method: 'POST', path: '/v1/orders/{id}/outcome', url: `/v1/orders/${someId}/outcome`, allowed: ['operator', 'operator2', 'operatorApprover'] },
  { method: 'POST', path: '/v1/orders/{id}/escalate', url: `/v1/orders/${someId}/escalate`, allowed: ['operator', 'operator2', 'operatorApprover'] },
  { method: 'POST', path: '/v1/isps', url: '/v1/isps', allowed: ['admin'] },
  { method: 'POST', path: '/v1/isps/{id}/tokens', url: `/v1/isps/${someId}/tokens`, allowed: ['admin'] },
  { method: 'GET', path: '/v1/isps/enforcement', url: '/v1/isps/enforcement', allowed: ['admin', 'auditor'] },
  { method: 'POST', path: '/v1/gateways/heartbeat', url: '/v1/gateways/heartbeat', allowed: ['isp'] },
  { method: 'POST', path: '/v1/imports', url: '/v1/imports', allowed: ['operator', 'operator2', 'operatorApprover'] },
  { method: 'GET', path: '/v1/imports', url: '/v1/imports', allowed: ['admin', 'operator', 'operator2', 'approver', 'approver2', 'auditor', 'operatorApprover'] },
  { method: 'GET', path: '/v1/imports/{id}', url: `/v1/imports/${someId}`, allowed: ['admin', 'operator', 'operator2', 'approver', 'approver2', 'auditor', 'operatorApprover'] },
  { method: 'GET', path: '/v1/feed/snapshot', url: '/v1/feed/snapshot', allowed: ['isp'] },
  { method: 'GET', path: '/v1/feed/rpz', url: '/v1/feed/rpz', allowed: ['isp'] },
  { method: 'GET', path: '/v1/feed/changes', url: '/v1/feed/changes?since=0', allowed: ['isp'] },
  { method: 'POST', path: '/v1/log/checkpoints', url: '/v1/log/checkpoints', allowed: ['admin', 'auditor'] },
  { method: 'POST', path: '/v1/users/{id}/disable', url: `/v1/users/${someId}/disable`, allowed: ['admin'] },
  { method: 'POST', path: '/v1/users/{id}/tokens', url: `/v1/users/${someId}/tokens`, allowed: ['admin'] },
  { method: 'DELETE', path: '/v1/users/{id}/tokens/{tokenId}', url: `/v1/users/${someId}/tokens/${someId}`, allowed: ['admin'] },
];

describe('the role matrix', () => {
  it('covers every authenticated route in the OpenAPI document', async () => {
    const doc = (await api('GET', '/openapi.json')).body;
    const secured: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, { security?: unknown[] }>>(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) if (op.security?.length) secured.push(`${method.toUpperCase()} ${path}`);
    }
    expect(secured.sort()).toEqual(MATRIX.map((m) => `${m.method} ${m.path}`).sort());
  });

  it.each(MATRIX)('$method $path: 401 without a token or with a bad one', async ({ method, url }) => {
    const body = method === 'GET' ? undefined : { anything: 'at all' };
    for (const token of [undefined, 'tzl_not-a-real-token', '']) {
      const res = await api(method, url, token, body);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('REG_ERR_UNAUTHENTICATED');
    }
  });

  it.each(MATRIX)('$method $path: 403 for every role not allowed, never 401/403 for those allowed', async ({ method, url, allowed }) => {
    const body = method === 'GET' ? undefined : {};
    for (const user of Object.keys(reg.tokens) as (keyof TestUsers)[]) {
      const res = await api(method, url, reg.tokens[user], body);
      if (allowed.includes(user)) expect([401, 403], `${user}`).not.toContain(res.status);
      else {
        expect(res.status, `${user}`).toBe(403);
        expect(res.body.error.code).toBe('REG_ERR_FORBIDDEN');
      }
    }
  });

  it('tokens are stored hashed and shown once', async () => {
    const created = await api('POST', '/v1/users', reg.tokens.admin, { name: 'Aigerim (operator)', roles: ['operator'] });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^tzl_[A-Za-z0-9_-]{43}$/);
    const row = await reg.database.db.selectFrom('api_tokens').selectAll().where('user_id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(row.token_hash.toString('hex')).not.toContain(Buffer.from(created.body.token).toString('hex'));
    expect(row.token_hash).toHaveLength(32);
    const listed = await api('GET', '/v1/users', reg.tokens.admin);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    const me = await api('GET', '/v1/me', created.body.token);
    expect(me.body).toMatchObject({ id: created.body.id, roles: ['operator'] });
  });
});
