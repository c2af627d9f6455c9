import {
  RpzCoverContext, rpzOwnerRecord, rpzRecordsOf, rpzRuleKey, rpzSerial, rpzWildcardAt, rpzWrittenRecords,
  type FeedRule, type RpzRecord, type RuleMode,
} from '@tizilim/shared';
import type { SyncUpdate } from '../sync/sync-engine.js';
import { RuleNamesBelow, isNameRule } from './rule-names-below.js';
import { ZoneJournal, type JournalLimits, type JournalStep } from './zone-journal.js';

/** What the zone is made from: the sync engine's rule map (in the process that syncs). */
export interface ZoneRules {
  readonly rules: ReadonlyMap<string, FeedRule>;
  readonly version: number;
  onUpdate(fn: (u: SyncUpdate) => void): () => void;
}

type Lookup = (key: string) => FeedRule | undefined;

/**
 * A fixed view of the zone for one transfer: the rules as they were when it began. Later
 * changes record the touched rules' earlier state here, so a transfer that takes seconds
 * still writes exactly the zone of its SOA serial, without copying the rules themselves.
 */
export class ZoneView {
  readonly #before = new Map<string, FeedRule | undefined>();
  aborted = false;

  constructor(
    readonly serial: number,
    /** References to the rules, not copies: ~8 bytes a rule for the transfer's life. */
    readonly rules: readonly FeedRule[],
    private readonly live: ReadonlyMap<string, FeedRule>,
    /** The suffix rules of this serial, name → mode: copied from the zone's live map when the view opens. */
    private readonly suffixModes: ReadonlyMap<string, RuleMode>,
  ) {}

