import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntryBundle, leafHash, verifyInclusion } from '@tizilim/shared/tlog/index';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';
import { inclusionProof } from '../src/repositories/tlog-repository.js';
import { TlogNodeCache } from '../src/repositories/tlog-node-cache.js';
import { TlogTreeEdges } from '../src/repositories/tlog-tree-edge.js';

/**
 * The proof caches (per-size tree edges over cached tiles and partial right-edge tiles) must
 * answer exactly what a proof read straight from the stored nodes answers, for every shape of
 * tree: sizes that are powers of two, one either side, sizes ending inside a partial tile, and
 * after the log grew past a partial tile a cache had read.
 */
let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
const b64 = (h: string) => Buffer.from(h, 'base64');

/** Caches as a process may have them: roomy, one tile, none, and an edge cache of two sizes. */
function caches() {
  return [
    { name: 'roomy', edges: new TlogTreeEdges(new TlogNodeCache(64 * 1024 * 1024)) },
    { name: 'one tile', edges: new TlogTreeEdges(new TlogNodeCache(20_000)) },
    { name: 'no tiles', edges: new TlogTreeEdges(new TlogNodeCache(0)) },
    { name: 'two sizes', edges: new TlogTreeEdges(new TlogNodeCache(64 * 1024 * 1024), 2) },
  ];
}

/** Leaves to prove in a tree of `size`: all of a small tree, otherwise edges of tiles and subtrees plus a stride. */
function leavesOf(size: number): number[] {
  if (size <= 40) return Array.from({ length: size }, (_, i) => i + 1);
  const seqs = new Set([1, 2, 3, 128, 129, 255, 256, 257, 258, 511, 512, 513, size - 2, size - 1, size]);
  for (let s = 5; s <= size; s += 37) seqs.add(s);
  return [...seqs].filter((s) => s >= 1 && s <= size).sort((a, b) => a - b);
}

/** Proofs straight from the stored nodes, by seq/size (nodes never change, so each is read once). */
const uncached = new Map<string, Awaited<ReturnType<typeof inclusionProof>>>();

async function expectSameProofs(edgesList: ReturnType<typeof caches>, sizes: readonly number[]): Promise<number> {
  const db = reg.database.db;
  let compared = 0;
  for (const size of sizes) {
    for (const seq of leavesOf(size)) {
      const key = `${seq}/${size}`;
      const want = uncached.get(key) ?? (await inclusionProof(db, seq, size));
      uncached.set(key, want);
      for (const { name, edges } of edgesList) {
        expect(await inclusionProof(db, seq, size, { edges }), `${name}: seq ${seq} in ${size}`).toEqual(want);
        compared++;
      }
    }
  }
  return compared;
}

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  await enforce(api, reg, { resources: Array.from({ length: 700 }, (_, i) => `proof-cache-${i}.example.kz`) });
  expect((await api('POST', '/v1/log/checkpoints', reg.tokens.auditor)).status).toBe(200);
}, 120_000);
afterAll(async () => reg?.close());

describe('transparency-log proof caches', () => {
  it('cached and uncached inclusion proofs are identical for many sizes and leaves, cold and warm, and as the log grows', async () => {
    const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 31, 33, 255, 256, 257, 300, 511, 512, 513, 640, 699, 700];
    const list = caches();
    let compared = 0;
    for (let pass = 1; pass <= 2; pass++) compared += await expectSameProofs(list, sizes);
    // The caches now hold tile 2 read while it was partial (188 leaves); the log grows past that.
    await enforce(api, reg, { resources: Array.from({ length: 100 }, (_, i) => `proof-cache-more-${i}.example.kz`) });
    compared += await expectSameProofs(list, [700, 701, 767, 768, 769, 800, 513]);
    expect(compared).toBeGreaterThan(2000);
  }, 240_000);

  it('the route, the JSON entry and the entry page answer the same proof, and it verifies against the checkpoint', async () => {
    const size = 700;
    const bundle = decodeEntryBundle((await reg.app.inject({ method: 'GET', url: '/tlog/tile/entries/001' })).rawPayload);
    for (const seq of [257, 300, 512]) {
      const proof = (await api('GET', `/public/v1/log/${seq}/inclusion?treeSize=${size}`)).body;
      expect(proof).toEqual(await inclusionProof(reg.database.db, seq, size));
      expect(verifyInclusion(seq - 1, size, leafHash(bundle[seq - 257]!), proof.hashes.map(b64), b64(proof.rootHash))).toBe(true);
      const latest = (await api('GET', `/public/v1/log/${seq}/inclusion`)).body;
      const entry = (await api('GET', `/public/v1/log/${seq}`)).body;
      expect(entry.inclusion).toEqual({ treeSize: latest.treeSize, leafIndex: seq - 1, hashes: latest.hashes });
      const page = await reg.app.inject({ method: 'GET', url: `/log/${seq}` });
      expect(page.statusCode).toBe(200);
      for (const h of latest.hashes) expect(page.body).toContain(h);
    }
  });

  it('bad input answers 400 or 404 in the register\'s error shape, never 500', async () => {
    const latest = (await api('GET', '/public/v1/log/1/inclusion')).body.treeSize as number;
    const cases: [string, number][] = [
      ['/public/v1/log/0/inclusion', 400],
      ['/public/v1/log/-1/inclusion', 400],
      ['/public/v1/log/abc/inclusion', 400],
      ['/public/v1/log/1.5/inclusion', 400],
      ['/public/v1/log/1e3/inclusion', 400],
      ['/public/v1/log/%20/inclusion', 400],
      [`/public/v1/log/${2 ** 53}/inclusion`, 400],
      [`/public/v1/log/${'9'.repeat(40)}/inclusion`, 400],
      [`/public/v1/log/${latest + 1}/inclusion`, 404],
      [`/public/v1/log/${Number.MAX_SAFE_INTEGER}/inclusion`, 404],
      ['/public/v1/log/1/inclusion?treeSize=0', 400],
      ['/public/v1/log/5/inclusion?treeSize=4', 400],
      ['/public/v1/log/1/inclusion?treeSize=x', 400],
      ['/public/v1/log/1/inclusion?treeSize=', 400],
      ['/public/v1/log/1/inclusion?treeSize=-3', 400],
      ['/public/v1/log/1/inclusion?treeSize=1&treeSize=2', 400],
      [`/public/v1/log/1/inclusion?treeSize=${2 ** 60}`, 400],
      [`/public/v1/log/1/inclusion?treeSize=${latest + 1000}`, 404],
    ];
    for (const [url, status] of cases) {
      const res = await reg.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(status);
      expect(res.json().error.code, url).toBe(status === 400 ? 'REG_ERR_VALIDATION' : 'REG_ERR_NOT_FOUND');
    }
    // Leading zeros are still the same number.
    expect((await api('GET', '/public/v1/log/007/inclusion')).body.seq).toBe(7);
  });
});
