import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient, courtRuling } from '../src/testing/http.js';

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let basisId: string;
const good = () => ({ action: 'restrict', resources: ['bad.example.kz'], legalBasisId: basisId, category: 'extremism' });

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  basisId = (await api('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling)).body.id;
});
afterAll(async () => reg?.close());

async function rowCounts() {
  const { rows } = await sql<Record<string, number>>`
    SELECT (SELECT count(*) FROM decisions)::int AS decisions, (SELECT count(*) FROM legal_bases)::int AS legal_bases,
           (SELECT count(*) FROM resources)::int AS resources, (SELECT count(*) FROM users)::int AS users,
           (SELECT count(*) FROM audit_log)::int AS audit, (SELECT count(*) FROM public_log)::int AS log`.execute(reg.database.db);
  return rows[0];
}

type Case = [label: string, body: unknown, field: string];
const decisionCases = (): Case[] => [
  ['no body fields', {}, 'action'],
  ['unknown action', { ...good(), action: 'block' }, 'action'],
  ['action a number', { ...good(), action: 1 }, 'action'],
  ['no resources', { ...good(), resources: undefined }, 'resources'],
  ['empty resources', { ...good(), resources: [] }, 'resources'],
  ['resources a string', { ...good(), resources: 'bad.kz' }, 'resources'],
  ['resource a number', { ...good(), resources: [42] }, 'resources[0]'],
  ['resource null', { ...good(), resources: ['ok.kz', null] }, 'resources[1]'],
  ['empty name', { ...good(), resources: [''] }, 'resources[0]'],
  ['space in name', { ...good(), resources: ['bad name.kz'] }, 'resources[0]'],
  ['label too long', { ...good(), resources: [`${'a'.repeat(64)}.kz`] }, 'resources[0]'],
  ['name too long', { ...good(), resources: [`${'abcdefghi.'.repeat(26)}kz`] }, 'resources[0]'],
  ['empty label', { ...good(), resources: ['bad..kz'] }, 'resources[0]'],
  ['single label', { ...good(), resources: ['localhost'] }, 'resources[0]'],
  ['TLD suffix', { ...good(), resources: ['*.kz'] }, 'resources[0]'],
  ['com suffix', { ...good(), resources: ['ok.kz', '*.com'] }, 'resources[1]'],
  ['public suffix co.uk', { ...good(), resources: ['*.co.uk'] }, 'resources[0]'],
  ['bare TLD', { ...good(), resources: ['kz'] }, 'resources[0]'],
  ['wildcard in middle', { ...good(), resources: ['bad.*.kz'] }, 'resources[0]'],
  ['double wildcard', { ...good(), resources: ['*.*.kz'] }, 'resources[0]'],
  ['default route v4', { ...good(), resources: ['0.0.0.0/0'] }, 'resources[0]'],
  ['default route v6', { ...good(), resources: ['::/0'] }, 'resources[0]'],
  ['loopback', { ...good(), resources: ['127.0.0.1'] }, 'resources[0]'],
  ['loopback v6', { ...good(), resources: ['::1'] }, 'resources[0]'],
  ['private 10/8', { ...good(), resources: ['10.0.0.0/8'] }, 'resources[0]'],
  ['private host', { ...good(), resources: ['192.168.1.10'] }, 'resources[0]'],
  ['private 172.16', { ...good(), resources: ['172.16.5.4'] }, 'resources[0]'],
  ['ULA v6', { ...good(), resources: ['fd00::/8'] }, 'resources[0]'],
  ['link-local', { ...good(), resources: ['169.254.1.1'] }, 'resources[0]'],
  ['cidr too wide', { ...good(), resources: ['8.0.0.0/4'] }, 'resources[0]'],
  ['cidr bad length', { ...good(), resources: ['93.184.216.0/33'] }, 'resources[0]'],
  ['cidr host bits', { ...good(), resources: ['93.184.216.34/24'] }, 'resources[0]'],
  ['bad ipv4', { ...good(), resources: ['300.1.1.1'] }, 'resources[0]'],
  ['bad ipv6', { ...good(), resources: ['2001:db8:::1'] }, 'resources[0]'],
  ['ftp url', { ...good(), resources: ['ftp://bad.kz/file'] }, 'resources[0]'],
  ['url without host', { ...good(), resources: ['http:///path'] }, 'resources[0]'],
  ['url to loopback', { ...good(), resources: ['http://127.0.0.1/x'] }, 'resources[0]'],
  ['url to localhost', { ...good(), resources: ['http://localhost/x'] }, 'resources[0]'],
  ['duplicate resource', { ...good(), resources: ['bad.kz', 'BAD.kz.'] }, 'resources[1]'],
  ['too many resources', { ...good(), resources: Array.from({ length: 1001 }, (_, i) => `n${i}.example.kz`) }, 'resources'],
  ['missing legal basis', { ...good(), legalBasisId: undefined }, 'legalBasisId'],
  ['legal basis not a uuid', { ...good(), legalBasisId: 'court-42' }, 'legalBasisId'],
  ['legal basis unknown', { ...good(), legalBasisId: '00000000-0000-4000-8000-000000000001' }, 'legalBasisId'],
  ['legal basis null', { ...good(), legalBasisId: null }, 'legalBasisId'],
  ['missing category', { ...good(), category: undefined }, 'category'],
  ['unknown category', { ...good(), category: 'annoying' }, 'category'],
  ['category array', { ...good(), category: ['extremism'] }, 'category'],
  ['effectiveFrom not a date', { ...good(), effectiveFrom: 'tomorrow' }, 'effectiveFrom'],
  ['effectiveFrom without offset', { ...good(), effectiveFrom: '2026-11-24T10:00:00' }, 'effectiveFrom'],
  ['effectiveFrom impossible date', { ...good(), effectiveFrom: '2026-02-30T10:00:00Z' }, 'effectiveFrom'],
  ['effectiveFrom a number', { ...good(), effectiveFrom: 1764000000 }, 'effectiveFrom'],
  ['suspend without until', { ...good(), action: 'suspend' }, 'effectiveUntil'],
  ['until on restrict', { ...good(), effectiveUntil: '2030-01-01T00:00:00Z' }, 'effectiveUntil'],
  ['until before from', { ...good(), action: 'suspend', effectiveFrom: '2030-01-02T00:00:00Z', effectiveUntil: '2030-01-01T00:00:00Z' }, 'effectiveUntil'],
  ['until equals from', { ...good(), action: 'suspend', effectiveFrom: '2030-01-02T00:00:00Z', effectiveUntil: '2030-01-02T00:00:00Z' }, 'effectiveUntil'],
  ['until in the past', { ...good(), action: 'suspend', effectiveUntil: '2001-01-01T00:00:00Z' }, 'effectiveUntil'],
  ['until garbage', { ...good(), action: 'suspend', effectiveUntil: 'soon' }, 'effectiveUntil'],
  ['note empty', { ...good(), note: '   ' }, 'note'],
  ['note too long', { ...good(), note: 'x'.repeat(2001) }, 'note'],
  ['note a number', { ...good(), note: 5 }, 'note'],
  ['unknown field', { ...good(), status: 'in_force' }, 'status'],
  ['author smuggled', { ...good(), createdBy: 'someone' }, 'createdBy'],
  ['restore of nothing', { ...good(), action: 'restore', resources: ['never.example.kz'] }, 'resources[0]'],
  ['body is an array', [good()], 'body'],
  ['body is a string', '"restrict"', 'body'],
  ['body is null', 'null', 'body'],
  ['broken JSON', '{"action": "restrict",', 'body'],
  ['not JSON at all', 'action=restrict', 'body'],
];

