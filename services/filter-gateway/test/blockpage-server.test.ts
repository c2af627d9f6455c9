import { execFile } from 'node:child_process';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildMatcher, type Matcher, type PublicLogEntry } from '@tizilim/shared';
import { createBlockPageServer, type BlockPageServer } from '../src/blockpage/block-page-server.js';
import { logEntry, rule } from './blockpage-fixtures.js';

const execFileP = promisify(execFile);
const BASE = 'https://register.example.kz';
const RULES = [
  rule('domain', 'blocked.test', 7),
  rule('url', 'http://shop.test/forbidden', 12),
  rule('url', 'http://csam.test/secret-path', 13),
  rule('domain', 'nodetails.test', 14),
  rule('domain', 'suspended.test', 15, '2999-01-01T00:00:00.000Z'),
  rule('domain', 'expired.test', 16, '2020-01-01T00:00:00.000Z'),
  rule('ip', '192.0.2.1', 17),
  rule('domain_suffix', 'evil.test', 18),
];
const ENTRIES = new Map<number, PublicLogEntry>([
  [7, logEntry(7, { basis: { authority: 'Суд <script>alert(1)</script> района', documentNumber: '2-1234/2026' } })],
  [12, logEntry(12, { kind: 'url', value: 'http://shop.test/forbidden', host: 'shop.test', category: 'gambling', basis: { kind: 'prosecutor_recommendation', authority: 'Prosecutor-General', documentNumber: 'PG-77' } })],
  [13, logEntry(13, { kind: 'url', value: null, host: 'csam.test', category: 'child_sexual_abuse', basis: { kind: 'ministry_order', authority: 'Ministry of Culture and Information', documentNumber: 'MO-5' } })],
  [15, logEntry(15, { value: 'suspended.test', host: 'suspended.test', mode: 'suspend', until: '2999-01-01T00:00:00.000Z' })],
  [18, logEntry(18, { kind: 'domain_suffix', value: 'evil.test', host: 'evil.test', category: 'drugs' })],
]);

let matcher: Matcher = buildMatcher(RULES);
const registry = new Registry();
let origin: Server;
let originPort: number;
let page: BlockPageServer;
let port: number;
const originSeen: { host?: string; url?: string; via?: string; body?: string }[] = [];

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }

function get(host: string, path = '/', opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host, ...opts.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function curl(host: string, path = '/', extra: string[] = []): Promise<{ status: number; head: string; body: string }> {
  const { stdout } = await execFileP('curl', ['-s', '-i', '--max-time', '10', '-H', `Host: ${host}`, ...extra, `http://127.0.0.1:${port}${path}`]);
  const at = stdout.indexOf('\r\n\r\n');
  const head = stdout.slice(0, at);
  return { status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1]), head, body: stdout.slice(at + 4) };
}

beforeAll(async () => {
  origin = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const seen = { host: req.headers.host!, url: req.url!, via: String(req.headers.via), body: Buffer.concat(chunks).toString() };
      originSeen.push(seen);
      res.writeHead(200, { 'content-type': 'application/json', 'x-origin': 'yes', 'connection': 'keep-alive, x-private', 'x-private': 'drop me' });
      res.end(JSON.stringify(seen));
    });
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  originPort = (origin.address() as AddressInfo).port;
  page = createBlockPageServer({
    host: '127.0.0.1', port: 0, getMatcher: () => matcher, publicBaseUrl: `${BASE}/`,
    entryDetails: async (entry) => ENTRIES.get(entry),
    resolve: async (name) => { if (name.endsWith('.test')) return ['127.0.0.1']; throw new Error('NXDOMAIN'); },
    originPort, registry, logger: pino({ level: 'silent' }), allowInsideDestinations: true,
  });
  port = (await page.listen()).port;
});

afterAll(async () => {
  await page?.close();
  await new Promise<void>((r) => { origin?.close(() => r()); origin?.closeAllConnections(); });
});

