import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../src/db/schema.js';
import type { Database } from '../src/db/database.js';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient, courtRuling } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';
import { buildApp } from '../src/app.js';

/**
 * Issue #10, "Least privilege in the database": every attack below is tried as the owner
 * (triggers refuse it) and, on Postgres, as the service role (grants refuse it first). On
 * PGlite there is one role, the owner: the owner's half runs there.
 */
let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let service: Database;
const ids = {} as { inForce: string; pending: string; rejected: string; closedSpan: number; revokedToken: string; disabledUser: string };

const TABLES = [
  'users', 'api_tokens', 'audit_log', 'legal_bases', 'resources', 'decisions', 'decision_resources', 'enforcement_periods',
  'public_log', 'public_log_head', 'log_checkpoints', 'service_keys', 'platforms', 'platform_domains', 'platform_representatives',
  'orders', 'order_content_urls', 'order_escalations', 'isps', 'gateways', 'imports',
];

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  service = await reg.database.openAsService();
  const first = await enforce(api, reg, { resources: ['guarded.example.kz'] });
  const second = await enforce(api, reg, { resources: ['guarded.example.kz'], legalBasisId: first.legalBasisId, category: 'gambling' });
  ids.inForce = second.id;
  await api('POST', '/v1/legal-bases', reg.tokens.operator, { ...courtRuling, documentNumber: 'another-1' });
  const pending = await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', category: 'extremism', resources: ['pending.example.kz'], legalBasisId: first.legalBasisId });
  ids.pending = pending.body.id;
  const rejected = await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', category: 'extremism', resources: ['rejected.example.kz'], legalBasisId: first.legalBasisId });
  await api('POST', `/v1/decisions/${rejected.body.id}/reject`, reg.tokens.approver, { reason: 'not ours' });
  ids.rejected = rejected.body.id;
  const closed = await reg.database.db.selectFrom('enforcement_periods').select('id').where('closed_at', 'is not', null).executeTakeFirstOrThrow();
  ids.closedSpan = closed.id;
  const user = await api('POST', '/v1/users', reg.tokens.admin, { name: 'leaving', roles: ['operator'] });
  const extra = await api('POST', `/v1/users/${user.body.id}/tokens`, reg.tokens.admin);
  await api('DELETE', `/v1/users/${user.body.id}/tokens/${extra.body.tokenId}`, reg.tokens.admin);
  await api('POST', `/v1/users/${user.body.id}/disable`, reg.tokens.admin);
  ids.revokedToken = extra.body.tokenId;
  ids.disabledUser = user.body.id;
});
afterAll(async () => reg?.close());

type Attack = { name: string; run: (db: Kysely<DB>) => Promise<unknown> };

