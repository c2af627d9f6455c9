import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { seededRandom } from '@tizilim/shared/seeded-random';
import { startTestRegister, type TestRegister, type TestUsers } from '../src/testing/test-register.js';
import { apiClient, courtRuling } from '../src/testing/http.js';
import { dumpOf, postDump } from './imports-support.js';

/**
 * Issue #10, "Input": a careless or hostile client gets a clear 4xx in the register's error
 * shape, never a 5xx. Part one: the free-text, date, name and address rules one by one. Part
 * two: at least 500 generated hostile requests across every route of the OpenAPI document
 * (seeded: a failure names its seed and request). Part three: what Node's parser and Fastify's
 * router refuse before any route runs, over a real socket.
 */
let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let basisId: string;
let pendingId: string;
beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  basisId = (await api('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling)).body.id;
  pendingId = (await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', resources: ['pending.example.kz'], legalBasisId: basisId, category: 'extremism' })).body.id;
});
afterAll(async () => reg?.close());

const CONTROLS = ['\u0000', '\u0001', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\u009b', '\ud800', 'a\udc00b'];

function expectFieldError(res: { status: number; body: any }, field: string, label: string): void {
  expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(400);
  expect(res.body.error.code, label).toBe('REG_ERR_VALIDATION');
  expect(res.body.error.details.map((d: { field: string }) => d.field), label).toContain(field);
}

describe('free text, dates, names and addresses', () => {
  it('NUL and other control characters in any free-text field: 400 naming the field', async () => {
    const platform = await api('POST', '/v1/platforms', reg.tokens.operator, { name: 'Hostile platform', country: 'US', dailyAudience: 5, registrationDeadline: '2027-01-01', domains: ['hostile-platform.example.com'] });
    expect(platform.status, JSON.stringify(platform.body)).toBe(201);
    const isp = await api('POST', '/v1/isps', reg.tokens.admin, { name: 'Hostile ISP', contact: 'noc@isp.example.kz' });
    expect(isp.status, JSON.stringify(isp.body)).toBe(201);
    const order = await api('POST', '/v1/orders', reg.tokens.operator, { platformId: platform.body.id, legalBasisId: basisId, category: 'extremism', contentUrls: ['https://hostile-platform.example.com/post/1'] });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    type Target = { label: string; token: keyof TestUsers; method: 'POST' | 'PATCH' | 'PUT'; url: string; body: (bad: string) => unknown; field: string };
    const targets: Target[] = [
      { label: 'user name', token: 'admin', method: 'POST', url: '/v1/users', body: (b) => ({ name: `x${b}y`, roles: ['auditor'] }), field: 'name' },
      { label: 'authority', token: 'operator', method: 'POST', url: '/v1/legal-bases', body: (b) => ({ ...courtRuling, authority: `Court${b}` }), field: 'authority' },
      { label: 'document number', token: 'operator', method: 'POST', url: '/v1/legal-bases', body: (b) => ({ ...courtRuling, documentNumber: `1${b}2` }), field: 'documentNumber' },
      { label: 'provisions', token: 'operator', method: 'POST', url: '/v1/legal-bases', body: (b) => ({ ...courtRuling, provisions: ['ok', `law${b}`] }), field: 'provisions[1]' },
      { label: 'provision article', token: 'operator', method: 'POST', url: '/v1/legal-bases', body: (b) => ({ ...courtRuling, provisions: [{ law: 'On communications', article: `4${b}1` }] }), field: 'provisions[0].article' },
      { label: 'summary', token: 'operator', method: 'POST', url: '/v1/legal-bases', body: (b) => ({ ...courtRuling, summary: `sum${b}mary` }), field: 'summary' },
      { label: 'decision note', token: 'operator', method: 'POST', url: '/v1/decisions', body: (b) => ({ action: 'restrict', resources: ['x.example.kz'], legalBasisId: basisId, category: 'extremism', note: `n${b}` }), field: 'note' },
      { label: 'reject reason', token: 'approver', method: 'POST', url: `/v1/decisions/${pendingId}/reject`, body: (b) => ({ reason: `no${b}` }), field: 'reason' },
      { label: 'platform name', token: 'operator', method: 'PATCH', url: `/v1/platforms/${platform.body.id}`, body: (b) => ({ name: `P${b}` }), field: 'name' },
      { label: 'representative name', token: 'operator', method: 'PUT', url: `/v1/platforms/${platform.body.id}/representative`, body: (b) => ({ name: `R${b}`, contact: 'r@example.com', country: 'KZ', appointedAt: '2026-01-01' }), field: 'name' },
      { label: 'ISP name', token: 'admin', method: 'POST', url: '/v1/isps', body: (b) => ({ name: `I${b}`, contact: 'noc@example.kz' }), field: 'name' },
      { label: 'ISP contact', token: 'admin', method: 'POST', url: '/v1/isps', body: (b) => ({ name: `Contact ISP ${Math.random()}`, contact: `noc${b}` }), field: 'contact' },
      { label: 'ISP token name', token: 'admin', method: 'POST', url: `/v1/isps/${isp.body.id}/tokens`, body: (b) => ({ name: `gw${b}` }), field: 'name' },
      { label: 'order note', token: 'operator', method: 'POST', url: '/v1/orders', body: (b) => ({ platformId: platform.body.id, legalBasisId: basisId, category: 'extremism', contentUrls: ['https://hostile-platform.example.com/post/2'], note: `n${b}` }), field: 'note' },
      { label: 'order evidence', token: 'operator', method: 'POST', url: `/v1/orders/${order.body.id}/outcome`, body: (b) => ({ outcome: 'removed', at: new Date().toISOString(), evidence: `e${b}` }), field: 'evidence' },
    ];
    for (const t of targets) {
      for (const bad of CONTROLS) {
        const res = await api(t.method, t.url, reg.tokens[t.token], t.body(bad));
        expectFieldError(res, t.field, `${t.label} with ${JSON.stringify(bad)}`);
      }
    }
    // Notes and reasons may span lines; names may not.
    expect((await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', resources: ['lines.example.kz'], legalBasisId: basisId, category: 'extremism', note: 'line one\nline two\tend' })).status).toBe(201);
    expectFieldError(await api('POST', '/v1/users', reg.tokens.admin, { name: 'two\nlines', roles: ['auditor'] }), 'name', 'name with a line break');
    // Lookups: public and authenticated query values.
    expectFieldError(await api('GET', '/public/v1/entries?authority=%00'), 'authority', 'entries authority');
    expectFieldError(await api('GET', '/public/v1/check?name=a%00b.kz'), 'name', 'check name');
    expectFieldError(await api('GET', '/public/v1/suggest?q=a%00b'), 'q', 'suggest q');
    expectFieldError(await api('GET', `/public/v1/suggest?q=${'a'.repeat(257)}`), 'q', 'suggest q over-long');
    expectFieldError(await api('GET', '/v1/resources/state?value=%00', reg.tokens.auditor), 'value', 'state value');
  });

  it('a register dump with control characters imports nothing from those rows and says why, never a 5xx', async () => {
    const dump = dumpOf([
      '185.1.1.1;fine.example.kz;;Министерство культуры и информации;OK-1;2026-10-01',
      '185.1.1.2;nul.example.kz;;Министерство\u0000культуры;NUL-1;2026-10-02',
      '185.1.1.3;esc.example.kz;;Суд;ESC\u001b-1;2026-10-02',
      '185.1.1.4;old.example.kz;;Суд;OLD-1;0001-01-01',
    ]);
    const res = await postDump(reg, dump, reg.tokens.operator);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
    if (res.status === 201) {
      expect(res.body.decisions.map((d: { documentNumber: string }) => d.documentNumber)).toEqual(['OK-1']);
      expect(res.body.errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5]);
    }
  });

  it('dates outside 1900–2200: 400 naming the field', async () => {
    const cases: [string, keyof TestUsers, string, unknown, string][] = [
      ['/v1/decisions', 'operator', 'POST', { action: 'restrict', resources: ['y.example.kz'], legalBasisId: basisId, category: 'extremism', effectiveFrom: '0000-01-01T00:00:00Z' }, 'effectiveFrom'],
      ['/v1/decisions', 'operator', 'POST', { action: 'suspend', resources: ['y.example.kz'], legalBasisId: basisId, category: 'extremism', effectiveUntil: '9999-12-31T23:59:59Z' }, 'effectiveUntil'],
      ['/v1/decisions', 'operator', 'POST', { action: 'restrict', resources: ['y.example.kz'], legalBasisId: basisId, category: 'extremism', effectiveFrom: '1899-12-31T23:59:59Z' }, 'effectiveFrom'],
      ['/v1/legal-bases', 'operator', 'POST', { ...courtRuling, issuedAt: '0001-01-01' }, 'issuedAt'],
      ['/v1/legal-bases', 'operator', 'POST', { ...courtRuling, effectiveAt: '2201-01-01' }, 'effectiveAt'],
      ['/v1/platforms', 'operator', 'POST', { name: 'Old', country: 'US', dailyAudience: 1, registrationDeadline: '0000-01-01', domains: ['old.example.com'] }, 'registrationDeadline'],
    ];
    for (const [url, token, , body, field] of cases) expectFieldError(await api('POST', url, reg.tokens[token], body), field, `${url} ${field}`);
    expectFieldError(await api('GET', `/public/v1/check?name=x.kz&at=${encodeURIComponent('0000-01-01T00:00:00Z')}`), 'at', 'check at');
    // The edges themselves are fine.
    expect((await api('POST', '/v1/legal-bases', reg.tokens.operator, { ...courtRuling, documentNumber: 'edge', issuedAt: '1900-01-01', effectiveAt: '2200-12-31' })).status).toBe(201);
  });

  it('host labels follow LDH; NAT64, 6to4 and IPv4-mapped forms of refused ranges are refused', async () => {
    const bad = ['-x.example.kz', 'x-.example.kz', '*.-x.example.kz', 'https://-x.example.kz/a', '64:ff9b::a00:1', '64:ff9b::10.0.0.1', '64:ff9b:1::192.168.0.1', '2002:a00:1::1', '2002:c0a8::/32', '::ffff:10.0.0.1', '::ffff:127.0.0.1', '::10.0.0.1', '64:ff9b::7f00:1'];
    for (const [i, resource] of bad.entries()) {
      const res = await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', resources: ['fine.example.kz', resource], legalBasisId: basisId, category: 'extremism' });
      expectFieldError(res, 'resources[1]', `${i} ${resource}`);
    }
    const ok = await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', resources: ['64:ff9b::808:808', '2002:808:808::1', 'a-b.example.kz'], legalBasisId: basisId, category: 'extremism' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });
});

/** Values a careless or hostile client sends where a field is expected. */
function hostileValues(random: () => number): unknown[] {
  const long = 'x'.repeat(1 + Math.floor(random() * 100_000));
  return [
    null, true, 0, -1, 1e308, -0, NaN, '', ' ', '\u0000', `a\u0000b`, '\ud800', '\u202e\u0041', '%00', '../../etc/passwd', "'; DROP TABLE decisions; --",
    long, [long], {}, [], [[[[[[[[[[]]]]]]]]]], { __proto__: { admin: true } }, { constructor: { prototype: { x: 1 } } },
    '0000-01-01T00:00:00Z', '9999-12-31', '-000001-01-01T00:00:00Z', '2026-02-30', '2026-13-01T00:00:00Z', '1e400', '0x10', '00000000-0000-0000-0000-000000000000',
    '💥'.repeat(300), 'ǅ'.repeat(50), '-x.example.kz', '64:ff9b::a00:1', '::ffff:10.0.0.1', '*.', '*', 'http://', 'xn--', `${'a.'.repeat(200)}kz`,
    Number.MAX_SAFE_INTEGER + 2, 2 ** 31, -(2 ** 63), '99999999999999999999999',
  ];
}

/** Percent-encoded; a lone surrogate (which encodeURIComponent refuses) goes as the bytes a careless client would send. */
function queryValue(v: string): string {
  try {
    return encodeURIComponent(v).slice(0, 3000);
  } catch {
    return '%ED%A0%80';
  }
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

/** A body like a valid one with one field (or the whole body) replaced by something hostile. */
function hostileBody(random: () => number, schemaProps: string[]): unknown {
  const values = hostileValues(random);
  const mode = random();
  if (mode < 0.15) return pick(random, values);
  const body: Record<string, unknown> = {};
  for (const p of schemaProps) body[p] = pick(random, values);
  if (mode < 0.3) body[pick(random, ['__proto__', 'constructor', 'extra', '\u0000', ''])] = pick(random, values);
  return body;
}

describe('generated hostile requests across every route', () => {
  it('≥ 500 hostile requests: every answer below 500, every error in the register’s shape', async () => {
    const seed = Number(process.env.HOSTILE_SEED ?? 20261204);
    const random = seededRandom(seed);
    const doc = (await api('GET', '/openapi.json')).body;
    const routes: { method: string; path: string; props: string[]; query: string[] }[] = [];
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        const resolved = schema?.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema;
        const props = Object.keys(resolved?.properties ?? {});
        const query = (op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => p.name as string).filter((n: string) => n !== 'wait');
        routes.push({ method: method.toUpperCase(), path, props, query });
      }
    }
    expect(routes.length).toBeGreaterThan(40);
    const tokens = Object.values(reg.tokens) as string[];
    const ids = [pendingId, basisId, reg.userIds.admin, '00000000-0000-4000-8000-000000000000'];
    const paramValues = ['%00', '%ZZ', 'a'.repeat(99), '..%2F..%2F', '%F0%9F%92%A5', '-1', '1e9', "'", '%E2%80%AE', '0'];
    let sent = 0;
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const allowed = new Map<string, string[]>();
    for (let round = 0; round < 12; round++) {
      for (const route of routes) {
        const url = route.path.replace(/\{[^}]+\}/g, () => (random() < 0.5 ? pick(random, ids) : pick(random, paramValues)));
        const query = route.query.length > 0 && random() < 0.7
          ? `?${route.query.map((q) => `${q}=${queryValue(String(pick(random, hostileValues(random).filter((v) => typeof v !== 'object')) ?? ''))}`).join('&')}`
          : '';
        const method = route.method as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
        const body = method === 'GET' ? undefined : hostileBody(random, route.props);
        // Mostly a token the route lets through (learnt as we go), so most requests reach validation and handlers.
        const known = allowed.get(route.path + route.method) ?? [];
        const token = known.length > 0 && random() < 0.8 ? pick(random, known)
          : random() < 0.9 ? pick(random, tokens) : pick(random, [undefined, 'tzl_forged', 'Bearer', '\u0000', 'x'.repeat(600)]);
        const res = await reg.app.inject({
          method,
          url: url + (route.path.includes('wait') ? '' : query),
          headers: {
            ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
            ...(body !== undefined ? { 'content-type': random() < 0.95 ? 'application/json' : pick(random, ['text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded']) } : {}),
          },
          ...(body !== undefined ? { payload: random() < 0.9 ? JSON.stringify(body) : pick(random, ['{', '{"a":', '[1,2', 'null', '\u0000', '{"__proto__":{"x":1}}']) } : {}),
        });
        sent++;
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (token && tokens.includes(token) && res.statusCode !== 401 && res.statusCode !== 403 && !known.includes(token)) {
          allowed.set(route.path + route.method, [...known, token]);
        }
        const label = `seed ${seed} #${sent} ${method} ${url}${query.slice(0, 200)}`;
        if (res.statusCode >= 500) failures.push(`${label} → ${res.statusCode} ${res.body.slice(0, 300)}`);
        else if (res.statusCode >= 400) {
          const parsed = JSON.parse(res.body) as { error?: { code?: string; message?: string } };
          if (!parsed.error?.code?.startsWith('REG_ERR_') || typeof parsed.error.message !== 'string') failures.push(`${label} → ${res.statusCode} not in the register's shape: ${res.body.slice(0, 200)}`);
        }
      }
    }
    expect(sent).toBeGreaterThanOrEqual(500);
    expect(failures).toEqual([]);
    // The requests got past authentication into validation and the handlers, not only 401s.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(sent / 3);
    if (process.env.HOSTILE_REPORT) console.log(`${sent} hostile requests:`, Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])));
  });
});

