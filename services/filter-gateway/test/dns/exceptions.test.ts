import { afterEach, describe, expect, it } from 'vitest';
import type { FeedRule } from '@tizilim/shared';
import { TestFeed } from '../helpers/feed-server.js';
import { startGateway, tempDir, waitFor } from '../helpers/gateway.js';
import { seedSnapshot } from '../helpers/rules.js';
import { TestUpstream } from '../helpers/upstream-server.js';
import { buildQuery, rcodeOf, udpAsk } from '../helpers/wire.js';

/**
 * Exceptions at the gateway's DNS match stage (DESIGN.md, "Every rule kind, every transport"):
 * an `allow` rule that is the most specific rule on a name lets the query through to the
 * upstream; the wider rule still blocks everything it alone decides. From a snapshot on disk,
 * and from feed changes as they arrive.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

const RULES: FeedRule[] = [
  { id: 'a', kind: 'domain_suffix', value: 'betzone.kz', mode: 'restrict', entry: 11 },
  { id: 'b', kind: 'domain', value: 'www.betzone.kz', mode: 'allow', entry: 12 },
  { id: 'c', kind: 'domain_suffix', value: 'open.betzone.kz', mode: 'allow', entry: 13 },
  { id: 'd', kind: 'domain_suffix', value: 'shut.open.betzone.kz', mode: 'restrict', entry: 14 },
];

async function upstream(): Promise<TestUpstream> {
  const zone: Record<string, { a: string[] }> = {};
  for (const n of ['www.betzone.kz', 'open.betzone.kz', 'x.open.betzone.kz', 'a.www.betzone.kz', 'mail.betzone.kz', 'shut.open.betzone.kz']) zone[n] = { a: ['10.7.7.7'] };
  const up = await new TestUpstream(zone).start();
  cleanups.push(() => up.close());
  return up;
}

async function rcode(port: number, name: string): Promise<number> {
  return rcodeOf((await udpAsk(port, buildQuery(name)))!);
}

/** `register_rules_exceptions` as /metrics shows it. */
async function exceptionsMetric(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^register_rules_exceptions (\d+)$/m.exec(text)?.[1] ?? NaN);
}

describe('exceptions at the DNS match stage', () => {
  it('from a snapshot on disk: the most specific rule decides, an allow lets the name through', async () => {
    const up = await upstream();
    const dataDir = await tempDir();
    await seedSnapshot(dataDir, RULES, 14);
    const gw = await startGateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}` });
    cleanups.push(() => gw.close());
    for (const name of ['www.betzone.kz', 'WWW.BetZone.kz', 'open.betzone.kz', 'x.open.betzone.kz']) expect(await rcode(gw.dnsPort, name), name).toBe(0);
    for (const name of ['betzone.kz', 'a.www.betzone.kz', 'mail.betzone.kz', 'shut.open.betzone.kz', 'z.shut.open.betzone.kz']) expect(await rcode(gw.dnsPort, name), name).toBe(3);
    // the allowed names reached the upstream; the blocked ones never did
    expect(up.asked.map((n) => n.toLowerCase())).toEqual(expect.arrayContaining(['www.betzone.kz', 'x.open.betzone.kz']));
    expect(up.asked.map((n) => n.toLowerCase())).not.toContain('a.www.betzone.kz');
    expect(await exceptionsMetric(gw.metricsPort)).toBe(2);
  });

  it('from feed changes: an exception added lets the name through; removed, the wildcard blocks it again', async () => {
    const up = await upstream();
    const feed = await new TestFeed().start();
    cleanups.push(() => feed.close());
    feed.add({ kind: 'domain_suffix', value: 'betzone.kz' });
    const gw = await startGateway({ GATEWAY_DATA_DIR: await tempDir(), UPSTREAMS: `127.0.0.1:${up.port}`, REGISTER_URL: feed.url });
    cleanups.push(() => gw.close());
    await waitFor(() => gw.ready());
    expect(await rcode(gw.dnsPort, 'www.betzone.kz')).toBe(3);
    feed.add({ kind: 'domain', value: 'www.betzone.kz', mode: 'allow' });
    await waitFor(() => gw.rules.version === feed.version);
    expect(await rcode(gw.dnsPort, 'www.betzone.kz')).toBe(0);
    expect(await rcode(gw.dnsPort, 'a.www.betzone.kz')).toBe(3);
    expect(await exceptionsMetric(gw.metricsPort)).toBe(1);
    feed.remove('domain', 'www.betzone.kz');
    await waitFor(() => gw.rules.version === feed.version);
    expect(await rcode(gw.dnsPort, 'www.betzone.kz')).toBe(3);
    expect(await exceptionsMetric(gw.metricsPort)).toBe(0);
  });
});