/** Each attack: a statement that must fail whoever runs it, and leave nothing changed. */
function attacks(): Attack[] {
  const list: Attack[] = [];
  for (const table of TABLES) {
    list.push({ name: `TRUNCATE ${table}`, run: (db) => sql`TRUNCATE ${sql.table(table)} CASCADE`.execute(db) });
    list.push({ name: `DELETE FROM ${table}`, run: (db) => sql`DELETE FROM ${sql.table(table)}`.execute(db) });
  }
  const decision = (set: string) => (db: Kysely<DB>) => sql`UPDATE decisions SET ${sql.raw(set)} WHERE id = ${ids.inForce}`.execute(db);
  list.push(
    // a sensitive decision's category changed to a public one exposed its URLs (issue #10)
    { name: 'decisions.category', run: decision(`category = 'other'`) },
    { name: 'decisions.action', run: decision(`action = 'restore'`) },
    { name: 'decisions.legal_basis_id', run: (db) => sql`UPDATE decisions SET legal_basis_id = (SELECT b.id FROM legal_bases b WHERE b.id <> decisions.legal_basis_id LIMIT 1) WHERE id = ${ids.pending}`.execute(db) },
    { name: 'decisions.effective_from', run: decision(`effective_from = effective_from - interval '1 day'`) },
    { name: 'decisions.note', run: decision(`note = 'rewritten'`) },
    { name: 'decisions.created_by', run: (db) => sql`UPDATE decisions SET created_by = approved_by WHERE id = ${ids.inForce}`.execute(db) },
    { name: 'decision resources added after drafting', run: (db) => sql`INSERT INTO decision_resources (decision_id, resource_id, position) SELECT ${ids.pending}::uuid, id, 99 FROM resources WHERE value <> 'pending.example.kz' LIMIT 1`.execute(db) },
    { name: 'decision resources moved', run: (db) => sql`UPDATE decision_resources SET resource_id = resource_id WHERE decision_id = ${ids.inForce}`.execute(db) },
    { name: 'in_force back to pending', run: decision(`status = 'pending_approval', approved_by = NULL, approved_at = NULL`) },
    { name: 'rejected to in_force', run: (db) => sql`UPDATE decisions SET status = 'in_force', approved_by = ${reg.userIds.approver2}, approved_at = now(), rejected_by = NULL, rejected_at = NULL, reject_reason = NULL WHERE id = ${ids.rejected}`.execute(db) },
    { name: 'ended back to in_force', run: (db) => sql`UPDATE decisions SET status = 'in_force', ended_at = NULL, end_reason = NULL WHERE status = 'ended'`.execute(db) },
    { name: 'approver rewritten', run: decision(`approved_by = ${`'${'00000000-0000-4000-8000-000000000000'}'`}`) },
    { name: 'pending to ended with a made-up end', run: (db) => sql`UPDATE decisions SET status = 'ended', ended_at = now(), end_reason = 'restored' WHERE id = ${ids.pending}`.execute(db) },
    { name: 'a decision born in force', run: (db) => sql`INSERT INTO decisions (action, category, legal_basis_id, effective_from, created_by, approved_by, approved_at, status) SELECT 'restrict', 'other', legal_basis_id, now(), created_by, approved_by, now(), 'in_force' FROM decisions WHERE id = ${ids.inForce}`.execute(db) },
    { name: 'audit_log rewritten', run: (db) => sql`UPDATE audit_log SET actor_id = NULL`.execute(db) },
    { name: 'public_log rewritten', run: (db) => sql`UPDATE public_log SET category = 'other'`.execute(db) },
    { name: 'public_log_head moved back', run: (db) => sql`UPDATE public_log_head SET seq = 0, hash = ${'0'.repeat(64)}`.execute(db) },
    { name: 'closed span reopened', run: (db) => sql`UPDATE enforcement_periods SET closed_at = NULL, end_reason = NULL, ended_by_decision_id = NULL WHERE id = ${ids.closedSpan}`.execute(db) },
    { name: 'closed span end moved', run: (db) => sql`UPDATE enforcement_periods SET ends_at = ends_at + interval '1 day' WHERE id = ${ids.closedSpan}`.execute(db) },
    { name: 'span moved to another resource', run: (db) => sql`UPDATE enforcement_periods SET starts_at = starts_at - interval '1 day' WHERE closed_at IS NULL`.execute(db) },
    // lifting or adding a block without its public log entry (checked at COMMIT: migration 0023)
    { name: 'open span closed silently', run: (db) => sql`UPDATE enforcement_periods SET closed_at = now(), end_reason = 'restored' WHERE closed_at IS NULL`.execute(db) },
    { name: 'decision in force ended silently', run: (db) => sql`UPDATE decisions SET status = 'ended', ended_at = now(), end_reason = 'restored' WHERE id = ${ids.inForce}`.execute(db) },
    { name: 'span opened without a log entry', run: (db) => sql`INSERT INTO enforcement_periods (resource_id, decision_id, mode, starts_at, add_seq) SELECT r.id, ${ids.inForce}::uuid, 'restrict', now() + interval '10 years', 1 FROM resources r WHERE r.value = 'pending.example.kz'`.execute(db) },
    // a temporary table shadowing the one a trigger reads (pg_temp is searched first unless pinned: 0082)
    { name: 'open span closed behind a temporary public_log', run: (db) => db.transaction().execute(async (trx) => {
      await sql`CREATE TEMP TABLE public_log (seq bigint, op text, resource_id uuid, decision_id uuid) ON COMMIT DROP`.execute(trx);
      await sql`INSERT INTO pg_temp.public_log SELECT 1, 'remove', resource_id, decision_id FROM public.enforcement_periods WHERE closed_at IS NULL`.execute(trx);
      await sql`UPDATE public.enforcement_periods SET closed_at = now(), end_reason = 'restored' WHERE closed_at IS NULL`.execute(trx);
    }) },
    { name: 'span opened behind a temporary public_log', run: (db) => db.transaction().execute(async (trx) => {
      await sql`CREATE TEMP TABLE public_log (seq bigint, op text, resource_id uuid, decision_id uuid) ON COMMIT DROP`.execute(trx);
      await sql`INSERT INTO pg_temp.public_log SELECT 1, 'add', r.id, ${ids.inForce}::uuid FROM public.resources r WHERE r.value = 'pending.example.kz'`.execute(trx);
      await sql`INSERT INTO public.enforcement_periods (resource_id, decision_id, mode, starts_at, add_seq) SELECT r.id, ${ids.inForce}::uuid, 'restrict', now() + interval '10 years', 1 FROM public.resources r WHERE r.value = 'pending.example.kz'`.execute(trx);
    }) },
    { name: 'resources added to a decision in force behind a temporary decisions', run: (db) => db.transaction().execute(async (trx) => {
      await sql`CREATE TEMP TABLE decisions (id uuid, status text) ON COMMIT DROP`.execute(trx);
      await sql`INSERT INTO pg_temp.decisions VALUES (${ids.inForce}::uuid, 'pending_approval')`.execute(trx);
      await sql`INSERT INTO public.decision_resources (decision_id, resource_id, position) SELECT ${ids.inForce}::uuid, id, 99 FROM public.resources WHERE value = 'pending.example.kz'`.execute(trx);
    }) },
    { name: 'open span end brought into the past', run: (db) => sql`UPDATE enforcement_periods SET ends_at = starts_at + interval '1 millisecond' WHERE closed_at IS NULL`.execute(db) },
    { name: 'public_log_head jumped forward', run: (db) => sql`UPDATE public_log_head SET seq = seq + 1000`.execute(db) },
    { name: 'public_log entry with a forged hash', run: (db) => sql`INSERT INTO public_log (seq, time, op, resource_id, decision_id, category, body, prev_hash, hash) SELECT seq + 1, now(), op, resource_id, decision_id, category, body, hash, ${'a'.repeat(64)} FROM public_log ORDER BY seq DESC LIMIT 1`.execute(db) },
    { name: 'public_log entry after a gap', run: (db) => sql`INSERT INTO public_log (seq, time, op, resource_id, decision_id, category, body, prev_hash, hash) SELECT seq + 5, now(), op, resource_id, decision_id, category, body, hash, encode(sha256(decode(hash, 'hex') || convert_to(body, 'UTF8')), 'hex') FROM public_log ORDER BY seq DESC LIMIT 1`.execute(db) },
    // a node planted at the next leaf's position: every later append would fail on its key (0083)
    { name: 'tlog node planted ahead of the tree', run: (db) => sql`INSERT INTO tlog_nodes (level, idx, hash) SELECT 0, count(*), sha256('x'::bytea) FROM public_log`.execute(db) },
    { name: 'tlog_add_leaf called directly', run: (db) => sql`SELECT tlog_add_leaf((SELECT count(*) + 1 FROM public_log), 'forged')`.execute(db) },
    { name: 'revoked token revived', run: (db) => sql`UPDATE api_tokens SET revoked_at = NULL, revoked_by = NULL WHERE id = ${ids.revokedToken}`.execute(db) },
    { name: 'token hash swapped', run: (db) => sql`UPDATE api_tokens SET token_hash = sha256('x'::bytea) WHERE user_id = ${reg.userIds.operator}`.execute(db) },
    { name: 'disabled user enabled', run: (db) => sql`UPDATE users SET disabled_at = NULL, disabled_by = NULL WHERE id = ${ids.disabledUser}`.execute(db) },
    { name: 'operator made admin', run: (db) => sql`UPDATE users SET roles = '{admin}' WHERE id = ${reg.userIds.operator}`.execute(db) },
    { name: 'legal basis rewritten', run: (db) => sql`UPDATE legal_bases SET document_number = 'forged'`.execute(db) },
    { name: 'resource rewritten', run: (db) => sql`UPDATE resources SET value = 'other.example.kz' WHERE value = 'guarded.example.kz'`.execute(db) },
  );
  return list;
}

