import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { udpRcode } from '../support/udp-dns-query.js';
import { FeedStandIn } from './support/feed-stand-in.js';
import { faultsEnabled, readWholeSnapshot, startGatewayProcess, type GatewayProcess } from './support/gateway-process.js';

/**
 * Fault (issue #10): the gateway's data directory fills up. A small tmpfs is mounted for it
 * (root only), filled, and freed again. The gateway, with two DNS workers, keeps enforcing
 * every change, including a full reload that its workers can no longer read from the file,
 * and says so in /metrics and /readyz until a write succeeds again.
 */
const isRoot = process.getuid?.() === 0;
const mountPoint = mkdtempSync(join(tmpdir(), 'tizilim-fault-full-'));
let mounted = false;
const feed = new FeedStandIn();
let gw: GatewayProcess | undefined;
afterAll(async () => {
  await gw?.stop();
  await feed.close();
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!faultsEnabled || !isRoot)('gateway with its data directory full', () => {
  it('keeps enforcing, reports the failing write in /metrics and /readyz, and recovers when space returns', async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint]);
    mounted = true;
    await feed.start();
    feed.addMany('early', 100);
    gw = await startGatewayProcess({
      REGISTER_URL: feed.url, ISP_TOKEN: feed.token, GATEWAY_DATA_DIR: mountPoint, UPSTREAMS: '127.0.0.1:9',
      GATEWAY_WORKERS: '2', SYNC_WAIT_SECONDS: '5',
    });
    expect(readWholeSnapshot(mountPoint).count).toBe(100);
    expect(await gw.metric('snapshot_write_ok')).toBe(1);

    // Fill the disk, then changes arrive: the next write fails.
    const filler = join(mountPoint, 'filler');
    try { writeFileSync(filler, Buffer.alloc(32 * 1024 * 1024)); } catch { /* ENOSPC once full: that is the point */ }
    feed.addMany('late', 30_000);
    await expect.poll(async () => udpRcode(gw!.ports.dns, 'late29999.fault.example.kz'), { timeout: 30_000, interval: 100 }).toBe(3);
    await expect.poll(async () => (await gw!.readyz()).body.snapshotFile, { timeout: 15_000, interval: 250 }).toBe('write failing: ENOSPC');
    const ready = await gw.readyz();
    expect(ready.status).toBe(200); // still enforcing: not taken out of service
    expect(await gw.metric('snapshot_write_ok')).toBe(0);
    expect(await gw.metric('snapshot_write_failures')).toBeGreaterThanOrEqual(1);
    expect(readWholeSnapshot(mountPoint).count).toBe(100); // the old whole file, untouched

    // A full reload while the file cannot be written: the workers get the set over IPC.
    const snapshotsBefore = feed.snapshotRequests;
    feed.addMany('reload', 5_000);
    feed.compact();
    for (const name of ['reload4999.fault.example.kz', 'late0.fault.example.kz', 'early0.fault.example.kz']) {
      await expect.poll(async () => udpRcode(gw!.ports.dns, name), { timeout: 15_000, interval: 100 }).toBe(3);
    }
    expect(feed.snapshotRequests).toBe(snapshotsBefore + 1);
    // both workers: ask enough times that each answers some
    for (let i = 0; i < 20; i++) expect(await udpRcode(gw.ports.dns, `reload${i}.fault.example.kz`)).toBe(3);
    expect(await udpRcode(gw.ports.dns, 'never-listed.example.kz', 3000)).not.toBe(3);

    // Space comes back: the retry writes the whole current set.
    rmSync(filler, { force: true });
    await expect.poll(async () => gw!.metric('snapshot_write_ok'), { timeout: 15_000, interval: 250 }).toBe(1);
    expect((await gw.readyz()).body.snapshotFile).toBeUndefined();
    const snap = readWholeSnapshot(mountPoint);
    expect(snap.version).toBe(feed.version);
    expect(snap.count).toBe(feed.rules.size);
  }, 120_000);
});
