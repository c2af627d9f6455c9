import http from 'node:http';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { FeedChange, FeedRule } from '@tizilim/shared';

/**
 * The register's feed contract (DESIGN "Feed") served from memory, for faults that need a
 * rule set larger than the register can be seeded with in a test's time: snapshot NDJSON
 * (gzip when asked), changes with long-poll, 410 for versions it no longer keeps.
 */
export class FeedStandIn {
  version = 0;
  readonly rules = new Map<string, FeedRule>();
  changes: FeedChange[] = [];
  keptFrom = 0;
  snapshotRequests = 0;
  /** Versions whose full snapshot was served: a gateway's file may hold any of them. */
  readonly servedVersions = new Map<number, number>();
  readonly #server = http.createServer((req, res) => this.#handle(req, res));
  readonly #sockets = new Set<Socket>();
  readonly #waiters = new Set<() => void>();
  port = 0;

  constructor(readonly token = 'fault-isp-token') {
    this.#server.on('connection', (s) => { this.#sockets.add(s); s.on('close', () => this.#sockets.delete(s)); });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.#server.address() as { port: number }).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Adds `n` domain rules named `<prefix><i>.<zone>` in one version each. */
  addMany(prefix: string, n: number, zone = 'fault.example.kz'): void {
    for (let i = 0; i < n; i++) {
      this.version++;
      const rule: FeedRule = { id: `${prefix}${this.version}`, kind: 'domain', value: `${prefix}${i}.${zone}`, mode: 'restrict', entry: this.version };
      this.rules.set(`${rule.kind} ${rule.value}`, rule);
      this.changes.push({ seq: this.version, op: 'add', ...rule });
    }
    // Deferred: a compact() in the same tick decides whether waiting gateways get 410.
    setImmediate(() => {
      for (const w of this.#waiters) w();
      this.#waiters.clear();
    });
  }

  /** Forget the change log: any gateway behind must reload the whole snapshot (410). */
  compact(): void {
    this.keptFrom = this.version;
    this.changes = [];
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${this.token}`) { res.writeHead(401).end(); return; }
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/v1/feed/snapshot') {
      this.snapshotRequests++;
      this.servedVersions.set(this.version, this.rules.size);
      const lines = [JSON.stringify({ version: this.version, count: this.rules.size, generatedAt: new Date().toISOString() })];
      for (const r of this.rules.values()) lines.push(JSON.stringify(r));
      const body = gzipSync(Buffer.from(lines.join('\n') + '\n'), { level: 1 });
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip', 'x-register-version': String(this.version) });
      res.end(body);
      return;
    }
    if (u.pathname === '/v1/feed/changes') {
      const since = Number(u.searchParams.get('since'));
      const wait = Number(u.searchParams.get('wait') ?? 0);
      if (since < this.keptFrom || since > this.version) { res.writeHead(410).end(); return; }
      const reply = (): void => {
        if (since < this.keptFrom) { res.writeHead(410).end(); return; }
        const changes = this.changes.filter((c) => c.seq > since).slice(0, 5000);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ from: since, to: changes.at(-1)?.seq ?? since, changes }));
      };
      if (this.version > since || wait <= 0) { reply(); return; }
      const t = setTimeout(() => { this.#waiters.delete(waiter); reply(); }, wait * 1000);
      const waiter = (): void => { clearTimeout(t); reply(); };
      this.#waiters.add(waiter);
      req.on('close', () => { clearTimeout(t); this.#waiters.delete(waiter); });
      return;
    }
    if (u.pathname === '/v1/gateways/heartbeat') { res.writeHead(204).end(); return; }
    res.writeHead(404).end();
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
