import http from 'node:http';
import { gzipSync } from 'node:zlib';
import type { FeedChange, FeedRule } from '@tizilim/shared';

/**
 * The register's feed contract on node:http, for sync tests: snapshot NDJSON (gzip when
 * asked), changes with long-poll, 410 for versions it no longer keeps, bearer auth.
 */
export class TestFeed {
  version = 0;
  readonly rules = new Map<string, FeedRule>();
  changes: FeedChange[] = [];
  /** Oldest `since` still served; older gets 410. */
  keptFrom = 0;
  snapshotRequests = 0;
  changesRequests = 0;
  /** Seconds of Retry-After while the feed plays a register that is stopping (503); undefined = serving. */
  stoppingRetryAfter: number | undefined;
  /** When each request arrived (ms), to measure how a client spaced its retries. */
  readonly requestTimes: number[] = [];
  port = 0;
  readonly #waiters = new Set<() => void>();
  readonly #server = http.createServer((req, res) => this.#handle(req, res));
  readonly #sockets = new Set<import('node:net').Socket>();

  constructor(readonly token = 'isp-secret') {
    this.#server.on('connection', (s) => { this.#sockets.add(s); s.on('close', () => this.#sockets.delete(s)); });
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(port, '127.0.0.1', () => r()));
    const a = this.#server.address();
    this.port = typeof a === 'object' && a ? a.port : port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  add(rule: Omit<FeedRule, 'id' | 'entry' | 'mode'> & Partial<FeedRule>): FeedRule {
    this.version++;
    const full: FeedRule = { id: `r${this.version}`, mode: 'restrict', entry: this.version, ...rule } as FeedRule;
    this.rules.set(`${full.kind} ${full.value}`, full);
    this.changes.push({ seq: this.version, op: 'add', ...full });
    this.#wake();
    return full;
  }

  remove(kind: FeedRule['kind'], value: string): void {
    const r = this.rules.get(`${kind} ${value}`);
    if (!r) return;
    this.version++;
    this.rules.delete(`${kind} ${value}`);
    this.changes.push({ seq: this.version, op: 'remove', ...r });
    this.#wake();
  }

  /** Forget the change log, so any older `since` gets 410. */
  compact(): void {
    this.keptFrom = this.version;
    this.changes = [];
  }

  #wake(): void {
    for (const w of this.#waiters) w();
    this.#waiters.clear();
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${this.token}`) { res.writeHead(401).end(); return; }
    const u = new URL(req.url ?? '/', 'http://x');
    this.requestTimes.push(Date.now());
    if (this.stoppingRetryAfter !== undefined) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': String(this.stoppingRetryAfter) });
      res.end(JSON.stringify({ error: { code: 'REG_ERR_SHUTTING_DOWN', message: 'the register is stopping' } }));
      return;
    }
    if (u.pathname === '/v1/feed/snapshot') {
      this.snapshotRequests++;
      const lines = [JSON.stringify({ version: this.version, count: this.rules.size, generatedAt: new Date().toISOString() })];
      for (const r of this.rules.values()) lines.push(JSON.stringify(r));
      const body = Buffer.from(lines.join('\n') + '\n');
      if (/gzip/.test(String(req.headers['accept-encoding'] ?? ''))) {
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
        res.end(gzipSync(body));
      } else {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.end(body);
      }
      return;
    }
    if (u.pathname === '/v1/feed/changes') {
      this.changesRequests++;
      const since = Number(u.searchParams.get('since'));
      const wait = Number(u.searchParams.get('wait') ?? 0);
      if (since < this.keptFrom) { res.writeHead(410).end(); return; }
      const reply = (): void => {
        const changes = this.changes.filter((c) => c.seq > since);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ from: since, to: this.version, changes }));
      };
      if (this.version > since || wait <= 0) { reply(); return; }
      const t = setTimeout(() => { this.#waiters.delete(waiter); reply(); }, wait * 1000);
      const waiter = (): void => { clearTimeout(t); reply(); };
      this.#waiters.add(waiter);
      req.on('close', () => { clearTimeout(t); this.#waiters.delete(waiter); });
      return;
    }
    res.writeHead(404).end();
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
