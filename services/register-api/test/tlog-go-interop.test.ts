import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';

/**
 * Interoperability with Go's reference transparency log (golang.org/x/mod/sumdb/note and
 * sumdb/tlog from Debian's golang-golang-x-mod-dev), built offline. Skipped, saying why, only
 * when Go or x/mod is not installed (`.ci/run` installs both).
 */
const GOPATH_SYSTEM = '/usr/share/gocode';
const goAvailable = (() => {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return existsSync(join(GOPATH_SYSTEM, 'src/golang.org/x/mod/sumdb/tlog'));
  } catch {
    return false;
  }
})();
if (!goAvailable) console.warn('tlog-go-interop: SKIPPED — `go` or golang-golang-x-mod-dev is not installed (apt-get install golang-go golang-golang-x-mod-dev)');

const SOURCE = fileURLToPath(new URL('./go/tlogcheck.go', import.meta.url));
// One build cache for every run on this machine: a cold build of net/http takes a while.
const GOCACHE = join(tmpdir(), 'tizilim-go-cache');

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 120_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out: stdout + stderr }));
  });
}

let reg: TestRegister;
let dir: string;
let baseUrl: string;
let binary: string;
let oldCheckpoint: string;

beforeAll(async () => {
  if (!goAvailable) return;
  dir = await mkdtemp(join(tmpdir(), 'tizilim-go-'));
  await mkdir(GOCACHE, { recursive: true });
  binary = join(dir, 'tlogcheck');
  const build = run('go', ['build', '-o', binary, SOURCE], { ...process.env, GO111MODULE: 'off', GOPATH: `${GOPATH_SYSTEM}:${dir}`, GOCACHE, GOPROXY: 'off' }, 240_000);
  reg = await startTestRegister();
  const api = apiClient(reg.app);
  baseUrl = (await reg.app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  await enforce(api, reg, { resources: Array.from({ length: 200 }, (_, i) => `go-a-${i}.example.kz`) });
  expect((await api('POST', '/v1/log/checkpoints', reg.tokens.auditor)).status).toBe(200);
  oldCheckpoint = (await api('GET', '/tlog/checkpoint')).body as string;
  // 529 leaves: the size at which x/mod 0.7's TileHashReader skips a tile check (TOOLCHAIN.md),
  // so the program checks each proof against the signed root as well.
  await enforce(api, reg, { resources: Array.from({ length: 329 }, (_, i) => `go-b-${i}.example.kz`) });
  expect((await api('POST', '/v1/log/checkpoints', reg.tokens.auditor)).status).toBe(200);
  const built = await build;
  if (built.code !== 0) throw new Error(`go build failed:\n${built.out}`);
}, 300_000);

afterAll(async () => {
  await reg?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!goAvailable)("Go's sumdb/note and sumdb/tlog read our log", () => {
  it('verifies the checkpoint, tiles, inclusion and consistency', async () => {
    const file = join(dir, 'old-checkpoint');
    await writeFile(file, oldCheckpoint);
    const result = await run(binary, [baseUrl, file]);
    expect(result.out).toContain('checkpoint verified: 127.0.0.1:8080/tlog size 529, older size 200');
    expect(result.out).toContain('inclusion verified');
    expect(result.out).toContain('consistency verified');
    expect(result.code, result.out).toBe(0);
  });

  it('refuses a checkpoint signed by another key', async () => {
    const file = join(dir, 'forged-checkpoint');
    const lines = oldCheckpoint.split('\n');
    const sig = lines.at(-2)!.split(' ');
    const bytes = Buffer.from(sig[2]!, 'base64');
    bytes[10]! ^= 1;
    lines[lines.length - 2] = `${sig[0]} ${sig[1]} ${bytes.toString('base64')}`;
    await writeFile(file, lines.join('\n'));
    const result = await run(binary, [baseUrl, file]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/FAIL: note.Open: .*(invalid signature|unverified)/i);
  });
});
