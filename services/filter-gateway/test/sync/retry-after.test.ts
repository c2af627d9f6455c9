import { afterEach, describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../src/sync/feed-client.js';
import { TestFeed } from '../helpers/feed-server.js';
import { startGateway, waitFor } from '../helpers/gateway.js';

/** A register that is stopping answers 503 + Retry-After (issue #10); the gateway waits as told, not its backoff. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

describe('Retry-After from a stopping register', () => {
  it('reads delta-seconds only, capped at a minute', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(['1'])).toBe(1000);
    expect(retryAfterMs('9999')).toBe(60_000);
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('Fri, 04 Dec 2026 20:00:00 GMT')).toBeUndefined();
    expect(retryAfterMs('-1')).toBeUndefined();
  });

  it('waits the hinted second between asks, then follows the register again at once', async () => {
    const feed = await new TestFeed().start();
    cleanups.push(() => feed.close());
    feed.add({ kind: 'domain', value: 'first.kz' });
    // A long backoff ceiling: only the hint can bring it back within a couple of seconds.
    const gw = await startGateway({ REGISTER_URL: feed.url, SYNC_MAX_BACKOFF_MS: '10000', SYNC_WAIT_SECONDS: '1' });
    cleanups.push(() => gw.close());
    await waitFor(() => gw.ready());

    feed.stoppingRetryAfter = 1;
    const from = feed.requestTimes.length;
    await waitFor(() => gw.sync.retryHints >= 2, 5000);
    const asks = feed.requestTimes.slice(from);
    for (let i = 1; i < asks.length; i++) expect(asks[i]! - asks[i - 1]!).toBeGreaterThanOrEqual(900);
    expect(gw.rules.loaded).toBe(true); // the rules in force stay

    feed.stoppingRetryAfter = undefined;
    feed.add({ kind: 'domain', value: 'second.kz' });
    const back = Date.now();
    await waitFor(() => gw.rules.version === feed.version, 3000);
    expect(Date.now() - back).toBeLessThan(1500);
    expect(gw.sync.state).toBe('connected');
  });
});