  readonly lookup: Lookup = (key) => (this.#before.has(key) ? this.#before.get(key) : this.live.get(key));

  /** Records the state a rule had when this view was taken (first change wins). */
  remember(key: string, before: FeedRule | undefined): void {
    if (!this.#before.has(key)) this.#before.set(key, before);
  }

  /**
   * The cover context of one transfer (rpz-cover.ts): the view's suffix rules (a copy taken
   * when the view opened: a few percent of the rules, where reading them out of 1M rules held
   * the event loop for 40-90 ms at 300k under load), and which `*.X` the transfer has written.
   */
  coverContext(): RpzCoverContext {
    return new RpzCoverContext(this.suffixModes);
  }

  /**
   * The records rule `i` writes in this view; with `cover`, also the wildcards that keep a
   * wider suffix rule in force below it, as the HTTP export writes them (rpzRuleText).
   */
  recordsAt(i: number, cover?: RpzCoverContext): RpzRecord[] {
    const rule = this.rules[i]!;
    const own = rpzWrittenRecords(rule, this.lookup);
    if (!cover || (rule.kind !== 'domain' && rule.kind !== 'domain_suffix')) return own;
    const below = cover.coverBelow(rule.value, rule.kind === 'domain', rule.entry);
    return below.length === 0 ? own : own.concat(below);
  }
}

/**
 * The RPZ zone the primary serves: serial = register version, content = the rule map as
 * `packages/shared/src/rpz` writes it, plus a journal of recent differences for IXFR.
 * It holds no copy of the zone: transfers read the sync engine's rules through a ZoneView.
 */
export class RpzZone {
  readonly journal: ZoneJournal;
  readonly #views = new Set<ZoneView>();
  readonly #listeners = new Set<(serial: number) => void>();
  readonly #unsubscribe: () => void;
  /** Rules below each name, for the cover wildcards a change moves (rule-names-below.ts). */
  readonly #below = new RuleNamesBelow();
  /** Suffix rules in force, name → mode, kept with the live map so a transfer copies them instead of scanning. */
  readonly #suffixModes = new Map<string, RuleMode>();

  constructor(readonly origin: string, private readonly source: ZoneRules, limits: JournalLimits) {
    this.journal = new ZoneJournal(limits);
    this.#rebuildIndexes();
    this.#unsubscribe = source.onUpdate((u) => this.#update(u));
  }

  /** Undefined until the gateway has a rule set (from disk or the register). */
  get serial(): number | undefined {
    return this.source.version < 0 ? undefined : rpzSerial(this.source.version);
  }

  get ruleCount(): number {
    return this.source.rules.size;
  }

  /** A view for one transfer; release it when the transfer ends. */
  openView(): ZoneView | undefined {
    const serial = this.serial;
    if (serial === undefined) return undefined;
    const view = new ZoneView(serial, Array.from(this.source.rules.values()), this.source.rules, new Map(this.#suffixModes));
    this.#views.add(view);
    return view;
  }

  closeView(view: ZoneView): void {
    this.#views.delete(view);
  }

  get openViews(): number {
    return this.#views.size;
  }

  /** Called with the new serial after each version the zone takes. */
  onSerial(fn: (serial: number) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  close(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }

  #rebuildIndexes(): void {
    this.#below.rebuild(this.source.rules.values());
    this.#suffixModes.clear();
    for (const r of this.source.rules.values()) if (r.kind === 'domain_suffix') this.#suffixModes.set(r.value, r.mode);
  }

  #update(u: SyncUpdate): void {
    if (u.kind === 'reload') {
      // The difference to the old set is unknown: older clients get the whole zone.
      this.journal.clear();
      this.#rebuildIndexes();
      for (const v of this.#views) v.aborted = true;
    } else {
      for (const v of this.#views) for (const s of u.steps) { const r = s.before ?? s.after; if (r) v.remember(rpzRuleKey(r), s.before); }
      for (const s of u.steps) {
        if (s.before && isNameRule(s.before)) this.#below.remove(s.before.value);
        if (s.before?.kind === 'domain_suffix') this.#suffixModes.delete(s.before.value);
        if (s.after && isNameRule(s.after)) this.#below.add(s.after.value);
        if (s.after?.kind === 'domain_suffix') this.#suffixModes.set(s.after.value, s.after.mode);
      }
      this.journal.append(this.#difference(u));
    }
    const serial = this.serial;
    if (serial !== undefined) for (const fn of this.#listeners) fn(serial);
  }

  /**
   * What a secondary deletes and adds for one batch, owner by owner: the record each owner the
   * batch may touch had before (touched rules at their earlier state, others as they are)
   * against the record it has now. Owners whose record did not change are left out, so the
   * step is the exact difference between the two zones, cover wildcards included:
   * - each touched rule's own owners (rpzOwnerRecord settles collisions between rules);
   * - `*.X` for a touched name rule's own name and every name above it: an exact rule on X, or
   *   the first or last rule below X, brings or takes away X's cover (rpzWildcardAt), and the
   *   counts before the batch are the index's counts minus the batch's own;
   * - for a touched suffix rule S with rules below it, `*.X` for every X between S and those
   *   rules, whose nearest suffix (and so its action) S may have become or stopped being. Those
   *   are found by one pass over the rule map per batch (`journal` in bench/rpz: 50-150 ms of
   *   CPU at 1M rules), and only when such a suffix has rules below it.
   * A batch larger than the journal's record cap still ends as the whole zone (zone-journal.ts).
   */
  #difference(u: Extract<SyncUpdate, { kind: 'changes' }>): JournalStep {
    const touched = new Map<string, FeedRule | undefined>();
    /** Per name: rules below it after the batch minus before it. */
    const delta = new Map<string, number>();
    const owners = new Map<string, { rule: FeedRule; index: number }>();
    const wildcards = new Set<string>();
    const suffixes = new Set<string>();
    for (const s of u.steps) {
      const r0 = s.before ?? s.after;
      if (!r0) continue;
      const key = rpzRuleKey(r0);
      if (!touched.has(key)) touched.set(key, s.before); // first state wins if a key comes twice
      for (const r of [s.before, s.after]) {
        if (!r) continue;
        if (isNameRule(r)) {
          if (!owners.has(r.value)) owners.set(r.value, { rule: r, index: 0 });
          wildcards.add(r.value);
          forEachAncestor(r.value, (name) => wildcards.add(name));
          if (r.kind === 'domain_suffix') suffixes.add(r.value);
          continue;
        }
        const recs = rpzRecordsOf(r);
        for (let i = 0; i < recs.length; i++) if (!owners.has(recs[i]!.owner)) owners.set(recs[i]!.owner, { rule: r, index: i });
      }
      const by = (s.after && isNameRule(s.after) ? 1 : 0) - (s.before && isNameRule(s.before) ? 1 : 0);
      if (by !== 0) forEachAncestor(r0.value, (name) => delta.set(name, (delta.get(name) ?? 0) + by));
    }
    const live = this.source.rules;
    const below = this.#below;
    const before: Lookup = (k) => (touched.has(k) ? touched.get(k) : live.get(k));
    const after: Lookup = (k) => live.get(k);
    const belowBefore = (name: string): boolean => below.count(name) - (delta.get(name) ?? 0) > 0;
    const belowAfter = (name: string): boolean => below.count(name) > 0;

    const scan = new Set<string>();
    for (const name of suffixes) if (belowBefore(name) || belowAfter(name)) scan.add(name);
    if (scan.size > 0) this.#wildcardsUnder(scan, wildcards);

    const deleted: RpzRecord[] = [];
    const added: RpzRecord[] = [];
    const compare = (was: RpzRecord | undefined, now: RpzRecord | undefined): void => {
      if (was && now && was.action === now.action) return;
      if (was) deleted.push(was);
      if (now) added.push(now);
    };
    for (const { rule, index } of owners.values()) compare(rpzOwnerRecord(rule, index, before), rpzOwnerRecord(rule, index, after));
    for (const name of wildcards) compare(rpzWildcardAt(name, before, belowBefore), rpzWildcardAt(name, after, belowAfter));
    return { from: rpzSerial(u.from), to: rpzSerial(u.to), deleted, added };
  }

  /**
   * Adds to `into` every name strictly below one of `suffixes` that is a name rule's own name
   * or lies between it and that suffix: the owners whose cover takes the suffix's action.
   * One pass over the live rule map; rules the batch removed were touched, so their names are
   * in `into` already.
   */
  #wildcardsUnder(suffixes: ReadonlySet<string>, into: Set<string>): void {
    // A few suffixes (the usual batch): test each rule by suffix, without cutting a string per
    // label. Many (a bulk import): look each rule's ancestors up in the set instead, so the
    // pass stays one lookup per label whatever the batch holds.
    const few = suffixes.size <= 8 ? [...suffixes].map((s) => `.${s}`) : undefined;
    for (const r of this.source.rules.values()) {
      if (!isNameRule(r)) continue;
      const v = r.value;
      // Where the widest of the suffixes above it starts: every name between is a candidate
      // (those above a nearer one are its ancestors, in `into` already; taking them again is harmless).
      let cut = -1;
      if (few) {
        for (const tail of few) if (v.length > tail.length && v.endsWith(tail)) cut = Math.max(cut, v.length - tail.length);
      } else {
        for (let dot = v.indexOf('.'); dot >= 0; dot = v.indexOf('.', dot + 1)) if (suffixes.has(v.slice(dot + 1))) cut = dot;
      }
      if (cut < 0) continue;
      into.add(v);
      for (let d = v.indexOf('.'); d >= 0 && d < cut; d = v.indexOf('.', d + 1)) into.add(v.slice(d + 1));
    }
  }
}

/** Calls `fn` with each name strictly above `value` (`a.b.kz` → `b.kz`, `kz`). */
function forEachAncestor(value: string, fn: (name: string) => void): void {
  for (let dot = value.indexOf('.'); dot >= 0; dot = value.indexOf('.', dot + 1)) fn(value.slice(dot + 1));
}
