/**
 * The register's benchmarks against real Postgres with 1M active rules.
 *
 *   npx tsx bench/register/register-bench.ts [options]
 *
 *   --rules=1000000        size of the seeded register (seed-million.ts)
 *   --database-url=URL     use an already seeded database (seed-million.ts --keep) instead of
 *                          seeding one; it is neither created nor dropped
 *   --keep                 keep the database this run seeded (prints its DATABASE_URL)
 *   --seconds=12           duration of each autocannon run (after a 2 s warm-up)
 *   --connections=50       autocannon connections
 *   --approvals=200        approve → visible round trips, per case (two instances, one instance)
 *   --only=check,entries,export,snapshot,approve   run some cases only
 *   --verify=sql|full|none chain verification after seeding (default sql: SHA-256 links in SQL)
 *   --server=postgres://postgres@127.0.0.1:5432/postgres
 *   --profile=DIR          run instance A with --cpu-prof into DIR (a .cpuprofile on exit)
 *
 * Measures, each bounded in time:
 *  - GET /public/v1/check?name=… (autocannon, 50/50 blocked/allowed names): req/s, latency,
 *    CPU seconds of the API process and of its Postgres backends → req/s per busy API core;
 *  - GET /public/v1/entries JSON pages (first page, a random cursor, and ?domain= at 4
 *    connections: each such page scans every resource) and the whole 1M export as text/csv and
 *    NDJSON: time, bytes, RSS of the API process sampled every 50 ms during the stream;
 *  - GET /v1/feed/snapshot (identity and gzip): first byte, last byte, bytes, RSS growth;
 *  - approve → visible: a long-poll GET /v1/feed/changes?wait=30 open on instance B (a second
 *    API process on the same database), POST /v1/decisions/:id/approve on instance A, time from
 *    sending the approval to the long-poll's answer; and the same on one instance.
 * The API process (A) is pinned to CPU 0 with taskset, instance B and this process (load
 * generator) to CPU 1; Postgres runs unpinned on the same two cores.
 *
 * Exit status: 1 on errors (wrong answers, non-2xx, broken streams, a long-poll that does not
 * show the approved change); goals are reported as met / not met and do not fail the run.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateApiToken, hashApiToken } from '@tizilim/register-api/auth/api-token';
import { encodeCursor } from '@tizilim/register-api/schemas/common-schemas';
import { createBenchDatabase, dropBenchDatabase, seedRegister, DEFAULT_SERVER_URL, type SeedReport } from './seed-million.js';
import { datasetLines } from './rule-names.js';
import { registerChildUrl } from './register-child-url.js';

// ---------------------------------------------------------------------------------------------
// options

const args = new Map(process.argv.slice(2).map((a) => { const [k, v] = a.replace(/^--/, '').split('='); return [k!, v ?? 'true'] as const; }));
if (args.has('help')) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const RULES = Number(args.get('rules') ?? 1_000_000);
const SECONDS = Number(args.get('seconds') ?? 12);
const CONNECTIONS = Number(args.get('connections') ?? 50);
const APPROVALS = Number(args.get('approvals') ?? 200);
const SERVER_URL = args.get('server') ?? DEFAULT_SERVER_URL;
const ONLY = new Set((args.get('only') ?? 'check,entries,export,snapshot,approve').split(','));
const VERIFY = (args.get('verify') ?? 'sql') as 'full' | 'sql' | 'none';
/** Measured in the database before the cases run: what the snapshot and the export must hold. */
const counts = { active: 0, spans: 0 };
const GOALS = { checkRps: 10_000, snapshotSeconds: 5, approveP99Ms: 100, exportRssGrowthMiB: 100 };

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '..', '..');
const CLK_TCK = Number(tryExec('getconf', ['CLK_TCK']) ?? 100);
const hasTaskset = tryExec('taskset', ['-c', '0', 'true']) !== undefined && cpus().length >= 2;

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  throughput: { average: number };
  statusCodeStats: Record<string, { count: number }>;
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
interface AutocannonRequest { method?: string; path?: string; headers?: Record<string, string>; setupRequest?: (req: AutocannonRequest) => AutocannonRequest }
type Autocannon = (opts: { url: string; connections: number; duration: number; headers?: Record<string, string>; requests?: AutocannonRequest[]; timeout?: number }) => Promise<AutocannonResult>;
// autocannon ships no types; this is the part of its API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// ---------------------------------------------------------------------------------------------
// small helpers

function tryExec(cmd: string, argv: string[]): string | undefined {
  try { return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return undefined; }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MiB = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
let failures = 0;
function fail(what: string): void { failures++; console.log(`ERROR: ${what}`); }

/** utime + stime of a process, in seconds (0 if it is gone). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch { return 0; }
}

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch { return 0; }
}

/** CPU seconds of every Postgres backend serving `dbName`, by pid. */
function postgresCpu(dbName: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres: ') && cmd.includes(` ${dbName} `)) out.set(Number(entry), cpuSeconds(Number(entry)));
    } catch { /* gone */ }
  }
  return out;
}

