import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { AUTHORITIES, UPDATED, generateDump, type GeneratedDump } from '../../../packages/shared/test/register-dump-fixture.js';
import { postDump } from './imports-support.js';

/**
 * A realistic dump — 30,000 rows in windows-1251 with an Updated line, IPs, Cyrillic and Latin
 * domains, suffixes, URLs, several per field, and a fixed set of bad rows every 1000 — imported
 * through the API, then again.
 */
const ROWS = 30_000;

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let dump: GeneratedDump;
let first: { status: number; body: any };
let firstMs = 0;

const count = async (table: 'decisions' | 'legal_bases' | 'imports' | 'audit_log' | 'resources' | 'decision_resources') =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(reg.database.db)).rows[0]!.n);

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  dump = generateDump(ROWS, 'windows-1251');
  const started = performance.now();
  first = await postDump(reg, dump.bytes, reg.tokens.operator);
  firstMs = performance.now() - started;
  console.log(`imported ${ROWS} rows (${dump.bytes.length} bytes) in ${Math.round(firstMs)} ms on ${reg.database.kind}`);
}, 300_000);
afterAll(async () => reg?.close());

describe(`importing a register dump of ${ROWS} rows`, () => {
  it('answers 201 with the counts of a completed import', () => {
    expect(first.status, JSON.stringify(first.body).slice(0, 500)).toBe(201);
    expect(first.body).toMatchObject({
      status: 'completed',
      dryRun: false,
      encoding: 'windows-1251',
      updated: UPDATED,
      rows: ROWS,
      created: dump.expectedGroupLines.size,
      legalBasesCreated: dump.expectedGroupLines.size,
      legalBasesReused: 0,
    });
    expect(first.body.linesImported).toBe(dump.expectedRows.length);
    expect(first.body.importId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('names the exact line of every bad row and refused resource, in line order', () => {
    expect(first.body.errors.map((e: { line: number }) => e.line)).toEqual(dump.expectedErrors.map((e) => e.line));
    first.body.errors.forEach((error: { reason: string }, i: number) => expect(error.reason).toMatch(dump.expectedErrors[i]!.reason));
    expect(first.body.errorCount).toBe(dump.expectedErrors.length);
    expect(first.body.errorsOmitted).toBe(0);
  });

  it('creates one decision per cited document, with exactly the lines of its rows', () => {
    const byNumber = new Map<string, any>(first.body.decisions.map((d: any) => [d.documentNumber, d]));
    expect(byNumber.size).toBe(dump.expectedGroupLines.size);
    for (const [group, lines] of dump.expectedGroupLines) {
      const decision = byNumber.get(`№ 27-31-2013/Ид${group}`);
      expect(decision?.lines, `group ${group}`).toEqual(lines);
      expect(decision).toMatchObject({ parts: 1, part: 1, authority: AUTHORITIES[group % AUTHORITIES.length] });
    }
    const firstGroup = byNumber.get('№ 27-31-2013/Ид0');
    expect(firstGroup).toMatchObject({ authority: 'Генпрокуратура', date: '2013-01-01', lines: [2, 3, 4, 5, 6, 7, 8] });
  });

  it('leaves every decision pending approval, with the grouped resources, a note naming the import, and its legal basis derived', async () => {
    const rows = await reg.database.db.selectFrom('decisions').select(['status', 'action', 'category', 'note']).execute();
    expect(rows).toHaveLength(first.body.created);
    expect(new Set(rows.map((r) => `${r.status} ${r.action} ${r.category}`))).toEqual(new Set(['pending_approval restrict other']));
    expect(rows.every((r) => r.note?.includes(`(import ${first.body.importId})`))).toBe(true);

    const group0 = first.body.decisions.find((d: any) => d.documentNumber === '№ 27-31-2013/Ид0');
    const decision = await api('GET', `/v1/decisions/${group0.id}`, reg.tokens.approver);
    expect(decision.body.note).toBe(`imported from dump ${UPDATED} lines 2–8 (import ${first.body.importId})`);
    const values = decision.body.resources.map((r: { display: string }) => r.display);
    expect(values).toEqual(expect.arrayContaining(['198.51.0.0', '203.0.113.0', 'сайт0.рф', 'http://site0.example.kz/page/0', '*.site3.example.kz']));
    expect(values.filter((v: string) => v === '203.0.113.0')).toHaveLength(1);
    expect(decision.body.resources).toHaveLength(group0.resources);

    const basis = await api('GET', `/v1/legal-bases/${decision.body.legalBasisId}`, reg.tokens.approver);
    expect(basis.body).toMatchObject({ kind: 'prosecutor_recommendation', authority: 'Генпрокуратура', documentNumber: '№ 27-31-2013/Ид0', issuedAt: '2013-01-01' });
    const kinds = new Map(first.body.decisions.map((d: any) => [d.authority, d.kind]));
    expect(Object.fromEntries(kinds)).toEqual({
      Генпрокуратура: 'prosecutor_recommendation', Роскомнадзор: 'ministry_order', суд: 'court_ruling', Мосгорсуд: 'court_ruling', 'ФНС России': 'ministry_order',
    });
  });

  it('leaves an audit trail: one import.create with the counts, one decision.create per decision', async () => {
    const audits = await reg.database.db.selectFrom('audit_log').select(['action', 'target_id', 'after']).where('action', 'in', ['import.create', 'decision.create', 'legal_basis.create']).execute();
    const imports = audits.filter((a) => a.action === 'import.create');
    expect(imports).toHaveLength(1);
    expect(imports[0]).toMatchObject({ target_id: first.body.importId, after: { rows: ROWS, decisions: first.body.created, errors: dump.expectedErrors.length } });
    expect(audits.filter((a) => a.action === 'decision.create')).toHaveLength(first.body.created);
    expect(audits.filter((a) => a.action === 'legal_basis.create')).toHaveLength(first.body.legalBasesCreated);
  });

  it('stores the report: GET /v1/imports/:id answers what POST answered', async () => {
    const stored = await api('GET', `/v1/imports/${first.body.importId}`, reg.tokens.auditor);
    expect(stored.status).toBe(200);
    expect({ ...stored.body, finishedAt: null }).toEqual({ ...first.body, finishedAt: null });
    const listed = await api('GET', '/v1/imports', reg.tokens.operator);
    expect(listed.body.imports[0]).toMatchObject({ importId: first.body.importId, created: first.body.created, errorCount: first.body.errorCount });
  });

  it('a dry run of the same file reports the same plan, finds the bases already there, and writes nothing', async () => {
    const before = await Promise.all((['decisions', 'legal_bases', 'imports', 'audit_log', 'resources'] as const).map(count));
    const dry = await postDump(reg, dump.bytes, reg.tokens.operator, 'dryRun=true');
    expect(dry.status).toBe(201);
    expect(dry.body).toMatchObject({ importId: null, dryRun: true, created: dump.expectedGroupLines.size, legalBasesReused: dump.expectedGroupLines.size, legalBasesCreated: 0 });
    expect(dry.body.decisions.every((d: any) => d.id === null && d.legalBasisReused)).toBe(true);
    expect(dry.body.errors).toEqual(first.body.errors);
    expect(await Promise.all((['decisions', 'legal_bases', 'imports', 'audit_log', 'resources'] as const).map(count))).toEqual(before);
  });

  it('importing the same dump again reuses every legal basis instead of duplicating it', async () => {
    const basesBefore = await count('legal_bases');
    const resourcesBefore = await count('resources');
    const started = performance.now();
    const again = await postDump(reg, dump.bytes, reg.tokens.operator2);
    console.log(`re-imported ${ROWS} rows in ${Math.round(performance.now() - started)} ms`);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ created: first.body.created, legalBasesCreated: 0, legalBasesReused: dump.expectedGroupLines.size });
    expect(await count('legal_bases')).toBe(basesBefore);
    expect(await count('resources')).toBe(resourcesBefore);
    const firstBases = new Map(first.body.decisions.map((d: any) => [d.documentNumber, d.legalBasisId]));
    for (const d of again.body.decisions) expect(d.legalBasisId).toBe(firstBases.get(d.documentNumber));
  }, 120_000);
});
