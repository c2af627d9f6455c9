import { NO_MATCH, type Matcher, type MatchedRule, type RuleChange, type FeedRule } from './matcher-types.js';

/**
 * A plain, obviously-correct matcher over Maps of strings. It is slow and large on purpose:
 * it is the oracle the fast matcher is tested against, and a stand-in while that is built.
 */
export class ReferenceMatcher implements Matcher {
  readonly #rules: MatchedRule[] = [];
  readonly #exact = new Map<string, number>();
  readonly #suffix = new Map<string, number>();
  readonly #ips: { bytes: Uint8Array; prefix: number; handle: number }[] = [];
  readonly #urls = new Map<string, { path: string; handle: number }[]>();

  constructor(rules: Iterable<FeedRule | MatchedRule>) {
    for (const r of rules) this.#add(r);
  }

  get ruleCount(): number {
    return this.#exact.size + this.#suffix.size + this.#ips.length + [...this.#urls.values()].reduce((n, l) => n + l.length, 0);
  }

  #add(r: FeedRule | MatchedRule): void {
    const handle = this.#rules.length;
    const { kind, value, mode, entry } = r;
    this.#rules.push(r.until === undefined ? { kind, value, mode, entry } : { kind, value, mode, entry, until: r.until });
    switch (r.kind) {
      case 'domain': this.#exact.set(r.value, handle); break;
      case 'domain_suffix': this.#suffix.set(r.value, handle); break;
      case 'ip':
      case 'cidr': {
        const [addr, len] = r.value.split('/');
        const bytes = parseIpText(addr ?? '');
        if (!bytes) throw new Error(`bad ip rule ${r.value}`);
        this.#ips.push({ bytes, prefix: len === undefined ? bytes.length * 8 : Number(len), handle });
        break;
      }
      case 'url': {
        const u = new URL(r.value);
        const list = this.#urls.get(u.hostname) ?? [];
        list.push({ path: u.pathname + u.search, handle });
        this.#urls.set(u.hostname, list);
        break;
      }
    }
  }

  matchWireName(buf: Uint8Array, offset: number): number {
    const labels: string[] = [];
    let i = offset;
    while (i < buf.length && buf[i] !== 0) {
      const len = buf[i]!;
      labels.push(String.fromCharCode(...buf.subarray(i + 1, i + 1 + len)));
      i += len + 1;
    }
    return this.matchHost(labels.join('.'));
  }

  matchHost(host: string): number {
    let name = host.toLowerCase();
    if (name.endsWith('.')) name = name.slice(0, -1);
    const exact = this.#exact.get(name);
    if (exact !== undefined) return exact;
    for (let n: string | undefined = name; n; n = n.includes('.') ? n.slice(n.indexOf('.') + 1) : undefined) {
      const s = this.#suffix.get(n);
      if (s !== undefined) return s;
    }
    return NO_MATCH;
  }

  matchIp(addr: Uint8Array): number {
    let best = NO_MATCH;
    let bestLen = -1;
    for (const r of this.#ips) {
      if (r.bytes.length !== addr.length || r.prefix <= bestLen) continue;
      if (prefixEquals(r.bytes, addr, r.prefix)) { best = r.handle; bestLen = r.prefix; }
    }
    return best;
  }

  matchUrl(host: string, path: string): number {
    const name = host.toLowerCase().replace(/\.$/, '');
    for (const r of this.#urls.get(name) ?? []) {
      if (path === r.path || (path.startsWith(r.path) && (r.path.endsWith('/') || '/?#'.includes(path[r.path.length]!)))) return r.handle;
    }
    return this.matchHost(name);
  }

  entryOf(handle: number): number { return this.#rules[handle]!.entry; }
  modeOf(handle: number) { return this.#rules[handle]!.mode; }
  untilOf(handle: number): number { const u = this.#rules[handle]!.until; return u ? Date.parse(u) : 0; }
  ruleOf(handle: number): MatchedRule { return { ...this.#rules[handle]! }; }

  /** Every rule, for applying changes by rebuilding. */
  rules(): MatchedRule[] { return this.#rules.filter((r) => this.#isLive(r)); }

  #isLive(r: MatchedRule): boolean {
    const h = this.#rules.indexOf(r);
    switch (r.kind) {
      case 'domain': return this.#exact.get(r.value) === h;
      case 'domain_suffix': return this.#suffix.get(r.value) === h;
      case 'ip': case 'cidr': return this.#ips.some((x) => x.handle === h);
      case 'url': return [...this.#urls.values()].some((l) => l.some((x) => x.handle === h));
    }
  }
}

export function applyChangesToReference(m: ReferenceMatcher, changes: readonly RuleChange[]): ReferenceMatcher {
  const byKey = new Map<string, MatchedRule>();
  for (const r of m.rules()) byKey.set(`${r.kind} ${r.value}`, r);
  for (const c of changes) {
    const key = `${c.rule.kind} ${c.rule.value}`;
    if (c.op === 'add') byKey.set(key, c.rule); else byKey.delete(key);
  }
  return new ReferenceMatcher(byKey.values());
}

function prefixEquals(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const full = bits >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[full]! ^ b[full]!) & mask) === 0;
}

/** IPv4 dotted quad or IPv6 text to bytes; undefined when it is neither. */
export function parseIpText(text: string): Uint8Array | undefined {
  if (text.includes(':')) {
    const [head, tail] = text.split('::');
    if (text.split('::').length > 2) return undefined;
    const parse = (s: string | undefined): number[] | undefined => {
      if (!s) return [];
      const out: number[] = [];
      const parts = s.split(':');
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        if (p.includes('.') && i === parts.length - 1) {
          const v4 = parseIpText(p);
          if (!v4 || v4.length !== 4) return undefined;
          out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        } else {
          if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
          out.push(parseInt(p, 16));
        }
      }
      return out;
    };
    const h = parse(head);
    const t = tail === undefined ? [] : parse(tail);
    if (!h || !t) return undefined;
    const groups = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
    if (groups.length !== 8 || (tail !== undefined && h.length + t.length > 7)) return undefined;
    const bytes = new Uint8Array(16);
    groups.forEach((g, i) => { bytes[i * 2] = g >> 8; bytes[i * 2 + 1] = g & 0xff; });
    return bytes;
  }
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    bytes[i] = Number(p);
  }
  return bytes;
}
