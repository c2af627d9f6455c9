import { canonicalUrl } from '../resource/canonical-url.js';
import { NO_MATCH, type Matcher, type MatchedRule, type RuleChange, type FeedRule } from './matcher-types.js';
import { parseIpText } from './ip-text.js';

export { parseIpText };

/**
 * A plain, obviously-correct matcher over Maps of strings. It is slow and large on purpose:
 * it is the oracle the fast matcher is tested against, and a stand-in while that is built.
 */
export class ReferenceMatcher implements Matcher {
  readonly #rules: MatchedRule[] = [];
  readonly #exact = new Map<string, number>();
  readonly #suffix = new Map<string, number>();
  /** `rank` orders equal prefixes: an `ip` rule ranks above a host-length `cidr` rule. */
  readonly #ips: { value: string; kind: string; bytes: Uint8Array; prefix: number; rank: number; handle: number }[] = [];
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
        const prefix = len === undefined ? bytes.length * 8 : Number(len);
        // Re-adding a kind and value replaces the rule, as for domains.
        const same = this.#ips.findIndex((x) => x.kind === r.kind && x.value === r.value);
        if (same >= 0) this.#ips.splice(same, 1);
        this.#ips.push({ value: r.value, kind: r.kind, bytes, prefix, rank: r.kind === 'ip' ? prefix + 1 : prefix, handle });
        break;
      }
      case 'url': {
        const u = canonicalUrl(r.value)!;
        const list = (this.#urls.get(u.host) ?? []).filter((x) => x.path !== u.path);
        list.push({ path: u.path, handle });
        this.#urls.set(u.host, list);
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
    let bestRank = -1;
    for (const r of this.#ips) {
      if (r.bytes.length !== addr.length || r.rank <= bestRank) continue;
      if (prefixEquals(r.bytes, addr, r.prefix)) { best = r.handle; bestRank = r.rank; }
    }
    return best;
  }

  matchUrl(host: string, path: string): number {
    const name = host.toLowerCase().replace(/\.$/, '');
    // The longest covering path is the most specific rule.
    let best: { path: string; handle: number } | undefined;
    for (const r of this.#urls.get(name) ?? []) {
      if (best && r.path.length <= best.path.length) continue;
      if (path === r.path || (path.startsWith(r.path) && (r.path.endsWith('/') || '/?#'.includes(path[r.path.length]!)))) best = r;
    }
    return best ? best.handle : this.matchHost(name);
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
