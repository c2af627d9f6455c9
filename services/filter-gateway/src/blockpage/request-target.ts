/** Host and path of an HTTP request, in the form rules are written in. */
export interface RequestTarget {
  /** Lower case, no port, no trailing dot; IPv6 without brackets. */
  host: string;
  /** Origin-form path with query: dot segments resolved, escapes normalised. */
  path: string;
  /** The same as WHATWG URL leaves it (escapes untouched), when that differs from `path`. */
  pathAsParsed: string | undefined;
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
    if (!/^https?:\/\//i.test(rawPath)) return undefined;
    try {
      const u = new URL(rawPath);
      rawHost = u.host;
      rawPath = u.pathname + u.search;
    } catch { return undefined; }
  }
  if (rawHost === undefined) return undefined;
  const host = hostOnly(rawHost);
  if (host === undefined) return undefined;
  let parsed: string;
  try {
    // Resolves `/a/../b` the way the origin will, so a rule on /b cannot be walked around.
    const u = new URL(rawPath, 'http://h');
    parsed = u.pathname + u.search;
  } catch { return undefined; }
  const path = parsed.includes('%') ? normaliseEscapes(parsed) : parsed;
  return { host, path, pathAsParsed: path === parsed ? undefined : parsed };
}

function hostOnly(raw: string): string | undefined {
  let h = raw.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return undefined;
    return h.slice(1, end);
  }
  const colon = h.indexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.length > 0 && h.length <= 253 && HOST_RE.test(h) ? h : undefined;
}

/** RFC 3986 §6.2.2: decode escapes of unreserved characters, upper-case the rest. */
function normaliseEscapes(p: string): string {
  return p.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
    const c = parseInt(hex, 16);
    const unreserved = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
    return unreserved ? String.fromCharCode(c) : `%${hex.toUpperCase()}`;
  });
}
