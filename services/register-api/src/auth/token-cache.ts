import type { Kysely } from 'kysely';
import type { DB, Role } from '../db/schema.js';
import { authFingerprint, findUserByTokenHash, listActiveTokens } from '../repositories/user-repository.js';
import type { Listen } from '../domain/log-watcher.js';

interface WarnLogger {
  warn(obj: object, msg: string): void;
}

export interface CachedToken {
  userId: string;
  name: string;
  roles: Role[];
  tokenId: string;
  /** ms since the epoch; null: never expires */
  expiresAt: number | null;
}

/** NOTIFY channel the users and api_tokens triggers speak on (migration 0020). */
export const AUTH_CHANNEL = 'tizilim_auth';

const MISS_MEMORY_MS = 1000;
const MAX_REMEMBERED_MISSES = 10_000;

/**
 * The valid API tokens in memory, so authenticating a request costs a hash and a Map lookup
 * instead of a query. Kept fresh two ways: a NOTIFY from the database on every change of users
 * or tokens (reload at once), and a poll every `pollMs` of a fingerprint that grows with each
 * revocation and disabling (reload when it moved), for notices lost while the LISTEN
 * connection was down. A token not in memory (issued by another process a moment ago) is
 * looked up once in the database.
 */
export class TokenCache {
  readonly #db: Kysely<DB>;
  readonly #listen: Listen | undefined;
  readonly #log: WarnLogger | undefined;
  readonly #pollMs: number;
  #tokens = new Map<string, CachedToken>();
  /** Hashes just found invalid, so a flood of made-up tokens costs one query each per second, not one per request. */
  #misses = new Map<string, number>();
  /** Bumped by every reload: a lookup that began before it must not add what the reload dropped. */
  #generation = 0;
  #fingerprint = '';
  #reloading: Promise<void> | undefined;
  #reloadAgain = false;
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #stopped = false;
  #reloads = 0;
  #confirmedAt = 0;

  constructor(options: { db: Kysely<DB>; listen?: Listen | undefined; logger?: WarnLogger | undefined; pollMs?: number }) {
    this.#db = options.db;
    this.#listen = options.listen;
    this.#log = options.logger;
    this.#pollMs = options.pollMs ?? 500;
  }

  async start(): Promise<void> {
    if (this.#listen) this.#unlisten = await this.#listen(AUTH_CHANNEL, () => void this.reload());
    await this.reload();
    this.#schedulePoll();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#unlisten?.();
    await this.#reloading?.catch(() => {});
  }

  /** The token's owner if the token is valid now, else undefined. */
  async lookup(tokenHash: Buffer): Promise<CachedToken | undefined> {
    const key = tokenHash.toString('base64');
    const hit = this.#tokens.get(key);
    if (hit) {
      if (hit.expiresAt !== null && hit.expiresAt <= Date.now()) return undefined;
      return hit;
    }
    const now = Date.now();
    const missedUntil = this.#misses.get(key);
    if (missedUntil !== undefined && missedUntil > now) return undefined;
    const generation = this.#generation;
    const row = await findUserByTokenHash(this.#db, tokenHash);
    if (!row) {
      if (this.#misses.size >= MAX_REMEMBERED_MISSES) this.#misses.clear();
      this.#misses.set(key, now + MISS_MEMORY_MS);
      return undefined;
    }
    const token = toCached(row);
    if (generation === this.#generation) this.#tokens.set(key, token);
    return token;
  }

  /** Reloads every valid token; calls arriving while one runs are folded into one more run. */
  reload(): Promise<void> {
    if (this.#reloading) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      try {
        do {
          this.#reloadAgain = false;
          // Read the fingerprint first: a change after it is seen by the next poll.
          const fingerprint = await authFingerprint(this.#db);
          this.#generation++;
          const rows = await listActiveTokens(this.#db);
          const tokens = new Map<string, CachedToken>();
          for (const row of rows) tokens.set(row.token_hash.toString('base64'), toCached(row));
          this.#tokens = tokens;
          this.#generation++;
          this.#fingerprint = fingerprint;
          this.#reloads++;
          this.#confirmedAt = Date.now();
        } while (this.#reloadAgain && !this.#stopped);
      } finally {
        this.#reloading = undefined;
      }
    })();
    return this.#reloading;
  }

  get size(): number {
    return this.#tokens.size;
  }

  /** Reloads since start (metrics). */
  get reloads(): number {
    return this.#reloads;
  }

  /** When the copy was last known current, ms since the epoch; 0 before the first load. */
  get confirmedAt(): number {
    return this.#confirmedAt;
  }

  #schedulePoll(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#poll(), this.#pollMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    try {
      if ((await authFingerprint(this.#db)) !== this.#fingerprint) await this.reload();
      else this.#confirmedAt = Date.now();
    } catch (err) {
      // The database is away: keep what is known; requests that need it will answer 503.
      this.#log?.warn({ err: { message: (err as Error).message } }, 'token cache refresh failed');
    } finally {
      this.#schedulePoll();
    }
  }
}

function toCached(row: { id: string; name: string; roles: Role[]; token_id: string; expires_at: Date | null }): CachedToken {
  return { userId: row.id, name: row.name, roles: row.roles, tokenId: row.token_id, expiresAt: row.expires_at ? row.expires_at.getTime() : null };
}
