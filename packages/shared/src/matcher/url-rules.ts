import { NO_MATCH } from './matcher-types.js';
import { canonicalUrl } from '../resource/canonical-url.js';

/**
 * `url` rules. They are few and only consulted for HTTP requests (the block page), not per
 * DNS query, so plain Maps and strings are fine here.
 */

/**
 * Host and canonical path+query a `url` rule applies to; undefined when the value is not a URL.
 * Canonicalised here too, at match-build time, so rows recorded before the register wrote the
 * canonical form still match requests, which are canonicalised the same way.
 */
export function parseUrlRule(value: string): { host: string; path: string } | undefined {
  const u = canonicalUrl(value);
  return u && { host: u.host, path: u.path };
}

export function normaliseHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** `rulePath` covers `path` when equal, or a prefix ending at a segment boundary. */
export function pathCovers(rulePath: string, path: string): boolean {
  if (path === rulePath) return true;
  if (!path.startsWith(rulePath)) return false;
  if (rulePath.endsWith('/')) return true;
  const next = path.charCodeAt(rulePath.length);
  return next === 47 /* / */ || next === 63 /* ? */ || next === 35 /* # */;
}

interface HostRules { paths: string[]; handles: number[] }

export class UrlRulesBuilder {
  readonly #byHost = new Map<string, Map<string, number>>();

  /** Returns the handle this one replaces (same host and path), or -1. */
  add(host: string, path: string, handle: number): number {
    let paths = this.#byHost.get(host);
    if (!paths) this.#byHost.set(host, (paths = new Map()));
    const previous = paths.get(path) ?? -1;
    paths.set(path, handle);
    return previous;
  }

  build(): UrlRules {
    const byHost = new Map<string, HostRules>();
    let size = 0;
    for (const [host, paths] of this.#byHost) {
      // Longest path first: the first that covers the request is the most specific.
      const sorted = [...paths].sort((a, b) => b[0].length - a[0].length);
      byHost.set(host, { paths: sorted.map((p) => p[0]), handles: sorted.map((p) => p[1]) });
      size += sorted.length;
    }
    return new UrlRules(byHost, size);
  }
}

export class UrlRules {
  /** Length of the matched rule's path, for overlays to compare answers. */
  lastPathLength = -1;

  constructor(readonly byHost: ReadonlyMap<string, HostRules>, readonly size: number) {}

  /** `host` already normalised. */
  match(host: string, path: string, removed: ReadonlySet<number> | null): number {
    this.lastPathLength = -1;
    const rules = this.byHost.get(host);
    if (!rules) return NO_MATCH;
    for (let i = 0; i < rules.paths.length; i++) {
      const rulePath = rules.paths[i]!;
      const h = rules.handles[i]!;
      if (pathCovers(rulePath, path) && (removed === null || !removed.has(h))) {
        this.lastPathLength = rulePath.length;
        return h;
      }
    }
    return NO_MATCH;
  }

  find(host: string, path: string): number {
    const rules = this.byHost.get(host);
    const i = rules ? rules.paths.indexOf(path) : -1;
    return i >= 0 ? rules!.handles[i]! : NO_MATCH;
  }
}
