import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cosignatureVerifier, ed25519Cosigner, ed25519NoteVerifier, ed25519VerifierKey, openNote } from '@tizilim/shared/tlog/index';
import { buildApp } from '../src/app.js';
import { generateApiToken, hashApiToken } from '../src/auth/api-token.js';
import { insertUser } from '../src/repositories/user-repository.js';
import { apiClient } from '../src/testing/http.js';
import { cloneTemplate, type TestDatabase } from '../src/testing/test-database.js';
import { enforce } from '../src/testing/register-fixtures.js';
import type { TestRegister } from '../src/testing/test-register.js';
import { forkAt, rollBack } from '../src/testing/tlog-tamper.js';
import { WitnessCore } from '../src/witness/witness-core.js';
import { WitnessPoller } from '../src/witness/witness-poller.js';
import { createWitnessServer, witnessMetrics } from '../src/witness/witness-server.js';
import { loadWitnessState, type WitnessAlarm } from '../src/witness/witness-state.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUNDLE = 'services/register-api/bundle/verify-log.mjs';
const quiet = pino({ enabled: false });

/** The bundled verifier, run with plain Node as a researcher would. */
function verifyLog(...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BUNDLE, ...args], { cwd: REPO_ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out: stdout + stderr });
    });
  });
}

const listen = (server: Server) => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));

let database: TestDatabase;
let app: Awaited<ReturnType<typeof buildApp>>;
let baseUrl: string;
let api: ReturnType<typeof apiClient>;
let reg: TestRegister;
let dir: string;
let witnessServer: Server;
let witnessUrl: string;
let witnessCore: WitnessCore;
const alarms: WitnessAlarm[] = [];
const witnessCosigner = ed25519Cosigner('witness.test/w1', generateKeyPairSync('ed25519').privateKey);
const signingKey = generateKeyPairSync('ed25519').privateKey;
const origin = 'tizilim.test/tlog';
const logKey = ed25519VerifierKey(origin, signingKey);

async function sign() {
  const res = await api('POST', '/v1/log/checkpoints', reg.tokens.auditor);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (await api('GET', '/tlog/checkpoint')).body as string;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tizilim-tlog-attacks-'));
  const statePath = join(dir, 'witness-state.json');
  witnessCore = new WitnessCore(await loadWitnessState(statePath), statePath, new Map([[origin, ed25519NoteVerifier(logKey)!]]), witnessCosigner, {
    alarm: (a) => alarms.push(a),
    cosigned: () => undefined,
  });
  witnessServer = createWitnessServer(witnessCore, witnessCosigner.verifierKey, witnessMetrics(), quiet);
  witnessUrl = await listen(witnessServer);

  database = await cloneTemplate(inject('dbTemplate'));
  const { exportSigningKey } = await import('@tizilim/shared/public-log/index');
  app = await buildApp({
    db: database.db, logger: false, listen: database.listen, publicRateLimitPerMinute: 100_000,
    signingKey: exportSigningKey(signingKey, 'pem'), tlogOrigin: origin, witnessUrls: witnessUrl, witnessKeys: witnessCosigner.verifierKey,
  });
  baseUrl = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  api = apiClient(app);
  const tokens = {} as TestRegister['tokens'];
  for (const [name, roles] of [['operator', ['operator']], ['approver', ['approver']], ['auditor', ['auditor']]] as const) {
    const token = generateApiToken();
    await insertUser(database.db, { name, roles: [...roles], tokenHash: hashApiToken(token), createdBy: null });
    (tokens as unknown as Record<string, string>)[name] = token;
  }
  reg = { app, database, tokens, userIds: {} as TestRegister['userIds'], close: async () => undefined };
  await enforce(api, reg, { resources: Array.from({ length: 20 }, (_, i) => `attack-${i}.example.kz`) });
});

