/**
 * RFC 8785 (JSON Canonicalization Scheme) for the JSON values the public log uses.
 *
 * The log hash and the checkpoint signature cover these bytes, so anyone re-implementing the
 * verifier in another language must produce exactly the same text; CANONICAL-FORM.md states
 * the rules. Anything JSON cannot represent unambiguously is refused rather than coerced, so
 * a producer bug surfaces as an exception instead of a silently different hash.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, new Set());
}

function serialise(value: unknown, ancestors: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return serialiseNumber(value);
    case 'string':
      return serialiseString(value);
    case 'object':
      return serialiseContainer(value, ancestors);
    default:
      throw new TypeError(`canonicalJson: cannot represent a value of type ${typeof value}`);
  }
}

function serialiseNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
  // RFC 8785 §3.2.2.3 adopts ECMAScript's Number-to-String, which JSON.stringify implements
  // (including -0 → "0"). Our fields are integers, where this is plain decimal notation.
  return JSON.stringify(value);
}

function serialiseString(value: string): string {
  // One pass over the code units decides both questions; most strings of the log need no
  // escaping, and this path is what dominates verifying a long log.
  let needsEscaping = false;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0x20 || unit === 0x22 || unit === 0x5c) {
      needsEscaping = true;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      const next = value.charCodeAt(i + 1);
      // I-JSON (RFC 7493), which RFC 8785 requires, forbids lone surrogates; JSON.stringify
      // would write them as \udXXX escapes that other languages' encoders would not reproduce.
      if (unit > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) {
        throw new TypeError('canonicalJson: string contains a lone surrogate');
      }
      i++;
    }
  }
  // ECMAScript's JSON.stringify escaping is the one RFC 8785 §3.2.2.2 prescribes: \" \\ \b \f
  // \n \r \t, other controls below U+0020 as \u00xx in lower case, everything else literal.
  return needsEscaping ? JSON.stringify(value) : `"${value}"`;
}

function serialiseContainer(value: object, ancestors: Set<object>): string {
  if (ancestors.has(value)) throw new TypeError('canonicalJson: cyclic structure');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return serialiseArray(value, ancestors);
    const proto: unknown = Object.getPrototypeOf(value);
    // Dates, Maps, class instances and the like have no single obvious JSON form.
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonicalJson: not a plain object (${value.constructor?.name ?? 'unknown'})`);
    }
    return serialiseObject(value as Record<string, unknown>, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

function serialiseArray(items: readonly unknown[], ancestors: Set<object>): string {
  const parts: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    // JSON.stringify would write null here; that would hash the same as an explicit null.
    if (item === undefined) throw new TypeError(`canonicalJson: undefined array element at ${i}`);
    parts.push(serialise(item, ancestors));
  }
  return `[${parts.join(',')}]`;
}

function serialiseObject(record: Record<string, unknown>, ancestors: Set<object>): string {
  if (Object.getOwnPropertySymbols(record).length > 0) throw new TypeError('canonicalJson: symbol keys');
  // Array.prototype.sort without a comparator orders by UTF-16 code units, as RFC 8785 §3.2.3
  // requires (not by code point, and not locale-aware).
  const keys = Object.keys(record).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    parts.push(`${serialiseString(key)}:${serialise(member, ancestors)}`);
  }
  return `{${parts.join(',')}}`;
}