const basisCases = (): Case[] => [
  ['no kind', { ...courtRuling, kind: undefined }, 'kind'],
  ['unknown kind', { ...courtRuling, kind: 'decree' }, 'kind'],
  ['no authority', { ...courtRuling, authority: undefined }, 'authority'],
  ['blank authority', { ...courtRuling, authority: '  ' }, 'authority'],
  ['authority too long', { ...courtRuling, authority: 'a'.repeat(301) }, 'authority'],
  ['no number', { ...courtRuling, documentNumber: undefined }, 'documentNumber'],
  ['number a number', { ...courtRuling, documentNumber: 12 }, 'documentNumber'],
  ['no issuedAt', { ...courtRuling, issuedAt: undefined }, 'issuedAt'],
  ['issuedAt format', { ...courtRuling, issuedAt: '01.10.2026' }, 'issuedAt'],
  ['issuedAt impossible', { ...courtRuling, issuedAt: '2026-02-30' }, 'issuedAt'],
  ['issuedAt future', { ...courtRuling, issuedAt: '2999-01-01', effectiveAt: undefined }, 'issuedAt'],
  ['effectiveAt before issued', { ...courtRuling, effectiveAt: '2026-09-01' }, 'effectiveAt'],
  ['effectiveAt format', { ...courtRuling, effectiveAt: 'later' }, 'effectiveAt'],
  ['no provisions', { ...courtRuling, provisions: undefined }, 'provisions'],
  ['empty provisions', { ...courtRuling, provisions: [] }, 'provisions'],
  ['provision a number', { ...courtRuling, provisions: [7] }, 'provisions[0]'],
  ['provision object without law', { ...courtRuling, provisions: ['ok', { article: '41' }] }, 'provisions[1]'],
  ['sha256 short', { ...courtRuling, documentSha256: 'abc' }, 'documentSha256'],
  ['sha256 not hex', { ...courtRuling, documentSha256: 'z'.repeat(64) }, 'documentSha256'],
  ['url not a url', { ...courtRuling, documentUrl: 'court website' }, 'documentUrl'],
  ['url javascript', { ...courtRuling, documentUrl: 'javascript:alert(1)' }, 'documentUrl'],
  ['summary a list', { ...courtRuling, summary: ['a'] }, 'summary'],
  ['unknown field', { ...courtRuling, approvedBy: 'me' }, 'approvedBy'],
];

