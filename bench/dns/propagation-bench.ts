/**
 * How long an approval takes to reach a subscribed gateway: a register process (embedded
 * PGlite, or Postgres with --database-url pointing at an empty database) and a gateway
 * process following its feed. Each of N approvals is timed from sending the approve request
 * to the first NXDOMAIN the gateway gives for that name, polled with raw UDP queries every
 * ~2 ms. Goal: p99 ≤ 1 s.
 *
 *   npx tsx bench/dns/propagation-bench.ts [--n 100] [--workers 1] [--gap-ms 50] [--database-url postgres://…]
 *
 * Loopback only; children killed and temp dir removed however it ends.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, loadAverage, removeDir, sleep, startProc, trackDir, type Proc } from './lib/procs.js';
import { REPO_ROOT, startGateway, startUnbound, upstreamUnboundConf, type Server } from './lib/servers.js';
import { encodeQuery, RCODE_NXDOMAIN } from './lib/udp-query.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const N = Number(arg('n', '100'));
const WORKERS = Number(arg('workers', '1'));
const GAP_MS = Number(arg('gap-ms', '50'));
const DATABASE_URL = arg('database-url', process.env['PROPAGATION_DATABASE_URL'] ?? '');
const POLL_MS = 2;
const TIMEOUT_MS = 10_000;

async function api(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: parsed };
}

async function startRegister(dir: string): Promise<{ proc: Proc; url: string; admin: string }> {
  const port = await freePort();
  const admin = randomBytes(24).toString('hex');
  const env: Record<string, string> = {
    ...process.env as Record<string, string>,
    DATA_DIR: join(dir, 'register-data'), API_HOST: '127.0.0.1', API_PORT: String(port), ADMIN_TOKEN: admin,
    LOG_LEVEL: 'warn', PUBLIC_BASE_URL: 'https://register.example.kz', PUBLIC_RATE_LIMIT: '1000000',
  };
  if (DATABASE_URL) env['DATABASE_URL'] = DATABASE_URL; else delete env['DATABASE_URL'];
  const proc = startProc(process.execPath, ['--import', 'tsx', 'services/register-api/src/main.ts'], { cwd: REPO_ROOT, env, detached: true });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (!proc.alive()) throw new Error(`register exited:\n${proc.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`register not ready:\n${proc.output().slice(-3000)}`);
    try { if ((await fetch(`${url}/readyz`)).ok) break; } catch { /* not yet */ }
    await sleep(100);
  }
  return { proc, url, admin };
}

/**
 * Sends a query for `name` every POLL_MS and resolves with the time (performance.now()) the
 * first NXDOMAIN for it arrived. One socket, a fresh ID per query.
 */
