import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { fixtures } from './platform-order-fixtures.js';

let reg: TestRegister;
let f: ReturnType<typeof fixtures>;
let basisId: string;
beforeAll(async () => {
  reg = await startTestRegister();
  f = fixtures(reg);
  basisId = await f.legalBasis();
});
afterAll(async () => reg?.close());

async function registerIsp(name: string, extra: Record<string, unknown> = {}) {
  const isp = await f.api('POST', '/v1/isps', reg.tokens.admin, { name, contact: 'noc@isp.example.kz', ...extra });
  expect(isp.status, JSON.stringify(isp.body)).toBe(201);
  const token = await f.api('POST', `/v1/isps/${isp.body.id}/tokens`, reg.tokens.admin, { name: `${name} dns cluster` });
  expect(token.status).toBe(201);
  return { isp: isp.body, token: token.body.token as string, tokenUser: token.body };
}

/** Restricts new names through the usual four eyes; each one is a new log entry. */
async function restrict(...names: string[]): Promise<number> {
  const draft = await f.api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', resources: names, legalBasisId: basisId, category: 'gambling' });
  const approved = await f.api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
  expect(approved.status).toBe(200);
  return approved.body.logEntries.at(-1);
}

const beat = (token: string, body: Record<string, unknown>) =>
  f.api('POST', '/v1/gateways/heartbeat', token, { rules: 0, counters: { blocked: 0, forwarded: 0 }, ...body });

const enforcement = async () => {
  const res = await f.api('GET', '/v1/isps/enforcement', reg.tokens.auditor);
  expect(res.status).toBe(200);
  return res.body;
};

