import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkName } from '../src/domain/public-check.js';
import type { ActiveRules } from '../src/domain/active-rules.js';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';
import { logHead } from '../src/repositories/public-log-repository.js';

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let rules: ActiveRules;
let beforeRules: Date;

const BASE = 'http://127.0.0.1:8080';

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  beforeRules = new Date();
  await new Promise((r) => setTimeout(r, 10));
  await enforce(api, reg, { resources: ['*.fast.example.kz', 'exact.fast.example.kz', 'https://pages.fast-url.example.kz/a/', '203.0.113.0/24', '2001:db8:77::/48'] });
  await enforce(api, reg, { resources: ['https://hidden.fast-url.example.kz/secret?id=1'], category: 'child_sexual_abuse' });
  await enforce(api, reg, { action: 'suspend', resources: ['paused.fast.example.kz', 'paused.example.org'], effectiveUntil: new Date(Date.now() + 3_600_000).toISOString() });
  rules = reg.app.activeRules;
  expect(rules).toBeDefined();
});
afterAll(async () => reg?.close());

const check = async (name: string, at?: Date) =>
  (await api('GET', `/public/v1/check?name=${encodeURIComponent(name)}${at ? `&at=${at.toISOString()}` : ''}`)).body;

/** The answer without the `at` it was asked at (both sides ask "now", a few ms apart). */
const withoutAt = ({ at: _at, ...rest }: { at: string }) => rest;

describe('public check from the in-memory active rules', () => {
  const names = [
    // covered: exact, under a suffix, the suffix itself, URL page, URL host (related), IPv4, IPv6, suspension
    'exact.fast.example.kz', 'deep.sub.fast.example.kz', 'fast.example.kz', 'https://pages.fast-url.example.kz/a/b',
    'pages.fast-url.example.kz', 'https://pages.fast-url.example.kz/other', 'hidden.fast-url.example.kz',
    'https://hidden.fast-url.example.kz/secret?id=1', '203.0.113.9', '2001:db8:77::1', 'paused.example.org', 'paused.fast.example.kz',
    // not covered
    'example.kz', 'other.example.kz', 'fast-url.example.kz', 'www.example.org', 'https://www.example.org/x', '198.51.100.1',
    '2001:db8:78::1', 'EXAMPLE.com.', 'пример.рф', 'https://203.0.114.1/',
  ];

  it('answers exactly as the database does, without it', async () => {
    const head = (await logHead(reg.database.db)).seq;
    await expect.poll(() => rules.ready && rules.version >= head, { timeout: 5000, interval: 20 }).toBe(true);
    const before = rules.answered;
    let uncovered = 0;
    for (const name of names) {
      const viaRoute = await check(name);
      const viaDb = await checkName(reg.database.db, name, undefined, BASE);
      expect(withoutAt(viaRoute), name).toEqual(withoutAt(JSON.parse(JSON.stringify(viaDb))));
      if (!viaDb.restricted && viaDb.related.length === 0) uncovered++;
    }
    expect(uncovered).toBeGreaterThanOrEqual(10);
    expect(rules.answered - before).toBe(names.length);
    expect((await check('exact.fast.example.kz')).restricted).toBe(true);
    expect((await check('pages.fast-url.example.kz')).related).toHaveLength(1);
  });

  it('sees a rule approved after start', async () => {
    expect((await check('later.example.net')).restricted).toBe(false);
    await enforce(api, reg, { resources: ['*.later.example.net'] });
    await expect.poll(async () => (await check('www.later.example.net')).restricted, { timeout: 5000, interval: 20 }).toBe(true);
    await expect.poll(() => rules.ready, { timeout: 5000, interval: 20 }).toBe(true);
    const answered = rules.answered;
    expect((await check('later.example.net')).matches[0].resource.kind).toBe('domain_suffix');
    expect(await check('sooner.example.net')).toMatchObject({ restricted: false, matches: [], related: [] });
    expect(rules.answered).toBe(answered + 2);
  });

  it('sees a restoration', async () => {
    const restricted = await enforce(api, reg, { resources: ['restored.fast.example.net'] });
    await expect.poll(async () => (await check('restored.fast.example.net')).restricted, { timeout: 5000, interval: 20 }).toBe(true);
    await enforce(api, reg, { action: 'restore', resources: ['restored.fast.example.net'], legalBasisId: restricted.legalBasisId });
    await expect.poll(async () => (await check('restored.fast.example.net')).restricted, { timeout: 5000, interval: 20 }).toBe(false);
    await expect.poll(() => rules.ready, { timeout: 5000, interval: 20 }).toBe(true);
    const answered = rules.answered;
    expect(await check('restored.fast.example.net')).toMatchObject({ restricted: false, matches: [], related: [] });
    expect(rules.answered).toBe(answered + 1);
  });

  it('answers restricted names from memory too, and follows the register', async () => {
    const r = await enforce(api, reg, { resources: ['repeat.example.net'] });
    await expect.poll(async () => (await check('repeat.example.net')).restricted, { timeout: 5000, interval: 20 }).toBe(true);
    await expect.poll(() => rules.ready, { timeout: 5000, interval: 20 }).toBe(true);
    const answered = rules.answered;
    expect(await check('repeat.example.net')).toMatchObject({ restricted: true, matches: [{ entry: r.logEntries[0] }] });
    expect((await check('paused.example.org')).matches[0]).toMatchObject({ state: 'suspended', mode: 'suspend' });
    expect(rules.answered).toBe(answered + 2);
    await enforce(api, reg, { action: 'restore', resources: ['repeat.example.net'], legalBasisId: r.legalBasisId });
    await expect.poll(async () => (await check('repeat.example.net')).restricted, { timeout: 5000, interval: 20 }).toBe(false);
  });

  it('a past instant is still answered by the database', async () => {
    const answered = rules.answered;
    const past = await check('example.kz', beforeRules);
    expect(past).toMatchObject({ restricted: false, at: beforeRules.toISOString() });
    expect((await check('exact.fast.example.kz', beforeRules)).restricted).toBe(false);
    const restored = await check('restored.fast.example.net', new Date(Date.now() - 60_000));
    expect(restored.restricted).toBe(false);
    expect(rules.answered).toBe(answered);
  });

  it('a restriction in force at a past instant is found though it is restored now', async () => {
    const r = await enforce(api, reg, { resources: ['was.fast.example.net'] });
    await new Promise((res) => setTimeout(res, 100));
    const during = new Date();
    await new Promise((res) => setTimeout(res, 100));
    await enforce(api, reg, { action: 'restore', resources: ['was.fast.example.net'], legalBasisId: r.legalBasisId });
    await expect.poll(async () => (await check('was.fast.example.net')).restricted, { timeout: 5000, interval: 20 }).toBe(false);
    expect((await check('was.fast.example.net', during)).restricted).toBe(true);
  });

  it('is not ready after close: checks go to the database', async () => {
    const other = await startTestRegister();
    const otherRules = other.app.activeRules;
    await other.app.close();
    expect(otherRules.ready).toBe(false);
    await other.database.close();
  });
});
