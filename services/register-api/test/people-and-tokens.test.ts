import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { hashApiToken, generateApiToken } from '../src/auth/api-token.js';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { freePort, startChild, waitForOk, type ChildService } from '../src/testing/child-process.js';

/** Issue #10, "People and tokens": DESIGN's REST sketch for users, tokens and the audit log. */
let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
});
afterAll(async () => reg?.close());

async function newUser(name: string, roles: string[]): Promise<{ id: string; token: string; tokenId: string }> {
  const res = await api('POST', '/v1/users', reg.tokens.admin, { name, roles });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id, token: res.body.token, tokenId: res.body.tokenId };
}

describe('people and their tokens', () => {
  it('lists people with their tokens and never a secret or a hash', async () => {
    const aigerim = await newUser('Aigerim', ['operator']);
    const second = await api('POST', `/v1/users/${aigerim.id}/tokens`, reg.tokens.admin);
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ userId: aigerim.id, token: expect.stringMatching(/^tzl_/) });
    const list = await api('GET', '/v1/users', reg.tokens.admin);
    expect(list.status).toBe(200);
    const listed = list.body.users.find((u: { id: string }) => u.id === aigerim.id);
    expect(listed).toMatchObject({ name: 'Aigerim', roles: ['operator'], disabledAt: null, createdBy: reg.userIds.admin });
    expect(listed.tokens.map((t: { id: string }) => t.id)).toEqual([aigerim.tokenId, second.body.tokenId]);
    expect(listed.tokens.every((t: { state: string }) => t.state === 'active')).toBe(true);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(aigerim.token);
    expect(text).not.toContain(second.body.token);
    expect(text).not.toContain(hashApiToken(aigerim.token).toString('hex'));
    expect(text).not.toContain(hashApiToken(aigerim.token).toString('base64'));
    // both tokens work
    for (const t of [aigerim.token, second.body.token]) expect((await api('GET', '/v1/me', t)).status).toBe(200);
  });

  it('a revoked token stops at once; the user’s other tokens go on', async () => {
    const user = await newUser('Dana', ['auditor']);
    const spare = await api('POST', `/v1/users/${user.id}/tokens`, reg.tokens.admin);
    const revoked = await api('DELETE', `/v1/users/${user.id}/tokens/${user.tokenId}`, reg.tokens.admin);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: user.tokenId, state: 'revoked', revokedBy: reg.userIds.admin });
    const gone = await api('GET', '/v1/me', user.token);
    expect(gone.status).toBe(401);
    expect(gone.body.error.code).toBe('REG_ERR_UNAUTHENTICATED');
    expect((await api('GET', '/v1/me', spare.body.token)).status).toBe(200);
    const again = await api('DELETE', `/v1/users/${user.id}/tokens/${user.tokenId}`, reg.tokens.admin);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('REG_ERR_INVALID_STATE');
    // a token id under another user is not found, whoever it belongs to
    expect((await api('DELETE', `/v1/users/${reg.userIds.admin}/tokens/${spare.body.tokenId}`, reg.tokens.admin)).status).toBe(404);
    expect((await api('DELETE', `/v1/users/${user.id}/tokens/not-a-uuid`, reg.tokens.admin)).status).toBe(400);
    // the copy in memory shows in the metrics
    const metrics = String((await api('GET', '/metrics')).body);
    expect(Number(/^register_auth_reloads_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(1);
    expect(Number(/^register_auth_tokens_cached (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(8);
    expect(Number(/^register_auth_copy_age_seconds ([\d.]+)/m.exec(metrics)?.[1])).toBeLessThan(5);
  });

  it('a disabled user’s every token stops at once; no new token; the last admin cannot be disabled', async () => {
    const user = await newUser('Yerlan', ['approver']);
    const spare = await api('POST', `/v1/users/${user.id}/tokens`, reg.tokens.admin);
    const disabled = await api('POST', `/v1/users/${user.id}/disable`, reg.tokens.admin);
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: user.id, disabledBy: reg.userIds.admin });
    for (const t of [user.token, spare.body.token]) expect((await api('GET', '/v1/me', t)).status).toBe(401);
    expect((await api('POST', `/v1/users/${user.id}/tokens`, reg.tokens.admin)).status).toBe(409);
    expect((await api('POST', `/v1/users/${user.id}/disable`, reg.tokens.admin)).status).toBe(409);
    expect((await api('POST', '/v1/users/00000000-0000-4000-8000-000000000000/disable', reg.tokens.admin)).status).toBe(404);
    const lastAdmin = await api('POST', `/v1/users/${reg.userIds.admin}/disable`, reg.tokens.admin);
    expect(lastAdmin.status).toBe(409);
    expect(lastAdmin.body.error.message).toMatch(/last enabled admin/);
    const listed = (await api('GET', '/v1/users', reg.tokens.admin)).body.users.find((u: { id: string }) => u.id === user.id);
    expect(listed.disabledAt).not.toBeNull();
  });

  it('with no NOTIFY reaching a process, the fingerprint poll still stops a revoked token within 1 s', async () => {
    const deaf = await buildApp({ db: reg.database.db, logger: false }); // no listen: notices never arrive
    try {
      const user = await newUser('Poll-checked', ['auditor']);
      const deafApi = apiClient(deaf);
      expect((await deafApi('GET', '/v1/me', user.token)).status).toBe(200);
      const start = Date.now();
      await api('DELETE', `/v1/users/${user.id}/tokens/${user.tokenId}`, reg.tokens.admin);
      let status = 200;
      while (status === 200 && Date.now() - start < 5000) {
        await new Promise((r) => setTimeout(r, 20));
        status = (await deafApi('GET', '/v1/me', user.token)).status;
      }
      expect(status).toBe(401);
      expect(Date.now() - start).toBeLessThan(1000);
    } finally {
      await deaf.close();
    }
  });

  it('tokens expire after TOKEN_TTL_DAYS; an expired token is refused and listed as expired', async () => {
    const app = await buildApp({ db: reg.database.db, logger: false, tokenTtlDays: 30 });
    try {
      const created = await apiClient(app)('POST', '/v1/users', reg.tokens.admin, { name: 'Temporary', roles: ['auditor'] });
      expect(created.status).toBe(201);
      const days = (Date.parse(created.body.expiresAt) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(29.9);
      expect(days).toBeLessThan(30.1);
    } finally {
      await app.close();
    }
    // A token issued long ago whose time ran out (written as it would have been then).
    const old = generateApiToken();
    await sql`INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at) VALUES (${reg.userIds.auditor}, ${hashApiToken(old)}, '2025-01-01T00:00:00Z', '2025-04-01T00:00:00Z')`.execute(reg.database.db);
    expect((await api('GET', '/v1/me', old)).status).toBe(401);
    const mine = (await api('GET', '/v1/users', reg.tokens.admin)).body.users.find((u: { id: string }) => u.id === reg.userIds.auditor);
    expect(mine.tokens.map((t: { state: string }) => t.state).sort()).toEqual(['active', 'expired']);
  });

  it('the audit log names the actor and filters by actor, target, action and time', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const user = await newUser('Audited person', ['operator']);
    await api('POST', `/v1/users/${user.id}/tokens`, reg.tokens.admin);
    await api('POST', `/v1/users/${user.id}/disable`, reg.tokens.admin);
    const byTarget = await api('GET', `/v1/audit?target=${user.id}`, reg.tokens.auditor);
    expect(byTarget.status).toBe(200);
    expect(byTarget.body.records.map((r: { action: string }) => r.action)).toEqual(['user.disable', 'user.token.create', 'user.create']);
    expect(byTarget.body.records[0]).toMatchObject({ actor: { id: reg.userIds.admin, name: 'admin' }, actorId: reg.userIds.admin, targetType: 'user' });
    const prefixed = await api('GET', `/v1/audit?target=${user.id}&action=user.token.*`, reg.tokens.auditor);
    expect(prefixed.body.records.map((r: { action: string }) => r.action)).toEqual(['user.token.create']);
    const exact = await api('GET', `/v1/audit?actor=${reg.userIds.admin}&action=user.disable&since=${encodeURIComponent(from)}`, reg.tokens.auditor);
    expect(exact.body.records.every((r: { action: string; actorId: string }) => r.action === 'user.disable' && r.actorId === reg.userIds.admin)).toBe(true);
    expect(exact.body.records.some((r: { targetId: string }) => r.targetId === user.id)).toBe(true);
    const before = await api('GET', `/v1/audit?target=${user.id}&until=${encodeURIComponent(from)}`, reg.tokens.auditor);
    expect(before.body.records).toEqual([]);
    const paged = await api('GET', `/v1/audit?target=${user.id}&limit=2`, reg.tokens.auditor);
    const next = await api('GET', `/v1/audit?target=${user.id}&limit=2&cursor=${paged.body.nextCursor}`, reg.tokens.auditor);
    expect([...paged.body.records, ...next.body.records].map((r: { action: string }) => r.action)).toEqual(byTarget.body.records.map((r: { action: string }) => r.action));
    for (const bad of ['actor=nobody', 'since=0000-01-01T00:00:00Z', 'action=DROP%20TABLE', 'until=2026-01-01T00:00:00Z&since=2026-02-01T00:00:00Z', 'target=%00', 'unknown=1']) {
      const res = await api('GET', `/v1/audit?${bad}`, reg.tokens.auditor);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe('REG_ERR_VALIDATION');
    }
  });
});