/** Raw bytes to the listening server, and what comes back before it closes. */
async function rawExchange(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('error', (err) => (out ? resolve(out) : reject(err)));
    socket.on('close', () => resolve(out));
    socket.setTimeout(5000, () => socket.destroy());
    socket.end(request);
  });
}

function registerShape(answer: string): { status: number; code: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  return { status, code: (JSON.parse(body) as { error: { code: string } }).error.code };
}

describe('what is refused before any route runs, over a socket', () => {
  it('414, 431, 400 for broken HTTP and broken paths: all in the register’s shape', async () => {
    await reg.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = reg.app.server.address() as { port: number };
    const cases: [string, string | Buffer, number, string][] = [
      ['a request line over the limit', `GET /v1/me?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'REG_ERR_URI_TOO_LONG'],
      ['a header block over the limit', `GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'REG_ERR_HEADERS_TOO_LARGE'],
      ['many headers', `GET /v1/me HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 5000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`, 431, 'REG_ERR_HEADERS_TOO_LARGE'],
      ['a path segment over maxParamLength (2100: resource URLs travel in paths)', `GET /v1/decisions/${'a'.repeat(2500)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'REG_ERR_URI_TOO_LONG'],
      ['broken percent-encoding', 'GET /v1/decisions/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'REG_ERR_VALIDATION'],
      ['not HTTP at all', '\u0000\u0001\u0002 garbage\r\n\r\n', 400, 'REG_ERR_VALIDATION'],
      ['HTTP/1.1 without a Host header', 'GET /healthz HTTP/1.1\r\n\r\n', 400, 'REG_ERR_VALIDATION'],
      ['a full tile without a Host header (the front door answers ahead of routing)', 'GET /tlog/tile/0/000 HTTP/1.1\r\n\r\n', 400, 'REG_ERR_VALIDATION'],
      ['a NUL in a header', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n', 400, 'REG_ERR_VALIDATION'],
      ['a body over 1 MiB', `POST /v1/legal-bases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${reg.tokens.operator}\r\nContent-Type: application/json\r\nContent-Length: ${2 * 1024 * 1024}\r\nConnection: close\r\n\r\n{"a":"`, 413, 'REG_ERR_PAYLOAD_TOO_LARGE'],
    ];
    for (const [label, request, status, code] of cases) {
      const answer = await rawExchange(port, request);
      expect(registerShape(answer), `${label}: ${answer.slice(0, 300)}`).toEqual({ status, code });
    }
    // …and the server still serves.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