const userCases = (): Case[] => [
  ['no name', { roles: ['operator'] }, 'name'],
  ['blank name', { name: ' ', roles: ['operator'] }, 'name'],
  ['no roles', { name: 'x' }, 'roles'],
  ['empty roles', { name: 'x', roles: [] }, 'roles'],
  ['unknown role', { name: 'x', roles: ['superuser'] }, 'roles[0]'],
  ['repeated role', { name: 'x', roles: ['operator', 'operator'] }, 'roles'],
  ['token smuggled', { name: 'x', roles: ['admin'], token: 'mine' }, 'token'],
];

describe('malformed bodies: a 400 naming the field, never a 500, nothing written', () => {
  it('has at least a hundred cases', () => {
    expect(decisionCases().length + basisCases().length + userCases().length + 6).toBeGreaterThanOrEqual(100);
  });

  const routes: [string, () => Case[], () => string, string][] = [
    ['POST /v1/decisions', decisionCases, () => reg.tokens.operator, '/v1/decisions'],
    ['POST /v1/legal-bases', basisCases, () => reg.tokens.operator, '/v1/legal-bases'],
    ['POST /v1/users', userCases, () => reg.tokens.admin, '/v1/users'],
  ];
  for (const [name, cases, token, url] of routes) {
    it(name, async () => {
      const before = await rowCounts();
      for (const [label, body, field] of cases()) {
        const res = await api('POST', url, token(), typeof body === 'string' ? body : body);
        expect(res.status, label).toBe(400);
        expect(res.body.error.code, label).toBe('REG_ERR_VALIDATION');
        expect(res.body.error.details.map((d: { field: string }) => d.field), label).toContain(field);
        expect(res.body.error.message, label).toContain(field);
      }
      expect(await rowCounts()).toEqual(before);
    });
  }

  it('bad ids, queries and cursors', async () => {
    const before = await rowCounts();
    const cases: [string, string, string][] = [
      ['POST', '/v1/decisions/not-a-uuid/approve', 'id'],
      ['POST', '/v1/decisions/not-a-uuid/reject', 'id'],
      ['GET', '/v1/decisions?status=done', 'status'],
      ['GET', '/v1/decisions?cursor=garbage', 'cursor'],
      ['GET', '/v1/resources/state?value=*.kz', 'value'],
      ['GET', '/v1/resources/state?value=ok.kz&at=yesterday', 'at'],
    ];
    for (const [method, url, field] of cases) {
      const token = url.includes('approve') || url.includes('reject') ? reg.tokens.approver : reg.tokens.auditor;
      const res = await api(method as 'GET', url, token, method === 'POST' ? { reason: 'x' } : undefined);
      expect(res.status, url).toBe(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field), url).toContain(field);
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('a valid body still works after all that', async () => {
    const res = await api('POST', '/v1/decisions', reg.tokens.operator, good());
    expect(res.status).toBe(201);
  });
});