afterAll(async () => {
  await app?.close();
  await database?.close();
  witnessServer?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('witnesses and verify-log against a register attacked with superuser rights', () => {
  it('the register gets each new checkpoint cosigned by its witness and publishes the cosignature', async () => {
    const note = await sign();
    const opened = openNote(note, [ed25519NoteVerifier(logKey)!, cosignatureVerifier(witnessCosigner.verifierKey)!]);
    expect(opened.verified.map((s) => s.name)).toEqual([origin, 'witness.test/w1']);
    await enforce(api, reg, { resources: ['attack-more.example.kz'] });
    const grown = await sign();
    expect(grown.split('\n')[1]).toBe('21');
    expect(openNote(grown, [cosignatureVerifier(witnessCosigner.verifierKey)!]).verified).toHaveLength(1);
  });

  it('verify-log (one bundled file, plain Node) keeps state and accepts a log that only grew', async () => {
    const state = join(dir, 'verify.json');
    const first = await verifyLog('--key', logKey, '--state', state, baseUrl);
    expect(first.out).toContain('OK: tizilim.test/tlog tree size 21');
    expect(first.code).toBe(0);
    await enforce(api, reg, { resources: ['attack-grow.example.kz'] });
    await sign();
    const second = await verifyLog('--state', state, '--full', baseUrl);
    expect(second.out).toContain('consistent with the size 21 verified before, every entry and tile checked');
    expect(second.code).toBe(0);
  });

  it('a rollback is caught by verify-log (naming both sizes and roots) and by the witness at its next poll', async () => {
    const state = join(dir, 'verify.json');
    const poller = new WitnessPoller(witnessCore, [{ origin, url: baseUrl }], 60_000, witnessMetrics(), quiet);
    await poller.poll();
    const before = alarms.length;
    await rollBack(database.db, 1);
    const resigned = await sign();
    expect(resigned.split('\n')[1]).toBe('21');
    const run = await verifyLog('--state', state, baseUrl);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/ROLLBACK: .*size 22 root [A-Za-z0-9+/=]{44}.*size 21 root [A-Za-z0-9+/=]{44}/);
    await poller.poll();
    expect(alarms.slice(before).map((a) => a.kind)).toContain('rollback');
    // The register asked the witness too (with the signing), and it refused to cosign.
    expect(openNote(resigned, [ed25519NoteVerifier(logKey)!]).unverified).toHaveLength(0);
  });

  it('a fork (same size, another root) is caught by verify-log and the witness', async () => {
    const state = join(dir, 'fork.json');
    expect((await verifyLog('--key', logKey, '--state', state, baseUrl)).code).toBe(0);
    const before = alarms.length;
    await forkAt(database.db, 5);
    await sign();
    const run = await verifyLog('--state', state, baseUrl);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/FORK: two checkpoints of size 21 with different roots/);
    // Grown after the fork: the consistency proof cannot bridge the rewritten entry.
    await enforce(api, reg, { resources: ['attack-after-fork.example.kz'] });
    await sign();
    const grown = await verifyLog('--state', state, baseUrl);
    expect(grown.code).toBe(1);
    expect(grown.out).toMatch(/FORK: the checkpoint at size 22 .* is not consistent with the one verified before at size 21/);
    const poller = new WitnessPoller(witnessCore, [{ origin, url: baseUrl }], 60_000, witnessMetrics(), quiet);
    await poller.poll();
    expect(alarms.slice(before).map((a) => a.kind)).toContain('fork');
  });

  it('a wrong key, a tampered tile and a truncated entry bundle each fail with a clear message', async () => {
    const otherKey = ed25519VerifierKey(origin, generateKeyPairSync('ed25519').privateKey);
    const wrong = await verifyLog('--no-state', '--key', otherKey, baseUrl);
    expect(wrong.code).toBe(1);
    expect(wrong.out).toContain('WRONG-KEY');

    // A man in the middle (or a cache) that serves altered bytes for tiles.
    let mode: 'tile' | 'bundle' | 'inner-tile' = 'tile';
    const proxy = createServer((req, res) => {
      const upstream = httpRequest(`${baseUrl}${req.url}`, (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          let body = Buffer.concat(chunks);
          if (mode === 'tile' && req.url?.startsWith('/tlog/tile/0/')) body[40]! ^= 0xff;
          if (mode === 'inner-tile' && req.url === '/tlog/tile/0/000') body[40]! ^= 0xff;
          if (mode === 'bundle' && req.url?.startsWith('/tlog/tile/entries/')) body = body.subarray(0, body.length - 3);
          res.writeHead(up.statusCode ?? 502, { 'content-type': String(up.headers['content-type'] ?? 'text/plain') }).end(body);
        });
      });
      upstream.end();
    });
    const proxyUrl = await listen(proxy);
    try {
      const tampered = await verifyLog('--no-state', '--key', logKey, proxyUrl);
      expect(tampered.code).toBe(1);
      expect(tampered.out).toMatch(/TAMPERED: the hash tiles do not hash to the signed root/);
      mode = 'bundle';
      const truncated = await verifyLog('--no-state', '--key', logKey, '--full', proxyUrl);
      expect(truncated.code).toBe(1);
      expect(truncated.out).toMatch(/TAMPERED: tile\/entries\/000\.p\/\d+: entry bundle truncated/);
      // A full tile off the right edge, which folding the edge to the root never reads: the
      // default run still reads every hash tile and finds the level above disagreeing with it.
      await enforce(api, reg, { resources: Array.from({ length: 300 }, (_, i) => `inner-${i}.example.kz`) });
      await api('POST', '/v1/log/checkpoints', reg.tokens.auditor);
      mode = 'inner-tile';
      const inner = await verifyLog('--no-state', '--key', logKey, proxyUrl);
      expect(inner.code, inner.out).toBe(1);
      expect(inner.out).toMatch(/TAMPERED: hash tile tile\/1\/000\.p\/1 does not match the hashes of the tiles below it/);
    } finally {
      proxy.close();
    }
  });

  it('exits 2, not 1, when the register cannot be reached', async () => {
    const run = await verifyLog('--no-state', 'http://127.0.0.1:1');
    expect(run.code).toBe(2);
  });
});
