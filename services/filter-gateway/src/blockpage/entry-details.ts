import type { PublicLogEntry } from '@tizilim/shared';

export type EntryDetails = (entry: number) => Promise<PublicLogEntry | undefined>;

export interface EntryDetailsOptions {
  /** The register (REGISTER_URL); entries are read from `/public/v1/log/:seq`. */
  registerUrl: string;
  /** Per request to the register. Default 1.5 s: the 451 page must not wait long for it. */
  timeoutMs?: number;
  /** Entries kept. Default 1000. */
  maxEntries?: number;
  /**
   * How long a miss (404, error, timeout) is remembered. Default 10 s: a flood of blocked
   * requests must not become a flood of requests to a register that is down.
   */
  missTtlMs?: number;
  fetch?: typeof fetch;
}

interface Slot { value: PublicLogEntry | undefined; expires: number }

/**
 * The default `entryDetails`: the public log entry by sequence number, through a small LRU.
 * Log entries never change once written, so a found entry is kept until evicted.
 */
export function createEntryDetails(options: EntryDetailsOptions): EntryDetails {
  const base = options.registerUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 1500;
  const maxEntries = options.maxEntries ?? 1000;
  const missTtlMs = options.missTtlMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  const cache = new Map<number, Slot>();
  const inFlight = new Map<number, Promise<PublicLogEntry | undefined>>();

  const remember = (entry: number, value: PublicLogEntry | undefined): void => {
    cache.delete(entry);
    cache.set(entry, { value, expires: value === undefined ? Date.now() + missTtlMs : Infinity });
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
  };

  const load = async (entry: number): Promise<PublicLogEntry | undefined> => {
    try {
      const res = await doFetch(`${base}/public/v1/log/${entry}`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) {
        await res.body?.cancel();
        remember(entry, undefined);
        return undefined;
      }
      const body: unknown = await res.json();
      const value = isPublicLogEntry(body, entry) ? body : undefined;
      remember(entry, value);
      return value;
    } catch {
      remember(entry, undefined);
      return undefined;
    }
  };

  return (entry) => {
    const hit = cache.get(entry);
    if (hit !== undefined && hit.expires > Date.now()) {
      // Refresh recency: Map order is insertion order.
      cache.delete(entry);
      cache.set(entry, hit);
      return Promise.resolve(hit.value);
    }
    let p = inFlight.get(entry);
    if (p === undefined) {
      p = load(entry).finally(() => inFlight.delete(entry));
      inFlight.set(entry, p);
    }
    return p;
  };
}

/** Enough of the shape for the page to rely on; anything else is treated as unavailable. */
export function isPublicLogEntry(v: unknown, seq?: number): v is PublicLogEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  const obj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
  const str = (x: unknown): boolean => typeof x === 'string';
  const r = e['resource'];
  const lb = e['legalBasis'];
  const d = e['decision'];
  return typeof e['seq'] === 'number' && (seq === undefined || e['seq'] === seq)
    && str(e['category'])
    && obj(r) && str(r['kind']) && (r['value'] === null || str(r['value'])) && (r['host'] === null || str(r['host']))
    && (r['display'] === null || r['display'] === undefined || str(r['display']))
    && obj(lb) && str(lb['kind']) && str(lb['authority']) && str(lb['documentNumber']) && str(lb['issuedAt'])
    && obj(d) && str(d['id']) && str(d['action']) && str(d['effectiveFrom']);
}
