import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '@tizilim/shared/public-log/index';
import { buildApp } from '../src/app.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { rowToPublicEntry } from '../src/repositories/public-log-repository.js';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient, courtRuling } from '../src/testing/http.js';

let reg: TestRegister;
let second: { app: Awaited<ReturnType<typeof buildApp>>; database?: Database };

beforeAll(async () => {
  reg = await startTestRegister();
  // A second API process's worth of state: its own pool on the same Postgres database. On the
  // embedded path (one process by design) it shares the connection.
  const database = reg.database.url ? await openDatabase({ url: reg.database.url, poolSize: 10 }) : undefined;
  second = { app: await buildApp({ db: database?.db ?? reg.database.db, logger: (await import("pino")).pino({ level: "error" }) }), ...(database ? { database } : {}) };
});
afterAll(async () => {
  await second?.app.close();
  await second?.database?.close();
  await reg?.close();
});

describe('two API instances approving at once', () => {
  it('keep the public log gapless and its chain intact', async () => {
    const apiA = apiClient(reg.app);
    const apiB = apiClient(second.app);
    const basis = (await apiA('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling)).body.id;
    const drafts: string[] = [];
    for (let i = 0; i < 40; i++) {
      // overlapping resources across decisions: approvals supersede each other's spans
      const res = await apiA('POST', '/v1/decisions', reg.tokens.operator, {
        action: 'restrict', resources: [`d${i}.example.kz`, `shared${i % 5}.example.kz`, `*.zone${i % 3}.example.kz`], legalBasisId: basis, category: 'gambling',
      });
      expect(res.status).toBe(201);
      drafts.push(res.body.id);
    }
    const results = await Promise.all(
      drafts.map((id, i) => (i % 2 ? apiA : apiB)('POST', `/v1/decisions/${id}/approve`, i % 4 < 2 ? reg.tokens.approver : reg.tokens.approver2)),
    );
    for (const r of results) expect(r.status).toBe(200);

    const rows = await reg.database.db.selectFrom('public_log').select(['seq', 'body', 'prev_hash', 'hash']).orderBy('seq').execute();
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    const allSeqs = results.flatMap((r) => r.body.logEntries as number[]).sort((a, b) => a - b);
    expect(allSeqs).toEqual(rows.map((r) => Number(r.seq)));
    const verdict = verifyChain(rows.map(rowToPublicEntry));
    expect(verdict).toMatchObject({ ok: true, count: rows.length });

    // exactly one open span per resource: the last approval of each shared resource won
    const open = await reg.database.db.selectFrom('enforcement_periods').select(['resource_id']).where('closed_at', 'is', null).execute();
    expect(new Set(open.map((o) => o.resource_id)).size).toBe(open.length);
    expect(open.length).toBe(40 + 5 + 3);
  });
});