describe('two API processes on one Postgres', () => {
  let child: ChildService | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await child?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('the second process runs as the service role, and a revoked token or disabled user stops there within 1 s', async () => {
    if (!reg.database.url || !reg.database.serviceUrl) return; // PGlite: one process by design
    dataDir = await mkdtemp(join(tmpdir(), 'tizilim-people-'));
    const port = await freePort();
    child = startChild('services/register-api/src/main.ts', {
      DATABASE_URL: reg.database.serviceUrl,
      MIGRATION_DATABASE_URL: reg.database.url,
      API_PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      FEED_SNAPSHOT_WARM: '0',
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForOk(`${base}/healthz`, child, 60_000);
    expect(child.output()).toMatch(/service role granted/);
    expect(child.output()).not.toMatch(/owner's rights/);
    const { rows } = await sql<{ u: string }>`SELECT usename AS u FROM pg_stat_activity WHERE datname = current_database() AND application_name = '' AND usename <> current_user LIMIT 1`.execute(reg.database.db);
    expect(rows[0]?.u).toBe('tizilim_test_service');

    const me = (token: string) => fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    const stopsWithin = async (token: string, act: () => Promise<unknown>): Promise<number> => {
      expect(await me(token)).toBe(200);
      const start = Date.now();
      await act();
      while (Date.now() - start < 5000) {
        if ((await me(token)) === 401) return Date.now() - start;
        await new Promise((r) => setTimeout(r, 10));
      }
      return Infinity;
    };
    const user = await newUser('Two-process', ['auditor']);
    const spare = await api('POST', `/v1/users/${user.id}/tokens`, reg.tokens.admin);
    const revokeMs = await stopsWithin(user.token, () => api('DELETE', `/v1/users/${user.id}/tokens/${user.tokenId}`, reg.tokens.admin));
    expect(revokeMs).toBeLessThan(1000);
    expect(await me(spare.body.token)).toBe(200);
    const disableMs = await stopsWithin(spare.body.token, () => api('POST', `/v1/users/${user.id}/disable`, reg.tokens.admin));
    expect(disableMs).toBeLessThan(1000);
    if (process.env.PEOPLE_REPORT) console.log(`stopped on the second process after: revoke ${revokeMs} ms, disable ${disableMs} ms`);
    // …and the other way round: a token issued on the second process works on the first at once.
    const fresh = await newUser('Issued here', ['auditor']);
    const res = await fetch(`${base}/v1/users/${fresh.id}/tokens`, { method: 'POST', headers: { authorization: `Bearer ${reg.tokens.admin}` } });
    expect(res.status).toBe(201);
    const issued = (await res.json()) as { token: string };
    expect((await api('GET', '/v1/me', issued.token)).status).toBe(200);
  });
});
