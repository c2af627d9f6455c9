import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startChild, waitForOk, type ChildService } from './support/child-service.js';

/**
 * The embedded path as a newcomer meets it: register-api with no DATABASE_URL keeps its data
 * in PGlite under DATA_DIR, across restarts, and refuses a second process on the same data.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'tizilim-embedded-'));
const adminToken = 'embedded-smoke-admin-token-0123456789';
const running: ChildService[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(port: number): Promise<ChildService> {
  const svc = startChild('services/register-api/src/main.ts', {
    DATA_DIR: dataDir, API_PORT: String(port), ADMIN_TOKEN: adminToken, DATABASE_URL: '', SCHEDULER_INTERVAL_MS: '200',
  });
  running.push(svc);
  return svc;
}

async function call(base: string, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('register-api on the embedded database', () => {
  it('starts, keeps its data across a restart, and locks out a second process', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let svc = await start(port);
    await waitForOk(`${base}/readyz`, svc);
    expect(svc.output()).toContain('"database":"pglite"');

    const operator = await call(base, 'POST', '/v1/users', adminToken, { name: 'operator', roles: ['operator'] });
    const approver = await call(base, 'POST', '/v1/users', adminToken, { name: 'approver', roles: ['approver'] });
    expect(operator.status).toBe(201);
    const basis = await call(base, 'POST', '/v1/legal-bases', operator.body.token, {
      kind: 'prosecutor_recommendation', authority: 'Prosecutor-General', documentNumber: '2-11-26/77', issuedAt: '2026-11-01',
      provisions: [{ law: 'On communications', article: '41-1' }],
    });
    const draft = await call(base, 'POST', '/v1/decisions', operator.body.token, {
      action: 'restrict', resources: ['embedded.example.kz'], legalBasisId: basis.body.id, category: 'terrorism',
    });
    const approved = await call(base, 'POST', `/v1/decisions/${draft.body.id}/approve`, approver.body.token);
    expect(approved.body.status).toBe('in_force');

    // a second register on the same data directory refuses to start
    const intruder = await start(await freePort());
    expect(await intruder.exited).not.toBe(0);
    expect(intruder.output()).toMatch(/in use by process \d+/);

    expect(await svc.stop()).toBe(0);
    svc = await start(port);
    await waitForOk(`${base}/readyz`, svc);
    const state = await call(base, 'GET', '/v1/resources/state?value=embedded.example.kz', approver.body.token);
    expect(state.body).toMatchObject({ state: 'restricted', decisionId: draft.body.id });
    expect(await svc.stop()).toBe(0);
  }, 420_000);
});
