import type { ResourceKind, RuleMode } from './matcher-types.js';
import { touchPages } from './prefault.js';

/**
 * Per-rule details behind a handle, in typed arrays so the hot-path accessors read one slot
 * and never allocate. Handles are dense indexes, shared by every rule kind.
 */

export const KINDS: readonly ResourceKind[] = ['domain', 'domain_suffix', 'url', 'ip', 'cidr'];
export const KIND_CODE: Readonly<Record<ResourceKind, number>> = { domain: 0, domain_suffix: 1, url: 2, ip: 3, cidr: 4 };
/**
 * A rule's flags byte: its kind code above two mode bits. An exception (`allow`) is a rule
 * like any other to the lookups (the most specific rule wins); only its mode tells callers
 * that it lets the name through.
 */
const MODE_BITS = 2;
const MODE_MASK = 3;
const MODES: readonly RuleMode[] = ['restrict', 'suspend', 'allow'];
const MODE_CODE: Readonly<Record<RuleMode, number>> = { restrict: 0, suspend: 1, allow: 2 };

/** The kind code (KIND_CODE) in a flags byte. */
export function kindCodeOf(flags: number): number { return flags >> MODE_BITS; }

/** Rule records in the order they were added; `build()` freezes them. */
export class RuleStoreBuilder {
  #flags: Uint8Array<ArrayBuffer>;
  #entry: Float64Array<ArrayBuffer>;
  #ref: Int32Array<ArrayBuffer>;
  #count = 0;
  // Suspensions are rare: their end times cost nothing until the first one arrives.
  #untilMs: Float64Array | null = null;
  readonly #untilText = new Map<number, string>();
  readonly #values: string[] = [];
  #dead: Uint8Array | null = null;
  #deadCount = 0;

  /** `expectedRules` only sizes the first allocation. */
  constructor(expectedRules = 1024) {
    const n = Math.max(1024, Math.ceil(expectedRules));
    this.#flags = new Uint8Array(n);
    this.#entry = new Float64Array(n);
    this.#ref = new Int32Array(n);
  }

  get count(): number { return this.#count; }

  /** For url/ip/cidr rules: keeps the value text and returns the ref to store with the rule. */
  keepValue(value: string): number { return this.#values.push(value) - 1; }

  add(kind: ResourceKind, mode: RuleMode, entry: number, until: string | undefined, ref: number): number {
    if (this.#count === this.#flags.length) this.#grow();
    const h = this.#count++;
    this.#flags[h] = (KIND_CODE[kind] << MODE_BITS) | MODE_CODE[mode];
    this.#entry[h] = entry;
    this.#ref[h] = ref;
    if (until !== undefined) {
      if (this.#untilMs === null) this.#untilMs = new Float64Array(this.#flags.length);
      // Same reading as the reference matcher: an empty string means no end.
      this.#untilMs[h] = until ? Date.parse(until) : 0;
      this.#untilText.set(h, until);
    }
    return h;
  }

  /** A record copied from a built store (a compaction re-adding its live rules), pointing at `ref`. */
  copy(from: RuleStore, handle: number, ref: number): number {
    if (this.#count === this.#flags.length) this.#grow();
    const h = this.#count++;
    this.#flags[h] = from.flags[handle]!;
    this.#entry[h] = from.entry[handle]!;
    this.#ref[h] = ref;
    const until = from.untilMs === null ? undefined : from.untilText.get(handle);
    if (until !== undefined) {
      if (this.#untilMs === null) this.#untilMs = new Float64Array(this.#flags.length);
      this.#untilMs[h] = from.untilMs![handle]!;
      this.#untilText.set(h, until);
    }
    return h;
  }

  /** Marks a rule replaced by a later one with the same kind and value. */
  markDead(handle: number): void {
    if (this.#dead === null) this.#dead = new Uint8Array(this.#flags.length);
    if (this.#dead[handle] === 0) { this.#dead[handle] = 1; this.#deadCount++; }
  }

  /** Faults in the presized arrays' pages in steps (see prefault.ts). */
  *prefault(): Generator<void, void> {
    yield* touchPages(this.#flags);
    yield* touchPages(this.#entry);
    yield* touchPages(this.#ref);
  }

  #grow(): void {
    const n = this.#flags.length * 2;
    const flags = new Uint8Array(n); flags.set(this.#flags); this.#flags = flags;
    const entry = new Float64Array(n); entry.set(this.#entry); this.#entry = entry;
    const ref = new Int32Array(n); ref.set(this.#ref); this.#ref = ref;
    if (this.#untilMs) { const u = new Float64Array(n); u.set(this.#untilMs); this.#untilMs = u; }
    if (this.#dead) { const d = new Uint8Array(n); d.set(this.#dead); this.#dead = d; }
  }

  build(): RuleStore {
    const n = this.#count;
    // A presized builder has little slack, and a copy costs more (fresh pages) than keeping it.
    const copy = this.#flags.length - n > (n >> 2) + 1024;
    const fit = <T extends Uint8Array | Float64Array | Int32Array>(a: T): T => (copy ? a.slice(0, n) : a.subarray(0, n)) as T;
    const built = new RuleStore(
      fit(this.#flags),
      fit(this.#entry),
      fit(this.#ref),
      this.#untilMs && fit(this.#untilMs),
      new Map(this.#untilText),
      this.#values.slice(),
      this.#dead && fit(this.#dead),
      n - this.#deadCount,
    );
    // A builder kept by mistake after build() must not pin twice the matcher's memory.
    this.#flags = new Uint8Array(0);
    this.#entry = new Float64Array(0);
    this.#ref = new Int32Array(0);
    this.#untilMs = this.#dead = null;
    return built;
  }
}

export class RuleStore {
  constructor(
    readonly flags: Uint8Array,
    readonly entry: Float64Array,
    /** Domain rules: where the domain table stores the name; other kinds: index into `values`. */
    readonly ref: Int32Array,
    readonly untilMs: Float64Array | null,
    readonly untilText: ReadonlyMap<number, string>,
    readonly values: readonly string[],
    /** 1 for a rule replaced during the build; null when none was. */
    readonly dead: Uint8Array | null,
    readonly liveCount: number,
  ) {}

  get handleCount(): number { return this.flags.length; }
  get byteSize(): number {
    return this.flags.byteLength + this.entry.byteLength + this.ref.byteLength + (this.untilMs?.byteLength ?? 0) + (this.dead?.byteLength ?? 0);
  }

  kindOf(handle: number): ResourceKind { return KINDS[this.flags[handle]! >> MODE_BITS]!; }
  modeOf(handle: number): RuleMode { return MODES[this.flags[handle]! & MODE_MASK]!; }
  untilOf(handle: number): number { return this.untilMs === null ? 0 : this.untilMs[handle]!; }
  isLive(handle: number): boolean { return handle >= 0 && handle < this.flags.length && (this.dead === null || this.dead[handle] === 0); }
}
