import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { fixtures } from './platform-order-fixtures.js';

let reg: TestRegister;
let f: ReturnType<typeof fixtures>;
beforeAll(async () => {
  reg = await startTestRegister();
  f = fixtures(reg);
});
afterAll(async () => reg?.close());

const listIds = async (query: string, token = reg.tokens.auditor): Promise<string[]> => {
  const res = await f.api('GET', `/v1/platforms?${query}&limit=500`, token);
  expect(res.status).toBe(200);
  return res.body.platforms.map((p: { id: string }) => p.id);
};

describe('foreign platforms and their representatives', () => {
  it('records a platform with its domains normalised, country and audience', async () => {
    const res = await f.api('POST', '/v1/platforms', reg.tokens.operator, {
      name: 'ВидеоХостинг', domains: ['VideoHost.Example.com.', '*.видео.example.com'], country: 'cn', dailyAudience: 2_000_000, registrationDeadline: '2025-06-30',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'ВидеоХостинг',
      country: 'CN',
      dailyAudience: 2_000_000,
      registrationDeadline: '2025-06-30T00:00:00.000Z',
      representativeRequired: true,
      registrationStatus: 'past_deadline',
      representative: null,
      createdBy: reg.userIds.operator,
      domains: [
        { kind: 'domain', value: 'videohost.example.com', display: 'videohost.example.com' },
        { kind: 'domain_suffix', value: 'xn--b1aedk6a.example.com', display: '*.видео.example.com' },
      ],
    });
    const got = await f.api('GET', `/v1/platforms/${res.body.id}`, reg.tokens.approver);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ ...res.body, representativeHistory: [] });
  });

  it('a platform with 2M daily users and no representative shows in the past-deadline list; others do not', async () => {
    const breach = await f.platform({ dailyAudience: 2_000_000, registrationDeadline: '2025-01-01T00:00:00Z' });
    const noDeadlineGiven = await f.platform({ dailyAudience: 2_000_000, registrationDeadline: undefined });
    const notYet = await f.platform({ dailyAudience: 150_000, registrationDeadline: '2099-01-01' });
    const small = await f.platform({ dailyAudience: 100_000, registrationDeadline: '2025-01-01' });
    const represented = await f.platform({ dailyAudience: 5_000_000, registrationDeadline: '2025-01-01' });
    const put = await f.api('PUT', `/v1/platforms/${represented.id}/representative`, reg.tokens.operator, {
      name: 'Legal Rep LLP', contact: 'rep@example.kz, +7 727 000 00 00', country: 'KZ', appointedAt: '2024-12-15',
    });
    expect(put.status).toBe(200);
    expect(put.body.registrationStatus).toBe('registered');

    expect(noDeadlineGiven.registrationStatus).toBe('past_deadline');
    expect(notYet.registrationStatus).toBe('pending');
    expect(small.registrationStatus).toBe('not_required');

    const inBreach = await listIds('withoutRepresentative=true&pastDeadline=true');
    expect(inBreach).toContain(breach.id);
    expect(inBreach).toContain(noDeadlineGiven.id);
    expect(inBreach).not.toContain(notYet.id);
    expect(inBreach).not.toContain(small.id);
    expect(inBreach).not.toContain(represented.id);

    const without = await listIds('withoutRepresentative=true');
    expect(without).toEqual(expect.arrayContaining([breach.id, notYet.id, small.id]));
    expect(without).not.toContain(represented.id);
    expect(await listIds('withoutRepresentative=false')).toContain(represented.id);
    expect(await listIds('pastDeadline=true')).toContain(represented.id);
    expect(await listIds('pastDeadline=false')).toEqual(expect.arrayContaining([notYet.id, small.id]));
    // every role that reads platforms sees the list
    for (const token of [reg.tokens.operator, reg.tokens.approver, reg.tokens.admin]) {
      expect(await listIds('withoutRepresentative=true&pastDeadline=true', token)).toContain(breach.id);
    }
  });

  it('a new representative replaces the old one, which stays in the history', async () => {
    const p = await f.platform();
    const first = await f.api('PUT', `/v1/platforms/${p.id}/representative`, reg.tokens.operator, {
      name: 'First Rep', contact: 'first@example.kz', country: 'KZ', appointedAt: '2025-02-01T09:00:00+05:00',
    });
    expect(first.body.representative).toMatchObject({ name: 'First Rep', contact: 'first@example.kz', country: 'KZ', appointedAt: '2025-02-01T04:00:00.000Z', replacedAt: null });
    const second = await f.api('PUT', `/v1/platforms/${p.id}/representative`, reg.tokens.operator2, {
      name: 'Second Rep', contact: 'second@example.kz', country: 'ae', appointedAt: '2025-03-01',
    });
    expect(second.status).toBe(200);
    expect(second.body.representative).toMatchObject({ name: 'Second Rep', country: 'AE', recordedBy: reg.userIds.operator2 });
    const got = await f.api('GET', `/v1/platforms/${p.id}`, reg.tokens.auditor);
    expect(got.body.representativeHistory.map((r: { name: string }) => r.name)).toEqual(['Second Rep', 'First Rep']);
    expect(got.body.representativeHistory[1].replacedAt).not.toBeNull();

    const audit = await reg.database.db.selectFrom('audit_log').selectAll().where('target_id', '=', p.id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['platform.create', 'platform.representative.appoint', 'platform.representative.appoint']);
    expect(audit[2]).toMatchObject({ actor_id: reg.userIds.operator2, before: { name: 'First Rep' }, after: { name: 'Second Rep' } });
  });

  it('updates a platform; a new domain list detaches the old domains, which another platform may then take', async () => {
    const p = await f.platform({ dailyAudience: 90_000, registrationDeadline: '2025-01-01' });
    const other = await f.platform();
    const takenDomain = other.domains[0].value;

    const clash = await f.api('PATCH', `/v1/platforms/${p.id}`, reg.tokens.operator, { domains: ['fresh.example.net', takenDomain] });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('REG_ERR_CONFLICT');
    expect(clash.body.error.details[0].field).toBe('domains[1]');

    const patched = await f.api('PATCH', `/v1/platforms/${p.id}`, reg.tokens.operator2, { dailyAudience: 250_000, domains: [p.domains[0].display, 'fresh.example.net'], name: 'Renamed' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Renamed', dailyAudience: 250_000, registrationStatus: 'past_deadline', country: p.country });
    expect(patched.body.domains.map((d: { value: string }) => d.value)).toEqual([p.domains[0].value, 'fresh.example.net']);
    expect(await listIds('withoutRepresentative=true&pastDeadline=true')).toContain(p.id);

    // the detached suffix is free again, and the detachment is kept, not deleted
    const taker = await f.api('PATCH', `/v1/platforms/${other.id}`, reg.tokens.operator, { domains: [...other.domains.map((d: { display: string }) => d.display), p.domains[1].display] });
    expect(taker.status).toBe(200);
    const rows = await reg.database.db.selectFrom('platform_domains').selectAll().where('platform_id', '=', p.id).orderBy('id').execute();
    expect(rows).toHaveLength(3);
    expect(rows.filter((r) => r.removed_at !== null)).toHaveLength(1);

    const audit = await reg.database.db.selectFrom('audit_log').selectAll().where('target_id', '=', p.id).where('action', '=', 'platform.update').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: reg.userIds.operator2, before: { name: p.name, dailyAudience: 90_000 }, after: { name: 'Renamed', dailyAudience: 250_000 } });
  });

  it('concurrent claims of one domain: one platform gets it, the others hear 409', async () => {
    const claims = await Promise.all([1, 2, 3].map((i) => f.api('POST', '/v1/platforms', reg.tokens.operator, {
      name: `racer ${i}`, domains: ['contested.example.org'], country: 'US', dailyAudience: 10, registrationDeadline: '2026-01-01',
    })));
    expect(claims.map((c) => c.status).sort()).toEqual([201, 409, 409]);
    for (const c of claims.filter((x) => x.status === 409)) expect(c.body.error.code).toBe('REG_ERR_CONFLICT');
  });

  it('404 for an unknown platform', async () => {
    const id = '00000000-0000-4000-8000-00000000abcd';
    expect((await f.api('GET', `/v1/platforms/${id}`, reg.tokens.operator)).status).toBe(404);
    expect((await f.api('PATCH', `/v1/platforms/${id}`, reg.tokens.operator, { name: 'x' })).status).toBe(404);
    const put = await f.api('PUT', `/v1/platforms/${id}/representative`, reg.tokens.operator, { name: 'x', contact: 'y', country: 'KZ', appointedAt: '2025-01-01' });
    expect(put.status).toBe(404);
    expect(put.body.error.code).toBe('REG_ERR_NOT_FOUND');
  });

  it('malformed bodies and queries: a 400 naming the field, nothing written', async () => {
    const p = await f.platform();
    const good = { name: 'ok', domains: ['ok-platform.example.com'], country: 'US', dailyAudience: 1000, registrationDeadline: '2026-01-01' };
    const rep = { name: 'Rep', contact: 'rep@example.kz', country: 'KZ', appointedAt: '2025-01-01' };
    const before = await f.rowCounts();
    const cases: [string, 'POST' | 'PATCH' | 'PUT' | 'GET', string, unknown, string][] = [
      ['no name', 'POST', '/v1/platforms', { ...good, name: undefined }, 'name'],
      ['blank name', 'POST', '/v1/platforms', { ...good, name: '  ' }, 'name'],
      ['no domains', 'POST', '/v1/platforms', { ...good, domains: [] }, 'domains'],
      ['domains a string', 'POST', '/v1/platforms', { ...good, domains: 'x.com' }, 'domains'],
      ['bad second domain', 'POST', '/v1/platforms', { ...good, domains: ['ok.example.com', 'bad name.com'] }, 'domains[1]'],
      ['domain a URL', 'POST', '/v1/platforms', { ...good, domains: ['https://x.example.com/a'] }, 'domains[0]'],
      ['domain an IP', 'POST', '/v1/platforms', { ...good, domains: ['93.184.216.34'] }, 'domains[0]'],
      ['TLD suffix', 'POST', '/v1/platforms', { ...good, domains: ['*.com'] }, 'domains[0]'],
      ['repeated domain', 'POST', '/v1/platforms', { ...good, domains: ['a.example.com', 'A.example.com.'] }, 'domains[1]'],
      ['country name', 'POST', '/v1/platforms', { ...good, country: 'China' }, 'country'],
      ['country unknown', 'POST', '/v1/platforms', { ...good, country: 'XX' }, 'country'],
      ['audience negative', 'POST', '/v1/platforms', { ...good, dailyAudience: -1 }, 'dailyAudience'],
      ['audience fractional', 'POST', '/v1/platforms', { ...good, dailyAudience: 1.5 }, 'dailyAudience'],
      ['audience a string', 'POST', '/v1/platforms', { ...good, dailyAudience: '2M' }, 'dailyAudience'],
      ['audience missing', 'POST', '/v1/platforms', { ...good, dailyAudience: undefined }, 'dailyAudience'],
      ['deadline garbage', 'POST', '/v1/platforms', { ...good, registrationDeadline: 'next year' }, 'registrationDeadline'],
      ['deadline impossible', 'POST', '/v1/platforms', { ...good, registrationDeadline: '2026-02-30' }, 'registrationDeadline'],
      ['unknown field', 'POST', '/v1/platforms', { ...good, representative: 'me' }, 'representative'],
      ['patch nothing', 'PATCH', `/v1/platforms/${p.id}`, {}, 'body'],
      ['patch bad domain', 'PATCH', `/v1/platforms/${p.id}`, { domains: ['ok.example.org', '*.*.x.org'] }, 'domains[1]'],
      ['patch bad audience', 'PATCH', `/v1/platforms/${p.id}`, { dailyAudience: null }, 'dailyAudience'],
      ['patch unknown field', 'PATCH', `/v1/platforms/${p.id}`, { id: 'x' }, 'id'],
      ['patch bad id', 'PATCH', '/v1/platforms/not-a-uuid', { name: 'x' }, 'id'],
      ['rep no contact', 'PUT', `/v1/platforms/${p.id}/representative`, { ...rep, contact: undefined }, 'contact'],
      ['rep bad country', 'PUT', `/v1/platforms/${p.id}/representative`, { ...rep, country: 'Kazakhstan' }, 'country'],
      ['rep bad appointedAt', 'PUT', `/v1/platforms/${p.id}/representative`, { ...rep, appointedAt: 'last week' }, 'appointedAt'],
      ['rep unknown field', 'PUT', `/v1/platforms/${p.id}/representative`, { ...rep, phone: '1' }, 'phone'],
      ['rep body not an object', 'PUT', `/v1/platforms/${p.id}/representative`, '"rep"', 'body'],
      ['list bad flag', 'GET', '/v1/platforms?pastDeadline=yes', undefined, 'pastDeadline'],
      ['list bad cursor', 'GET', '/v1/platforms?cursor=zzz', undefined, 'cursor'],
    ];
    for (const [label, method, url, body, field] of cases) {
      f.expectFieldError(await f.api(method, url, reg.tokens.operator, body), field, label);
    }
    expect(await f.rowCounts()).toEqual(before);
  });

  it('the public sees platforms with only the name and country of the representative', async () => {
    const p = await f.platform();
    await f.api('PUT', `/v1/platforms/${p.id}/representative`, reg.tokens.operator, { name: 'Public Rep', contact: 'secret-contact@example.kz', country: 'KZ', appointedAt: '2025-01-01' });
    const res = await f.api('GET', '/public/v1/platforms?limit=500');
    expect(res.status).toBe(200);
    const mine = res.body.platforms.find((x: { id: string }) => x.id === p.id);
    expect(mine).toMatchObject({ name: p.name, registrationStatus: 'registered', representative: { name: 'Public Rep', country: 'KZ' } });
    expect(Object.keys(mine.representative).sort()).toEqual(['country', 'name']);
    expect(JSON.stringify(res.body)).not.toContain('secret-contact');
  });

  it('the database refuses to delete platforms, domains or representatives', async () => {
    for (const table of ['platforms', 'platform_domains', 'platform_representatives']) {
      await expect(sql`DELETE FROM ${sql.table(table)}`.execute(reg.database.db)).rejects.toThrow(/never deletes/);
    }
  });
});
