/**
 * autocannon against the 451 block page: a blocked Host (HTML and JSON), a URL rule, and a
 * proxied request to a local origin. Run: `npx tsx bench/sni/blockpage-bench.ts`
 * (BLOCKPAGE_BENCH_SECONDS, default 10, per case; BLOCKPAGE_BENCH_CONNECTIONS, default 50).
 * autocannon runs in this process beside the server: the figures are a floor.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildMatcher, type PublicLogEntry } from '@tizilim/shared';
import { createBlockPageServer } from '@tizilim/filter-gateway/blockpage/block-page-server';

const SECONDS = Number(process.env['BLOCKPAGE_BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BLOCKPAGE_BENCH_CONNECTIONS'] ?? 50);

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  statusCodeStats: Record<string, { count: number }>;
  errors: number;
  non2xx: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; headers?: Record<string, string> }) => Promise<AutocannonResult>;
// autocannon ships no types; this is the part of its API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const entry: PublicLogEntry = {
  seq: 7, time: '2026-03-02T10:00:00.000Z', op: 'add', reason: 'approved', mode: 'restrict', until: null,
  resource: { kind: 'domain', value: 'blocked.test', host: 'blocked.test', display: 'blocked.test', valueSha256: 'ab'.repeat(32) },
  category: 'extremism', decision: { id: 'd7', action: 'restrict', effectiveFrom: '2026-03-01T09:30:00.000Z' },
  legalBasis: { id: 'lb7', kind: 'court_ruling', authority: 'Specialised Inter-District Court of Astana', documentNumber: '2-1234/2026', issuedAt: '2026-02-20T00:00:00.000Z' },
  prevHash: '00'.repeat(32), hash: '11'.repeat(32),
};

async function main(): Promise<void> {
  const origin: Server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('origin says hello\n'); });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originPort = (origin.address() as AddressInfo).port;
  const matcher = buildMatcher([
    { kind: 'domain', value: 'blocked.test', mode: 'restrict', entry: 7 },
    { kind: 'url', value: 'http://shop.test/forbidden', mode: 'restrict', entry: 7 },
  ]);
  const page = createBlockPageServer({
    host: '127.0.0.1', port: 0, getMatcher: () => matcher, publicBaseUrl: 'https://register.example.kz',
    // As the default fetcher behaves once its LRU is warm.
    entryDetails: async () => entry,
    resolve: async () => ['127.0.0.1'], originPort, registry: new Registry(), logger: pino({ level: 'warn' }),
  });
  const { port } = await page.listen();
  const url = `http://127.0.0.1:${port}`;
  console.log(`node ${process.version}, ${SECONDS} s per case, ${CONNECTIONS} connections`);
  const cases: [string, string, Record<string, string>][] = [
    ['451 HTML, blocked Host', '/', { host: 'blocked.test' }],
    ['451 JSON, blocked Host', '/', { host: 'blocked.test', accept: 'application/json' }],
    ['451 HTML, URL rule', '/forbidden/x', { host: 'shop.test' }],
    ['200 proxied to origin', '/other', { host: 'shop.test' }],
  ];
  // Warm-up, not recorded: the first second of each path is JIT compilation.
  for (const [, path, headers] of cases) await autocannon({ url: url + path, connections: 10, duration: 1, headers });
  const results: Record<string, unknown>[] = [];
  for (const [name, path, headers] of cases) {
    const r = await autocannon({ url: url + path, connections: CONNECTIONS, duration: SECONDS, headers });
    const codes = Object.entries(r.statusCodeStats).map(([c, s]) => `${c}:${s.count}`).join(' ');
    console.log(`${name.padEnd(26)} ${String(Math.round(r.requests.average)).padStart(7)} req/s   p50 ${r.latency.p50} ms   p99 ${r.latency.p99} ms   codes ${codes}   errors ${r.errors}`);
    results.push({ name, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, codes, errors: r.errors });
  }
  console.log(JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds: SECONDS, connections: CONNECTIONS, results }));
  await page.close();
  await new Promise<void>((r) => { origin.close(() => r()); origin.closeAllConnections(); });
}

await main();
