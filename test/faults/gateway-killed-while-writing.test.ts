import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/child-service.js';
import { FeedStandIn } from './support/feed-stand-in.js';
import { faultsEnabled, readWholeSnapshot, startGatewayProcess, type GatewayProcess } from './support/gateway-process.js';

/**
 * Fault (issue #10): the gateway killed with SIGKILL while it writes its snapshot file. Each
 * round forces a full reload (the feed forgot the gateway's version: 410), waits for the
 * temporary file to appear, and kills the process mid-write. The file must always be a whole
 * snapshot of a version the register served, and a gateway started on it with the register
 * away enforces exactly that version.
 */
const ROUNDS = 4;
const dataDir = mkdtempSync(join(tmpdir(), 'tizilim-fault-kill-'));
const feed = new FeedStandIn();
let gw: GatewayProcess | undefined;
afterAll(async () => {
  gw?.child.kill('SIGKILL');
  await feed.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Resolves when a temporary snapshot file exists, polling as fast as the loop allows. */
async function tempFileAppears(timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (readdirSync(dataDir).some((n) => n.includes('.tmp-'))) return true;
    await new Promise((r) => setImmediate(r));
  }
  return false;
}

describe.skipIf(!faultsEnabled)('gateway killed -9 while writing its snapshot', () => {
  it('restarts every time from a whole snapshot of a served version', async () => {
    await feed.start();
    feed.addMany('base', 150_000);
    const env = { REGISTER_URL: feed.url, ISP_TOKEN: feed.token, GATEWAY_DATA_DIR: dataDir, UPSTREAMS: '127.0.0.1:9', SYNC_WAIT_SECONDS: '5' };
    gw = await startGatewayProcess(env);
    await gw.stop(); // a first whole file to fall back on
    expect(readWholeSnapshot(dataDir).version).toBe(feed.version);

    let killedMidWrite = 0;
    for (let round = 0; round < ROUNDS; round++) {
      feed.addMany(`r${round}-`, 20_000);
      feed.compact();
      gw = await startGatewayProcess(env, { waitReady: false });
      if (await tempFileAppears(60_000)) killedMidWrite++;
      gw.child.kill('SIGKILL');
      await gw.exited;
      const snap = readWholeSnapshot(dataDir);
      expect(feed.servedVersions.get(snap.version), `round ${round}: version ${snap.version}`).toBe(snap.count);
    }
    expect(killedMidWrite).toBe(ROUNDS);

    // With the register away, the restarted gateway enforces the file's version exactly.
    const onDisk = readWholeSnapshot(dataDir);
    gw = await startGatewayProcess({ ...env, REGISTER_URL: `http://127.0.0.1:${await freePort()}` });
    const ready = await gw.readyz();
    expect(ready.status).toBe(200);
    expect(ready.body.version).toBe(onDisk.version);
    expect(await gw.metric('register_rules')).toBe(onDisk.count);
    expect(readdirSync(dataDir).filter((n) => n.includes('.tmp-'))).toEqual([]); // leftovers of the kills removed
    expect(existsSync(join(dataDir, 'snapshot.ndjson'))).toBe(true);
    await gw.stop();
  }, 180_000);
});
