import { domainToASCII } from 'node:url';

/**
 * The canonical form of a URL for URL rules (DESIGN "URL rules match canonical URLs"). The
 * register records a rule in this form, the gateway canonicalises each request the same way
 * before matching (and rule values again when it builds its matcher, so rows recorded before
 * this form still match), and the public check compares in it. Spellings that origins serve
 * alike collapse to one text, so a rule cannot be walked around by respelling its path:
 *
 * - host: lower case, IDN as A-labels (punycode), no trailing dot, IPv6 without brackets;
 * - port: dropped when it is the scheme's default (80, 443);
 * - path (RFC 3986 §6.2.2 and what common origins also do):
 *   - `%XX` of an unreserved character is decoded (§6.2.2.2), other escapes upper-cased
 *     (§6.2.2.1); `%2F` and `%5C` are decoded to `/` (nginx, IIS and most frameworks
 *     decode them before routing, so `/articles%2F1` reaches `/articles/1`);
 *   - `\` is `/` (WHATWG URL, IIS); characters URLs may not carry are percent-encoded (UTF-8);
 *   - `;params` are removed from every segment (`/articles/1;x`, `/a/..;/b`: servlet
 *     containers ignore them);
 *   - empty segments are removed (`//articles/1`, `/articles//1`: nginx `merge_slashes`);
 *   - `.` and `..` segments are resolved (§5.2.4), after decoding, so `%2e%2e` counts;
 *   - a trailing `/` is removed (origins redirect one spelling to the other);
 * - query: an empty query (`?` alone) is none; otherwise escapes are normalised as in the
 *   path (but `%26`, `%3D`, `%2B`, `%3B` stay escaped: they are data, not delimiters), and
 *   the order of parameters is kept;
 * - the fragment never reaches a server and is dropped.
 *
 * Path case is kept: RFC 3986 §6.2.2.1 makes paths case-sensitive, and the origins that serve
 * most pages (nginx, Apache, object stores on Linux) do serve `/A` and `/a` as different pages;
 * folding case would restrict pages no decision named (YouTube-style IDs differ only in case).
 */

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

const HEX = '0123456789ABCDEF';

/**
 * Printable ASCII that a path may carry raw, and so is written raw (decoded) in canonical form:
 * origins decode escapes before routing, so `%7C` and `|` name the same page. Not plain: space,
 * `"`, `#`, `%`, `<`, `>`, `` ` ``, `{`, `}` (WHATWG URL encodes them), `?` in a path, and `\`.
 */
function isPlain(c: number, inPath: boolean): boolean {
  if (c <= 0x20 || c >= 0x7f) return false;
  return c !== 0x22 && c !== 0x23 && c !== 0x25 && c !== 0x3c && c !== 0x3e && c !== 0x60
    && c !== 0x7b && c !== 0x7d && c !== 0x5c && !(inPath && c === 0x3f);
}

/**
 * Delimiters whose escaped and raw forms mean different things, so an escape of them stays an
 * escape: `;` starts path parameters; `&`, `=`, `+` and `;` split query parameters.
 */
function keepsEscape(v: number, inPath: boolean): boolean {
  return v === 0x3b || (!inPath && (v === 0x26 || v === 0x3d || v === 0x2b));
}

/**
 * Normalises escapes (RFC 3986 §6.2.2.1–2): decodes what may be written raw (in a path, `%2F`
 * and `%5C` to `/`), upper-cases the rest, encodes what may not appear raw as UTF-8, and
 * escapes a stray `%`.
 */
function normaliseEscapes(text: string, inPath: boolean): string {
  let out = '';
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x25) {
      const h = i + 2 < bytes.length ? hexValue(bytes[i + 1]!) : -1;
      const l = h >= 0 ? hexValue(bytes[i + 2]!) : -1;
      if (h < 0 || l < 0) { out += '%25'; continue; }
      const v = h * 16 + l;
      i += 2;
      if (inPath && (v === 0x2f || v === 0x5c)) out += '/';
      else if (isPlain(v, inPath) && !keepsEscape(v, inPath)) out += String.fromCharCode(v);
      else out += '%' + HEX[h]! + HEX[l]!;
      continue;
    }
    if (inPath && c === 0x5c) { out += '/'; continue; }
    out += isPlain(c, inPath) ? String.fromCharCode(c) : '%' + HEX[c >> 4]! + HEX[c & 15]!;
  }
  return out;
}

/** Canonical path and query of a request target or URL remainder (`/a/b?q`); always starts with `/`. */
export function canonicalPath(pathAndQuery: string): string {
  let s = pathAndQuery;
  const hash = s.indexOf('#');
  if (hash >= 0) s = s.slice(0, hash);
  const q = s.indexOf('?');
  const rawPath = q >= 0 ? s.slice(0, q) : s;
  const rawQuery = q >= 0 ? s.slice(q + 1) : '';
  const segments: string[] = [];
  for (let seg of normaliseEscapes(rawPath, true).split('/')) {
    const semi = seg.indexOf(';');
    if (semi >= 0) seg = seg.slice(0, semi);
    if (seg === '' || seg === '.') continue;
    if (seg === '..') { segments.pop(); continue; }
    segments.push(seg);
  }
  const path = '/' + segments.join('/');
  return rawQuery === '' ? path : path + '?' + normaliseEscapes(rawQuery, false);
}

/** Canonical host: A-labels, lower case, no trailing dot; IPv6 without brackets. Undefined when not a host. */
export function canonicalHost(host: string): string | undefined {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.includes(':')) {
    try { return new URL(`http://[${h}]/`).hostname.slice(1, -1); } catch { return undefined; }
  }
  while (h.endsWith('.')) h = h.slice(0, -1);
  // domainToASCII lower-cases, maps IDN to punycode and reads IPv4 spellings as WHATWG does.
  const ascii = /^[\x21-\x7e]*$/.test(h) && !/[A-Z]/.test(h) && !h.includes('xn--') ? h : domainToASCII(h);
  if (ascii === '') return undefined;
  return ascii.endsWith('.') ? ascii.slice(0, -1) : ascii;
}

export interface CanonicalUrl {
  scheme: 'http' | 'https';
  host: string;
  /** `:8080`, or '' for the scheme's default port. */
  port: string;
  /** Canonical path and query. */
  path: string;
  /** The whole canonical URL, fragment-free. */
  href: string;
}

/** The canonical form of an absolute http(s) URL, or undefined when it is not one. */
export function canonicalUrl(input: string): CanonicalUrl | undefined {
  const m = /^\s*(https?):\/\/([^/?#\\]*)(.*)$/is.exec(input);
  if (!m) return undefined;
  let url: URL;
  try { url = new URL(input.trim()); } catch { return undefined; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const host = canonicalHost(url.hostname);
  if (host === undefined || host === '') return undefined;
  const port = url.port === '' ? '' : `:${url.port}`;
  // The path as written, not as WHATWG rewrote it: `//a` and `%2F` must reach canonicalPath.
  const path = canonicalPath(m[3]!);
  const hostText = host.includes(':') ? `[${host}]` : host;
  return { scheme, host, port, path, href: `${scheme}://${hostText}${port}${path}` };
}
