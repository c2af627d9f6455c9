/**
 * Prefix matching for type-ahead: the text a reader types, and the keys a restricted resource
 * is found by, brought to one form, then a binary search over keys sorted by UTF-16 code
 * units (the order of `Array.prototype.sort` and of `<` on strings). Pure: no I/O, no state.
 */

/** http:// and https:// are left out of keys and prefixes: readers type the host, not the scheme. */
const SCHEME = /^https?:\/\//;

/**
 * The search form of what a reader typed: trimmed, NFC, lower case (Unicode too, so "ПРИМЕР"
 * finds "пример"), without a scheme or a leading `*.` (a zone rule is found by its apex).
 */
export function suggestPrefix(typed: string): string {
  let p = typed.trim().normalize('NFC').toLowerCase();
  p = p.replace(SCHEME, '');
  if (p.startsWith('*.')) p = p.slice(2);
  return p;
}

/**
 * The keys a resource is found by: its value (A-labels) and, when it differs, the form people
 * read (Unicode IDN), both in the form `suggestPrefix` gives, so either spelling matches.
 */
export function suggestKeys(value: string, display: string): string[] {
  const a = suggestPrefix(value);
  const u = suggestPrefix(display);
  return u === a || u === '' ? [a] : [a, u];
}

/** Index of the first key >= `prefix` in `keys` (sorted ascending), or keys.length. */
export function lowerBound(keys: readonly string[], prefix: string, from = 0, to = keys.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
