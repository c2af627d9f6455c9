import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEntryDetails } from '../src/blockpage/entry-details.js';
import { renderBlockHtml, renderBlockJson, shownResource } from '../src/blockpage/block-page-render.js';
import { wantsJson } from '../src/blockpage/block-page-server.js';
import { logEntry } from './blockpage-fixtures.js';

let register: Server;
let url: string;
const hits = new Map<string, number>();

beforeAll(async () => {
  register = createServer((req, res) => {
    hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
    const m = /^\/public\/v1\/log\/(\d+)$/.exec(req.url!);
    const seq = Number(m?.[1]);
    if (seq === 5) { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(logEntry(5))); return; }
    if (seq === 6) { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"seq":6,"nonsense":true}'); return; }
    if (seq === 8) return; // never answers
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"code":"not_found","message":"no such entry"}}');
  });
  await new Promise<void>((r) => register.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(register.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise<void>((r) => { register.close(() => r()); register.closeAllConnections(); });
});

describe('entry details from the register', () => {
  it('reads an entry once and serves it from the cache after', async () => {
    const details = createEntryDetails({ registerUrl: url });
    const [a, b] = await Promise.all([details(5), details(5)]);
    expect(a?.seq).toBe(5);
    expect(b).toBe(a);
    expect((await details(5))?.legalBasis.documentNumber).toBe(a?.legalBasis.documentNumber);
    expect(hits.get('/public/v1/log/5')).toBe(1);
  });

  it('404 and bodies of the wrong shape are unavailable; misses are remembered briefly', async () => {
    const details = createEntryDetails({ registerUrl: url, missTtlMs: 50 });
    expect(await details(404)).toBeUndefined();
    expect(await details(6)).toBeUndefined();
    expect(await details(404)).toBeUndefined();
    expect(hits.get('/public/v1/log/404')).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    await details(404);
    expect(hits.get('/public/v1/log/404')).toBe(2);
  });

  it('gives up after its timeout', async () => {
    const details = createEntryDetails({ registerUrl: url, timeoutMs: 200 });
    const t0 = Date.now();
    expect(await details(8)).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('an unreachable register is unavailable, not an error', async () => {
    const details = createEntryDetails({ registerUrl: 'http://127.0.0.1:1', timeoutMs: 500 });
    expect(await details(5)).toBeUndefined();
  });

  it('evicts the least recently used entry beyond its size', async () => {
    const seen: string[] = [];
    const fakeFetch = (async (u: string | URL | Request) => {
      seen.push(String(u));
      const seq = Number(/(\d+)$/.exec(String(u))![1]);
      return new Response(JSON.stringify(logEntry(seq)), { headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const details = createEntryDetails({ registerUrl: 'http://x', maxEntries: 2, fetch: fakeFetch });
    await details(1); await details(2); await details(1); await details(3);
    await details(1); // still cached (recently used)
    await details(2); // evicted by 3
    expect(seen.map((s) => Number(/(\d+)$/.exec(s)![1]))).toEqual([1, 2, 3, 2]);
  });
});

describe('block page rendering', () => {
  const ctx = { entry: 9, entryUrl: 'https://r.kz/public/v1/log/9', host: 'csam.test', mode: 'restrict' as const, until: 0 };

  it('never shows a URL the public log withholds, even if the category says so alone', () => {
    const hidden = logEntry(9, { kind: 'url', value: null, host: 'csam.test', category: 'child_sexual_abuse' });
    expect(shownResource({ ...ctx, details: hidden })).toEqual({ text: 'csam.test', withheld: true });
    const leaked = logEntry(9, { kind: 'url', value: 'http://csam.test/p/q', host: 'csam.test', category: 'child_sexual_abuse' });
    for (const out of [renderBlockHtml({ ...ctx, details: leaked }), renderBlockJson({ ...ctx, details: leaked })]) {
      expect(out).not.toContain('/p/q');
    }
    const open = logEntry(9, { kind: 'url', value: 'http://shop.test/p', host: 'shop.test', category: 'gambling' });
    expect(shownResource({ ...ctx, details: open }).text).toBe('http://shop.test/p');
  });

  it('chooses JSON only when the client ranks it first', () => {
    expect(wantsJson('application/json')).toBe(true);
    expect(wantsJson('application/problem+json')).toBe(true);
    expect(wantsJson('text/html, application/json;q=0.5')).toBe(false);
    expect(wantsJson('application/json;q=0.9, text/html;q=0.1')).toBe(true);
    expect(wantsJson('*/*')).toBe(false);
    expect(wantsJson(undefined)).toBe(false);
  });
});