/** CPU seconds the API process and the database's backends spent between start() and stop(). */
function cpuMeter(apiPid: number, dbName: string) {
  const api0 = cpuSeconds(apiPid);
  const pg0 = postgresCpu(dbName);
  const t0 = performance.now();
  return () => {
    const pg1 = postgresCpu(dbName);
    let pgSum = 0;
    for (const [pid, c] of pg1) pgSum += c - (pg0.get(pid) ?? 0);
    return { wall: (performance.now() - t0) / 1000, api: cpuSeconds(apiPid) - api0, postgres: pgSum };
  };
}

/**
 * Samples the RSS of `pid` every 50 ms until stopped; returns before, max, after, and the max
 * of each quarter of the run (a flat stream plateaus in the first quarter; a leak climbs).
 */
function rssSampler(pid: number) {
  const before = rssBytes(pid);
  const t0 = performance.now();
  const samples: [number, number][] = [];
  const timer = setInterval(() => samples.push([performance.now() - t0, rssBytes(pid)]), 50);
  return () => {
    clearInterval(timer);
    const after = rssBytes(pid);
    const span = performance.now() - t0;
    const quarters = [0, 1, 2, 3].map((q) => Math.max(0, ...samples.filter(([t]) => t >= (q * span) / 4 && t < ((q + 1) * span) / 4).map(([, r]) => r)));
    return { before, max: Math.max(after, ...samples.map(([, r]) => r)), after, quarters };
  };
}
const quartersMiB = (q: number[], before: number) => q.map((x) => (x ? ((x - before) / 1048576).toFixed(0) : '-')).join(' / ');

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)]! : NaN;
}

function table(title: string, head: string[], rows: (string | number)[][]): void {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  console.log(`\n## ${title}`);
  console.log(`| ${head.map((h, i) => h.padEnd(widths[i]!)).join(' | ')} |`);
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of cells.slice(1)) console.log(`| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`);
}

const goal = (met: boolean) => (met ? 'met' : 'NOT met');

// ---------------------------------------------------------------------------------------------
// the API processes

interface Instance { name: string; url: string; child: ChildProcess; pid: number }
const children: ChildProcess[] = [];

async function startInstance(name: string, databaseUrl: string, cpu: number | null): Promise<Instance> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tizilim-register-bench-'));
  const profileDir = args.get('profile');
  const nodeArgs = [...(profileDir && name === 'A' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), '--import', 'tsx', join(here, 'register-child.ts')];
  const [cmd, argv] = cpu !== null && hasTaskset ? ['taskset', ['-c', String(cpu), process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(cmd as string, argv as string[], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: {
      ...process.env, DATABASE_URL: databaseUrl, API_PORT: '0', API_HOST: '127.0.0.1', PUBLIC_RATE_LIMIT: '1000000000', LOG_LEVEL: 'warn',
      DATA_DIR: dataDir, PUBLIC_BASE_URL: 'http://127.0.0.1:8080', BENCH_INSTANCE: name, ADMIN_TOKEN: '',
      // No snapshot copy at start, so the first snapshot case measures the database stream; with
      // the default (1) every gateway gets the copy, which the later cases measure.
      FEED_SNAPSHOT_WARM: process.env['FEED_SNAPSHOT_WARM'] ?? '0',
    },
  });
  children.push(child);
  child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const url = await registerChildUrl(child, name, 60_000);
  return { name, url, child, pid: child.pid! };
}

async function stopInstance(i: Instance): Promise<void> {
  if (i.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => i.child.once('exit', () => r()));
  i.child.kill('SIGTERM');
  await Promise.race([exited, sleep(8000)]);
  if (i.child.exitCode === null) i.child.kill('SIGKILL');
}

// ---------------------------------------------------------------------------------------------
// HTTP

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

async function api(base: string, method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: parsed };
}

interface StreamResult { status: number; firstByteMs: number; lastByteMs: number; wireBytes: number; bodyBytes: number; lines: number; firstLine: string; headers: Record<string, string | string[] | undefined> }

