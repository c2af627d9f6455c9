/**
 * DNS over HTTPS (RFC 8484 GET `/dns-query?dns=<base64url>`) against the gateway's DoH port
 * with autocannon: blocked names and cached allowed names, ~10 s each. The gateway starts
 * from a snapshot file of the 100k rule set (no register) and forwards allowed names to a
 * local Unbound that answers every name itself; the cached case is warmed first.
 *
 *   npx tsx bench/dns/doh-bench.ts [--seconds 10] [--connections 32] [--workers 1] [--names 1000]
 *
 * autocannon runs in this process and shares the two cores with the gateway, so the gateway's
 * CPU time is sampled too (requests per busy gateway core). Loopback only.
 */
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRuleSet, loadDatasets, prng } from './lib/datasets.js';
import { cpuDelta, cpuSnapshot, freePort, loadAverage, removeDir, trackDir } from './lib/procs.js';
import { startGateway, startUnbound, upstreamUnboundConf, writeGatewaySnapshot, type Server } from './lib/servers.js';
import { encodeQuery } from './lib/udp-query.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const SECONDS = Number(arg('seconds', '10'));
const CONNECTIONS = Number(arg('connections', '32'));
const WORKERS = Number(arg('workers', '1'));
const NAMES = Number(arg('names', '1000'));

interface Histogram { average: number; mean: number; p50: number; p90: number; p99: number; max: number; total: number }
interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
type Autocannon = (opts: {
  url: string; connections: number; duration: number; requests: { method: 'GET'; path: string }[];
}) => Promise<AutocannonResult>;
// autocannon ships no types; this is the part of its API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const path = (name: string): string => `/dns-query?dns=${encodeQuery(name, 1, 0).toString('base64url')}`;

async function main(): Promise<void> {
  const started = new Date();
  const tmp = trackDir(mkdtempSync(join(tmpdir(), 'tizilim-doh-bench-')));
  let upstream: Server | undefined;
  let gateway: Server | undefined;
  try {
    const d = loadDatasets();
    const spec = buildRuleSet(d, '100k');
    const rnd = prng(7);
    const blocked = Array.from({ length: NAMES }, (_, i) => (i % 2 === 0 ? spec.exact[Math.floor(rnd() * spec.exact.length)]! : `www.${spec.suffixes[Math.floor(rnd() * spec.suffixes.length)]!}`));
    const blockedSet = new Set(spec.exact);
    const suffixSet = new Set(spec.suffixes);
    const allowed = d.popular.filter((n) => !blockedSet.has(n) && !suffixSet.has(n) && !n.split('.').some((_, k, a) => suffixSet.has(a.slice(k).join('.'))))
      .filter((n) => !/\.(onion|arpa|test|invalid|local|localhost)$/.test(n)).slice(0, NAMES);
    const dataDir = join(tmp, 'gateway');
    mkdirSync(dataDir);
    await writeGatewaySnapshot(dataDir, spec.rules, 1000);
    upstream = await startUnbound('upstream', tmp, upstreamUnboundConf(tmp, await freePort()), { name: 'probe.example', rcode: 0 });
    // Plain-HTTP DoH (DOH_PLAIN=1): autocannon speaks HTTP/1.1 without TLS; this bench measures the DoH handler.
    const g = await startGateway(`gateway (${WORKERS} worker${WORKERS > 1 ? 's' : ''})`, dataDir, WORKERS, upstream.port, spec.exact[0]!, { DOH_PLAIN: '1' });
    gateway = g;
    const url = `http://127.0.0.1:${g.ports.doh}`;
    console.log(`DoH bench ${started.toISOString()}  node ${process.version}  load ${loadAverage()}  ${g.name}, 100k rules, `
      + `${SECONDS} s per case, ${CONNECTIONS} connections, ${NAMES} distinct names per case`);

    // Sanity and warm-up: every allowed name into the cache, blocked names answered NXDOMAIN.
    for (const [names, rcode] of [[allowed, 0], [blocked, 3]] as const) {
      for (const n of names) {
        const res = await fetch(`${url}${path(n)}`);
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status !== 200 || (body[3]! & 0x0f) !== rcode) throw new Error(`${n}: HTTP ${res.status}, rcode ${body[3]! & 0x0f}, expected ${rcode}`);
      }
    }
    await autocannon({ url, connections: CONNECTIONS, duration: 2, requests: allowed.map((n) => ({ method: 'GET', path: path(n) })) });

    const out: string[] = ['| case | req/s | gateway CPU s | req/s per busy gateway core | latency p50 ms | p99 ms | max ms | non-2xx | errors |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
    for (const [label, names] of [['blocked (NXDOMAIN + SOA)', blocked], ['cached allowed', allowed]] as const) {
      const before = cpuSnapshot(g.pids());
      const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests: names.map((n) => ({ method: 'GET', path: path(n) })) });
      const cpu = cpuDelta(before, g.pids());
      const total = r['2xx'];
      out.push(`| ${label} | ${(total / r.duration).toFixed(0)} | ${cpu.toFixed(2)} | ${(total / cpu).toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${r.latency.max} | ${r.non2xx} | ${r.errors + r.timeouts} |`);
      console.log(out.at(-1));
    }
    console.log(`\n${out.join('\n')}\n\nload average at the end ${loadAverage()}`);
  } finally {
    await gateway?.stop().catch(() => undefined);
    await upstream?.stop().catch(() => undefined);
    removeDir(tmp);
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