describe('block page: blocked hosts', () => {
  it('answers 451 with a blocked-by link to the public entry (curl)', async () => {
    const r = await curl('blocked.test');
    expect(r.status).toBe(451);
    expect(r.head).toMatch(/^HTTP\/1\.1 451 Unavailable For Legal Reasons/);
    expect(r.head).toMatch(new RegExp(`\\r\\nlink: <${BASE}/public/v1/log/7>; rel="blocked-by"`, 'i'));
    expect(r.head).toMatch(/content-type: text\/html; charset=utf-8/i);
    expect(r.head).toMatch(/cache-control: no-store/i);
  });

  it('names basis kind, authority, number and date, decision date, category and appeal, in kk, ru and en', async () => {
    const r = await get('blocked.test');
    expect(r.status).toBe(451);
    for (const lang of ['kk', 'ru', 'en']) expect(r.body).toContain(`<section lang="${lang}">`);
    // Kazakh, Russian, English titles.
    expect(r.body).toContain('Бұл ресурсқа қолжетімділік шектелген');
    expect(r.body).toContain('Доступ к этому ресурсу ограничен');
    expect(r.body).toContain('Access to this resource is restricted');
    // Basis kind in each language, authority (escaped), number, dates, category, appeal.
    expect(r.body).toContain('Сот шешімі');
    expect(r.body).toContain('Решение суда');
    expect(r.body).toContain('Court ruling');
    expect(r.body).toContain('Суд &lt;script&gt;alert(1)&lt;/script&gt; района');
    expect(r.body).not.toContain('<script>');
    expect(r.body).toContain('2-1234/2026');
    expect(r.body).toContain('2026-02-20');
    expect(r.body).toContain('2026-03-01');
    expect(r.body).toContain('Экстремизм');
    expect(r.body).toContain('Extremism');
    expect(r.body).toContain('Қалай шағымдануға болады');
    expect(r.body).toContain('Как обжаловать');
    expect(r.body).toContain('How to appeal');
    expect(r.body).toContain(`${BASE}/public/v1/log/7`);
  });

  it('answers JSON when asked for it', async () => {
    const r = await get('Blocked.Test.:8081', '/any/page?x=1', { headers: { accept: 'application/json' } });
    expect(r.status).toBe(451);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers.link).toBe(`<${BASE}/public/v1/log/7>; rel="blocked-by"`);
    const j = JSON.parse(r.body) as { error: { code: string; details: Record<string, unknown> } };
    expect(j.error.code).toBe('unavailable_for_legal_reasons');
    expect(j.error.details).toMatchObject({
      entry: 7, entryUrl: `${BASE}/public/v1/log/7`, host: 'blocked.test', category: 'extremism', mode: 'restrict',
      legalBasis: { kind: 'court_ruling', documentNumber: '2-1234/2026', issuedAt: '2026-02-20T00:00:00.000Z' },
      decision: { id: 'dec-7', effectiveFrom: '2026-03-01T09:30:00.000Z' },
    });
    expect(Object.keys(j.error.details['appeal'] as object)).toEqual(['kk', 'ru', 'en']);
    // curl with the header picks JSON too; a browser's Accept keeps HTML.
    expect((await curl('blocked.test', '/', ['-H', 'Accept: application/json'])).body).toMatch(/^\{"error"/);
    expect((await get('blocked.test', '/', { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } })).body).toMatch(/^<!doctype html>/);
  });

  it('blocks names under a suffix rule and answers HEAD without a body', async () => {
    expect((await get('www.shop.evil.test')).status).toBe(451);
    const h = await get('blocked.test', '/', { method: 'HEAD' });
    expect(h.status).toBe(451);
    expect(h.body).toBe('');
  });

  it('still answers 451 with entry number and link when details are unavailable', async () => {
    const r = await get('nodetails.test');
    expect(r.status).toBe(451);
    expect(r.headers.link).toBe(`<${BASE}/public/v1/log/14>; rel="blocked-by"`);
    expect(r.body).toContain('№ 14');
    expect(r.body).toContain('The details of the entry are unavailable right now');
  });

  it('shows a suspension and its end; a lapsed one is not enforced', async () => {
    const r = await get('suspended.test');
    expect(r.status).toBe(451);
    expect(r.body).toContain('Suspended until');
    expect(r.body).toContain('2999-01-01 00:00 UTC');
    const e = await get('expired.test', '/x');
    expect(e.status).toBe(200);
    expect(e.headers['x-origin']).toBe('yes');
  });

  it('blocks an IP-literal host under an IP rule', async () => {
    expect((await get('192.0.2.1')).status).toBe(451);
  });

  it('follows matcher updates on the next request', async () => {
    matcher = buildMatcher([...RULES, rule('domain', 'allowed.test', 30)]);
    try {
      expect((await get('allowed.test')).status).toBe(451);
    } finally { matcher = buildMatcher(RULES); }
    expect((await get('allowed.test')).status).toBe(200);
  });
});

