import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, type LogEntryBody, type PublicLogEntry, type SignedCheckpoint } from '@tizilim/shared/public-log-types';
import { entryHash, generateSigningKey, publicKeyToBase64, signCheckpoint } from '@tizilim/shared/public-log/index';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = 'services/register-api/src/cli/verify-log.ts';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a child process; async so the in-process HTTP server keeps serving meanwhile. */
function runCli(...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO_ROOT }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function body(seq: number): LogEntryBody {
  const value = `blocked-${seq}.kz`;
  return {
    seq,
    time: new Date(Date.UTC(2026, 10, 24, 10, seq)).toISOString(),
    op: 'add',
    reason: 'approved',
    mode: 'restrict',
    until: null,
    resource: { kind: 'domain', value, host: value, display: value, valueSha256: createHash('sha256').update(value).digest('hex') },
    category: 'extremism',
    decision: { id: `d-${seq}`, action: 'restrict', effectiveFrom: '2026-11-24T10:00:00.000Z' },
    legalBasis: { id: 'lb-1', kind: 'court_ruling', authority: 'Есіл аудандық соты', documentNumber: '2-1/2026', issuedAt: '2026-11-20' },
  };
}

function chain(length: number): PublicLogEntry[] {
  const entries: PublicLogEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq++) {
    const hash = entryHash(prevHash, body(seq));
    entries.push({ ...body(seq), prevHash, hash });
    prevHash = hash;
  }
  return entries;
}

const ENTRIES = chain(30);
const KEY = generateSigningKey();
const PUBLIC_KEY = publicKeyToBase64(KEY);
const CHECKPOINT = signCheckpoint(KEY, { seq: 25, hash: ENTRIES[24]?.hash ?? '', time: '2026-11-24T11:00:00.000Z' });
const HEAD_HASH = ENTRIES[29]?.hash ?? '';

function tamperedAt(seq: number): PublicLogEntry[] {
  return ENTRIES.map((e) => (e.seq === seq ? { ...e, category: 'spam' } : e));
}

describe('verify-log CLI on an NDJSON file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verify-log-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const writeLog = async (name: string, lines: unknown[]): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
    return path;
  };

  it('accepts an intact log with its checkpoint line after the entries', async () => {
    const file = await writeLog('ok.ndjson', [...ENTRIES, { checkpoint: CHECKPOINT }]);
    const run = await runCli(file);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(
      `OK: 30 entries, head seq 30 hash ${HEAD_HASH}, checkpoint seq 25 signed by ${PUBLIC_KEY}`,
    );
    expect(run.code).toBe(0);
  });

  it('exits 1 and names the seq when one line was tampered with', async () => {
    const file = await writeLog('tampered.ndjson', [{ checkpoint: CHECKPOINT }, ...tamperedAt(17)]);
    const run = await runCli(file);
    expect(run.stdout.trim()).toBe('TAMPERED at seq 17: hash does not match its content');
    expect(run.code).toBe(1);
  });

  it('exits 1 on a line that is not JSON', async () => {
    const path = join(dir, 'garbled.ndjson');
    const lines = ENTRIES.map((e) => JSON.stringify(e));
    lines[4] = (lines[4] ?? '').slice(0, 40);
    await writeFile(path, lines.join('\n'));
    const run = await runCli(path);
    expect(run.stdout).toMatch(/^TAMPERED at seq 5: unreadable entry: line 5 is not JSON/);
    expect(run.code).toBe(1);
  });

  it('exits 1 when the pinned public key did not sign the checkpoint', async () => {
    const file = await writeLog('other-key.ndjson', [...ENTRIES, { checkpoint: CHECKPOINT }]);
    const otherKey = publicKeyToBase64(generateSigningKey());
    const run = await runCli('--public-key', otherKey, file);
    expect(run.stdout).toMatch(/^INVALID CHECKPOINT \(seq 25\): checkpoint is signed by .* not by the pinned key/);
    expect(run.code).toBe(1);
    expect((await runCli(file, '--public-key', PUBLIC_KEY)).code).toBe(0);
  });

  it('exits 2 on usage errors and unreadable files', async () => {
    const noArgs = await runCli();
    expect(noArgs.stderr).toMatch(/usage: verify-log/);
    expect(noArgs.code).toBe(2);
    const missing = await runCli(join(dir, 'does-not-exist.ndjson'));
    expect(missing.stderr).toMatch(/^ERROR: cannot read/);
    expect(missing.code).toBe(2);
    expect((await runCli('--public-key', 'nonsense', join(dir, 'ok.ndjson'))).code).toBe(2);
  });
});

describe('verify-log CLI against a register URL', () => {
  /** What the fake register serves; tests swap it. */
  let served: { entries: PublicLogEntry[]; checkpoint: SignedCheckpoint | null; failPages?: boolean };
  const requestedFrom: number[] = [];
  let server: Server;
  let baseUrl: string;
  // Smaller than the CLI's limit of 1000, as a server may cap pages, so several pages are fetched.
  const SERVER_PAGE_CAP = 7;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const send = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      };
      if (url.pathname === '/public/v1/log/checkpoint') {
        return served.checkpoint ? send(200, served.checkpoint) : send(404, { error: { code: 'not_found', message: 'no checkpoint yet' } });
      }
      if (url.pathname === '/public/v1/log') {
        if (served.failPages) return send(500, { error: { code: 'internal', message: 'boom' } });
        const from = Number(url.searchParams.get('from'));
        const limit = Math.min(Number(url.searchParams.get('limit')), SERVER_PAGE_CAP);
        requestedFrom.push(from);
        const entries = served.entries.filter((e) => e.seq >= from).slice(0, limit);
        const last = entries.at(-1)?.seq;
        const next = last !== undefined && last < served.entries.length ? last + 1 : null;
        return send(200, { entries, next });
      }
      send(404, { error: { code: 'not_found', message: 'no route' } });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('downloads every page and accepts an intact log', async () => {
    served = { entries: ENTRIES, checkpoint: CHECKPOINT };
    requestedFrom.length = 0;
    const run = await runCli(baseUrl, '--public-key', PUBLIC_KEY);
    expect(run.stdout.trim()).toBe(
      `OK: 30 entries, head seq 30 hash ${HEAD_HASH}, checkpoint seq 25 signed by ${PUBLIC_KEY}`,
    );
    expect(run.code).toBe(0);
    expect(requestedFrom).toEqual([1, 8, 15, 22, 29]);
  });

  it('exits 1 and names the seq of a tampered entry on a later page', async () => {
    served = { entries: tamperedAt(12), checkpoint: CHECKPOINT };
    const run = await runCli(`${baseUrl}/`);
    expect(run.stdout.trim()).toBe('TAMPERED at seq 12: hash does not match its content');
    expect(run.code).toBe(1);
  });

  it('accepts a log without a checkpoint yet (404), saying it is unsigned', async () => {
    served = { entries: ENTRIES, checkpoint: null };
    const run = await runCli(baseUrl);
    expect(run.stdout).toMatch(/^OK: 30 entries, head seq 30 hash [0-9a-f]{64}, no signed checkpoint/);
    expect(run.code).toBe(0);
  });

  it('exits 2 when the log cannot be downloaded', async () => {
    served = { entries: ENTRIES, checkpoint: CHECKPOINT, failPages: true };
    const failing = await runCli(baseUrl);
    expect(failing.stderr).toMatch(/^ERROR: GET .*\/public\/v1\/log\?from=1&limit=1000 answered 500/);
    expect(failing.code).toBe(2);
  });
});