async function snapshot(db: Kysely<DB>): Promise<string> {
  const parts: string[] = [];
  for (const table of TABLES) {
    const { rows } = await sql<{ j: string }>`SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS j FROM ${sql.table(table)} t`.execute(db);
    parts.push(`${table}:${rows[0]!.j}`);
  }
  return parts.join('\n');
}

describe('least privilege in the database', () => {
  it('the owner cannot TRUNCATE, DELETE or rewrite protected data: triggers refuse each attack', async () => {
    const db = reg.database.db;
    const before = await snapshot(db);
    for (const attack of attacks()) {
      await expect(attack.run(db).then(() => `${attack.name} succeeded`), attack.name).rejects.toThrow(/never deletes|append-only|keeps|no user .* exists|cannot go from|set once|only when|only from|only as it ends|drafted|written with its draft|closed and never|moves forward|never changes|violates check constraint|public log|open enforcement|planned end|tree nodes are written only/);
    }
    expect(await snapshot(db)).toBe(before);
  });

  it('the service role cannot either: no grant for it, and the triggers behind', async () => {
    if (reg.database.kind !== 'postgres') return; // PGlite has one role, the owner: the test above
    const before = await snapshot(reg.database.db);
    for (const attack of attacks()) {
      await expect(attack.run(service.db).then(() => `${attack.name} succeeded`), attack.name).rejects.toThrow();
    }
    expect(await snapshot(reg.database.db)).toBe(before);
  });

  it('the service role cannot switch the protection off or grant itself more', async () => {
    if (reg.database.kind !== 'postgres') return;
    const tries = [
      sql`ALTER TABLE decisions DISABLE TRIGGER USER`,
      sql`DROP TRIGGER decisions_keeps_columns ON decisions`,
      sql`CREATE TABLE mine (x int)`,
      sql`SET session_replication_role = replica`,
      sql`UPDATE register_table_policies SET updatable = '{category}'`,
      sql`CREATE OR REPLACE FUNCTION register_refuses_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$`,
      sql`ALTER ROLE CURRENT_USER SUPERUSER`,
    ];
    for (const statement of tries) await expect(statement.execute(service.db), statement.compile(service.db).sql).rejects.toThrow(/permission|must be|owner|denied/);
    // Postgres answers a GRANT without grant option with a warning, and grants nothing.
    await sql`GRANT DELETE, TRUNCATE, UPDATE ON decisions TO PUBLIC`.execute(service.db);
    const { rows } = await sql<{ del: boolean; trunc: boolean; upd: boolean }>`
      SELECT has_table_privilege('decisions', 'DELETE') AS del, has_table_privilege('decisions', 'TRUNCATE') AS trunc,
             has_column_privilege('decisions', 'category', 'UPDATE') AS upd`.execute(service.db);
    expect(rows[0]).toEqual({ del: false, trunc: false, upd: false });
  });

  it('creating and granting the service role is safe when several processes start at once', async () => {
    if (reg.database.kind !== 'postgres') return;
    const { grantServiceRole } = await import('@tizilim/migrations');
    const owner = reg.database.db as unknown as Kysely<unknown>;
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => grantServiceRole(owner, { name: 'tizilim_test_race', password: "p'w$$d" })));
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const { rows } = await sql<{ ins: boolean; del: boolean; cat: boolean; status: boolean }>`
      SELECT has_table_privilege('tizilim_test_race', 'decisions', 'INSERT') AS ins, has_table_privilege('tizilim_test_race', 'decisions', 'DELETE') AS del,
             has_column_privilege('tizilim_test_race', 'decisions', 'category', 'UPDATE') AS cat, has_column_privilege('tizilim_test_race', 'decisions', 'status', 'UPDATE') AS status`.execute(reg.database.db);
    expect(rows[0]).toEqual({ ins: true, del: false, cat: false, status: true });
    await expect(grantServiceRole(owner, { name: 'postgres' })).rejects.toThrow(/same role|superuser/);
  });

  it('the register works as the service role: drafting, approval, rejection, people and tokens', async () => {
    const app = await buildApp({ db: service.db, logger: false, listen: service.listen });
    try {
      const call = apiClient(app);
      const done = await enforce(call, reg, { resources: ['service-role.example.kz', '198.51.100.7'] });
      expect(done.logEntries.length).toBe(2);
      const restore = await call('POST', '/v1/decisions', reg.tokens.operator, { action: 'restore', category: 'extremism', resources: ['service-role.example.kz'], legalBasisId: done.legalBasisId });
      expect((await call('POST', `/v1/decisions/${restore.body.id}/approve`, reg.tokens.approver)).status).toBe(200);
      const rejected = await call('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', category: 'extremism', resources: ['no.example.kz'], legalBasisId: done.legalBasisId });
      expect((await call('POST', `/v1/decisions/${rejected.body.id}/reject`, reg.tokens.approver, { reason: 'no' })).status).toBe(200);
      const user = await call('POST', '/v1/users', reg.tokens.admin, { name: 'service-made', roles: ['auditor'] });
      expect(user.status).toBe(201);
      const token = await call('POST', `/v1/users/${user.body.id}/tokens`, reg.tokens.admin);
      expect(token.status).toBe(201);
      expect((await call('DELETE', `/v1/users/${user.body.id}/tokens/${token.body.tokenId}`, reg.tokens.admin)).status).toBe(200);
      expect((await call('POST', `/v1/users/${user.body.id}/disable`, reg.tokens.admin)).status).toBe(200);
      const hb = await call('POST', '/v1/gateways/heartbeat', reg.tokens.isp, { gatewayId: 'gw-1', version: 1, rules: 1, counters: {} });
      expect(hb.status).toBeLessThan(300);
      expect((await call('GET', '/v1/audit?limit=5', reg.tokens.auditor)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
