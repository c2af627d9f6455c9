import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { encodeCp1251 } from '../../../packages/shared/src/register-dump/cp1251.js';
import { dumpOf, postDump } from './imports-support.js';

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
});
afterAll(async () => reg?.close());

const decisionsOf = (importId: string) =>
  reg.database.db.selectFrom('decisions').selectAll().where('note', 'like', `%(import ${importId})`).orderBy('created_at').execute();

describe('how an import groups, splits and refuses', () => {
  it('splits a document citing more than 1000 resources into decisions of at most 1000, on one legal basis', async () => {
    // 1500 rows of one court ruling, one public IP each; lines 2..1501.
    const lines = Array.from({ length: 1500 }, (_, i) => `93.184.${(i >> 8) & 255}.${i & 255};;;Есіл аудандық соты;2-1500/2026;01.10.2026`);
    const res = await postDump(reg, dumpOf(lines), reg.tokens.operator, 'category=extremism');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ created: 2, legalBasesCreated: 1, resources: 1500, errorCount: 0 });
    const [a, b] = res.body.decisions;
    expect(a).toMatchObject({ part: 1, parts: 2, resources: 1000, kind: 'court_ruling' });
    expect(b).toMatchObject({ part: 2, parts: 2, resources: 500 });
    expect(a.lines).toEqual(Array.from({ length: 1000 }, (_, i) => i + 2));
    expect(b.lines).toEqual(Array.from({ length: 500 }, (_, i) => i + 1002));
    expect(a.legalBasisId).toBe(b.legalBasisId);
    const rows = await decisionsOf(res.body.importId);
    expect(rows.map((r) => r.category)).toEqual(['extremism', 'extremism']);
    expect(rows.map((r) => r.note).sort((x, y) => Number(x!.includes('part 2')) - Number(y!.includes('part 2')))).toEqual([
      `imported from dump 2026-11-01 09:00:00 +0500 lines 2–1001, part 1 of 2 (import ${res.body.importId})`,
      `imported from dump 2026-11-01 09:00:00 +0500 lines 1002–1501, part 2 of 2 (import ${res.body.importId})`,
    ]);
    const second = await api('GET', `/v1/decisions/${b.id}`, reg.tokens.approver);
    expect(second.body.resources[0].value).toBe('93.184.3.232');
  });

  it('a group the database refuses is reported by line and written not at all; the groups around it land', async () => {
    // A trigger that fails the group at its last statement, after its legal basis, resources and
    // decision are already inserted in the transaction: a real mid-group failure.
    await sql`
      CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM decisions d JOIN legal_bases lb ON lb.id = d.legal_basis_id
                   WHERE d.id = NEW.decision_id AND lb.document_number = 'BOOM-1') THEN
          RAISE EXCEPTION 'refused for the test';
        END IF;
        RETURN NEW;
      END $$`.execute(reg.database.db);
    await sql`CREATE TRIGGER refuse_boom BEFORE INSERT ON decision_resources FOR EACH ROW EXECUTE FUNCTION refuse_boom()`.execute(reg.database.db);
    try {
      const dump = dumpOf([
        '185.1.1.1;ok-before.kz;;Министерство культуры и информации;OK-1;2026-10-01',
        '185.1.1.2;boom-only.kz;http://boom-only.kz/x;Министерство культуры и информации;BOOM-1;2026-10-02',
        'not a row at all',
        '185.1.1.3;boom-only-2.kz;;Министерство культуры и информации;BOOM-1;2026-10-02',
        '185.1.1.4;ok-after.kz;;Министерство культуры и информации;OK-2;2026-10-03',
      ]);
      const res = await postDump(reg, dump, reg.tokens.operator);
      expect(res.status).toBe(201);
      expect(res.body.decisions.map((d: any) => d.documentNumber)).toEqual(['OK-1', 'OK-2']);
      expect(res.body.decisions.map((d: any) => d.lines)).toEqual([[2], [6]]);
      expect(res.body.errors.map((e: any) => e.line)).toEqual([3, 4, 5]);
      expect(res.body.errors[0].reason).toMatch(/refused to store; nothing of that group/);
      expect(res.body.errors[1].reason).toMatch(/Expected 6 fields/);
      expect(JSON.stringify(res.body)).not.toContain('refused for the test'); // no internals

      const db = reg.database.db;
      expect(await db.selectFrom('legal_bases').select('id').where('document_number', '=', 'BOOM-1').execute()).toEqual([]);
      expect(await db.selectFrom('resources').select('id').where('value', 'in', ['boom-only.kz', 'boom-only-2.kz', '185.1.1.2', 'http://boom-only.kz/x']).execute()).toEqual([]);
      expect((await decisionsOf(res.body.importId)).map((d) => d.note)).toEqual([
        `imported from dump 2026-11-01 09:00:00 +0500 line 2 (import ${res.body.importId})`,
        `imported from dump 2026-11-01 09:00:00 +0500 line 6 (import ${res.body.importId})`,
      ]);
      const stored = await api('GET', `/v1/imports/${res.body.importId}`, reg.tokens.operator);
      expect(stored.body).toMatchObject({ status: 'completed', created: 2, errorCount: 3 });
    } finally {
      await sql`DROP TRIGGER refuse_boom ON decision_resources`.execute(reg.database.db);
    }
  });

  it('refuses groups that cannot have a legal basis (future date, overlong authority or number) by all their lines', async () => {
    const long = 'А'.repeat(301);
    const res = await postDump(reg, dumpOf([
      '185.2.0.1;;;Генеральная прокуратура;F-1;2999-01-01',
      `185.2.0.2;;;${long};L-1;2026-01-01`,
      `185.2.0.3;;;${long};L-1;2026-01-01`,
      `185.2.0.4;;;Суд;${'9'.repeat(101)};2026-01-01`,
      '185.2.0.5;;;Генеральная прокуратура;G-1;2026-01-01',
    ]), reg.tokens.operator);
    expect(res.status).toBe(201);
    expect(res.body.errors).toEqual([
      { line: 2, reason: expect.stringMatching(/2999-01-01 is in the future/) },
      { line: 3, reason: expect.stringMatching(/authority is longer than 300/) },
      { line: 4, reason: expect.stringMatching(/authority is longer than 300/) },
      { line: 5, reason: expect.stringMatching(/decision number is longer than 100/) },
    ]);
    expect(res.body.decisions).toEqual([expect.objectContaining({ documentNumber: 'G-1', kind: 'prosecutor_recommendation', lines: [6] })]);
  });

  it('takes the legal basis kind from ?kind= instead of guessing, and reads UTF-8 without an Updated line', async () => {
    const res = await postDump(reg, dumpOf(['185.3.0.1;пример.kz;;Агентство;K-1;2026-02-02'], null), reg.tokens.operator, 'kind=court_ruling', 'application/octet-stream');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ encoding: 'utf-8', updated: null, created: 1 });
    expect(res.body.decisions[0].kind).toBe('court_ruling');
    const [row] = await decisionsOf(res.body.importId);
    // Without an Updated line the first data line is line 1.
    expect(row?.note).toBe(`imported from dump line 1 (import ${res.body.importId})`);
  });

  it('imports nothing, and says why line by line, from a file of bad rows only', async () => {
    const bytes = encodeCp1251('Updated: 2026-11-01\r\n10.0.0.1;;;Суд;1;2026-01-01\r\n;;;Суд;2;2026-01-01\r\nгарбаж\r\n');
    const res = await postDump(reg, bytes, reg.tokens.operator);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ created: 0, rows: 3, linesImported: 0, errorCount: 3, decisions: [] });
    expect(res.body.errors.map((e: any) => e.line)).toEqual([2, 3, 4]);
  });

  it('caps the listed errors and pages the rest from the stored report', async () => {
    const lines = Array.from({ length: 10_050 }, (_, i) => `bad line ${i}`);
    const res = await postDump(reg, dumpOf(lines), reg.tokens.operator);
    expect(res.body).toMatchObject({ errorCount: 10_050, errorsOmitted: 50, errorsFrom: 0 });
    expect(res.body.errors).toHaveLength(10_000);
    const rest = await api('GET', `/v1/imports/${res.body.importId}?errorsFrom=10000`, reg.tokens.operator);
    expect(rest.body.errors.map((e: any) => e.line)).toEqual(Array.from({ length: 50 }, (_, i) => 10_002 + i));
    expect(rest.body.errorsOmitted).toBe(0);
  });
});