function pollUntilNxdomain(port: number, name: string, timeoutMs: number): Promise<number> {
  const sock = createSocket('udp4');
  const ids = new Set<number>();
  let id = Math.floor(Math.random() * 0xffff);
  return new Promise<number>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | undefined, t = 0): void => {
      if (timer) clearTimeout(timer);
      clearTimeout(deadline);
      try { sock.close(); } catch { /* closed */ }
      if (err) reject(err); else resolve(t);
    };
    const deadline = setTimeout(() => finish(new Error(`${name}: no NXDOMAIN within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', () => undefined);
    sock.on('message', (msg) => {
      const t = performance.now();
      if (msg.length >= 12 && ids.has(msg.readUInt16BE(0)) && (msg[3]! & 0x0f) === RCODE_NXDOMAIN) finish(undefined, t);
    });
    const tick = (): void => {
      id = (id + 1) & 0xffff;
      ids.add(id);
      sock.send(encodeQuery(name, 1, id), port, '127.0.0.1');
      timer = setTimeout(tick, POLL_MS);
    };
    sock.bind(0, '127.0.0.1', tick);
  });
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main(): Promise<void> {
  const started = new Date();
  const tmp = trackDir(mkdtempSync(join(tmpdir(), 'tizilim-propagation-')));
  let register: Proc | undefined;
  let gateway: Server | undefined;
  let upstream: Server | undefined;
  const took: number[] = [];
  const approveMs: number[] = [];
  try {
    const reg = await startRegister(tmp);
    register = reg.proc;
    const mk = async (name: string, roles: string[]): Promise<string> => {
      const r = await api(reg.url, reg.admin, 'POST', '/v1/users', { name, roles });
      if (r.status !== 201) throw new Error(`create user ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    };
    const operator = await mk('bench-operator', ['operator']);
    const approver = await mk('bench-approver', ['approver']);
    const isp = await mk('bench-isp', ['isp']);
    const basis = await api(reg.url, operator, 'POST', '/v1/legal-bases', {
      kind: 'court_ruling', authority: 'Bench court', documentNumber: 'B-1', issuedAt: '2026-10-01',
      provisions: [{ law: 'On communications', article: '41-1' }],
    });
    if (basis.status !== 201) throw new Error(`legal basis: ${basis.status} ${JSON.stringify(basis.body)}`);

    const upPort = await freePort();
    upstream = await startUnbound('upstream', tmp, upstreamUnboundConf(tmp, upPort), { name: 'probe.example', rcode: 0 });
    // The gateway needs one rule to be "ready" (and a probe that answers NXDOMAIN).
    const seed = await api(reg.url, operator, 'POST', '/v1/decisions', {
      action: 'restrict', resources: ['seed.propagation.example.kz'], legalBasisId: basis.body.id, category: 'other',
    });
    await api(reg.url, approver, 'POST', `/v1/decisions/${seed.body.id}/approve`);
    gateway = await startGateway(`gateway (${WORKERS} worker${WORKERS > 1 ? 's' : ''})`, join(tmp, 'gateway'), WORKERS, upstream.port,
      'seed.propagation.example.kz', { REGISTER_URL: reg.url, ISP_TOKEN: isp, SYNC_MAX_BACKOFF_MS: '2000' });
    console.log(`propagation bench ${started.toISOString()}  node ${process.version}  load ${loadAverage()}  N=${N}  ${gateway.name}  `
      + `register on ${DATABASE_URL ? 'Postgres' : 'embedded PGlite'}`);

    for (let i = 0; i < N; i++) {
      const name = `p${i}-${randomBytes(3).toString('hex')}.propagation.example.kz`;
      const draft = await api(reg.url, operator, 'POST', '/v1/decisions', {
        action: 'restrict', resources: [name], legalBasisId: basis.body.id, category: 'other',
      });
      if (draft.status !== 201) throw new Error(`draft: ${draft.status} ${JSON.stringify(draft.body)}`);
      await sleep(GAP_MS * (0.5 + Math.random()));
      const t0 = performance.now();
      const nx = pollUntilNxdomain(gateway.port, name, TIMEOUT_MS);
      const approved = api(reg.url, approver, 'POST', `/v1/decisions/${draft.body.id}/approve`).then((r) => {
        approveMs.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`approve: ${r.status} ${JSON.stringify(r.body)}`);
      });
      const [t1] = await Promise.all([nx, approved]);
      took.push(t1 - t0);
    }
  } finally {
    await gateway?.stop().catch(() => undefined);
    await register?.stop(10_000).catch(() => undefined);
    await upstream?.stop().catch(() => undefined);
    removeDir(tmp);
  }
  const s = [...took].sort((a, b) => a - b);
  const a = [...approveMs].sort((x, y) => x - y);
  const f = (n: number): string => n.toFixed(0);
  console.log(`\n| approvals | p50 ms | p95 ms | p99 ms | max ms | approve request alone p50 / p99 ms | goal p99 ≤ 1000 ms |`);
  console.log(`|---:|---:|---:|---:|---:|---:|---|`);
  console.log(`| ${s.length} | ${f(pct(s, 50))} | ${f(pct(s, 95))} | ${f(pct(s, 99))} | ${f(s[s.length - 1]!)} | ${f(pct(a, 50))} / ${f(pct(a, 99))} | ${pct(s, 99) <= 1000 ? 'met' : 'NOT met'} |`);
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
