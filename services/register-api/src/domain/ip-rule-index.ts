import { parseIpText } from '@tizilim/shared';

/**
 * The active `ip` and `cidr` rules, found the way the database finds them for a check
 * (`value::inet >>= address`): every rule of the address's family whose network contains it.
 * Kept by (kind, family, prefix length, masked address); a lookup probes only the prefix
 * lengths some rule has, so its cost does not grow with the number of rules.
 */
export class IpRuleIndex {
  readonly #entries = new Map<string, number>();
  /** `${kind}/${prefix}/${bytes}` → how many rules have that shape */
  readonly #shapes = new Map<string, { kind: 'ip' | 'cidr'; prefix: number; bytes: number; count: number }>();
  readonly #values = new Map<string, string>();

  get size(): number {
    return this.#entries.size;
  }

  /** The entry this rule had before, or -1. Throws for a value that is not an address or prefix. */
  set(kind: 'ip' | 'cidr', value: string, entry: number): number {
    const previous = this.delete(kind, value);
    const { bytes, prefix } = parse(kind, value);
    const key = keyOf(kind, bytes, prefix);
    this.#entries.set(key, entry);
    this.#values.set(key, value);
    const shape = `${kind}/${prefix}/${bytes.length}`;
    const s = this.#shapes.get(shape);
    if (s) s.count++;
    else this.#shapes.set(shape, { kind, prefix, bytes: bytes.length, count: 1 });
    return previous;
  }

  /** The entry of the removed rule, or -1. */
  delete(kind: 'ip' | 'cidr', value: string): number {
    const { bytes, prefix } = parse(kind, value);
    const key = keyOf(kind, bytes, prefix);
    const entry = this.#entries.get(key);
    if (entry === undefined) return -1;
    this.#entries.delete(key);
    this.#values.delete(key);
    const shape = `${kind}/${prefix}/${bytes.length}`;
    const s = this.#shapes.get(shape)!;
    if (--s.count === 0) this.#shapes.delete(shape);
    return entry;
  }

  /** [kind, value, entry] of every rule containing `address` (canonical text). */
  containing(address: string): [kind: 'ip' | 'cidr', value: string, entry: number][] {
    const bytes = parseIpText(address);
    const out: [kind: 'ip' | 'cidr', value: string, entry: number][] = [];
    if (!bytes) return out;
    for (const s of this.#shapes.values()) {
      if (s.bytes !== bytes.length) continue;
      const key = keyOf(s.kind, bytes, s.prefix);
      const entry = this.#entries.get(key);
      if (entry !== undefined) out.push([s.kind, this.#values.get(key)!, entry]);
    }
    return out;
  }
}

function parse(kind: 'ip' | 'cidr', value: string): { bytes: Uint8Array; prefix: number } {
  const slash = value.indexOf('/');
  const bytes = parseIpText(slash < 0 ? value : value.slice(0, slash));
  const prefix = slash < 0 ? (bytes?.length ?? 0) * 8 : Number(value.slice(slash + 1));
  if (!bytes || !Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8 || (kind === 'ip' && slash >= 0)) {
    throw new TypeError(`${kind} rule ${value}: not an address${kind === 'cidr' ? '/length' : ''}`);
  }
  return { bytes, prefix };
}

/** The network part only: every address inside the prefix has the same key. */
function keyOf(kind: string, bytes: Uint8Array, prefix: number): string {
  let key = `${kind}/${prefix}/`;
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.min(8, Math.max(0, prefix - i * 8));
    key += ((bytes[i]! & ((0xff << (8 - bits)) & 0xff)) | 0x100).toString(16).slice(1);
  }
  return key;
}
