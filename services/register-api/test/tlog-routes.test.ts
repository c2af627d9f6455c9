import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeEntryBundle, ed25519NoteVerifier, emptyTreeHash, leafHash, nodeHash, openNote, parseCheckpoint, verifyConsistency, verifyInclusion,
} from '@tizilim/shared/tlog/index';
import { canonicalJson } from '@tizilim/shared/public-log/index';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';
import { consistencyProof, inclusionProof } from '../src/repositories/tlog-repository.js';
import { TlogNodeCache } from '../src/repositories/tlog-node-cache.js';

function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyTreeHash();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
const b64 = (h: string) => Buffer.from(h, 'base64');

async function tile(path: string) {
  const res = await reg.app.inject({ method: 'GET', url: `/tlog/tile/${path}` });
  return { status: res.statusCode, body: res.rawPayload, headers: res.headers };
}

async function signedCheckpoint() {
  expect((await api('POST', '/v1/log/checkpoints', reg.tokens.auditor)).status).toBe(200);
  const key = (await api('GET', '/tlog/key')).body as string;
  const note = (await api('GET', '/tlog/checkpoint')).body as string;
  const opened = openNote(note, [ed25519NoteVerifier(key.trim())!]);
  return parseCheckpoint(opened.text)!;
}

/** Every leaf of the log, read back from the entry bundles the register serves. */
async function leavesFromBundles(size: number): Promise<Uint8Array[]> {
  const leaves: Uint8Array[] = [];
  for (let n = 0; n * 256 < size; n++) {
    const width = Math.min(256, size - n * 256);
    const bundle = await tile(`entries/${String(n).padStart(3, '0')}${width < 256 ? `.p/${width}` : ''}`);
    expect(bundle.status, bundle.body.toString().slice(0, 300)).toBe(200);
    leaves.push(...decodeEntryBundle(bundle.body).map((e) => leafHash(e)));
  }
  return leaves;
}

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  const resources = Array.from({ length: 300 }, (_, i) => `tlog-${i}.example.kz`);
  await enforce(api, reg, { resources });
});
afterAll(async () => reg?.close());

