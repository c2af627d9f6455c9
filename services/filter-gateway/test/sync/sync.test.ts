import { readdir, readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { snapshotPath } from '../../src/sync/snapshot-file.js';
import { TestFeed } from '../helpers/feed-server.js';
import { startGateway, tempDir, waitFor } from '../helpers/gateway.js';
import { RULES, seedSnapshot } from '../helpers/rules.js';
import { TestUpstream } from '../helpers/upstream-server.js';
import { buildQuery, rcodeOf, udpAsk } from '../helpers/wire.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

async function upstream(): Promise<TestUpstream> {
  const up = await new TestUpstream({ 'fresh.kz': { a: ['10.9.9.9'], ttl: 1 }, 'gone.kz': { a: ['10.9.9.8'], ttl: 1 } }).start();
  cleanups.push(() => up.close());
  return up;
}

async function gateway(env: Record<string, string>): ReturnType<typeof startGateway> {
  const gw = await startGateway(env);
  cleanups.push(() => gw.close());
  return gw;
}

async function rcode(port: number, name: string): Promise<number> {
  return rcodeOf((await udpAsk(port, buildQuery(name)))!);
}

describe('sync with the register', () => {
  it('starts from the disk snapshot with the register down, blocks, and reports staleness', async () => {
    const up = await upstream();
    const dataDir = await tempDir();
    await seedSnapshot(dataDir);
    const gw = await gateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}` });
    expect(gw.ready()).toBe(true);
    expect(await rcode(gw.dnsPort, 'blocked.kz')).toBe(3);
    const ready = await fetch(`http://127.0.0.1:${gw.metricsPort}/readyz`);
    expect(ready.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${gw.metricsPort}/healthz`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const metrics = await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/register_version 200/);
    expect(metrics).toMatch(/register_rules 5/);
    expect(metrics).toMatch(/sync_staleness_seconds 0\.[1-9]/);
    expect(gw.sync.state).toBe('unreachable');
  });

  it('started from disk, is connected at once; reads 0 s stale while its long-poll waits, then the time since the register last answered', async () => {
    const up = await upstream();
    const dataDir = await tempDir();
    await seedSnapshot(dataDir);
    const feed = await new TestFeed().start();
    let feedOpen = true;
    cleanups.push(async () => { if (feedOpen) await feed.close(); });
    feed.version = 200; // the register is where the disk snapshot is: nothing to catch up
    const gw = await gateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}`, REGISTER_URL: feed.url, SYNC_WAIT_SECONDS: '30' });
    // The first ask returns at once (wait 0), not after the 30 s long-poll.
    await waitFor(() => gw.sync.state === 'connected', 2000, 20);
    await waitFor(() => feed.changesRequests >= 2, 2000, 20);
    await new Promise((r) => setTimeout(r, 1500));
    const staleness = async () => Number(/^sync_staleness_seconds (\S+)$/m.exec(await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text())![1]);
    expect(await staleness()).toBe(0);
    await feed.close();
    feedOpen = false;
    await waitFor(() => gw.sync.state === 'unreachable', 3000, 20);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await staleness()).toBeGreaterThanOrEqual(1);
  });

  it('enforces the rest of a snapshot with a rule the matcher refuses, and counts the refusal', async () => {
    const up = await upstream();
    const dataDir = await tempDir();
    await seedSnapshot(dataDir, [...RULES, { id: 'bad', kind: 'ip', value: 'not-an-address', mode: 'restrict', entry: 199 }], 201);
    const gw = await gateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}` });
    expect(await rcode(gw.dnsPort, 'blocked.kz')).toBe(3);
    const metrics = await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^register_rules_rejected 1$/m);
    expect(metrics).toMatch(/^register_version 201$/m);
  });

  it('is not ready without any rule set', async () => {
    const up = await upstream();
    const gw = await gateway({ UPSTREAMS: `127.0.0.1:${up.port}` });
    expect((await fetch(`http://127.0.0.1:${gw.metricsPort}/readyz`)).status).toBe(503);
  });

  it('loads the snapshot when it has none, follows long-polls, removes and adds rules', async () => {
    const up = await upstream();
    const feed = await new TestFeed().start();
    cleanups.push(() => feed.close());
    feed.add({ kind: 'domain', value: 'gone.kz' });
    const gw = await gateway({ UPSTREAMS: `127.0.0.1:${up.port}`, REGISTER_URL: feed.url });
    await waitFor(() => gw.ready());
    expect(feed.snapshotRequests).toBe(1);
    expect(await rcode(gw.dnsPort, 'gone.kz')).toBe(3);
    expect(await rcode(gw.dnsPort, 'fresh.kz')).toBe(0);
    await waitFor(() => feed.changesRequests > 0);

    const t0 = Date.now();
    feed.add({ kind: 'domain_suffix', value: 'fresh.kz' });
    await waitFor(async () => (await rcode(gw.dnsPort, 'www.fresh.kz')) === 3, 1000, 10);
    expect(Date.now() - t0).toBeLessThan(1000);
    // Blocking wins over the answer cached before the rule came.
    expect(await rcode(gw.dnsPort, 'fresh.kz')).toBe(3);

    feed.remove('domain', 'gone.kz');
    await waitFor(async () => (await rcode(gw.dnsPort, 'gone.kz')) === 0, 1000, 10);
    expect(gw.rules.version).toBe(feed.version);
    expect(feed.snapshotRequests).toBe(1);
  });

  it('reloads the snapshot on 410', async () => {
    const up = await upstream();
    const feed = await new TestFeed().start();
    cleanups.push(() => feed.close());
    feed.add({ kind: 'domain', value: 'gone.kz' });
    const dataDir = await tempDir();
    // A disk snapshot older than anything the register still keeps changes for.
    await seedSnapshot(dataDir, [], 0);
    feed.add({ kind: 'domain', value: 'fresh.kz' });
    feed.compact();
    const gw = await gateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}`, REGISTER_URL: feed.url });
    await waitFor(() => gw.rules.version === feed.version);
    expect(feed.snapshotRequests).toBe(1);
    expect(await rcode(gw.dnsPort, 'fresh.kz')).toBe(3);
    expect(await rcode(gw.dnsPort, 'gone.kz')).toBe(3);
  });

  it('writes the snapshot file atomically and starts from it next time', async () => {
    const up = await upstream();
    const feed = await new TestFeed().start();
    cleanups.push(() => feed.close());
    for (let i = 0; i < 50; i++) feed.add({ kind: 'domain', value: `n${i}.kz` });
    const dataDir = await tempDir();
    const gw = await startGateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}`, REGISTER_URL: feed.url });
    await waitFor(() => gw.ready());
    feed.add({ kind: 'domain', value: 'late.kz' });
    await waitFor(() => gw.rules.version === feed.version);
    await gw.close(); // flushes pending changes to disk
    const files = await readdir(dataDir);
    expect(files).toEqual(['snapshot.ndjson']);
    const lines = (await readFile(snapshotPath(dataDir), 'utf8')).trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ version: feed.version, count: 51 });
    expect(lines).toHaveLength(52);

    await feed.close();
    cleanups.pop();
    const again = await gateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}` });
    expect(again.rules.version).toBe(51);
    expect(await rcode(again.dnsPort, 'late.kz')).toBe(3);
  });

  it('stops blocking a suspension when its end passes, register unreachable', async () => {
    const up = await upstream();
    const dataDir = await tempDir();
    const until = new Date(Date.now() + 700).toISOString();
    await seedSnapshot(dataDir, [
      { id: 'x', kind: 'domain', value: 'fresh.kz', mode: 'suspend', until, entry: 7 },
      { id: 'y', kind: 'domain_suffix', value: 'kz', mode: 'restrict', entry: 8 },
    ], 8);
    const gw = await gateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}` });
    const blockedBy = async (): Promise<string> => {
      const r = (await udpAsk(gw.dnsPort, buildQuery('fresh.kz', { edns: {} })))!;
      return r.toString('latin1');
    };
    expect(await blockedBy()).toContain('entry 7');
    // After `until`, the broader rule it shadowed applies again.
    await waitFor(async () => (await blockedBy()).includes('entry 8'), 2000);
  });
});
