import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cloneTemplate, type TestDatabase } from '../src/testing/test-database.js';
import { encodeCp1251 } from '../../../packages/shared/src/register-dump/cp1251.js';
import { generateDump, type GeneratedDump } from '../../../packages/shared/test/register-dump-fixture.js';
import { REPO_ROOT, freePort, startRegisterProcess, type RegisterProcess } from './imports-support.js';

/** `npm run import` end to end: the CLI as a process against a real register process. */
const CLI = 'services/register-api/src/cli/import.ts';
const ADMIN = 'import-cli-admin-token-0123456789abcdef';
const ROWS = 5_000;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

let dir: string;
let database: TestDatabase | undefined;
let service: RegisterProcess | undefined;
let base: string;
let operator: string;
let dump: GeneratedDump;
let dumpPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'import-cli-'));
  const template = inject('dbTemplate');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = { API_PORT: String(port), ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn' };
  if (template.kind === 'postgres') {
    database = await cloneTemplate(template, 2);
    env.DATABASE_URL = database.url!;
  } else {
    env.DATA_DIR = join(dir, 'data');
    env.DATABASE_URL = '';
  }
  service = await startRegisterProcess(env, `${base}/readyz`);
  const res = await fetch(`${base}/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'importing operator', roles: ['operator'] }),
  });
  operator = ((await res.json()) as { token: string }).token;
  dump = generateDump(ROWS, 'windows-1251');
  dumpPath = join(dir, 'register-dump.csv');
  await writeFile(dumpPath, dump.bytes);
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await database?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run import against a running register', () => {
  it('imports the dump, prints bad lines first, then the decisions with their lines, then a summary; exit 0', async () => {
    const run = await runCli({ REGISTER_URL: base, REGISTER_TOKEN: operator }, dumpPath, '--category', 'gambling');
    expect(run.code, run.stderr + service!.output().slice(-2000)).toBe(0);
    const out = run.stdout;
    const errorsAt = out.indexOf(`Bad lines (${dump.expectedErrors.length}):`);
    const decisionsAt = out.indexOf(`Decisions created, pending approval (${dump.expectedGroupLines.size}):`);
    expect(errorsAt).toBeGreaterThanOrEqual(0);
    expect(decisionsAt).toBeGreaterThan(errorsAt);
    for (const { line } of dump.expectedErrors) expect(out).toContain(`  line ${line}: `);
    expect(out).toMatch(/line 15: Expected 6 fields/);
    // group 0 is lines 2–8 of the Prosecutor-General's document
    expect(out).toMatch(/ Генпрокуратура, № 27-31-2013\/Ид0, 2013-01-01 \[prosecutor_recommendation\]: \d+ resources, lines 2-8\n/);
    expect(out).toMatch(new RegExp(`rows read: ${ROWS}; lines imported: ${dump.expectedRows.length}; bad lines and refused resources: ${dump.expectedErrors.length}`));
    expect(out).toMatch(new RegExp(`decisions: ${dump.expectedGroupLines.size}; resources: \\d+; legal bases created: ${dump.expectedGroupLines.size}, reused: 0`));

    const importId = /Import ([0-9a-f-]{36})/.exec(out)?.[1];
    const stored = await fetch(`${base}/v1/imports/${importId}`, { headers: { authorization: `Bearer ${operator}` } });
    expect(await stored.json()).toMatchObject({ status: 'completed', category: 'gambling', created: dump.expectedGroupLines.size });
  }, 120_000);

  it('--dry-run reports and writes nothing, and finds the bases of the first run', async () => {
    const run = await runCli({ REGISTER_URL: base, REGISTER_TOKEN: operator }, dumpPath, '--dry-run');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Decisions that would be created (${dump.expectedGroupLines.size}):`);
    expect(run.stdout).toContain('Dry run: nothing was written.');
    expect(run.stdout).toContain(`legal bases created: 0, reused: ${dump.expectedGroupLines.size}`);
  }, 60_000);

  it('exit 1 when nothing could be imported: only bad rows, or a refused token', async () => {
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, encodeCp1251('Updated: 2026-11-01\r\n10.0.0.1;;;Суд;1;2026-01-01\r\n'));
    const run = await runCli({ REGISTER_URL: base, REGISTER_TOKEN: operator }, bad);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/line 2: .*10\.0\.0\.0\/8/);
    const refused = await runCli({ REGISTER_URL: base, REGISTER_TOKEN: 'tzl_not-a-real-token' }, bad);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/import refused \(401 REG_ERR_UNAUTHENTICATED\)/);
  }, 60_000);

  it('a client that goes away mid-import does not stop it: every group lands and the stored report says so', async () => {
    await new Promise<void>((resolve) => {
      const req = request(`${base}/v1/imports?category=drugs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/octet-stream' },
      });
      req.on('error', () => resolve());
      req.on('response', () => resolve()); // too late to test anything, but not a hang
      // The whole file is sent, then the connection dropped while the register is still writing.
      req.end(Buffer.from(dump.bytes), () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 300));
    });
    const deadline = Date.now() + 90_000;
    let report: any;
    while (Date.now() < deadline) {
      const list = (await (await fetch(`${base}/v1/imports`, { headers: { authorization: `Bearer ${operator}` } })).json()) as { imports: any[] };
      report = list.imports.find((i) => i.category === 'drugs');
      if (report?.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(report).toMatchObject({ status: 'completed', created: dump.expectedGroupLines.size, legalBasesReused: dump.expectedGroupLines.size, errorCount: dump.expectedErrors.length });
    const full = (await (await fetch(`${base}/v1/imports/${report.importId}`, { headers: { authorization: `Bearer ${operator}` } })).json()) as any;
    expect(full.decisions).toHaveLength(dump.expectedGroupLines.size);
  }, 120_000);

  it('exit 2 on usage and connection errors', async () => {
    expect((await runCli({ REGISTER_URL: base, REGISTER_TOKEN: operator })).code).toBe(2);
    expect((await runCli({ REGISTER_URL: base, REGISTER_TOKEN: operator }, join(dir, 'missing.csv'))).code).toBe(2);
    expect((await runCli({ REGISTER_URL: base, REGISTER_TOKEN: '' }, dumpPath)).code).toBe(2);
    const closed = await runCli({ REGISTER_URL: `http://127.0.0.1:${await freePort()}`, REGISTER_TOKEN: operator }, dumpPath);
    expect(closed.code).toBe(2);
    expect(closed.stderr).toMatch(/cannot reach the register/);
  }, 60_000);
});
