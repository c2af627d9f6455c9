import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { checkName, checkNameInCopy } from '../src/domain/public-check.js';
import { ActiveRules } from '../src/domain/active-rules.js';
import { LogWatcher } from '../src/domain/log-watcher.js';
import { logHead } from '../src/repositories/public-log-repository.js';
import { DecisionScheduler } from '../src/scheduler/decision-scheduler.js';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';
import { checkResultSchema } from '../src/routes/public/public-schemas.js';

/**
 * The in-memory answer of a public check must be the database's, byte for byte, through every
 * kind of change the log carries. Each comparison asks both at the same instant.
 */

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let rules: ActiveRules;
const BASE = 'http://127.0.0.1:8080';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  rules = reg.app.activeRules;
});
afterAll(async () => reg?.close());

const HOSTS = [
  'mem.example.kz', 'exact.mem.example.kz', 'www.exact.mem.example.kz', 'a.sub.mem.example.kz', 'deep.a.sub.mem.example.kz',
  'paused.mem.example.kz', 'soon.mem.example.kz', 'pages.mem-url.example.kz', 'hidden.mem-url.example.kz', 'mem-url.example.kz',
  'xn--e1afmkfd.kz', 'www.xn--e1afmkfd.kz', 'пример.kz', 'other.example.kz', 'example.kz', 'EXACT.Mem.Example.KZ.',
];
const URL_PATHS = ['/', '/a/', '/a/b?x=1', '/b', '/b/c', '/c', '/secret?id=1', '/secret?id=2'];
const ADDRESSES = ['203.0.113.7', '203.0.113.8', '203.0.114.1', '2001:db8:77::1', '2001:db8:78::1', '198.51.100.1'];
const NAMES = [
  ...HOSTS,
  ...HOSTS.filter((h) => /^[a-z.-]+$/.test(h)).flatMap((h) => URL_PATHS.map((p) => `https://${h}${p}`)),
  ...URL_PATHS.map((p) => `http://pages.mem-url.example.kz${p}`),
  ...ADDRESSES,
  'https://203.0.113.7/a/',
];

/** Waits until the copy has applied everything in the log, then compares every name. */
async function expectSameAnswers(copy: ActiveRules = rules): Promise<void> {
  const head = (await logHead(reg.database.db)).seq;
  await expect.poll(() => copy.ready && copy.version >= head, { timeout: 10_000, interval: 10 }).toBe(true);
  for (const name of NAMES) {
    const now = new Date();
    const inMemory = checkNameInCopy(copy, name, now, BASE);
    expect(inMemory, `${name}: the copy answered`).toBeDefined();
    const inDatabase = await checkName(reg.database.db, name, now, BASE);
    expect(JSON.stringify(inMemory), name).toBe(JSON.stringify(inDatabase));
  }
}

/** A second copy loaded from scratch now: the load path must agree with the path of changes. */
async function freshCopy(): Promise<{ copy: ActiveRules; stop: () => Promise<void> }> {
  const watcher = new LogWatcher(reg.database.db, undefined, 50);
  await watcher.start();
  const copy = new ActiveRules(reg.database.db, watcher);
  copy.start();
  await copy.settled();
  return { copy, stop: async () => { await copy.close(); await watcher.stop(); } };
}

