import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seededRandom } from '@tizilim/shared/seeded-random';
import { exportSigningKey } from '@tizilim/shared/public-log/index';
import {
  cosignatureVerifier, ed25519Cosigner, ed25519NoteSigner, ed25519NoteVerifier, ed25519VerifierKey, formatAddCheckpoint, formatCheckpoint,
  leafHash, nodeHash, openNote, signNote,
} from '@tizilim/shared/tlog/index';
import { buildApp } from '../src/app.js';
import { generateApiToken, hashApiToken } from '../src/auth/api-token.js';
import { insertUser } from '../src/repositories/user-repository.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';
import { cloneTemplate, type TestDatabase } from '../src/testing/test-database.js';
import type { TestRegister } from '../src/testing/test-register.js';
import { rollBack } from '../src/testing/tlog-tamper.js';
import { WitnessCore } from '../src/witness/witness-core.js';
import { WitnessPoller } from '../src/witness/witness-poller.js';
import { createWitnessServer, witnessMetrics } from '../src/witness/witness-server.js';
import { loadWitnessState } from '../src/witness/witness-state.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const quiet = pino({ enabled: false });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tizilim-witness-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('npm run witness, hosted beside a register', () => {
  let child: ChildProcess;
  let database: TestDatabase;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let stderr = '';

  afterAll(async () => {
    child?.kill('SIGTERM');
    await app?.close();
    await database?.close();
  });

  it('cosigns the register\'s checkpoints from size 0 and raises an alarm at the first poll after a rollback', async () => {
    const signingKey = generateKeyPairSync('ed25519').privateKey;
    const origin = 'witnessed.test/tlog';
    const logKey = ed25519VerifierKey(origin, signingKey);
    const pollMs = 400;
    // The register's URL is only known after it listens; the witness polls it, so start it first
    // on a port we reserve by listening and closing.
    database = await cloneTemplate(inject('dbTemplate'));
    const portProbe = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const registerUrl = `http://127.0.0.1:${portProbe}`;
    child = spawn(process.execPath, ['--import', 'tsx', 'services/register-api/src/cli/witness.ts',
      '--log-key', logKey, '--log-url', registerUrl, '--port', '0', '--poll-ms', String(pollMs), '--state', join(dir, 'w.json'), '--name', 'witness.test/cli'],
    { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'silent' } });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const started = await new Promise<{ url: string; key: string }>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const url = /witness listening on (\S+)/.exec(out)?.[1];
        const key = /witness key: (\S+)/.exec(out)?.[1];
        if (url && key) resolve({ url, key });
      });
      child.on('exit', (code) => reject(new Error(`witness exited ${code}: ${stderr}`)));
    });
    expect(cosignatureVerifier(started.key)?.name).toBe('witness.test/cli');

    app = await buildApp({
      db: database.db, logger: false, listen: database.listen, publicRateLimitPerMinute: 100_000,
      signingKey: exportSigningKey(signingKey, 'pem'), tlogOrigin: origin, witnessUrls: started.url, witnessKeys: started.key,
    });
    await app.listen({ host: '127.0.0.1', port: portProbe });
    const api = apiClient(app);
    const tokens = {} as Record<string, string>;
    for (const name of ['operator', 'approver', 'auditor'] as const) {
      tokens[name] = generateApiToken();
      await insertUser(database.db, { name, roles: [name], tokenHash: hashApiToken(tokens[name]), createdBy: null });
    }
    const reg = { app, database, tokens } as unknown as TestRegister;
    const verifiers = [ed25519NoteVerifier(logKey)!, cosignatureVerifier(started.key)!];

    // An empty log: a signed checkpoint of size 0 with the empty tree's root, cosigned.
    await api('POST', '/v1/log/checkpoints', tokens.auditor);
    const empty = (await api('GET', '/tlog/checkpoint')).body as string;
    expect(empty.split('\n').slice(0, 3)).toEqual([origin, '0', '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=']);
    expect(openNote(empty, verifiers).verified).toHaveLength(2);

    await enforce(api, reg, { resources: ['w-1.example.kz', 'w-2.example.kz', 'w-3.example.kz'] });
    await api('POST', '/v1/log/checkpoints', tokens.auditor);
    const grown = (await api('GET', '/tlog/checkpoint')).body as string;
    expect(grown.split('\n')[1]).toBe('3');
    expect(openNote(grown, verifiers).verified.map((s) => s.name)).toEqual([origin, 'witness.test/cli']);

    await new Promise((r) => setTimeout(r, pollMs * 2)); // the witness has polled size 3
    await rollBack(database.db, 1);
    await api('POST', '/v1/log/checkpoints', tokens.auditor); // signs size 2; the witness refuses it
    const rolledBack = (await api('GET', '/tlog/checkpoint')).body as string;
    expect(openNote(rolledBack, [ed25519NoteVerifier(logKey)!]).unverified).toHaveLength(0);
    const started2 = Date.now();
    while (!stderr.includes('ALARM ROLLBACK') && Date.now() - started2 < pollMs * 3) await new Promise((r) => setTimeout(r, 20));
    expect(stderr).toMatch(/ALARM ROLLBACK witnessed\.test\/tlog: ROLLBACK: .*size 2 root \S+ after size 3 root \S+/);
  });
});

