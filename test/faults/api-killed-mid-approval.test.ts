import { afterAll, describe, expect, inject, it } from 'vitest';
import { seededRandom } from '@tizilim/shared/seeded-random';
import { verifyChain } from '@tizilim/shared/public-log/index';
import { cloneTemplate, type TestDatabase } from '@tizilim/register-api/testing/test-database';
import { rowToPublicEntry } from '@tizilim/register-api/repositories/public-log-repository';
import { freePort, startChild, waitForOk, type ChildService } from '../support/child-service.js';
import { faultsEnabled } from './support/gateway-process.js';

/**
 * Fault (issue #10): an API process killed with SIGKILL in the middle of a burst of
 * approvals. Each approval is then whole or absent: the decision's status, its audit record,
 * its public log entries and its enforcement spans all agree; every approval answered 200
 * before the kill is there; the log is gapless and its hash chain intact. Needs a real
 * Postgres (the embedded one lives inside the killed process).
 */
const enabled = faultsEnabled && inject('dbTemplate').kind === 'postgres';
const RESOURCES = 3;
const ROUNDS = 3;
const PER_ROUND = 40;

let database: TestDatabase | undefined;
let api: ChildService | undefined;
afterAll(async () => {
  api?.child.kill('SIGKILL');
  await database?.close();
});

describe.skipIf(!enabled)('API process killed -9 mid-approval', () => {
  it('leaves each approval whole or absent, with log, spans and audit agreeing', async () => {
    database = await cloneTemplate(inject('dbTemplate'), 4);
    const db = database.db;
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const admin = 'fault-admin-token-0123456789abcdef';
    const start = async () => {
      api = startChild('services/register-api/src/main.ts', { DATABASE_URL: database!.url!, API_PORT: String(port), ADMIN_TOKEN: admin, LOG_LEVEL: 'warn', SCHEDULER_INTERVAL_MS: '200' });
      await waitForOk(`${base}/readyz`, api, 60_000);
    };
    const post = async (path: string, token: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : null,
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    await start();
    const operator = (await post('/v1/users', admin, { name: 'op', roles: ['operator'] })).body.token as string;
    const approver = (await post('/v1/users', admin, { name: 'ap', roles: ['approver'] })).body.token as string;
    const basis = (await post('/v1/legal-bases', operator, {
      kind: 'ministry_order', authority: 'Ministry of Culture and Information', documentNumber: '77-kill', issuedAt: '2026-11-01', provisions: ['On communications, art. 41-1'],
    })).body.id as string;

    const random = seededRandom(9090);
    const decisions: string[] = [];
    const answered200 = new Set<string>();
    let killedWithRequestsInFlight = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const drafts: string[] = [];
      for (let i = 0; i < PER_ROUND; i++) {
        const res = await post('/v1/decisions', operator, {
          action: 'restrict', legalBasisId: basis, category: 'gambling',
          resources: Array.from({ length: RESOURCES }, (_, k) => `r${round}-d${i}-${k}.kill.example.kz`),
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        drafts.push(res.body.id);
      }
      decisions.push(...drafts);
      let inFlight = 0;
      const burst = drafts.map(async (id) => {
        inFlight++;
        try {
          const res = await post(`/v1/decisions/${id}/approve`, approver);
          if (res.status === 200) answered200.add(id);
        } catch {
          // the connection died with the process: the approval may or may not have committed
        } finally {
          inFlight--;
        }
      });
      await new Promise((r) => setTimeout(r, 50 + random() * 250));
      if (inFlight > 0) killedWithRequestsInFlight++;
      api!.child.kill('SIGKILL');
      await api!.exited;
      await Promise.all(burst);
      await start();
    }
    expect(killedWithRequestsInFlight).toBeGreaterThanOrEqual(1);

    const rows = await db.selectFrom('decisions').select(['id', 'status']).where('id', 'in', decisions).execute();
    const audits = await db.selectFrom('audit_log').select(['target_id']).where('action', '=', 'decision.approve').where('target_id', 'in', decisions).execute();
    const entries = await db.selectFrom('public_log').select(['decision_id']).where('decision_id', 'in', decisions).execute();
    const spans = await db.selectFrom('enforcement_periods').select(['decision_id', 'add_seq']).where('decision_id', 'in', decisions).execute();
    const count = (list: { decision_id?: string; target_id?: string | null }[], id: string) => list.filter((x) => (x.decision_id ?? x.target_id) === id).length;
    const tally = { in_force: 0, pending_approval: 0 };
    for (const { id, status } of rows) {
      const got = { status, audit: count(audits, id), entries: count(entries, id), spans: count(spans, id) };
      if (status === 'in_force') {
        tally.in_force++;
        expect(got, id).toEqual({ status, audit: 1, entries: RESOURCES, spans: RESOURCES });
      } else {
        tally.pending_approval++;
        expect(got, id).toEqual({ status: 'pending_approval', audit: 0, entries: 0, spans: 0 });
        expect(answered200.has(id), `${id} was answered 200 but is not in force`).toBe(false);
      }
    }
    expect(tally.in_force).toBeGreaterThan(0);
    expect(tally.in_force + tally.pending_approval).toBe(decisions.length);
    // every span points at a log entry of its own decision
    expect(spans.every((s) => s.add_seq !== null)).toBe(true);

    const log = await db.selectFrom('public_log').select(['seq', 'time', 'body', 'prev_hash', 'hash']).orderBy('seq').execute();
    expect(log.map((r) => Number(r.seq))).toEqual(log.map((_, i) => i + 1));
    expect(verifyChain(log.map(rowToPublicEntry))).toMatchObject({ ok: true, count: log.length });
    const head = await db.selectFrom('public_log_head').select('seq').executeTakeFirstOrThrow();
    expect(Number(head.seq)).toBe(log.length);
    console.log(`kill -9 mid-approval: ${tally.in_force} approvals whole, ${tally.pending_approval} absent, ${answered200.size} answered 200 before the kills`);
  }, 150_000);
});
