import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';

/**
 * Cached full tiles are answered ahead of Fastify (tile-front-door.ts), over a real socket: the
 * same bytes and headers as the route that filled the cache, 304 and HEAD as RFC 9110 says,
 * counted in their own metric; everything else still reaches the route and its error shape.
 */
let reg: TestRegister;
let base: string;

beforeAll(async () => {
  reg = await startTestRegister();
  await enforce(apiClient(reg.app), reg, { resources: Array.from({ length: 300 }, (_, i) => `door-${i}.example.kz`) });
  base = await reg.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => reg?.close());

const frontDoorCount = async (status: string): Promise<number> => {
  const text = await reg.app.metrics.metrics();
  return Number(new RegExp(`^tlog_tile_front_door_total\\{status="${status}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
};
const routeCount = async (): Promise<number> => {
  const text = await reg.app.metrics.metrics();
  return Number(/^http_requests_total\{method="GET",route="\/tlog\/tile\/\*",status="200"\} (\d+)/m.exec(text)?.[1] ?? 0);
};

describe('full tiles from memory, before routing', () => {
  it('serves the second read of a full tile from memory with the bytes and headers of the first', async () => {
    for (const path of ['0/000', 'entries/000']) {
      const first = await fetch(`${base}/tlog/tile/${path}`);
      expect(first.status).toBe(200);
      const body = Buffer.from(await first.arrayBuffer());
      const routed = await routeCount();
      const doorBefore = await frontDoorCount('200');
      const second = await fetch(`${base}/tlog/tile/${path}`);
      expect(second.status).toBe(200);
      expect(Buffer.from(await second.arrayBuffer()).equals(body)).toBe(true);
      for (const h of ['content-type', 'cache-control', 'etag', 'access-control-allow-origin', 'content-length']) {
        expect(second.headers.get(h), h).toBe(first.headers.get(h));
      }
      expect(second.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await frontDoorCount('200')).toBe(doorBefore + 1);
      expect(await routeCount()).toBe(routed);
    }
  });

  it('answers 304 to a matching If-None-Match and headers only to HEAD', async () => {
    const first = await fetch(`${base}/tlog/tile/0/000`);
    const etag = first.headers.get('etag')!;
    const before = await frontDoorCount('304');
    const again = await fetch(`${base}/tlog/tile/0/000`, { headers: { 'if-none-match': `"x", W/${etag}` } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    expect(await frontDoorCount('304')).toBe(before + 1);
    const head = await fetch(`${base}/tlog/tile/0/000`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(first.headers.get('content-length'));
  });

  it('leaves partial tiles, misses, queries, other methods and bad paths to the route and its error shape', async () => {
    const partial = await fetch(`${base}/tlog/tile/0/001.p/44`);
    expect(partial.status).toBe(200);
    expect(partial.headers.get('cache-control')).toBe('public, max-age=60');
    const door = await frontDoorCount('200');
    expect((await fetch(`${base}/tlog/tile/0/001.p/44`)).status).toBe(200);
    expect((await fetch(`${base}/tlog/tile/0/000?x=1`)).status).toBe(200);
    expect(await frontDoorCount('200')).toBe(door);
    const post = await fetch(`${base}/tlog/tile/0/000`, { method: 'POST' });
    expect(post.status).toBeGreaterThanOrEqual(400);
    expect(post.status).toBeLessThan(500);
    expect(((await post.json()) as { error: { code: string } }).error.code).toMatch(/^REG_ERR_/);
    const bad = await fetch(`${base}/tlog/tile/0/1`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('REG_ERR_VALIDATION');
    expect((await fetch(`${base}/tlog/tile/entries/005`)).status).toBe(404);
  });

  it('answers pipelined requests in order, and a damaged one with 400 in the register\'s shape', async () => {
    await fetch(`${base}/tlog/tile/0/000`);
    const { port } = new URL(base);
    const exchange = (raw: string) => new Promise<string>((resolve) => {
      const s = net.connect(Number(port), '127.0.0.1');
      let text = '';
      s.on('data', (d) => (text += d.toString('latin1')));
      s.on('close', () => resolve(text));
      s.on('error', () => resolve(text));
      s.write(raw);
    });
    const get = 'GET /tlog/tile/0/000 HTTP/1.1\r\nHost: x\r\n\r\n';
    const pipelined = await exchange(`${get}${get}GET /tlog/tile/0/000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(pipelined.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(3);
    const damaged = await exchange('GET /tlog/tile/0/000 HTTP/1.1\r\nHost: x\r\n\x00bad\r\n\r\n');
    expect(damaged).toMatch(/^HTTP\/1\.1 400/);
    expect(damaged).toContain('"code":"REG_ERR_');
    expect((await fetch(`${base}/tlog/tile/0/000`)).status).toBe(200);
  });
});
