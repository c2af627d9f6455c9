import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateApiToken, hashApiToken } from '@tizilim/register-api/auth/api-token';
import { registerChildUrl } from '../register/register-child-url.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface Instance { name: string; url: string; child: ChildProcess; pid: number }

/** One register-api process (bench/register/register-child.ts) on `databaseUrl`, resolved once it listens. */
export async function startInstance(name: string, databaseUrl: string, env: Record<string, string> = {}): Promise<Instance> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tizilim-lifecycle-bench-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/register/register-child.ts')], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: {
      ...process.env, DATABASE_URL: databaseUrl, API_PORT: '0', API_HOST: '127.0.0.1', PUBLIC_RATE_LIMIT: '1000000000', LOG_LEVEL: 'warn',
      DATA_DIR: dataDir, BENCH_INSTANCE: name, ADMIN_TOKEN: '', DB_POOL_SIZE: '10', ...env,
    },
  });
  child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const url = await registerChildUrl(child, name, 90_000);
  return { name, url, child, pid: child.pid! };
}

export async function stopInstance(i: Instance): Promise<void> {
  if (i.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => i.child.once('exit', () => r()));
  i.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (i.child.exitCode === null) i.child.kill('SIGKILL');
}

export interface Tokens { operator: string; approver: string; isp: string }

/** An operator, an approver and an ISP's gateway token, written straight into the (migrated) database. */
export async function addUsers(databaseUrl: string): Promise<Tokens> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tokens: Tokens = { operator: generateApiToken(), approver: generateApiToken(), isp: generateApiToken() };
    const admin = await client.query<{ id: string }>(`INSERT INTO users (name, roles, token_hash) VALUES ('bench admin', '{admin}', $1) RETURNING id`, [hashApiToken(generateApiToken())]);
    const adminId = admin.rows[0]!.id;
    const isp = await client.query<{ id: string }>(`INSERT INTO isps (name, contact, created_by) VALUES ($1, 'noc@bench.invalid', $2) RETURNING id`, [`Bench ISP ${process.pid}-${Date.now()}`, adminId]);
    await client.query(`INSERT INTO users (name, roles, token_hash, created_by) VALUES ('bench operator', '{operator}', $1, $2)`, [hashApiToken(tokens.operator), adminId]);
    await client.query(`INSERT INTO users (name, roles, token_hash, created_by) VALUES ('bench approver', '{approver}', $1, $2)`, [hashApiToken(tokens.approver), adminId]);
    await client.query(`INSERT INTO users (name, roles, token_hash, created_by, isp_id) VALUES ('bench isp', '{isp}', $1, $2, $3)`, [hashApiToken(tokens.isp), adminId, isp.rows[0]!.id]);
    return tokens;
  } finally {
    await client.end();
  }
}

export async function api(base: string, method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: any }> {
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

export const COURT_RULING = {
  kind: 'court_ruling', authority: 'Specialised Inter-District Administrative Court of Astana', documentNumber: '7194-26-00-4/9999',
  issuedAt: '2026-10-01', effectiveAt: '2026-10-12', provisions: [{ law: 'On communications', article: '41-1' }], summary: 'bench',
};

/** Drafts and approves one restriction; `sent` is when the approval left, `seq` its first log entry. */
export async function approveOne(base: string, tokens: Tokens, basis: string, resources: string[]): Promise<{ sent: number; seq: number; answered: number }> {
  const draft = await api(base, 'POST', '/v1/decisions', tokens.operator, { action: 'restrict', legalBasisId: basis, category: 'gambling', resources });
  if (draft.status !== 201) throw new Error(`draft: ${draft.status} ${JSON.stringify(draft.body)}`);
  const sent = performance.now();
  const approved = await api(base, 'POST', `/v1/decisions/${draft.body.id}/approve`, tokens.approver);
  if (approved.status !== 200) throw new Error(`approve: ${approved.status} ${JSON.stringify(approved.body)}`);
  return { sent, seq: approved.body.logEntries.at(-1), answered: performance.now() };
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Resident set size (bytes) and open descriptors of a process, from /proc. */
export function processStats(pid: number): { rss: number; fds: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    return { rss, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return { rss: 0, fds: 0 };
  }
}