/** GETs `path` as a stream: time to the response head, to the first body byte and to the last; bytes on the wire and decoded; lines. */
function streamGet(base: string, path: string, headers: Record<string, string>, timeoutMs: number): Promise<StreamResult & { headMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest(base + path, { headers, agent: false }, (res) => {
      const headMs = performance.now() - t0;
      let firstByteMs = NaN;
      let wireBytes = 0;
      let bodyBytes = 0;
      let lines = 0;
      let firstLine = '';
      res.on('data', (d: Buffer) => { if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - t0; wireBytes += d.length; });
      const decoded = res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip()) : res;
      decoded.on('data', (d: Buffer) => {
        if (lines === 0 && firstLine.length < 4096) firstLine += d.toString('utf8', 0, Math.min(d.length, 4096)).split('\n')[0];
        bodyBytes += d.length;
        for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++;
      });
      decoded.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, headMs, firstByteMs, lastByteMs: performance.now() - t0, wireBytes, bodyBytes, lines, firstLine, headers: res.headers }); });
      decoded.on('error', (e) => { clearTimeout(timer); reject(e); });
      res.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
    const timer = setTimeout(() => req.destroy(new Error(`GET ${path}: no end after ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// fixtures in the database

interface Tokens { operator: string; approver: string; isp: string }

/** The bench's own people (the seed's tokens are not kept): operator, approver, isp (of an ISP). */
async function addBenchUsers(client: pg.Client): Promise<Tokens> {
  const tokens: Tokens = { operator: generateApiToken(), approver: generateApiToken(), isp: generateApiToken() };
  const admin = await client.query<{ id: string }>(`INSERT INTO users (name, roles, token_hash) VALUES ('bench admin', '{admin}', $1) RETURNING id`, [hashApiToken(generateApiToken())]);
  const adminId = admin.rows[0]!.id;
  const isp = await client.query<{ id: string }>(`INSERT INTO isps (name, contact, created_by) VALUES ($1, 'noc@bench.invalid', $2) RETURNING id`, [`Bench ISP ${process.pid}-${Date.now()}`, adminId]);
  await client.query(`INSERT INTO users (name, roles, token_hash, created_by) VALUES ('bench operator', '{operator}', $1, $2)`, [hashApiToken(tokens.operator), adminId]);
  await client.query(`INSERT INTO users (name, roles, token_hash, created_by) VALUES ('bench approver', '{approver}', $1, $2)`, [hashApiToken(tokens.approver), adminId]);
  await client.query(`INSERT INTO users (name, roles, token_hash, created_by, isp_id) VALUES ('bench isp', '{isp}', $1, $2, $3)`, [hashApiToken(tokens.isp), adminId, isp.rows[0]!.id]);
  return tokens;
}

interface CheckNames { blocked: string[]; underSuffix: string[]; allowed: string[] }

/**
 * Names for /public/v1/check: exact `domain` rules and names under `domain_suffix` rules (both
 * must answer restricted), and Tranco names that no domain or suffix rule covers (allowed).
 */
async function checkNames(client: pg.Client): Promise<CheckNames> {
  // Enough distinct restricted names that none is asked twice in a run (≈12k req/s × 12 s).
  const blocked = (await client.query<{ v: string }>(`SELECT value AS v FROM resources TABLESAMPLE SYSTEM (10) WHERE kind = 'domain' LIMIT 60000`)).rows.map((r) => r.v);
  const suffixes = (await client.query<{ v: string }>(`SELECT value AS v FROM resources WHERE kind = 'domain_suffix' ORDER BY random() LIMIT 2000`)).rows.map((r) => r.v);
  const underSuffix = Array.from({ length: 15_000 }, (_, i) => `${['www', 'cdn', 'x1', 'a.b'][i % 4]}${Math.floor(i / suffixes.length) || ''}.${suffixes[i % suffixes.length]}`);
  const candidates = datasetLines('popular-tranco-top100k.csv').map((l) => l.slice(l.indexOf(',') + 1)).slice(0, 12_000).flatMap((n, i) => (i % 2 ? [`www.${n}`] : [n]));
  const parents = new Set<string>();
  for (const n of candidates) { let p = n; for (;;) { parents.add(p); const dot = p.indexOf('.'); if (dot < 0) break; p = p.slice(dot + 1); } }
  const covered = new Set((await client.query<{ kind: string; v: string }>(
    `SELECT kind, value AS v FROM resources WHERE (kind = 'domain' AND value = ANY($1)) OR (kind = 'domain_suffix' AND value = ANY($2))`,
    [candidates, [...parents]])).rows.map((r) => `${r.kind} ${r.v}`));
  const allowed = candidates.filter((n) => {
    if (covered.has(`domain ${n}`)) return false;
    for (let p = n; ;) { if (covered.has(`domain_suffix ${p}`)) return false; const dot = p.indexOf('.'); if (dot < 0) return true; p = p.slice(dot + 1); }
  });
  return { blocked, underSuffix, allowed };
}

// ---------------------------------------------------------------------------------------------
// the cases

/** A deterministic pseudo-random walk over `paths`, one per request. */
function rotating(paths: string[]): AutocannonRequest[] {
  let x = 2463534242;
  return [{ method: 'GET', setupRequest: (req) => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return { ...req, path: paths[(x >>> 0) % paths.length]! }; } }];
}

async function loadRun(label: string, inst: Instance, dbName: string, requests: AutocannonRequest[], connections = CONNECTIONS) {
  await autocannon({ url: inst.url, connections: Math.min(10, connections), duration: 2, requests }); // warm-up: JIT, pools, caches
  const meter = cpuMeter(inst.pid, dbName);
  const r = await autocannon({ url: inst.url, connections, duration: SECONDS, requests, timeout: 30 });
  const cpu = meter();
  const codes = Object.entries(r.statusCodeStats).map(([c, s]) => `${c}×${s.count}`).join(' ');
  if (r.errors > 0 || r.non2xx > 0) fail(`${label}: ${r.errors} errors, ${r.non2xx} non-2xx (${codes})`);
  const rps = r.requests.total / cpu.wall;
  return {
    label: connections === CONNECTIONS ? label : `${label} (${connections} connections)`, rps, p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, total: r.requests.total, codes, errors: r.errors,
    apiCpu: cpu.api / cpu.wall, pgCpu: cpu.postgres / cpu.wall, perApiCore: cpu.api > 0 ? r.requests.total / cpu.api : NaN,
    perCpu: cpu.api + cpu.postgres > 0 ? r.requests.total / (cpu.api + cpu.postgres) : NaN, mbps: r.throughput.average / 1048576,
  };
}

type LoadRow = Awaited<ReturnType<typeof loadRun>>;
function loadTable(title: string, rows: LoadRow[]): void {
  table(title, ['case', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'requests', 'API CPU (cores)', 'PG CPU (cores)', 'req per API CPU-s', 'req per (API+PG) CPU-s', 'status codes'],
    rows.map((r) => [r.label, fmt(r.rps), r.p50, r.p99, r.max, fmt(r.total), r.apiCpu.toFixed(2), r.pgCpu.toFixed(2), fmt(r.perApiCore), fmt(r.perCpu), r.codes]));
}

/** Requests `paths` in order, wrapping around: a name is asked again only after all the others. */
function sequential(paths: string[]): AutocannonRequest[] {
  let i = 0;
  return [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length]! }) }];
}

/** A number from the instance's Prometheus metrics, or undefined. */
async function metric(inst: Instance, name: string): Promise<number | undefined> {
  const text = (await api(inst.url, 'GET', '/metrics', null)).body as string;
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(String(text));
  return m ? Number(m[1]) : undefined;
}

/** Waits (at most 180 s) until the instance answers public checks from its in-memory copy; reports its heap. */
async function waitForCheckCopy(a: Instance): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const version = await metric(a, 'register_check_copy_version');
    if (version === undefined) { console.log('check copy: no register_check_copy_version metric; not waiting'); return; }
    if (version >= 0) break;
    if (performance.now() - t0 > 180_000) { fail('check copy not ready after 180 s'); return; }
    await sleep(250);
  }
  const heap = await metric(a, 'nodejs_heap_size_used_bytes');
  const external = await metric(a, 'nodejs_external_memory_bytes');
  console.log(`check copy ready ${((performance.now() - t0) / 1000).toFixed(1)} s after the instance announced itself; heap used ${MiB(heap ?? NaN)}, external ${MiB(external ?? NaN)}, RSS ${MiB(rssBytes(a.pid))}`);
}

async function benchCheck(a: Instance, dbName: string, names: CheckNames) {
  // Sanity first: the answers must be right, or the speed means nothing.
  let wrong = 0;
  const sample = [...names.blocked.slice(0, 100).map((n) => [n, true] as const), ...names.underSuffix.slice(0, 50).map((n) => [n, true] as const), ...names.allowed.slice(0, 150).map((n) => [n, false] as const)];
  for (const [n, expected] of sample) {
    const r = await api(a.url, 'GET', `/public/v1/check?name=${encodeURIComponent(n)}`, null);
    if (r.status !== 200 || r.body.restricted !== expected) { wrong++; if (wrong <= 3) console.log(`  check ${n}: expected restricted=${expected}, got ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`); }
  }
  if (wrong) fail(`/public/v1/check answered ${wrong} of ${sample.length} sample names wrongly`);

  // 50 % allowed, 40 % exact domain rules, 10 % names under suffix rules.
  const paths: string[] = [];
  for (let i = 0; i < 150_000; i++) {
    const k = Math.floor(i / 10);
    const pick = i % 10 < 5 ? names.allowed[(k * 5 + (i % 10)) % names.allowed.length]! : i % 10 < 9 ? names.blocked[(k * 4 + (i % 10) - 5) % names.blocked.length]! : names.underSuffix[k % names.underSuffix.length]!;
    paths.push(`/public/v1/check?name=${encodeURIComponent(pick)}`);
  }
  const rows = [await loadRun('check, 50% blocked / 50% allowed, each asked once', a, dbName, sequential(paths))];
  rows.push(await loadRun('check, allowed names only', a, dbName, sequential(paths.filter((_, i) => i % 10 < 5))));
  loadTable(`GET /public/v1/check (${fmt(RULES)} rules, ${CONNECTIONS} connections, ${SECONDS} s, API pinned to 1 core)`, rows);
  const main = rows[0]!;
  console.log(`goal check ≥ ${fmt(GOALS.checkRps)} req/s on one core: ${goal(main.rps >= GOALS.checkRps)} (${fmt(main.rps)} req/s; ${fmt(main.perApiCore)} req per API CPU-second)`);
  return rows;
}

async function benchEntries(a: Instance, dbName: string, names: CheckNames, maxSpan: number) {
  const domains = [...new Set(names.blocked.map((n) => n.split('.').slice(-2).join('.')))].slice(0, 500);
  const first = await api(a.url, 'GET', `/public/v1/entries?domain=${encodeURIComponent(domains[0]!)}`, null);
  if (first.status !== 200 || !Array.isArray(first.body.entries) || first.body.entries.length === 0) fail(`entries?domain=${domains[0]}: ${first.status} ${JSON.stringify(first.body).slice(0, 200)}`);
  const byDomain = domains.map((d) => `/public/v1/entries?domain=${encodeURIComponent(d)}&limit=100`);
  let x = 7;
  const byCursor = Array.from({ length: 2000 }, () => { x = (x * 48271) % 2147483647; return `/public/v1/entries?limit=100&cursor=${encodeCursor({ s: x % maxSpan })}`; });
  const rows = [await loadRun('entries, first page, no filter', a, dbName, rotating(['/public/v1/entries?limit=100']))];
  rows.push(await loadRun('entries, page at a random cursor', a, dbName, rotating(byCursor)));
  // Each of these scans every resource (see RESULTS-register.md): with 50 connections the pool's
  // 10 connections stay busy for seconds and the waiting requests answer 503 after 5 s; 4
  // connections measure the latency of one such page without exhausting the pool.
  rows.push(await loadRun('entries?domain=<registrable name>', a, dbName, rotating(byDomain), 4));
  loadTable(`GET /public/v1/entries JSON pages of 100 (${fmt(RULES)} spans)`, rows);
  return rows;
}

async function benchExport(a: Instance) {
  const results: { label: string; r: StreamResult & { headMs: number }; rss: ReturnType<ReturnType<typeof rssSampler>> }[] = [];
  for (const [label, accept] of [['text/csv', 'text/csv'], ['application/x-ndjson', 'application/x-ndjson']] as const) {
    const sampler = rssSampler(a.pid);
    const r = await streamGet(a.url, '/public/v1/entries', { accept }, 600_000);
    const rss = sampler();
    const expected = label === 'text/csv' ? counts.spans + 1 : counts.spans;
    if (r.status !== 200 || r.lines < expected) fail(`export ${label}: status ${r.status}, ${r.lines} lines (expected ≥ ${expected})`);
    results.push({ label, r, rss });
  }
  table(`GET /public/v1/entries bulk export of every span (${fmt(counts.spans)} rows)`, ['format', 'first byte ms', 'last byte s', 'MiB', 'rows/s', 'MiB/s', 'RSS before', 'RSS max', 'max − before', 'growth by quarter MiB'],
    results.map(({ label, r, rss }) => [label, fmt(r.firstByteMs), (r.lastByteMs / 1000).toFixed(1), (r.bodyBytes / 1048576).toFixed(0), fmt(r.lines / (r.lastByteMs / 1000)),
      (r.bodyBytes / 1048576 / (r.lastByteMs / 1000)).toFixed(1), MiB(rss.before), MiB(rss.max), MiB(rss.max - rss.before), quartersMiB(rss.quarters, rss.before)]));
  const growth = Math.max(...results.map((x) => x.rss.max - x.rss.before)) / 1048576;
  const dataMiB = (results[0]?.r.bodyBytes ?? 0) / 1048576;
  console.log(`flat memory (RSS growth < ${GOALS.exportRssGrowthMiB} MiB while ${dataMiB.toFixed(0)} MiB stream out): ${goal(growth < GOALS.exportRssGrowthMiB)} (max growth ${growth.toFixed(1)} MiB)`);
  return results;
}

async function benchSnapshot(a: Instance, tokens: Tokens) {
  const results: { label: string; r: StreamResult & { headMs: number }; rss: ReturnType<ReturnType<typeof rssSampler>> }[] = [];
  // --snapshot-order=gzip,identity: which encoding is asked first for the version (and streamed from the database).
  const order = (args.get('snapshot-order') ?? 'identity,gzip,identity,gzip').split(',');
  /** generatedAt of each snapshot seen: the same again means it was served from the register's copy on disk */
  const seen = new Set<string>();
  for (const [i, encoding] of order.entries()) {
    const headers: Record<string, string> = encoding === 'gzip' ? { 'accept-encoding': 'gzip' } : {};
    const sampler = rssSampler(a.pid);
    const r = await streamGet(a.url, '/v1/feed/snapshot', { authorization: `Bearer ${tokens.isp}`, ...headers }, 600_000);
    const rss = sampler();
    let generatedAt = '';
    try { generatedAt = String((JSON.parse(r.firstLine) as { generatedAt: string }).generatedAt); } catch { /* counted as a failure below */ }
    const label = `${encoding}${order.indexOf(encoding) < i ? ' (again)' : ''}${seen.has(generatedAt) ? ', from the copy on disk' : ''}`;
    seen.add(generatedAt);
    // Others may approve on this database meanwhile: at least the rules counted at the start.
    if (r.status !== 200 || r.lines < counts.active + 1) fail(`snapshot ${label}: status ${r.status}, ${r.lines} lines (expected ${RULES + 1})`);
    results.push({ label, r, rss });
  }
  // The next version after one approval: made from the register's copy of the last one and the log in between.
  const basis = await api(a.url, 'POST', '/v1/legal-bases', tokens.operator, {
    kind: 'court_ruling', authority: 'Bench District Court', documentNumber: `S-${process.pid}`, issuedAt: '2026-01-10', provisions: [{ law: 'Bench law', article: '1' }],
  });
  const draft = await api(a.url, 'POST', '/v1/decisions', tokens.operator, { action: 'restrict', resources: [`snapshot-${process.pid}.bench-tizilim.kz`], legalBasisId: basis.body.id, category: 'gambling' });
  const approved = await api(a.url, 'POST', `/v1/decisions/${draft.body.id}/approve`, tokens.approver);
  if (approved.status !== 200) fail(`snapshot: approving one decision: ${approved.status} ${JSON.stringify(approved.body).slice(0, 200)}`);
  for (const encoding of ['gzip', 'identity']) {
    const sampler = rssSampler(a.pid);
    const r = await streamGet(a.url, '/v1/feed/snapshot', { authorization: `Bearer ${tokens.isp}`, ...(encoding === 'gzip' ? { 'accept-encoding': 'gzip' } : {}) }, 600_000);
    const rss = sampler();
    if (r.status !== 200 || r.lines < counts.active + 2) fail(`snapshot after an approval (${encoding}): status ${r.status}, ${r.lines} lines`);
    results.push({ label: `${encoding}, next version (one approval later)`, r, rss });
  }
  table(`GET /v1/feed/snapshot (${fmt(counts.active)} rules)`, ['encoding', 'head ms', 'first byte ms', 'last byte s', 'wire MiB', 'NDJSON MiB', 'rules/s', 'RSS before', 'RSS max', 'max − before', 'growth by quarter MiB'],
    results.map(({ label, r, rss }) => [label, fmt(r.headMs), fmt(r.firstByteMs), (r.lastByteMs / 1000).toFixed(2), (r.wireBytes / 1048576).toFixed(1), (r.bodyBytes / 1048576).toFixed(1),
      fmt((r.lines - 1) / (r.lastByteMs / 1000)), MiB(rss.before), MiB(rss.max), MiB(rss.max - rss.before), quartersMiB(rss.quarters, rss.before)]));
  const seconds = (encoding: string, cached: boolean) => {
    const times = results.filter((x) => x.label.startsWith(encoding) && !x.label.includes('next version') && x.label.includes('from the copy') === cached).map((x) => x.r.lastByteMs / 1000);
    return times.length ? Math.min(...times) : NaN;
  };
  const best = seconds('identity', false);
  const gz = seconds('gzip', false);
  const next = results.filter((x) => x.label.includes('next version')).map((x) => `${x.label.split(',')[0]} ${(x.r.lastByteMs / 1000).toFixed(2)} s`).join(', ');
  console.log(`snapshot of the next version, one approval later: ${next}`);
  console.log(`goal 1M-rule snapshot ≤ ${GOALS.snapshotSeconds} s (streamed from the database): ${goal([best, gz].some(Number.isFinite) && [best, gz].filter(Number.isFinite).every((t) => t <= GOALS.snapshotSeconds))} (identity ${best.toFixed(2)} s, gzip ${gz.toFixed(2)} s; `
    + `from the copy on disk: identity ${seconds('identity', true).toFixed(2)} s, gzip ${seconds('gzip', true).toFixed(2)} s)`);
  return results;
}

/**
 * Waits until the instance has used under 5 % of a core for three seconds in a row (at most
 * 180 s); returns the seconds waited. On a loaded machine a busy process can get little CPU in
 * any one second, hence three.
 */
async function untilIdle(i: Instance): Promise<number> {
  const started = Date.now();
  let last = cpuSeconds(i.pid);
  let quiet = 0;
  while (quiet < 3 && Date.now() - started < 180_000) {
    await sleep(1000);
    const now = cpuSeconds(i.pid);
    quiet = now - last < 0.05 ? quiet + 1 : 0;
    last = now;
  }
  return (Date.now() - started) / 1000;
}

async function benchApprove(a: Instance, b: Instance | null, tokens: Tokens, client: pg.Client, label: string) {
  const watcher = b ?? a;
  const basis = await api(a.url, 'POST', '/v1/legal-bases', tokens.operator, {
    kind: 'court_ruling', authority: 'Bench District Court', documentNumber: `B-${process.pid}-${label.length}`, issuedAt: '2026-01-10', provisions: [{ law: 'Bench law', article: '1' }],
  });
  if (basis.status !== 201) { fail(`legal basis: ${basis.status} ${JSON.stringify(basis.body)}`); return null; }
  // Drafts first: only the approval is timed.
  const drafts: { id: string; value: string }[] = [];
  const tag = `${process.pid}${label.includes('two') ? 'b' : 'a'}`;
  for (let i = 0; i < APPROVALS; i++) {
    const value = `approve-${tag}-${i}.bench-tizilim.kz`;
    const d = await api(a.url, 'POST', '/v1/decisions', tokens.operator, { action: 'restrict', resources: [value], legalBasisId: basis.body.id, category: 'gambling' });
    if (d.status !== 201) { fail(`draft ${i}: ${d.status} ${JSON.stringify(d.body)}`); return null; }
    drafts.push({ id: d.body.id, value });
  }
  // Each instance loads its 1M-rule copy for public checks when it starts (tens of seconds of
  // CPU on a loaded machine): time the round trips only once that is over.
  const waited = [await untilIdle(a), ...(b ? [await untilIdle(b)] : [])];
  console.log(`  ${label}: instances idle after ${waited.map((s) => `${s.toFixed(0)} s`).join(', ')}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  let head = Number((await client.query<{ seq: string }>('SELECT seq FROM public_log_head')).rows[0]!.seq);
  const visible: number[] = [];
  const approveMs: number[] = [];
  /** long-poll answer minus approval answer: the NOTIFY → wake → read path (negative when the poll answered first) */
  const gap: number[] = [];
  /** every round trip in order, with its wall-clock start: to line the slow ones up with what the API processes recorded */
  const rounds: { start: number; visible: number; approve: number; gap: number }[] = [];
  const deadline = Date.now() + 120_000;
  for (const d of drafts) {
    if (Date.now() > deadline) { console.log(`  (stopped after ${visible.length} round trips: 120 s bound)`); break; }
    const poll = fetch(`${watcher.url}/v1/feed/changes?since=${head}&wait=30`, { headers: { authorization: `Bearer ${tokens.isp}` } })
      .then(async (res) => ({ status: res.status, body: (await res.json()) as { to: number; changes: { value: string; op: string }[] }, at: performance.now() }));
    await sleep(40); // the long-poll is parked on the watcher before the approval is sent
    const t0 = performance.now();
    const approved = api(a.url, 'POST', `/v1/decisions/${d.id}/approve`, tokens.approver).then((r) => ({ ...r, at: performance.now() }));
    const [p, ap] = await Promise.all([poll, approved]);
    if (ap.status !== 200) { fail(`approve: ${ap.status} ${JSON.stringify(ap.body)}`); return null; }
    if (p.status !== 200 || !p.body.changes.some((c) => c.value === d.value && c.op === 'add')) {
      fail(`long-poll after approving ${d.value}: ${p.status} ${JSON.stringify(p.body).slice(0, 200)}`);
      return null;
    }
    visible.push(p.at - t0);
    approveMs.push(ap.at - t0);
    gap.push(p.at - ap.at);
    rounds.push({ start: performance.timeOrigin + t0, visible: p.at - t0, approve: ap.at - t0, gap: p.at - ap.at });
    head = p.body.to;
  }
  // BENCH_APPROVE_TRACE=DIR: every round trip as JSON, per case
  const traceDir = process.env['BENCH_APPROVE_TRACE'];
  if (traceDir) writeFileSync(join(traceDir, `approve-${tag}.json`), JSON.stringify({ label, rounds }));
  visible.sort((x, y) => x - y);
  approveMs.sort((x, y) => x - y);
  gap.sort((x, y) => x - y);
  return { label, n: visible.length, visible, approveMs, gap };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const given = args.get('database-url');
  const dbName = given ? new URL(given).pathname.slice(1) : `tizilim_bench_${process.pid}`;
  const keep = args.has('keep') || given !== undefined;
  if (hasTaskset) tryExec('taskset', ['-p', '-c', '1', String(process.pid)]);
  console.log(`register bench: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`pinning: ${hasTaskset ? 'API instance A on CPU 0; instance B and the load generator (this process) on CPU 1; Postgres unpinned' : 'taskset unavailable: nothing pinned'}`);

  let databaseUrl = given;
  let created = false;
  const cleanup = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (created && !keep) await dropBenchDatabase(SERVER_URL, dbName).catch((e: unknown) => console.error(`could not drop ${dbName}: ${String(e)}`));
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { void cleanup().finally(() => process.exit(130)); });

  let client: pg.Client | undefined;
  const instances: Instance[] = [];
  try {
    let seed: SeedReport | undefined;
    if (!databaseUrl) {
      databaseUrl = await createBenchDatabase(SERVER_URL, dbName);
      created = true;
      console.log(`seeding ${dbName} with ${fmt(RULES)} rules…`);
      seed = await seedRegister({ databaseUrl, rules: RULES, verify: VERIFY, log: (l) => console.log(`  ${l}`) });
      table('seed', ['rules', 'decisions', 'names s', 'insert s', 'vacuum s', 'verify s', 'chain', 'public_log', 'resources', 'enforcement_periods'],
        [[fmt(seed.rules), fmt(seed.decisions), seed.seconds.names, seed.seconds.insert, seed.seconds.vacuum, seed.seconds.verify ?? '-', seed.verified ?? 'not verified',
          seed.tableBytes['public_log'] ?? '?', seed.tableBytes['resources'] ?? '?', seed.tableBytes['enforcement_periods'] ?? '?']]);
    }
    client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const c = (await client.query<{ active: string; spans: string }>('SELECT count(*) FILTER (WHERE closed_at IS NULL) AS active, count(*) AS spans FROM enforcement_periods')).rows[0]!;
    counts.active = Number(c.active);
    counts.spans = Number(c.spans);
    if (counts.active !== RULES) console.log(`note: the database holds ${fmt(counts.active)} active rules; figures below are for that many`);
    const tokens = await addBenchUsers(client);
    const maxSpan = Number((await client.query<{ m: string }>('SELECT max(id) AS m FROM enforcement_periods')).rows[0]!.m);
    const names = await checkNames(client);
    console.log(`check names: ${names.blocked.length} exact rules, ${names.underSuffix.length} under suffix rules, ${names.allowed.length} allowed (Tranco, not covered)`);

    const a = await startInstance('A', databaseUrl, 0);
    instances.push(a);
    console.log(`instance A ${a.url} pid ${a.pid}, RSS ${MiB(rssBytes(a.pid))}`);
    // The copy loads 1M rows at start: no case should run beside that load.
    await waitForCheckCopy(a);

    if (ONLY.has('check')) await benchCheck(a, dbName, names);
    if (ONLY.has('entries')) await benchEntries(a, dbName, names, maxSpan);
    if (ONLY.has('export')) await benchExport(a);
    if (ONLY.has('snapshot')) await benchSnapshot(a, tokens);
    if (ONLY.has('approve')) {
      const b = await startInstance('B', databaseUrl, 1);
      instances.push(b);
      const two = await benchApprove(a, b, tokens, client, 'two instances (approve on A, long-poll on B)');
      await stopInstance(b);
      const one = await benchApprove(a, null, tokens, client, 'one instance (approve and long-poll on A)');
      const rows = [two, one].filter((x) => x !== null);
      table(`approve → visible on a long-poll (GET /v1/feed/changes?wait=30), ${APPROVALS} round trips per case`,
        ['case', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'approve answered p50 / p99 ms', 'long-poll minus approve p50 / p99 ms'],
        rows.map((r) => [r.label, r.n, quantile(r.visible, 0.5).toFixed(1), quantile(r.visible, 0.95).toFixed(1), quantile(r.visible, 0.99).toFixed(1), (r.visible.at(-1) ?? NaN).toFixed(1),
          `${quantile(r.approveMs, 0.5).toFixed(1)} / ${quantile(r.approveMs, 0.99).toFixed(1)}`, `${quantile(r.gap, 0.5).toFixed(1)} / ${quantile(r.gap, 0.99).toFixed(1)}`]));
      if (two) console.log(`goal approve → visible p99 ≤ ${GOALS.approveP99Ms} ms (two instances): ${goal(quantile(two.visible, 0.99) <= GOALS.approveP99Ms)} (p99 ${quantile(two.visible, 0.99).toFixed(1)} ms)`);
    }
    console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } catch (err) {
    fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
  } finally {
    for (const i of instances) await stopInstance(i);
    await client?.end().catch(() => {});
    await cleanup();
    agent.destroy();
    if (created && keep) console.log(`kept: DATABASE_URL=${databaseUrl}`);
  }
  console.log(failures ? `register bench: ${failures} error(s)` : 'register bench: ok');
  process.exitCode = failures ? 1 : 0;
}

await main();
