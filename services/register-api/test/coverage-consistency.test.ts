import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';
import { logHead } from '../src/repositories/public-log-repository.js';

/**
 * Coverage (DESIGN.md, "Every rule kind, every transport"): `/v1/resources/state`, the public
 * history and `/public/v1/check` give one answer to "which rule or exception decides this
 * name", now and at any past instant, through restrictions, exceptions, re-restrictions,
 * overlapping rules, suspensions and restorations.
 */

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
});
afterAll(async () => reg?.close());

const NAMES = [
  'cov.kz', 'www.cov.kz', 'a.www.cov.kz', 'mail.cov.kz', 'deep.open.cov.kz', 'open.cov.kz', 'shut.open.cov.kz', 'x.shut.open.cov.kz',
  'exact-only.kz', 'www.exact-only.kz', 'paused.cov.kz', 'elsewhere.kz',
  'https://page.kz/', 'https://page.kz/bad', 'https://page.kz/bad/ok', 'https://page.kz/bad/ok/more', 'https://page.kz/bad/other',
  'https://www.cov.kz/x', 'https://mail.cov.kz/x',
  '192.0.2.1', '192.0.2.77', '192.0.3.1', '2001:db8:c0::1', '2001:db8:c0::7',
];

interface Answer { blocked: boolean; entry: number | null }

async function answers(name: string, at: Date | undefined): Promise<{ check: Answer; state: Answer; history: Answer }> {
  const q = at ? `at=${at.toISOString()}` : '';
  const c = (await api('GET', `/public/v1/check?name=${encodeURIComponent(name)}${q ? `&${q}` : ''}`)).body;
  const s = (await api('GET', `/v1/resources/state?value=${encodeURIComponent(name)}${q ? `&${q}` : ''}`, reg.tokens.auditor)).body;
  const h = (await api('GET', `/public/v1/resources/${encodeURIComponent(name)}/history${q ? `?${q}` : ''}`)).body;
  return {
    check: { blocked: c.restricted, entry: c.decidedBy?.entry ?? null },
    state: { blocked: s.state !== 'accessible', entry: s.decidedBy?.entry ?? null },
    history: { blocked: h.state !== 'accessible', entry: h.decidedBy?.entry ?? null },
  };
}

describe('coverage: state, history and check agree', () => {
  const instants: Date[] = [];
  const mark = async () => { await sleep(3); instants.push(new Date()); await sleep(3); };
  /** What each name was at each instant, per the check: the expectations below are read from it. */
  const seen = new Map<string, Answer[]>();

  it('records a history of restrictions and exceptions', async () => {
    await mark();
    await enforce(api, reg, { resources: ['*.cov.kz', 'exact-only.kz', 'https://page.kz/bad', '192.0.2.0/24', '2001:db8:c0::/48'] });
    await mark();
    await enforce(api, reg, { action: 'restore', resources: ['www.cov.kz', '*.open.cov.kz', 'https://page.kz/bad/ok', '192.0.2.77', '2001:db8:c0::7'] });
    await mark();
    await enforce(api, reg, { resources: ['*.shut.open.cov.kz', '*.cov.kz'] });
    await enforce(api, reg, { action: 'suspend', resources: ['paused.cov.kz'], effectiveUntil: new Date(Date.now() + 3_600_000).toISOString() });
    await mark();
    await enforce(api, reg, { action: 'restore', resources: ['*.cov.kz', 'exact-only.kz'] });
    await mark();
    await enforce(api, reg, { resources: ['www.cov.kz', '*.cov.kz'] });
    await mark();
  });

  it('for every name at every instant, and now', async () => {
    const head = (await logHead(reg.database.db)).seq;
    await expect.poll(() => reg.app.activeRules.ready && reg.app.activeRules.version >= head, { timeout: 10_000, interval: 10 }).toBe(true);
    for (const at of [...instants, undefined]) {
      for (const name of NAMES) {
        const a = await answers(name, at);
        const label = `${name} at ${at?.toISOString() ?? 'now'}`;
        expect(a.state, label).toEqual(a.check);
        expect(a.history, label).toEqual(a.check);
        seen.set(name, [...(seen.get(name) ?? []), a.check]);
      }
    }
  });

  it('and the answers are the ones precedence gives (most specific rule wins)', () => {
    const blocked = (name: string) => seen.get(name)!.map((a) => a.blocked);
    // instants: before anything, restricted, excepted, re-restricted + overlapping, wildcard restored, www restricted; now
    expect(blocked('www.cov.kz')).toEqual([false, true, false, false, false, true, true]);
    expect(blocked('a.www.cov.kz')).toEqual([false, true, true, true, false, true, true]);
    expect(blocked('deep.open.cov.kz')).toEqual([false, true, false, false, false, false, false]);
    expect(blocked('x.shut.open.cov.kz')).toEqual([false, true, false, true, true, true, true]);
    expect(blocked('https://page.kz/bad/ok/more')).toEqual([false, true, false, false, false, false, false]);
    expect(blocked('https://page.kz/bad/other')).toEqual([false, true, true, true, true, true, true]);
    expect(blocked('192.0.2.77')).toEqual([false, true, false, false, false, false, false]);
    expect(blocked('192.0.2.1')).toEqual([false, true, true, true, true, true, true]);
    expect(blocked('2001:db8:c0::7')).toEqual([false, true, false, false, false, false, false]);
    expect(blocked('exact-only.kz')).toEqual([false, true, true, true, false, false, false]);
    expect(blocked('elsewhere.kz')).toEqual([false, false, false, false, false, false, false]);
  });
});