describe('public check: the in-memory copy answers as the database does', () => {
  let basis = '';

  it('after approvals of every kind of resource, sensitive URLs and IDN names included', async () => {
    const a = await enforce(api, reg, {
      resources: ['*.mem.example.kz', 'mem.example.kz', 'exact.mem.example.kz', '*.sub.mem.example.kz', 'https://pages.mem-url.example.kz/a/', '203.0.113.0/24', '2001:db8:77::/48', '*.Пример.kz'],
    });
    basis = a.legalBasisId;
    await enforce(api, reg, { resources: ['https://hidden.mem-url.example.kz/secret?id=1', 'https://pages.mem-url.example.kz/b'], category: 'child_sexual_abuse' });
    await enforce(api, reg, { resources: ['203.0.113.7'], category: 'gambling' });
    await enforce(api, reg, { action: 'suspend', resources: ['paused.mem.example.kz'], effectiveUntil: new Date(Date.now() + 3_600_000).toISOString(), legalBasisId: basis });
    await expectSameAnswers();
    const now = new Date();
    const pages = checkNameInCopy(rules, 'pages.mem-url.example.kz', now, BASE)!;
    // Recorded in canonical form (canonical-url.ts): no trailing slash.
    expect(pages.related.map((e) => e.resource.value)).toEqual(['https://pages.mem-url.example.kz/a', null]);
    expect(checkNameInCopy(rules, '203.0.113.7', now, BASE)!.matches).toHaveLength(2);
    expect(checkNameInCopy(rules, 'a.sub.mem.example.kz', now, BASE)!.matches.map((e) => e.resource.display)).toEqual(['*.mem.example.kz', '*.sub.mem.example.kz']);
    expect(checkNameInCopy(rules, 'www.xn--e1afmkfd.kz', now, BASE)!.matches[0]!.resource.display).toBe('*.пример.kz');
  });

  it('through the HTTP route too (serialised), now without the database', async () => {
    const answered = rules.answered;
    for (const name of ['exact.mem.example.kz', 'https://hidden.mem-url.example.kz/secret?id=1', '203.0.113.7', 'other.example.kz']) {
      const raw = (await reg.app.inject({ method: 'GET', url: `/public/v1/check?name=${encodeURIComponent(name)}` })).body;
      const viaRoute = JSON.parse(raw);
      const inDatabase = await checkName(reg.database.db, name, new Date(viaRoute.at), BASE);
      expect(raw, name).toBe(JSON.stringify(inDatabase));
      // Serialised without zod: the bytes must be what the schema would have produced.
      expect(raw, name).toBe(JSON.stringify(checkResultSchema.parse(viaRoute)));
    }
    expect(rules.answered).toBe(answered + 4);
  });

  it('after supersessions and restorations, and a restriction again after its restoration', async () => {
    await enforce(api, reg, { action: 'suspend', resources: ['exact.mem.example.kz', 'https://pages.mem-url.example.kz/b'], effectiveUntil: new Date(Date.now() + 7_200_000).toISOString(), legalBasisId: basis, category: 'gambling' });
    await expectSameAnswers();
    await enforce(api, reg, { action: 'restore', resources: ['203.0.113.0/24', 'https://pages.mem-url.example.kz/a/', 'mem.example.kz'], legalBasisId: basis });
    await expectSameAnswers();
    expect(checkNameInCopy(rules, 'https://pages.mem-url.example.kz/a/b?x=1', new Date(), BASE)!.restricted).toBe(false);
    await enforce(api, reg, { resources: ['203.0.113.0/24', 'mem.example.kz', 'exact.mem.example.kz'], legalBasisId: basis, category: 'terrorism' });
    await expectSameAnswers();
    const exact = checkNameInCopy(rules, 'exact.mem.example.kz', new Date(), BASE)!;
    expect(exact.matches.map((e) => [e.resource.kind, e.category])).toEqual([['domain_suffix', 'extremism'], ['domain', 'terrorism']]);
  });

  it('after a suspension ends: before the scheduler closes it, and after', async () => {
    // Wide enough that a loaded machine still approves and checks well before the end.
    const until = new Date(Date.now() + 4000);
    await enforce(api, reg, { action: 'suspend', resources: ['soon.mem.example.kz', 'https://pages.mem-url.example.kz/c'], effectiveUntil: until.toISOString(), legalBasisId: basis });
    await expectSameAnswers();
    expect(checkNameInCopy(rules, 'soon.mem.example.kz', new Date(), BASE)!.matches.map((e) => [e.resource.display, e.state, e.until]))
      .toEqual([['*.mem.example.kz', 'restricted', null], ['soon.mem.example.kz', 'suspended', until.toISOString()]]);
    await sleep(until.getTime() - Date.now() + 50);
    // Past its planned end the span is no longer in force, though still open.
    await expectSameAnswers();
    const soon = checkNameInCopy(rules, 'soon.mem.example.kz', new Date(), BASE)!;
    expect(soon.matches.map((e) => e.resource.display)).toEqual(['*.mem.example.kz']);
    await new DecisionScheduler({ db: reg.database.db, logger: pino({ enabled: false }) }).tick();
    await expectSameAnswers();
  });

  it('after exceptions carved out of wider rules (a name under a wildcard, a suffix under a suffix, a URL under a URL)', async () => {
    const restore = await enforce(api, reg, {
      action: 'restore', resources: ['www.exact.mem.example.kz', '*.sub.mem.example.kz', 'https://pages.mem-url.example.kz/b/c'], legalBasisId: basis,
    });
    expect(restore.logEntries.length).toBeGreaterThanOrEqual(3);
    await expectSameAnswers();
    const now = new Date();
    const www = checkNameInCopy(rules, 'www.exact.mem.example.kz', now, BASE)!;
    expect([www.restricted, www.decidedBy?.mode, www.decidedBy?.state]).toEqual([false, 'allow', 'excepted']);
    const deep = checkNameInCopy(rules, 'deep.a.sub.mem.example.kz', now, BASE)!;
    expect([deep.restricted, deep.decidedBy?.resource.display]).toEqual([false, '*.sub.mem.example.kz']);
    expect(checkNameInCopy(rules, 'mem.example.kz', now, BASE)!.restricted).toBe(true);
  });

  it('a copy loaded from scratch agrees with the one kept current by the log', async () => {
    const { copy, stop } = await freshCopy();
    try {
      const sizes = (s: ActiveRules['stats']) => s && { rules: s.rules, spans: s.spans, keptAside: s.keptAside };
      expect(sizes(copy.stats)).toEqual(sizes(rules.stats));
      expect(copy.stats!.keptAside).toBeGreaterThan(0);
      await expectSameAnswers(copy);
    } finally {
      await stop();
    }
  });

  it('a past instant is the database\'s answer, whatever the copy holds', async () => {
    const answered = rules.answered;
    const past = new Date(Date.now() - 3_600_000);
    const viaRoute = (await api('GET', `/public/v1/check?name=exact.mem.example.kz&at=${past.toISOString()}`)).body;
    expect(viaRoute).toEqual(JSON.parse(JSON.stringify(await checkName(reg.database.db, 'exact.mem.example.kz', past, BASE))));
    expect(rules.answered).toBe(answered);
  });
});
