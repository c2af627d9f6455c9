import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { cloneTemplate, type TestDatabase } from '@tizilim/register-api/testing/test-database';
import { freePort, startChild, waitForOk, type ChildService } from '../support/child-service.js';

/**
 * Restarts the shared Postgres server, so it runs only when asked (TIZILIM_CHAOS=1, as .ci/run
 * does after the main suite) and never beside other test files.
 */
const enabled = process.env.TIZILIM_CHAOS === '1' && inject('dbTemplate').kind === 'postgres';

let database: TestDatabase | undefined;
let service: ChildService | undefined;
afterAll(async () => {
  await service?.stop();
  await database?.close();
});

function restartPostgres(): void {
  const cluster = readdirSync('/etc/postgresql')[0]!;
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', 'restart', '-m', 'fast'], { stdio: 'ignore' });
}

describe.skipIf(!enabled)('a burst of decision creations with Postgres restarted in the middle', () => {
  it('every 201 is in the database, nothing else is, and nothing is half-written', async () => {
    database = await cloneTemplate(inject('dbTemplate'), 2);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const admin = 'chaos-admin-token-0123456789abcdef';
    service = startChild('services/register-api/src/main.ts', { DATABASE_URL: database.url!, API_PORT: String(port), ADMIN_TOKEN: admin, LOG_LEVEL: 'warn' });
    await waitForOk(`${base}/readyz`, service);
    const post = async (path: string, token: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any };
    };
    const operator = (await post('/v1/users', admin, { name: 'op', roles: ['operator'] })).body.token;
    const basis = (await post('/v1/legal-bases', operator, {
      kind: 'ministry_order', authority: 'Ministry of Culture and Information', documentNumber: '77-ch', issuedAt: '2026-11-01', provisions: ['On communications, art. 41-1'],
    })).body.id;

    const burst = Array.from({ length: 500 }, (_, i) =>
      post('/v1/decisions', operator, { action: 'restrict', resources: [`chaos-${i}.example.kz`], legalBasisId: basis, category: 'gambling', note: `chaos ${i}` })
        .catch((err: unknown) => ({ status: 0, body: { error: String(err) } })),
    );
    await new Promise((r) => setTimeout(r, 300));
    restartPostgres();
    const answers = await Promise.all(burst);

    const statuses = new Map<number, number>();
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    // only "created" or "unavailable, nothing written": never a 500 or a dropped connection
    expect([...statuses.keys()].filter((s) => s !== 201 && s !== 503), `${JSON.stringify([...statuses])} ${JSON.stringify(answers.find((a) => a.status === 0))}\n${service.output().slice(-3000)}`).toEqual([]);
    expect(statuses.get(503) ?? 0, 'the restart should have interrupted some requests').toBeGreaterThan(0);
    expect(statuses.get(201) ?? 0).toBeGreaterThan(0);

    await waitForOk(`${base}/readyz`, service, 30_000);
    const created = new Set(answers.filter((a) => a.status === 201).map((a) => a.body.id as string));
    const rows = await database.db.selectFrom('decisions').select(['id', 'note']).where('note', 'like', 'chaos %').execute();
    expect(new Set(rows.map((r) => r.id))).toEqual(created);
    // each decision whole: its resource link and its audit record landed with it
    const links = await database.db.selectFrom('decision_resources').select('decision_id').where('decision_id', 'in', [...created]).execute();
    expect(links.length).toBe(created.size);
    const audits = await database.db.selectFrom('audit_log').select('target_id').where('action', '=', 'decision.create').execute();
    expect(new Set(audits.map((a) => a.target_id))).toEqual(created);

    // and the service serves again
    const after = await post('/v1/decisions', operator, { action: 'restrict', resources: ['after-chaos.example.kz'], legalBasisId: basis, category: 'gambling' });
    expect(after.status).toBe(201);
  }, 120_000);
});
