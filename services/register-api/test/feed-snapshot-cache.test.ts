import { gunzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';
import { logHead } from '../src/repositories/public-log-repository.js';
import { snapshotLine } from '../src/routes/feed/feed-lines.js';
import { keptLines, snapshotStep } from '../src/routes/feed/snapshot-derive.js';

/**
 * The snapshot is the same bytes whichever way it is served: streamed from the database as
 * identity or gzip, or from the copy on disk kept for its version.
 */

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  // Enough rules for many writes and many compressed chunks.
  for (let d = 0; d < 3; d++) await enforce(api, reg, { resources: Array.from({ length: 1000 }, (_, i) => `n${i}.d${d}.cache.example.kz`) });
  await enforce(api, reg, { resources: ['https://pages.cache.example.kz/a/', '203.0.113.0/24'], category: 'child_sexual_abuse' });
  await enforce(api, reg, { action: 'suspend', resources: ['paused.cache.example.kz'], effectiveUntil: new Date(Date.now() + 3_600_000).toISOString() });
});
afterAll(async () => reg?.close());

async function snapshot(gzip: boolean): Promise<{ text: string; wire: number; version: string }> {
  const res = await reg.app.inject({
    method: 'GET', url: '/v1/feed/snapshot', headers: { authorization: `Bearer ${reg.tokens.isp}`, ...(gzip ? { 'accept-encoding': 'gzip' } : {}) },
  });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-encoding']).toBe(gzip ? 'gzip' : undefined);
  const text = gzip ? gunzipSync(res.rawPayload).toString() : res.body;
  return { text, wire: res.rawPayload.length, version: String(res.headers['x-register-version']) };
}

const headerOf = (text: string) => JSON.parse(text.slice(0, text.indexOf('\n'))) as { version: number; count: number; generatedAt: string };

/** Asks until the answer is the one written out for `generatedAt` (the copy on disk is installed once its files are flushed). */
async function fromCache(gzip: boolean, generatedAt: string): Promise<{ text: string; wire: number }> {
  let last = await snapshot(gzip);
  for (let i = 0; i < 50 && headerOf(last.text).generatedAt !== generatedAt; i++) {
    await new Promise((r) => setTimeout(r, 20));
    last = await snapshot(gzip);
  }
  expect(headerOf(last.text).generatedAt).toBe(generatedAt);
  return last;
}

describe('feed snapshot: identity, gzip and the copy kept per version', () => {
  it('gzip decompresses to the identity snapshot, live and from the copy', async () => {
    const identity = await snapshot(false);
    const header = headerOf(identity.text);
    expect(header.version).toBe((await logHead(reg.database.db)).seq);
    expect(identity.text.split('\n').length - 2).toBe(header.count);
    expect(header.count).toBe(3003);
    const gzip = await fromCache(true, header.generatedAt);
    expect(gzip.text).toBe(identity.text);
    expect(gzip.wire).toBeLessThan(identity.wire / 3);
    expect((await fromCache(false, header.generatedAt)).text).toBe(identity.text);
  });

  it('a new version is streamed afresh, gzip first, and its copy replaces the old one', async () => {
    const before = headerOf((await snapshot(false)).text);
    await enforce(api, reg, { resources: ['later.cache.example.kz'] });
    const gzip = await snapshot(true);
    const header = headerOf(gzip.text);
    expect(header.version).toBeGreaterThan(before.version);
    expect(header.count).toBe(before.count + 1);
    expect(gzip.text).toContain('"value":"later.cache.example.kz"');
    expect(gzip.version).toBe(String(header.version));
    const identity = await fromCache(false, header.generatedAt);
    expect(identity.text).toBe(gzip.text);
    // Everything but the header is what the database holds at that version, line for line.
    const [, ...rest] = gzip.text.split('\n');
    const live = await snapshotWithoutCache();
    expect(rest.join('\n')).toBe(live);
  });

  it('two gateways asking at once for a new version both get all of it', async () => {
    await enforce(api, reg, { resources: ['together.cache.example.kz'] });
    const [a, b] = await Promise.all([snapshot(true), snapshot(false)]);
    expect(headerOf(a.text).version).toBe(headerOf(b.text).version);
    expect(a.text.slice(a.text.indexOf('\n'))).toBe(b.text.slice(b.text.indexOf('\n')));
    expect(a.text).toContain('"value":"together.cache.example.kz"');
  });
});

