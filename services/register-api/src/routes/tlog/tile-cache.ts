import { createHash } from 'node:crypto';

/** A tile as it is sent: its bytes and the headers computed once for them. */
export interface ServedTile {
  readonly body: Buffer;
  /** Strong ETag: the quoted base64url SHA-256 of the bytes. */
  readonly etag: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function servedTile(body: Buffer, cacheControl: string): ServedTile {
  const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
  return { body, etag, headers: { 'content-type': 'application/octet-stream', 'cache-control': cacheControl, etag } };
}

/** RFC 9110 §13.1.2 If-None-Match (weak comparison): true when the client's copy is this one. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header === etag || header === '*') return true;
  for (const tag of header.split(',')) {
    const t = tag.trim();
    if (t === etag || t === `W/${etag}`) return true;
  }
  return false;
}

/**
 * Full tiles and full entry bundles never change, so each API process keeps the most recently
 * served ones in memory (bounded by bytes), with their headers: a hot tile costs no database
 * round trip and no hashing. Eviction is CLOCK (second chance): a hit only marks the entry, so
 * the hot path does not reorder the map on every request as a strict LRU would.
 */
export class ImmutableTileCache {
  readonly #entries = new Map<string, { tile: ServedTile; used: boolean }>();
  #bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): ServedTile | undefined {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    hit.used = true;
    return hit.tile;
  }

  set(key: string, value: ServedTile): void {
    if (value.body.length > this.maxBytes || this.#entries.has(key)) return;
    this.#entries.set(key, { tile: value, used: false });
    this.#bytes += value.body.length;
    while (this.#bytes > this.maxBytes) {
      const [oldKey, old] = this.#entries.entries().next().value!;
      this.#entries.delete(oldKey);
      if (old.used && oldKey !== key) {
        // Used since it was last looked at: a second chance at the young end.
        old.used = false;
        this.#entries.set(oldKey, old);
      } else {
        this.#bytes -= old.tile.body.length;
      }
    }
  }
}
