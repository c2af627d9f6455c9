import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { FeedChange, FeedChangesPage } from '@tizilim/shared';
import { checkRule, readSnapshotStream, type Snapshot } from './snapshot-codec.js';

export class FeedHttpError extends Error {
  constructor(readonly status: number, what: string, readonly retryAfterMs?: number) {
    super(`${what}: register answered ${status}${retryAfterMs === undefined ? '' : `, retry after ${retryAfterMs} ms`}`);
  }
}

/** Retry-After in seconds (RFC 9110 10.2.3; the register never sends the date form), capped at a minute. */
export function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\d{1,6}$/.test(text.trim())) return undefined;
  return Math.min(Number(text.trim()), 60) * 1000;
}

/**
 * The register's feed over one keep-alive pool. Long-polls hold a connection for up to
 * `wait` seconds, so timeouts are set from it rather than left at undici's defaults.
 */
export class FeedClient {
  readonly #pool: Pool;
  readonly #base: URL;

  constructor(registerUrl: string, private readonly token: string | undefined) {
    this.#base = new URL(registerUrl.endsWith('/') ? registerUrl : `${registerUrl}/`);
    this.#pool = new Pool(this.#base.origin, { connections: 2, keepAliveTimeout: 60_000, connectTimeout: 5_000 });
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}`, ...extra } : extra;
  }

  #path(p: string): string {
    return new URL(p, this.#base).pathname;
  }

  async snapshot(signal?: AbortSignal): Promise<Snapshot> {
    const res = await this.#pool.request({
      method: 'GET', path: this.#path('v1/feed/snapshot'),
      headers: this.#headers({ 'accept-encoding': 'gzip', accept: 'application/x-ndjson' }),
      headersTimeout: 30_000, bodyTimeout: 120_000, signal,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new FeedHttpError(res.statusCode, 'snapshot', retryAfterMs(res.headers['retry-after']));
    }
    let body: Readable = res.body;
    if (String(res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') body = res.body.pipe(createGunzip());
    return readSnapshotStream(body);
  }

  /** The next page of changes after `since`, or 'gone' when the register no longer keeps it. */
  async changes(since: number, waitSeconds: number, signal?: AbortSignal): Promise<FeedChangesPage | 'gone'> {
    const res = await this.#pool.request({
      method: 'GET', path: `${this.#path('v1/feed/changes')}?since=${since}&wait=${waitSeconds}`,
      headers: this.#headers({ accept: 'application/json' }),
      headersTimeout: (waitSeconds + 15) * 1000, bodyTimeout: 60_000,
      signal,
    });
    if (res.statusCode === 410) { await res.body.dump(); return 'gone'; }
    if (res.statusCode !== 200) { await res.body.dump(); throw new FeedHttpError(res.statusCode, 'changes', retryAfterMs(res.headers['retry-after'])); }
    const page = (await res.body.json()) as Partial<FeedChangesPage>;
    if (!page || !Number.isInteger(page.to) || !Array.isArray(page.changes)) throw new Error('changes page is malformed');
    const changes: FeedChange[] = [];
    for (const c of page.changes as unknown[]) {
      const rule = checkRule(c);
      const x = c as Partial<FeedChange>;
      if (!rule || !Number.isInteger(x.seq) || (x.op !== 'add' && x.op !== 'remove')) throw new Error('changes page has a malformed change');
      const change: FeedChange = { seq: x.seq!, op: x.op, ...rule };
      changes.push(change);
    }
    return { from: Number(page.from ?? since), to: page.to!, changes };
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}