describe('a snapshot made from an earlier one and the log in between', () => {
  it('equals the database\'s, through restorations, supersessions and rules added and removed in between', async () => {
    const before = await snapshot(false);
    const from = headerOf(before.text);
    const r = await enforce(api, reg, { resources: ['gone-again.cache.example.kz', 'back-again.cache.example.kz'] });
    await enforce(api, reg, { action: 'restore', resources: ['gone-again.cache.example.kz', 'back-again.cache.example.kz', 'n5.d1.cache.example.kz', '203.0.113.0/24'], legalBasisId: r.legalBasisId });
    await enforce(api, reg, { resources: ['back-again.cache.example.kz', 'n5.d1.cache.example.kz'], legalBasisId: r.legalBasisId });
    await enforce(api, reg, { action: 'suspend', resources: ['n7.d2.cache.example.kz', 'https://pages.cache.example.kz/a/'], effectiveUntil: new Date(Date.now() + 600_000).toISOString(), legalBasisId: r.legalBasisId });
    const to = (await logHead(reg.database.db)).seq;
    const dir = mkdtempSync(join(tmpdir(), 'snapshot-derive-test-'));
    try {
      writeFileSync(join(dir, 'from.ndjson'), before.text);
      const step = (await snapshotStep(reg.database.db, from.version, to))!;
      expect(step.removed.size).toBe(4);
      const file = await open(join(dir, 'from.ndjson'), 'r');
      const dropped = { n: 0 };
      const parts: Buffer[] = [];
      for await (const lines of keptLines(file, step.removed, dropped)) parts.push(Buffer.from(lines));
      await file.close().catch(() => {});
      expect(dropped.n).toBe(step.removed.size);
      const derived = Buffer.concat(parts).toString() + step.added.map(snapshotLine).join('');
      expect(derived).toBe(await snapshotWithoutCache());
      expect(from.count - step.removed.size + step.added.length).toBe(derived.split('\n').length - 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // And through the route, gzip and identity alike.
    const gzip = await snapshot(true);
    expect(headerOf(gzip.text)).toMatchObject({ version: to, count: from.count - 4 + 4 });
    expect(gzip.text.slice(gzip.text.indexOf('\n') + 1)).toBe(await snapshotWithoutCache());
    expect((await fromCache(false, headerOf(gzip.text).generatedAt)).text).toBe(gzip.text);
  });
});

/** The rule lines of the active set as the database holds it now, built by the snapshot's own line function. */
async function snapshotWithoutCache(): Promise<string> {
  const rows = await reg.database.db
    .selectFrom('enforcement_periods as p').innerJoin('resources as r', 'r.id', 'p.resource_id')
    .select(['r.id', 'r.kind', 'r.value', 'p.mode', 'p.ends_at', 'p.add_seq']).where('p.closed_at', 'is', null).orderBy('p.add_seq').execute();
  return rows.map(snapshotLine).join('');
}

describe('the snapshot copy written at start (FEED_SNAPSHOT_WARM)', () => {
  it('is there before the first gateway asks, and holds the database\'s rules', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(line); } });
    const warm = await buildApp({ db: reg.database.db, logger, warmSnapshot: true });
    try {
      await warm.ready();
      await expect.poll(() => lines.some((l) => l.includes('snapshot copy written')), { timeout: 10_000, interval: 20 }).toBe(true);
      const asked = Date.now();
      const res = await warm.inject({ method: 'GET', url: '/v1/feed/snapshot', headers: { authorization: `Bearer ${reg.tokens.isp}` } });
      expect(res.statusCode).toBe(200);
      const header = headerOf(res.body);
      // Made before anyone asked: served from the copy, not streamed for this request.
      expect(Date.parse(header.generatedAt)).toBeLessThan(asked);
      expect(header.version).toBe((await logHead(reg.database.db)).seq);
      expect(res.body.slice(res.body.indexOf('\n') + 1)).toBe(await snapshotWithoutCache());
    } finally {
      await warm.close();
    }
  });
});