/** A log of four leaves, its roots at sizes 2 and 4, and checkpoints signed by its key (or another). */
function fourLeafLog(origin: string, tag: string) {
  const logSigner = generateKeyPairSync('ed25519').privateKey;
  const leaves = Array.from({ length: 4 }, (_, i) => leafHash(Buffer.from(`${tag}${i}`)));
  const root2 = nodeHash(leaves[0]!, leaves[1]!);
  const right = nodeHash(leaves[2]!, leaves[3]!);
  return {
    logSigner, logKey: ed25519VerifierKey(origin, logSigner), leaves, root2, right, root4: nodeHash(root2, right),
    note: (size: number, root: Uint8Array, key = logSigner) => signNote(formatCheckpoint({ origin, size, root }), [ed25519NoteSigner(origin, key)]),
  };
}

describe('the witness listener under hostile input', () => {
  const origin = 'hostile.test/tlog';
  const { logSigner, logKey, leaves, root2, root4, note } = fourLeafLog(origin, 'e');
  let server: Server;
  let url: string;
  const post = async (body: string | Buffer) => {
    const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  beforeAll(async () => {
    const statePath = join(dir, 'hostile.json');
    const core = new WitnessCore(await loadWitnessState(statePath), statePath, new Map([[origin, ed25519NoteVerifier(logKey)!]]),
      ed25519Cosigner('hostile.witness', generateKeyPairSync('ed25519').privateKey), { alarm: () => undefined, cosigned: () => undefined });
    server = createWitnessServer(core, 'k', witnessMetrics(), quiet);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('answers each tlog-witness error with its status', async () => {
    expect((await post(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: note(2, root2) }))).status).toBe(200);
    const conflict = await post(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: note(4, root4) }));
    expect(conflict).toMatchObject({ status: 409, type: 'text/x.tlog.size', text: '2\n' });
    expect((await post(formatAddCheckpoint({ oldSize: 2, proof: [leaves[0]!], checkpoint: note(4, root4) }))).status).toBe(422);
    expect((await post(formatAddCheckpoint({ oldSize: 2, proof: [nodeHash(leaves[2]!, leaves[3]!)], checkpoint: note(4, root4) }))).status).toBe(200);
    expect((await post(formatAddCheckpoint({ oldSize: 5, proof: [], checkpoint: note(4, root4) }))).status).toBe(400);
    expect((await post(formatAddCheckpoint({ oldSize: 4, proof: [], checkpoint: note(4, root4, generateKeyPairSync('ed25519').privateKey) }))).status).toBe(403);
    const otherOrigin = signNote(formatCheckpoint({ origin: 'other.test/tlog', size: 1, root: leaves[0]! }), [ed25519NoteSigner('other.test/tlog', logSigner)]);
    expect((await post(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: otherOrigin }))).status).toBe(404);
    expect((await post(formatAddCheckpoint({ oldSize: 4, proof: [], checkpoint: note(4, root2) }))).status).toBe(409); // a fork
    expect((await post('old 4\n\nnot a note')).status).toBe(400);
    expect((await post(Buffer.from([0x6f, 0x6c, 0x64, 0xff, 0xfe]))).status).toBe(400);
    expect((await post('x'.repeat(100_000))).status).toBe(413);
    expect((await fetch(`${url}/add-checkpoint`)).status).toBe(405);
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
  });

  it('survives fuzzed bodies (seeded) and a flood, never answering 500', async () => {
    const random = seededRandom(2026);
    const valid = Buffer.from(formatAddCheckpoint({ oldSize: 4, proof: [leaves[0]!], checkpoint: note(4, root4) }));
    const statuses = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const body = Buffer.from(valid);
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
      const cut = random() < 0.3 ? body.subarray(0, Math.floor(random() * body.length)) : body;
      statuses.add((await post(cut)).status);
    }
    expect([...statuses].every((s) => [200, 400, 403, 404, 409, 422].includes(s)), [...statuses].join(',')).toBe(true);
    const flood = await Promise.all(Array.from({ length: 200 }, () => post('old 1\n\n')));
    expect(flood.every((r) => r.status === 400)).toBe(true);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('closes the connection of a client that never finishes its headers', async () => {
    const port = Number(new URL(url).port);
    const closedAfter = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      const socket = connect(port, '127.0.0.1', () => socket.write('POST /add-checkpoint HTTP/1.1\r\nHost: x\r\n'));
      socket.on('data', () => undefined);
      socket.on('close', () => resolve(Date.now() - t0));
    });
    expect(closedAfter).toBeLessThan(15_000);
  }, 20_000);
});