describe('block page: URL rules and proxying', () => {
  it('answers 451 for a matching path and proxies the rest with Host preserved (curl)', async () => {
    const blocked = await curl('shop.test', '/forbidden');
    expect(blocked.status).toBe(451);
    expect(blocked.head).toMatch(new RegExp(`link: <${BASE}/public/v1/log/12>; rel="blocked-by"`, 'i'));
    expect(blocked.body).toContain('Представление прокурора');
    expect(blocked.body).toContain('PG-77');
    expect((await curl('shop.test', '/forbidden/item?id=1')).status).toBe(451);
    expect((await curl('shop.test', '/forbidden?page=2')).status).toBe(451);

    const ok = await curl('shop.test', '/catalogue?q=1');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ host: 'shop.test', url: '/catalogue?q=1', via: '1.1 tizilim-blockpage' });
    // Not a segment boundary: a different path.
    expect((await curl('shop.test', '/forbiddenfruit')).status).toBe(200);
  });

  it('cannot be walked around with dot segments or escapes', async () => {
    for (const p of ['/x/../forbidden', '/%66orbidden', '/./forbidden/', '/%2e%2e/forbidden']) {
      expect((await get('shop.test', p)).status, p).toBe(451);
    }
  });

  it('proxies methods, bodies and response headers; drops hop-by-hop ones', async () => {
    const r = await get('shop.test:8081', '/submit', { method: 'POST', body: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ host: 'shop.test:8081', url: '/submit', body: 'a=1&b=2' });
    expect(r.headers['x-origin']).toBe('yes');
    expect(r.headers['x-private']).toBeUndefined();
  });

  it('never prints the URL of a sensitive entry, in HTML or JSON', async () => {
    const html = await get('csam.test', '/secret-path');
    expect(html.status).toBe(451);
    expect(html.body).not.toContain('secret-path');
    expect(html.body).toContain('csam.test');
    expect(html.body).toContain('address not published');
    const json = await get('csam.test', '/secret-path/more', { headers: { accept: 'application/json' } });
    expect(json.status).toBe(451);
    expect(json.body).not.toContain('secret-path');
  });

  it('answers 508 to a request that looped back through itself, 502 when the origin is gone', async () => {
    expect((await get('shop.test', '/a', { headers: { via: '1.1 tizilim-blockpage' } })).status).toBe(508);
    expect((await get('unknown.example', '/')).status).toBe(502);
  });

  it('answers 400 to a request without a Host', async () => {
    const text = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.0\r\n\r\n'));
      let out = '';
      s.on('data', (d: Buffer) => { out += d.toString(); });
      s.on('close', () => resolve(out));
    });
    expect(text).toMatch(/^HTTP\/1\.1 400/);
  });

  it('answers fetch clients too', async () => {
    const { request: undiciRequest } = await import('undici');
    const r = await undiciRequest(`http://127.0.0.1:${port}/forbidden`, { headers: { host: 'shop.test' } });
    expect(r.statusCode).toBe(451);
    await r.body.text();
    const f = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: 'application/json' } });
    // fetch sends Host 127.0.0.1:port: not blocked, proxied to the origin's port on 127.0.0.1.
    expect(f.status).toBe(200);
    await f.text();
  });

  it('counts requests by outcome', async () => {
    const text = await registry.getSingleMetricAsString('tizilim_gateway_blockpage_requests_total');
    expect(text).toMatch(/result="blocked"} [1-9]/);
    expect(text).toMatch(/result="proxied"} [1-9]/);
  });
});

describe('block page lifecycle', () => {
  it('close() ends idle keep-alive connections', async () => {
    const p = createBlockPageServer({
      host: '127.0.0.1', port: 0, getMatcher: () => matcher, publicBaseUrl: BASE, entryDetails: async () => undefined,
      resolve: async () => ['127.0.0.1'], registry: new Registry(), logger: pino({ level: 'silent' }),
    });
    const { port: p2 } = await p.listen();
    const closed = new Promise<number>((resolve) => {
      const s = connect(p2, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: blocked.test\r\n\r\n'));
      let t0 = 0;
      s.on('data', () => { t0 = Date.now(); });
      s.on('close', () => resolve(Date.now() - t0));
    });
    await new Promise((r) => setTimeout(r, 200));
    await p.close();
    expect(await closed).toBeLessThan(1000);
  });
});