describe('ISPs, their tokens and gateways', () => {
  it('admins register ISPs and issue tokens tied to them, shown once and audited', async () => {
    const { isp, token, tokenUser } = await registerIsp('Kazakhtelecom', { bin: '981140001551' });
    expect(isp).toMatchObject({ name: 'Kazakhtelecom', bin: '981140001551', contact: 'noc@isp.example.kz', createdBy: reg.userIds.admin });
    expect(tokenUser).toMatchObject({ name: 'Kazakhtelecom dns cluster', roles: ['isp'], ispId: isp.id });
    expect(token).toMatch(/^tzl_/);
    const me = await f.api('GET', '/v1/me', token);
    expect(me.body).toMatchObject({ id: tokenUser.id, roles: ['isp'] });
    const row = await reg.database.db.selectFrom('users').innerJoin('api_tokens', 'api_tokens.user_id', 'users.id').select(['isp_id', 'api_tokens.token_hash']).where('users.id', '=', tokenUser.id).executeTakeFirstOrThrow();
    expect(row.isp_id).toBe(isp.id);
    expect(row.token_hash.toString('utf8')).not.toContain(token);

    const unnamed = await f.api('POST', `/v1/isps/${isp.id}/tokens`, reg.tokens.admin);
    expect(unnamed.status).toBe(201);
    expect(unnamed.body.name).toBe('Kazakhtelecom gateways');

    const audit = await reg.database.db.selectFrom('audit_log').selectAll().where('action', 'in', ['isp.create', 'isp.token.create']).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['isp.create', 'isp.token.create', 'isp.token.create']);
    expect(audit[1]).toMatchObject({ actor_id: reg.userIds.admin, target_id: tokenUser.id, after: { ispId: isp.id, roles: ['isp'] } });
    expect(JSON.stringify(audit)).not.toContain(token);

    const dupName = await f.api('POST', '/v1/isps', reg.tokens.admin, { name: 'Kazakhtelecom', contact: 'x' });
    expect(dupName.status).toBe(409);
    expect(dupName.body.error.details[0].field).toBe('name');
    const dupBin = await f.api('POST', '/v1/isps', reg.tokens.admin, { name: 'Other', bin: '981140001551', contact: 'x' });
    expect(dupBin.status).toBe(409);
    expect(dupBin.body.error.details[0].field).toBe('bin');
    expect((await f.api('POST', '/v1/isps/00000000-0000-4000-8000-0000000000aa/tokens', reg.tokens.admin, {})).status).toBe(404);
  });

  it('the enforcement view shows each gateway’s version and a stopped gateway falling behind', async () => {
    const { isp, token } = await registerIsp('Beeline KZ');
    const head0 = await restrict('casino-one.example.com');

    const a = await beat(token, { gatewayId: 'dns-a.beeline-5353', version: head0, rules: 1, counters: { blocked: 3, forwarded: 40 } });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ gatewayId: 'dns-a.beeline-5353', ispId: isp.id, registerVersion: head0, lagEntries: 0 });
    await beat(token, { gatewayId: 'dns-b.beeline-5353', version: head0, rules: 1 });

    let view = await enforcement();
    let mine = view.isps.find((i: { id: string }) => i.id === isp.id);
    expect(mine.gateways.map((g: { gatewayId: string; status: string; lagEntries: number }) => [g.gatewayId, g.status, g.lagEntries])).toEqual([
      ['dns-a.beeline-5353', 'current', 0], ['dns-b.beeline-5353', 'current', 0],
    ]);
    expect(mine.gateways[0]).toMatchObject({ version: head0, rules: 1, counters: { blocked: 3, forwarded: 40 }, lagSeconds: 0 });

    // gateway A stops; the register moves on; gateway B keeps up
    await restrict('casino-two.example.com');
    const head2 = await restrict('casino-three.example.com', 'casino-four.example.com');
    await beat(token, { gatewayId: 'dns-b.beeline-5353', version: head2, rules: 4 });
    await new Promise((r) => setTimeout(r, 1_200));

    view = await enforcement();
    expect(view.registerVersion).toBe(head2);
    mine = view.isps.find((i: { id: string }) => i.id === isp.id);
    const [gwA, gwB] = mine.gateways;
    expect(gwA).toMatchObject({ gatewayId: 'dns-a.beeline-5353', version: head0, lagEntries: head2 - head0, status: 'behind' });
    expect(gwA.lagSeconds).toBeGreaterThanOrEqual(1);
    expect(gwB).toMatchObject({ version: head2, lagEntries: 0, lagSeconds: 0, status: 'current' });
    expect(mine).toMatchObject({ minVersion: head0, maxLagEntries: head2 - head0 });

    // it keeps falling behind for as long as it is silent
    await restrict('casino-five.example.com');
    await sql`UPDATE gateways SET last_seen_at = now() - interval '5 minutes' WHERE gateway_id = 'dns-a.beeline-5353'`.execute(reg.database.db);
    view = await enforcement();
    mine = view.isps.find((i: { id: string }) => i.id === isp.id);
    expect(mine.gateways[0]).toMatchObject({ status: 'silent', lagEntries: head2 + 1 - head0 });
    expect(mine.gateways[0].secondsSinceLastSeen).toBeGreaterThanOrEqual(300);
    expect(mine.gateways[1]).toMatchObject({ status: 'behind', lagEntries: 1 });

    const pub = await f.api('GET', '/public/v1/enforcement');
    expect(pub.status).toBe(200);
    expect(pub.body.registerVersion).toBe(head2 + 1);
    expect(pub.body.isps.find((i: { name: string }) => i.name === 'Beeline KZ')).toMatchObject({
      gateways: 2, gatewaysReporting: 1, minVersion: head0, maxLagEntries: head2 + 1 - head0,
    });
    expect(JSON.stringify(pub.body)).not.toContain('dns-a.beeline');
    expect(JSON.stringify(pub.body)).not.toContain('noc@isp.example.kz');

    const metrics = await reg.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain(`gateway_lag_entries{isp="${isp.id}"} ${head2 + 1 - head0}`);
    expect(metrics.body).toMatch(new RegExp(`gateway_lag_seconds\\{isp="${isp.id}"\\} [1-9]`));
    expect(metrics.body).toMatch(new RegExp(`gateway_heartbeat_age_seconds\\{isp="${isp.id}"\\} \\d+`));
    expect(metrics.body).not.toContain('dns-a.beeline');
  });

  it('a gateway keeps its identity within its ISP across tokens; only its first heartbeat is audited', async () => {
    const { isp, token } = await registerIsp('Tele2 KZ');
    const second = await f.api('POST', `/v1/isps/${isp.id}/tokens`, reg.tokens.admin, {});
    await beat(token, { gatewayId: 'edge-1', version: 0 });
    await beat(token, { gatewayId: 'edge-1', version: 0 });
    await beat(second.body.token, { gatewayId: 'edge-1', version: 0, rules: 2 });
    const rows = await reg.database.db.selectFrom('gateways').selectAll().where('isp_id', '=', isp.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ gateway_id: 'edge-1', heartbeats: 3, rules: 2, user_id: second.body.id });
    const audit = await reg.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'gateway.first_seen').where('target_id', '=', rows[0]!.id).execute();
    expect(audit).toHaveLength(1);
  });

  it('heartbeats from an isp token not tied to an ISP are grouped apart', async () => {
    const res = await beat(reg.tokens.isp, { gatewayId: 'lab-gateway', version: 0 });
    expect(res.status).toBe(200);
    expect(res.body.ispId).toBeNull();
    const view = await enforcement();
    const untied = view.isps.find((i: { id: string | null }) => i.id === null);
    expect(untied.gateways.map((g: { gatewayId: string }) => g.gatewayId)).toEqual(['lab-gateway']);
    const metrics = await reg.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('gateway_lag_entries{isp="none"}');
  });

  it('malformed ISP and heartbeat bodies: a 400 naming the field, nothing written', async () => {
    const { token } = await registerIsp('Jusan Mobile');
    const hb = { gatewayId: 'gw-1', version: 0, rules: 0, counters: {} };
    const before = await f.rowCounts();
    const cases: [string, string, string, unknown, string][] = [
      ['isp no name', reg.tokens.admin, '/v1/isps', { contact: 'x' }, 'name'],
      ['isp no contact', reg.tokens.admin, '/v1/isps', { name: 'x' }, 'contact'],
      ['isp short bin', reg.tokens.admin, '/v1/isps', { name: 'x', contact: 'y', bin: '12345' }, 'bin'],
      ['isp letters in bin', reg.tokens.admin, '/v1/isps', { name: 'x', contact: 'y', bin: '98114000155X' }, 'bin'],
      ['isp unknown field', reg.tokens.admin, '/v1/isps', { name: 'x', contact: 'y', token: 'z' }, 'token'],
      ['token unknown field', reg.tokens.admin, '/v1/isps/00000000-0000-4000-8000-0000000000aa/tokens', { roles: ['admin'] }, 'roles'],
      ['token bad id', reg.tokens.admin, '/v1/isps/x/tokens', {}, 'id'],
      ['no gateway id', token, '/v1/gateways/heartbeat', { ...hb, gatewayId: undefined }, 'gatewayId'],
      ['gateway id with space', token, '/v1/gateways/heartbeat', { ...hb, gatewayId: 'my gateway' }, 'gatewayId'],
      ['gateway id with slash', token, '/v1/gateways/heartbeat', { ...hb, gatewayId: 'a/b' }, 'gatewayId'],
      ['gateway id too long', token, '/v1/gateways/heartbeat', { ...hb, gatewayId: 'g'.repeat(65) }, 'gatewayId'],
      ['gateway id empty', token, '/v1/gateways/heartbeat', { ...hb, gatewayId: '' }, 'gatewayId'],
      ['version negative', token, '/v1/gateways/heartbeat', { ...hb, version: -1 }, 'version'],
      ['version fractional', token, '/v1/gateways/heartbeat', { ...hb, version: 1.5 }, 'version'],
      ['version a string', token, '/v1/gateways/heartbeat', { ...hb, version: '7' }, 'version'],
      ['rules missing', token, '/v1/gateways/heartbeat', { ...hb, rules: undefined }, 'rules'],
      ['counters a list', token, '/v1/gateways/heartbeat', { ...hb, counters: [1, 2] }, 'counters'],
      ['counter negative', token, '/v1/gateways/heartbeat', { ...hb, counters: { blocked: -5 } }, 'counters.blocked'],
      ['counter a string', token, '/v1/gateways/heartbeat', { ...hb, counters: { blocked: 'many' } }, 'counters.blocked'],
      ['too many counters', token, '/v1/gateways/heartbeat', { ...hb, counters: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`c${i}`, 1])) }, 'counters'],
      ['heartbeat unknown field', token, '/v1/gateways/heartbeat', { ...hb, ispId: 'x' }, 'ispId'],
    ];
    for (const [label, tok, url, body, field] of cases) f.expectFieldError(await f.api('POST', url, tok, body), field, label);
    const badKey = await f.api('POST', '/v1/gateways/heartbeat', token, { ...hb, counters: { 'Bad Key': 1 } });
    expect(badKey.status).toBe(400);
    expect(await f.rowCounts()).toEqual(before);
  });

  it('the database refuses to delete ISPs or gateways', async () => {
    for (const table of ['isps', 'gateways']) {
      await expect(sql`DELETE FROM ${sql.table(table)}`.execute(reg.database.db)).rejects.toThrow(/never deletes/);
    }
  });
});
