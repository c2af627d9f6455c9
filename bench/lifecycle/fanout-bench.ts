/**
 * 1,000 simulated gateways long-polling two register-api processes on one Postgres database:
 * approve a decision on one process, and time until every gateway has the change.
 *
 *   npm run bench -- fanout
 *   npx tsx bench/lifecycle/fanout-bench.ts [--gateways=1000] [--approvals=20] [--server=postgres://…]
 *
 * Each simulated gateway is one keep-alive HTTP connection doing what sync-engine.ts does:
 * GET /v1/feed/changes?since=<its version>&wait=30, again as soon as the answer arrives. Half
 * ask instance A, half instance B; approvals are made on A, so B's gateways see the change
 * through NOTIFY. Per approval, latency = answer received by a gateway − approval sent; the
 * run reports p50/p99/max over all gateways × approvals and the slowest "all have it".
 * Goal (issue #10): p99 ≤ 1 s. A temporary database tizilim_bench_fanout_* is created and dropped.
 */
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { createBenchDatabase, dropBenchDatabase, DEFAULT_SERVER_URL } from '../register/seed-million.js';
import { COURT_RULING, addUsers, api, approveOne, quantile, startInstance, stopInstance, type Instance } from './register-instances.js';

const args = new Map(process.argv.slice(2).map((a) => { const [k, v] = a.replace(/^--/, '').split('='); return [k!, v ?? 'true'] as const; }));
const GATEWAYS = Number(args.get('gateways') ?? 1000);
const APPROVALS = Number(args.get('approvals') ?? 20);
const SERVER_URL = args.get('server') ?? DEFAULT_SERVER_URL;
const WAIT_ALL_MS = 15_000;

interface Gateway { version: number; base: string; polls: number; errors: number }

async function main(): Promise<void> {
  const dbName = `tizilim_bench_fanout_${process.pid}`;
  const databaseUrl = await createBenchDatabase(SERVER_URL, dbName);
  const instances: Instance[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  let running = true;
  try {
    instances.push(await startInstance('A', databaseUrl)); // migrates
    instances.push(await startInstance('B', databaseUrl));
    const [a, b] = instances as [Instance, Instance];
    const tokens = await addUsers(databaseUrl);
    const basis = (await api(a.url, 'POST', '/v1/legal-bases', tokens.operator, COURT_RULING)).body.id as string;
    await approveOne(a.url, tokens, basis, ['warmup.fanout.example.kz']);
    const head = (await api(a.url, 'GET', '/v1/feed/changes?since=0&limit=10000', tokens.isp)).body.to as number;

    const waiters = new Map<number, { target: number; resolve: () => void }>();
    const received: number[][] = []; // per gateway: receive time for the version it reached
    const gateways: Gateway[] = Array.from({ length: GATEWAYS }, (_, i) => ({ version: head, base: i % 2 === 0 ? a.url : b.url, polls: 0, errors: 0 }));
    const lastArrival = new Float64Array(GATEWAYS);

    const poll = (g: Gateway, i: number): void => {
      if (!running) return;
      const u = new URL(`/v1/feed/changes?since=${g.version}&wait=30`, g.base);
      const req = http.get({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent, headers: { authorization: `Bearer ${tokens.isp}` } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          const now = performance.now();
          g.polls++;
          if (res.statusCode === 200) {
            const page = JSON.parse(body) as { to: number };
            if (page.to > g.version) { g.version = page.to; lastArrival[i] = now; received[i]?.push(now); }
          } else {
            g.errors++;
          }
          const w = waiters.get(i);
          if (w && g.version >= w.target) { waiters.delete(i); w.resolve(); }
          setImmediate(() => poll(g, i));
        });
      });
      req.on('error', () => { g.errors++; setTimeout(() => poll(g, i), 500); });
    };
    const started = performance.now();
    gateways.forEach((g, i) => { received[i] = []; poll(g, i); });
    // Let every long-poll reach its server and settle.
    await new Promise((r) => setTimeout(r, 3000));
    console.log(`${GATEWAYS} gateways long-polling (${GATEWAYS / 2} on each of 2 API processes), connected in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const latencies: number[] = [];
    const allHaveIt: number[] = [];
    const approveAnswer: number[] = [];
    for (let n = 0; n < APPROVALS; n++) {
      const { sent, seq, answered } = await approveOne(a.url, tokens, basis, [`f${n}.fanout.example.kz`]);
      approveAnswer.push(answered - sent);
      await Promise.race([
        Promise.all(gateways.map((g, i) => g.version >= seq ? undefined : new Promise<void>((resolve) => waiters.set(i, { target: seq, resolve })))),
        new Promise((r) => setTimeout(r, WAIT_ALL_MS)),
      ]);
      const missing = gateways.filter((g) => g.version < seq).length;
      if (missing > 0) console.log(`approval ${n}: ${missing} gateways still without version ${seq} after ${WAIT_ALL_MS} ms`);
      waiters.clear();
      const per = gateways.map((g, i) => (g.version >= seq ? lastArrival[i]! - sent : WAIT_ALL_MS));
      latencies.push(...per);
      allHaveIt.push(Math.max(...per));
      await new Promise((r) => setTimeout(r, 1000));
    }
    running = false;
    latencies.sort((x, y) => x - y);
    allHaveIt.sort((x, y) => x - y);
    const errors = gateways.reduce((s, g) => s + g.errors, 0);
    const f = (ms: number) => `${ms.toFixed(0)} ms`;
    console.log(`\napprove → all ${GATEWAYS} gateways have it (${APPROVALS} approvals on A; gateways on A and B):`);
    console.log(`  per gateway: p50 ${f(quantile(latencies, 0.5))}, p99 ${f(quantile(latencies, 0.99))}, max ${f(latencies.at(-1)!)}`);
    console.log(`  all ${GATEWAYS} have it: median ${f(quantile(allHaveIt, 0.5))}, worst ${f(allHaveIt.at(-1)!)}`);
    console.log(`  approval answered in: median ${f(quantile(approveAnswer.sort((x, y) => x - y), 0.5))}`);
    console.log(`  poll errors: ${errors}; ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')} (shared machine)`);
    const p99 = quantile(latencies, 0.99);
    console.log(`goal p99 ≤ 1 s: ${p99 <= 1000 ? 'met' : 'not met'} (${f(p99)})`);
    if (errors > GATEWAYS * 0.01) process.exitCode = 1;
  } finally {
    running = false;
    agent.destroy();
    await Promise.all(instances.map(stopInstance));
    await dropBenchDatabase(SERVER_URL, dbName);
  }
}

await main();
process.exit();
