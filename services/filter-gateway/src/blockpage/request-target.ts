import { canonicalHost, canonicalPath } from '@tizilim/shared';

/** Host and path of an HTTP request, in the canonical form URL rules are written in. */
export interface RequestTarget {
  /** Lower case, no port, no trailing dot; IPv6 without brackets; IDN as A-labels. */
  host: string;
  /** Canonical path with query (packages/shared resource/canonical-url.ts): the form rules are recorded and built in. */
  path: string;
  /**
   * The path and query as the client sent them, for the origin: forwarding the canonical form
   * instead would loop on origins that redirect `/dir` to `/dir/`.
   */
  sentPath: string;
}

const HOST_RE = /^[a-z0-9._-]+$/;

/**
 * Reads the request target. Origin form takes the host from `Host`; absolute form (a client
 * that treats us as its proxy) from the URL. Undefined when there is no usable host.
 */
export function requestTarget(url: string | undefined, hostHeader: string | undefined): RequestTarget | undefined {
  let rawHost = hostHeader;
  let rawPath = url ?? '/';
  if (!rawPath.startsWith('/')) {
    // Absolute form; `*` (OPTIONS) and authority form (CONNECT) name no page.
    const m = /^https?:\/\/([^/?#\\]*)(.*)$/is.exec(rawPath);
    if (!m) return undefined;
    const authority = m[1]!;
    rawHost = authority.slice(authority.lastIndexOf('@') + 1);
    rawPath = m[2]!;
  }
  if (rawHost === undefined) return undefined;
  const host = hostOnly(rawHost);
  if (host === undefined) return undefined;
  // The path as sent, not as WHATWG URL would rewrite it: `//a` must not turn into a host.
  const sentPath = rawPath.startsWith('/') ? rawPath : '/' + rawPath;
  return { host, path: canonicalPath(rawPath), sentPath };
}

function hostOnly(raw: string): string | undefined {
  let h = raw.trim();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return undefined;
    return canonicalHost(h.slice(0, end + 1));
  }
  const colon = h.indexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  const c = canonicalHost(h);
  return c !== undefined && c.length > 0 && c.length <= 253 && HOST_RE.test(c) ? c : undefined;
}
