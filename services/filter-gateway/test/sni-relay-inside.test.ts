import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildMatcher } from '@tizilim/shared';
import { createSniChecker, type SniChecker } from '../src/sni/sni-checker.js';
import { helloFor } from './sni-fixtures.js';
import { exchange, rawEchoOrigin, type Listening } from './sni-net-fixtures.js';

/**
 * The SNI relay never reaches inside the network (issue 14): a hello naming, or resolving to,
 * a loopback, private, link-local, CGNAT or metadata address gets access_denied and a closed
 * connection, and nothing reaches the origin. The origin is on loopback, where it must not go.
 */
const ACCESS_DENIED = Buffer.from([21, 3, 3, 0, 2, 2, 49]);
const TABLE: Record<string, string[]> = {
  'loopback.example': ['127.0.0.1'],
  'metadata.example': ['169.254.169.254'],
  'private.example': ['10.0.0.1', '192.168.7.7'],
  'cgnat.example': ['100.64.0.9'],
  'mapped.example': ['::ffff:10.0.0.1'],
  'nat64.example': ['64:ff9b::a00:1'],
};

let origin: Listening;
let originConnections = 0;
let checker: SniChecker;
let port: number;
let open: SniChecker;
let openPort: number;
const registry = new Registry();

beforeAll(async () => {
  origin = await rawEchoOrigin();
  origin.server.on('connection', () => { originConnections++; });
  const common = { host: '127.0.0.1', port: 0, getMatcher: () => buildMatcher([]), helloTimeoutMs: 2000, upstreamPort: origin.port, logger: pino({ level: 'silent' }) };
  checker = createSniChecker({ ...common, registry, resolve: async (n) => TABLE[n] ?? ['127.0.0.1'] });
  port = (await checker.listen()).port;
  open = createSniChecker({ ...common, registry: new Registry(), resolve: async () => ['127.0.0.1'], allowInsideDestinations: true });
  openPort = (await open.listen()).port;
});

afterAll(async () => {
  await checker?.close();
  await open?.close();
  await origin?.close();
});

describe('SNI relay: never into the inside', () => {
  it.each([
    ['localhost'], ['db.localhost'], ['127.0.0.1'], ['[::1]'], ['169.254.169.254'], ['10.9.8.7'], ['100.64.0.1'], ['0.0.0.0'],
    ...Object.keys(TABLE).map((n) => [n]),
  ])('SNI %s: access_denied, closed, origin untouched', async (name) => {
    const before = originConnections;
    const r = await exchange(port, [helloFor(name)]);
    expect(r.data.equals(ACCESS_DENIED)).toBe(true);
    expect(originConnections).toBe(before);
  });

  it('counts the refusals', async () => {
    const m = await registry.getSingleMetric('tizilim_gateway_sni_connections_total')!.get();
    expect(m.values.find((v) => v.labels.result === 'inside')?.value).toBeGreaterThanOrEqual(14);
  });

  it('relays to loopback with the RELAY_ALLOW_PRIVATE escape hatch', async () => {
    const hello = helloFor('anything.example');
    const r = await exchange(openPort, [hello], { enough: (d) => d.length >= hello.length });
    expect(r.data.equals(hello)).toBe(true);
  });
});
