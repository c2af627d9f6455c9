/**
 * The public web pages against real Postgres with 1M rules, beside the JSON routes they
 * present, in the same run on one API core:
 *
 *   npx tsx bench/web/web-bench.ts [--database-url=URL] [--rules=1000000] [--seconds=10] [--connections=50] [--keep]
 *
 *   --database-url=URL   an already seeded register (bench/register/seed-million.ts --keep); otherwise
 *                        one is seeded here (several minutes) and dropped at the end unless --keep
 *
 * Cases (autocannon, each after a 2 s warm-up; a deterministic walk over random seqs and names):
 *   JSON entry          GET /public/v1/log/{seq}              Accept: application/json
 *   entry page          GET /log/{seq}                        Accept: text/html
 *   entry page (EDE)    GET /public/v1/log/{seq}              Accept: text/html (the URL blocked answers name)
 *   JSON search         GET /public/v1/entries?domain={name}
 *   search page         GET /search?q={name}                  Accept: text/html
 *   suggest             GET /public/v1/suggest?q={prefix}     type-ahead, prefixes of 2–8 characters of real names
 * The API process is pinned to CPU 0 with taskset, this process (the load generator) to CPU 1;
 * Postgres runs unpinned. Goal: the entry page at ≥ 50 % of the JSON entry's rate.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createBenchDatabase, dropBenchDatabase, seedRegister, DEFAULT_SERVER_URL } from '../register/seed-million.js';
import { registerChildUrl } from '../register/register-child-url.js';

interface AutocannonResult { requests: { total: number }; latency: { p50: number; p99: number }; statusCodeStats: Record<string, { count: number }>; errors: number; non2xx: number }
interface AutocannonRequest { method?: string; path?: string; headers?: Record<string, string>; setupRequest?: (req: AutocannonRequest) => AutocannonRequest }
type Autocannon = (opts: { url: string; connections: number; duration: number; requests?: AutocannonRequest[]; timeout?: number }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const args = new Map(process.argv.slice(2).map((a) => { const [k, v] = a.replace(/^--/, '').split('='); return [k!, v ?? 'true'] as const; }));
const SECONDS = Number(args.get('seconds') ?? 10);
const CONNECTIONS = Number(args.get('connections') ?? 50);
const SERVER_URL = args.get('server') ?? DEFAULT_SERVER_URL;
const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '..', '..');
const hasTaskset = tryExec('taskset', ['-c', '0', 'true']) !== undefined && cpus().length >= 2;
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

function tryExec(cmd: string, argv: string[]): string | undefined {
  try { return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return undefined; }
}
const CLK_TCK = Number(tryExec('getconf', ['CLK_TCK']) ?? 100);
/** utime + stime of a process, in seconds: the API's own work, whatever else the machine runs. */
function cpuSeconds(pid: number): number {
  try {
    const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch { return NaN; }
}
/** Resident memory of a process, MiB. */
function residentMiB(pid: number): number {
  try {
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);
  } catch { return NaN; }
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function startApi(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tizilim-web-bench-'));
  const nodeArgs = ['--import', 'tsx', join(repoRoot, 'bench', 'register', 'register-child.ts')];
  const [cmd, argv] = hasTaskset ? ['taskset', ['-c', '0', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(cmd as string, argv as string[], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, DATABASE_URL: databaseUrl, API_PORT: '0', API_HOST: '127.0.0.1', PUBLIC_RATE_LIMIT: '1000000000', LOG_LEVEL: 'warn', DATA_DIR: dataDir, ADMIN_TOKEN: '', FEED_SNAPSHOT_WARM: '0', BENCH_INSTANCE: 'web' },
  });
  child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const url = await registerChildUrl(child, 'the API', 60_000);
  return { url, child };
}

/** Waits until the in-memory check copy has loaded (the search page asks the public check first). */
async function waitForCheckCopy(url: string): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < 180_000) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^register_check_copy_version (\S+)/m.exec(text);
    if (!m || Number(m[1]) >= 0) return (performance.now() - t0) / 1000;
    await sleep(500);
  }
  throw new Error('check copy not ready after 180 s');
}

function walk(paths: string[], accept: string): AutocannonRequest[] {
  let x = 2463534242;
  return [{ method: 'GET', headers: { accept }, setupRequest: (req) => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return { ...req, path: paths[(x >>> 0) % paths.length]! }; } }];
}

async function run(label: string, url: string, pid: number, requests: AutocannonRequest[]) {
  await autocannon({ url, connections: 10, duration: 2, requests });
  const t0 = performance.now();
  const cpu0 = cpuSeconds(pid);
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests, timeout: 30 });
  const rps = r.requests.total / ((performance.now() - t0) / 1000);
  // Requests per CPU-second of the API process: the rate one busy API core would reach, and
  // far steadier than req/s on a machine shared with other work.
  const perCpu = r.requests.total / (cpuSeconds(pid) - cpu0);
  const codes = Object.entries(r.statusCodeStats).map(([c, s]) => `${c}×${s.count}`).join(' ');
  const row = { label, rps, perCpu, p50: r.latency.p50, p99: r.latency.p99, codes, ok: r.errors === 0 && r.non2xx === 0 };
  console.log(`${label}: ${fmt(rps)} req/s, ${fmt(perCpu)} req per API CPU-s, p50 ${row.p50} ms, p99 ${row.p99} ms, ${codes}${row.ok ? '' : ' (ERRORS)'}`);
  return row;
}