describe('the public log as a transparency log', () => {
  it('an empty register has no checkpoint until one is signed, and then one of size 0', async () => {
    // (this register already has entries: the empty case is the size-0 root of the RFC)
    expect(Buffer.from(mth([])).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('signs a C2SP checkpoint over the tree of every entry, verifiable with /tlog/key', async () => {
    const key = (await api('GET', '/tlog/key')).body as string;
    expect(key).toMatch(/^[^+\s]+\/tlog\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*\n$/);
    const cp = await signedCheckpoint();
    expect(cp.origin).toBe('127.0.0.1:8080/tlog');
    expect(cp.size).toBe(300);
    const leaves = await leavesFromBundles(300);
    expect(cp.root.equals(Buffer.from(mth(leaves)))).toBe(true);
    // The leaf is exactly the hashed canonical body of the JSON entry.
    const entry = (await api('GET', '/public/v1/log/7')).body;
    const { prevHash: _p, hash: _h, inclusion, ...body } = entry;
    const bundled = decodeEntryBundle((await tile('entries/000')).body)[6]!;
    expect(Buffer.from(bundled).toString('utf8')).toBe(canonicalJson(body));
    expect(inclusion.treeSize).toBe(300);
    expect(inclusion.leafIndex).toBe(6);
    expect(verifyInclusion(6, 300, leaves[6]!, inclusion.hashes.map(b64), cp.root)).toBe(true);
  });

  it('serves hash tiles and entry bundles at C2SP paths, full ones immutable', async () => {
    const leaves = await leavesFromBundles(300);
    const full = await tile('0/000');
    expect(full.status).toBe(200);
    expect(full.headers['content-type']).toBe('application/octet-stream');
    expect(full.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(full.body.equals(Buffer.concat(leaves.slice(0, 256)))).toBe(true);
    const partial = await tile('0/001.p/44');
    expect(partial.body.equals(Buffer.concat(leaves.slice(256, 300)))).toBe(true);
    expect(partial.headers['cache-control']).not.toContain('immutable');
    const upper = await tile('1/000.p/1');
    expect(upper.body.equals(Buffer.from(mth(leaves.slice(0, 256))))).toBe(true);
    expect((await tile('0/001.p/20')).body.equals(Buffer.concat(leaves.slice(256, 276)))).toBe(true);
    // Tiles the log does not have yet, and paths that are not tile paths.
    expect((await tile('0/001')).status).toBe(404);
    expect((await tile('0/001.p/45')).status).toBe(404);
    expect((await tile('entries/002')).status).toBe(404);
    expect((await tile('1/000')).status).toBe(404);
    expect([400, 404]).toContain((await tile('../../etc/passwd')).status);
    for (const bad of ['0/1', '0/000.p/256', '0/x000/001', 'x/000', '0/000.p/0', '0/..%2f..%2fetc', `0/${'x001/'.repeat(30)}000`]) {
      const res = await tile(bad);
      expect(res.status, bad).toBe(400);
      expect(JSON.parse(res.body.toString()).error.code).toBe('REG_ERR_VALIDATION');
    }
  });

  it('gives every tile a strong ETag of its bytes and answers 304 to a matching If-None-Match, cached or not', async () => {
    for (const path of ['0/000', '0/000', 'entries/000', '0/001.p/44']) {
      const first = await tile(path);
      expect(first.status).toBe(200);
      expect(first.headers['etag']).toBe(`"${createHash('sha256').update(first.body).digest('base64url')}"`);
      expect(first.headers['access-control-allow-origin']).toBe('*');
      for (const inm of [first.headers['etag'] as string, `"x", W/${first.headers['etag']}`, '*']) {
        const again = await reg.app.inject({ method: 'GET', url: `/tlog/tile/${path}`, headers: { 'if-none-match': inm } });
        expect(again.statusCode, `${path} ${inm}`).toBe(304);
        expect(again.rawPayload.length).toBe(0);
        expect(again.headers['etag']).toBe(first.headers['etag']);
        expect(again.headers['cache-control']).toBe(first.headers['cache-control']);
      }
      const other = await reg.app.inject({ method: 'GET', url: `/tlog/tile/${path}`, headers: { 'if-none-match': '"another"' } });
      expect(other.statusCode).toBe(200);
      expect(other.rawPayload.equals(first.body)).toBe(true);
    }
  });

  it('answers inclusion proofs against any tree size, 400/404 for impossible ones', async () => {
    const leaves = await leavesFromBundles(300);
    for (const seq of [1, 2, 128, 255, 256, 257, 300]) {
      const proof = (await api('GET', `/public/v1/log/${seq}/inclusion`)).body;
      expect(proof).toMatchObject({ seq, leafIndex: seq - 1, treeSize: 300 });
      expect(verifyInclusion(seq - 1, 300, leaves[seq - 1]!, proof.hashes.map(b64), b64(proof.rootHash))).toBe(true);
      const older = (await api('GET', `/public/v1/log/${seq}/inclusion?treeSize=${Math.max(seq, 17)}`)).body;
      expect(verifyInclusion(seq - 1, older.treeSize, leaves[seq - 1]!, older.hashes.map(b64), mth(leaves.slice(0, older.treeSize)))).toBe(true);
    }
    expect((await api('GET', '/public/v1/log/0/inclusion')).status).toBe(400);
    expect((await api('GET', '/public/v1/log/-1/inclusion')).status).toBe(400);
    expect((await api('GET', '/public/v1/log/abc/inclusion')).status).toBe(400);
    expect((await api('GET', '/public/v1/log/301/inclusion')).status).toBe(404);
    expect((await api('GET', '/public/v1/log/5/inclusion?treeSize=301')).status).toBe(404);
    expect((await api('GET', '/public/v1/log/11/inclusion?treeSize=10')).status).toBe(400);
    expect((await api('GET', '/public/v1/log/1/inclusion?treeSize=x')).status).toBe(400);
    expect((await api('GET', `/public/v1/log/1/inclusion?treeSize=${2 ** 60}`)).status).toBe(400);
  });

  it('answers consistency proofs, 400 when from > to, 404 beyond the tree', async () => {
    const leaves = await leavesFromBundles(300);
    for (const [from, to] of [[0, 300], [1, 300], [10, 300], [256, 300], [255, 257], [300, 300], [7, 7]] as const) {
      const proof = (await api('GET', `/public/v1/log/consistency?from=${from}&to=${to}`)).body;
      expect(proof).toMatchObject({ from, to });
      expect(verifyConsistency(from, to, mth(leaves.slice(0, from)), mth(leaves.slice(0, to)), proof.hashes.map(b64))).toBe(true);
    }
    expect((await api('GET', '/public/v1/log/consistency?from=20&to=10')).status).toBe(400);
    expect((await api('GET', '/public/v1/log/consistency?from=1&to=301')).status).toBe(404);
    expect((await api('GET', '/public/v1/log/consistency?from=1')).status).toBe(400);
    expect((await api('GET', '/public/v1/log/consistency?from=-1&to=3')).status).toBe(400);
    // Only decimal digits: not an empty value read as 0, nor hex, exponents, spaces or repeats.
    for (const query of ['from=&to=', 'from=0&to=', 'from=%200x10&to=200', 'from=1e2&to=200', 'from=1.5&to=200', 'from=1&to=2&from=3', 'from=5&to=9007199254740993']) {
      const answer = await api('GET', `/public/v1/log/consistency?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code, query).toBe('REG_ERR_VALIDATION');
    }
  });

  it('extends the tree in the approval transaction, and the new checkpoint is consistent with the old', async () => {
    const before = await signedCheckpoint();
    await enforce(api, reg, { resources: ['tlog-more-1.example.kz', 'tlog-more-2.example.kz'] });
    const after = await signedCheckpoint();
    expect(after.size).toBe(before.size + 2);
    const proof = (await api('GET', `/public/v1/log/consistency?from=${before.size}&to=${after.size}`)).body;
    expect(verifyConsistency(before.size, after.size, before.root, after.root, proof.hashes.map(b64))).toBe(true);
    // Every checkpoint is kept; nodes are append-only.
    const kept = await reg.database.db.selectFrom('tlog_checkpoints').select('tree_size').orderBy('tree_size').execute();
    expect(kept.map((r) => Number(r.tree_size))).toEqual([300, 302]);
    await expect(reg.database.db.deleteFrom('tlog_nodes').where('level', '=', 0).where('idx', '=', 0).execute()).rejects.toThrow(/append-only/);
    await expect(reg.database.db.updateTable('tlog_checkpoints').set({ note: 'x' }).execute()).rejects.toThrow(/append-only/);
  });

  it('proofs from a process\'s node cache (cold, warm, evicting) equal proofs read from the database', async () => {
    const db = reg.database.db;
    for (const cache of [new TlogNodeCache(64 * 1024 * 1024), new TlogNodeCache(20_000)]) {
      for (const pass of [1, 2]) {
        for (const size of [1, 255, 256, 257, 300, 302]) {
          for (const seq of [1, 2, 100, 256, 257, size]) {
            if (seq > size) continue;
            const want = await inclusionProof(db, seq, size);
            expect(await inclusionProof(db, seq, size, { cache }), `seq ${seq} size ${size} pass ${pass}`).toEqual(want);
          }
          expect(await consistencyProof(db, 100, size >= 100 ? size : 100, { cache })).toEqual(await consistencyProof(db, 100, size >= 100 ? size : 100));
        }
      }
    }
  });

  it('describes every transparency-log route in the OpenAPI document', async () => {
    const doc = (await api('GET', '/openapi.json')).body;
    for (const path of ['/tlog/checkpoint', '/tlog/key', '/tlog/tile/{*}', '/tlog/verify-log.mjs', '/public/v1/log/{seq}/inclusion', '/public/v1/log/consistency']) {
      expect(doc.paths[path], `${path} in ${Object.keys(doc.paths).filter((p: string) => p.includes('tlog')).join(' ')}`).toBeDefined();
    }
    expect(doc.paths['/public/v1/log/{seq}/inclusion'].get.summary).toMatch(/Inclusion proof/);
  });
});