describe('the witness poller', () => {
  const origin = 'polled.test/tlog';
  const { logKey, leaves, root2, right, root4, note } = fourLeafLog(origin, 'p');
  // what the fake log answers
  let checkpoint = note(2, root2);
  let proof: { status: number; body: string } = { status: 200, body: '{}' };
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/tlog/checkpoint') return res.writeHead(200, { 'content-type': 'text/plain' }).end(checkpoint);
      if (req.url?.startsWith('/public/v1/log/consistency')) return res.writeHead(proof.status, { 'content-type': 'application/json' }).end(proof.body);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('counts a proof it could not get as unreachable, not a fork; a proof that does not verify is a fork, kept as evidence once', async () => {
    const statePath = join(dir, 'polled.json');
    const alarms: string[] = [];
    const metrics = witnessMetrics();
    const core = new WitnessCore(await loadWitnessState(statePath), statePath, new Map([[origin, ed25519NoteVerifier(logKey)!]]),
      ed25519Cosigner('polled.witness', generateKeyPairSync('ed25519').privateKey), { alarm: (a) => alarms.push(a.kind), cosigned: () => undefined });
    const poller = new WitnessPoller(core, [{ origin, url }], 60_000, metrics, quiet);
    const outcomes = async () => (await metrics.polls.get()).values.map((v) => `${v.labels.outcome}=${v.value}`).sort();

    await poller.poll();
    checkpoint = note(4, root4);
    for (const status of [429, 503, 500]) {
      proof = { status, body: '{"error":{"code":"REG_ERR_UNAVAILABLE","message":"busy"}}' };
      await poller.poll();
    }
    proof = { status: 200, body: '{"hashes":"not a list"}' };
    await poller.poll();
    expect(alarms).toEqual([]);
    expect(await outcomes()).toEqual(['advanced=1', 'unreachable=4']);

    proof = { status: 200, body: JSON.stringify({ from: 2, to: 4, hashes: [Buffer.from(right).toString('base64')] }) };
    await poller.poll();
    expect(alarms).toEqual([]);
    expect((await loadWitnessState(statePath)).logs[origin]?.size).toBe(4);

    // a log that now claims size 6 with a proof that does not verify: a fork, said every poll
    checkpoint = note(6, leaves[0]!);
    proof = { status: 200, body: JSON.stringify({ from: 4, to: 6, hashes: [Buffer.from(leaves[1]!).toString('base64')] }) };
    await poller.poll();
    await poller.poll();
    expect(alarms).toEqual(['fork', 'fork']);
    const state = await loadWitnessState(statePath);
    expect(state.logs[origin]?.size).toBe(4);
    expect(state.alarms).toHaveLength(1);
    expect(state.alarms[0]?.checkpoint).toBe(checkpoint);
  });
});