async function main(): Promise<void> {
  if (hasTaskset) tryExec('taskset', ['-p', '-c', '1', String(process.pid)]);
  let databaseUrl = args.get('database-url');
  let seeded: string | undefined;
  if (!databaseUrl) {
    seeded = `tizilim_bench_${process.pid}`;
    databaseUrl = await createBenchDatabase(SERVER_URL, seeded);
    console.log(`seeding ${seeded} with ${args.get('rules') ?? 1_000_000} rules`);
    await seedRegister({ databaseUrl, rules: Number(args.get('rules') ?? 1_000_000), verify: 'none' });
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let api: { url: string; child: ChildProcess } | undefined;
  let failed = false;
  try {
    const head = Number((await client.query<{ seq: string }>('SELECT seq FROM public_log_head WHERE id = 1')).rows[0]!.seq);
    const seqs = Array.from({ length: 20_000 }, (_, i) => 1 + ((i * 2654435761) % head));
    const names = (await client.query<{ v: string }>(`SELECT value AS v FROM resources TABLESAMPLE SYSTEM (5) WHERE kind = 'domain' LIMIT 20000`)).rows.map((r) => r.v);
    console.log(`log head ${fmt(head)}; ${fmt(names.length)} names; ${SECONDS} s per case, ${CONNECTIONS} connections; API ${hasTaskset ? 'pinned to CPU 0, load generator to CPU 1' : 'unpinned'}`);
    api = await startApi(databaseUrl);
    const loadSeconds = await waitForCheckCopy(api.url);
    console.log(`check copy (with the type-ahead index) ready ${loadSeconds.toFixed(1)} s after the API listened; API RSS ${residentMiB(api.child.pid!)} MiB`);
    // Type-ahead prefixes: the first 2–8 characters of real names, as a reader types them.
    const prefixes = names.map((n, i) => n.slice(0, 2 + (i % 7)));
    const rows = [
      await run('JSON entry   GET /public/v1/log/{seq}', api.url, api.child.pid!, walk(seqs.map((s) => `/public/v1/log/${s}`), 'application/json')),
      await run('entry page   GET /log/{seq}', api.url, api.child.pid!, walk(seqs.map((s) => `/log/${s}`), HTML)),
      await run('entry page   GET /public/v1/log/{seq} (Accept: text/html)', api.url, api.child.pid!, walk(seqs.map((s) => `/public/v1/log/${s}`), HTML)),
      await run('JSON search  GET /public/v1/entries?domain={name}', api.url, api.child.pid!, walk(names.map((n) => `/public/v1/entries?domain=${encodeURIComponent(n)}`), 'application/json')),
      await run('search page  GET /search?q={name}', api.url, api.child.pid!, walk(names.map((n) => `/search?q=${encodeURIComponent(n)}`), HTML)),
      await run('suggest      GET /public/v1/suggest?q={prefix}', api.url, api.child.pid!, walk(prefixes.map((p) => `/public/v1/suggest?q=${encodeURIComponent(p)}`), 'application/json')),
    ];
    const sources = (await (await fetch(`${api.url}/metrics`)).text()).split('\n').filter((l) => l.startsWith('register_public_suggest_total'));
    console.log(`API RSS after the run ${residentMiB(api.child.pid!)} MiB; type-ahead answered by source: ${sources.join(', ')}`);
    failed = rows.some((r) => !r.ok);
    console.log('\n| case | req/s | req per API CPU-s | p50 ms | p99 ms | req/s vs its JSON route | per CPU-s vs its JSON route |\n|---|---|---|---|---|---|---|');
    rows.forEach((r, i) => {
      const json = i < 3 ? rows[0]! : i < 5 ? rows[3]! : r;
      const pct = (a: number, b: number) => (r === json ? '—' : `${Math.round((100 * a) / b)} %`);
      console.log(`| ${r.label} | ${fmt(r.rps)} | ${fmt(r.perCpu)} | ${r.p50} | ${r.p99} | ${pct(r.rps, json.rps)} | ${pct(r.perCpu, json.perCpu)} |`);
    });
    const ratio = rows[1]!.rps / rows[0]!.rps;
    const cpuRatio = rows[1]!.perCpu / rows[0]!.perCpu;
    console.log(`\ngoal: entry page ≥ 50 % of the JSON entry: ${Math.round(ratio * 100)} % by req/s, ${Math.round(cpuRatio * 100)} % per API CPU-second — ${ratio >= 0.5 ? 'met' : 'NOT met'} by req/s`);
  } finally {
    await client.end();
    if (api) { api.child.kill('SIGTERM'); await sleep(1000); }
    if (seeded && !args.has('keep')) await dropBenchDatabase(SERVER_URL, seeded);
    else if (seeded) console.log(`kept: DATABASE_URL=${databaseUrl}`);
  }
  if (failed) process.exitCode = 1;
}

await main();