describe('what POST /v1/imports refuses', () => {
  it('JSON or another content type: 415 naming the types it takes', async () => {
    const res = await api('POST', '/v1/imports', reg.tokens.operator, { rows: [] });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('REG_ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(res.body.error.message).toMatch(/text\/csv or application\/octet-stream/);
  });

  it('an empty body, an unknown category or kind: 400 with the field', async () => {
    expect((await postDump(reg, new Uint8Array(0), reg.tokens.operator)).status).toBe(400);
    const category = await postDump(reg, dumpOf(['1.1.1.1;;;Суд;1;2026-01-01']), reg.tokens.operator, 'category=spam');
    expect(category.status).toBe(400);
    expect(category.body.error.details[0].field).toBe('category');
    const kind = await postDump(reg, dumpOf(['1.1.1.1;;;Суд;1;2026-01-01']), reg.tokens.operator, 'kind=decree');
    expect(kind.body.error.details[0].field).toBe('kind');
  });

  it('only operators import; approvers and auditors read reports; unknown imports are 404', async () => {
    const dump = dumpOf(['185.4.0.1;;;Суд;R-1;2026-01-01']);
    expect((await postDump(reg, dump, reg.tokens.approver)).status).toBe(403);
    expect((await postDump(reg, dump, reg.tokens.auditor)).status).toBe(403);
    expect((await api('GET', '/v1/imports/00000000-0000-4000-8000-000000000000', reg.tokens.auditor)).status).toBe(404);
  });

  it('a body over 64 MiB: 413', async () => {
    const res = await postDump(reg, new Uint8Array(64 * 1024 * 1024 + 1).fill(0x41), reg.tokens.operator);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('REG_ERR_PAYLOAD_TOO_LARGE');
  });
});
