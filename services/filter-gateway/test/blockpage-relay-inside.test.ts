import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildMatcher } from '@tizilim/shared';
import { createBlockPageServer, type BlockPageServer } from '../src/blockpage/block-page-server.js';
import { rule } from './blockpage-fixtures.js';

/**
 * The block page's proxy against an attacker (issue 14): URL rules hold against every
 * spelling of the path, sent raw on the socket as no client library would normalise it, and
 * the proxy never reaches inside the network, named or resolved. The origin listens on
 * loopback, which is exactly where the proxy must refuse to go.
 */
const RULES = [
  rule('url', 'http://news.example.kz/articles/1', 21),
  // An old row, recorded before the canonical form: still matched.
  rule('url', 'http://old.example.kz/a/./b/', 22),
  rule('url', 'http://xn--80aaav1a5am5es3bmc.xn--80ao21a/articles/1', 23),
];
const TABLE: Record<string, string[]> = {
  'news.example.kz': ['198.51.100.10'],
  'resolves-to-loopback.example': ['127.0.0.1'],
  'resolves-to-metadata.example': ['169.254.169.254'],
  'resolves-to-private.example': ['10.0.0.5', '192.168.1.1', '172.16.0.1'],
  'resolves-to-cgnat.example': ['100.64.1.1'],
  'resolves-to-mapped.example': ['::ffff:127.0.0.1'],
  'resolves-to-nat64.example': ['64:ff9b::a9fe:a9fe'],
  'resolves-to-ula.example': ['fd00::1'],
  'resolves-to-link-local6.example': ['fe80::1'],
  'resolves-to-unspecified.example': ['0.0.0.0'],
  'mixed.example': ['127.0.0.1', '203.0.113.9'],
};

let origin: Server;
let originHits = 0;
let page: BlockPageServer;
let port: number;
let open: BlockPageServer;
let openPort: number;
const resolve = async (name: string): Promise<string[]> => { const a = TABLE[name]; if (!a) throw new Error('NXDOMAIN'); return a; };

/** Sends the request target and Host exactly as given. */
function raw(p: number, target: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolveRaw, reject) => {
    const s = connect(p, '127.0.0.1', () => s.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    const chunks: Buffer[] = [];
    s.on('data', (d) => chunks.push(d));
    s.on('error', reject);
    s.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolveRaw({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

beforeAll(async () => {
  origin = createServer((_req, res) => { originHits++; res.end('inside secret\n'); });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originPort = (origin.address() as AddressInfo).port;
  const common = {
    host: '127.0.0.1', port: 0, getMatcher: () => buildMatcher(RULES), publicBaseUrl: 'https://register.example.kz',
    entryDetails: async () => undefined, originPort, originTimeoutMs: 500, logger: pino({ level: 'silent' }),
  };
  page = createBlockPageServer({ ...common, resolve, registry: new Registry() });
  port = (await page.listen()).port;
  open = createBlockPageServer({ ...common, resolve: async () => ['127.0.0.1'], registry: new Registry(), allowInsideDestinations: true });
  openPort = (await open.listen()).port;
});

afterAll(async () => {
  await page?.close();
  await open?.close();
  await new Promise<void>((r) => { origin?.close(() => r()); origin?.closeAllConnections(); });
});

describe('block page: a URL rule holds against every spelling', () => {
  it.each([
    '/articles/1', '//articles/1', '/articles//1', '/articles/./1', '/x/../articles/1', '/articles%2F1', '/articles%2f1',
    '/%61rticles/%31', '/articles/1;x', '/articles/1?', '/articles/1/', '/x/%2e%2e/articles/1', '/x/..;/articles/1',
    '/articles/1#frag', '/articles\\1', '/articles/1?page=2', '/articles/1/comments',
  ])('GET %s', async (target) => {
    expect((await raw(port, target, 'news.example.kz')).status).toBe(451);
  });

  it.each(['news.example.kz:80', 'NEWS.Example.KZ', 'news.example.kz.', 'news.example.kz.:80'])('Host: %s', async (host) => {
    expect((await raw(port, '/articles/1', host)).status).toBe(451);
  });

  it('absolute-form targets, and an IDN host in A-labels', async () => {
    expect((await raw(port, 'http://news.example.kz:80//articles/./1?', 'ignored.example')).status).toBe(451);
    expect((await raw(port, 'http://NEWS.example.kz./articles%2F1', 'ignored.example')).status).toBe(451);
    expect((await raw(port, '/articles/1', 'xn--80aaav1a5am5es3bmc.xn--80ao21a')).status).toBe(451);
  });

  it('an old row recorded in another spelling still matches', async () => {
    expect((await raw(port, '/a/b', 'old.example.kz')).status).toBe(451);
    expect((await raw(port, '/a//b/c', 'old.example.kz')).status).toBe(451);
  });

  it('paths that differ are not blocked (path case is kept)', async () => {
    // Not 451: the page is not restricted (the proxy then fails to reach 198.51.100.10: 502/504).
    for (const target of ['/Articles/1', '/articles/10', '/articles', '/articles%3F1']) {
      expect((await raw(port, target, 'news.example.kz')).status, target).not.toBe(451);
    }
  });
});

describe('block page: never a proxy into the inside', () => {
  it.each([
    ['127.0.0.1'], ['127.0.0.1:80'], ['[::1]'], ['[::1]:80'], ['localhost'], ['LOCALHOST.'], ['api.localhost'],
    ['10.1.2.3'], ['192.168.0.1'], ['172.31.255.255'], ['169.254.169.254'], ['100.100.100.200'], ['0.0.0.0'],
    ['[::ffff:127.0.0.1]'], ['[::ffff:a9fe:a9fe]'], ['[64:ff9b::7f00:1]'], ['[fd12::1]'], ['[fe80::1]'], ['[::]'],
    ['2130706433'], ['0x7f.1'], ['127.1'], ['0177.0.0.1'],
  ])('Host: %s → 403', async (host) => {
    const before = originHits;
    const r = await raw(port, '/', host);
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/does not proxy to/);
    expect(originHits).toBe(before);
  });

  it.each(Object.keys(TABLE).filter((n) => n.startsWith('resolves-to-')))('a name that %s → 403', async (name) => {
    const before = originHits;
    const r = await raw(port, '/', name);
    expect(r.status).toBe(403);
    expect(r.body).toMatch(new RegExp(`does not proxy to ${name.replace(/\./g, '\\.')}: `));
    expect(originHits).toBe(before);
  });

  it('absolute form naming an inside host → 403', async () => {
    expect((await raw(port, 'http://169.254.169.254/latest/meta-data/', 'news.example.kz')).status).toBe(403);
    expect((await raw(port, 'http://[::1]/', 'news.example.kz')).status).toBe(403);
  });

  it('a name with an inside and an outside address goes only to the outside one', async () => {
    const before = originHits;
    const r = await raw(port, '/', 'mixed.example');
    expect([502, 504]).toContain(r.status);
    expect(originHits).toBe(before);
  });

  it('RELAY_ALLOW_PRIVATE (allowInsideDestinations) lets tests and labs reach loopback origins', async () => {
    const r = await raw(openPort, '/', 'allowed.example');
    expect(r.status).toBe(200);
    expect(r.body).toBe('inside secret\n');
  });
});
