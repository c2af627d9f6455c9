import {
  RpzCoverContext, rpzOwnerRecord, rpzRecordsOf, rpzRuleKey, rpzSerial, rpzWrittenRecords,
  type FeedRule, type RpzRecord, type RuleMode,
} from '@tizilim/shared';
import type { SyncUpdate } from '../sync/sync-engine.js';
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
  ) {}

  readonly lookup: Lookup = (key) => (this.#before.has(key) ? this.#before.get(key) : this.live.get(key));

  /** Records the state a rule had when this view was taken (first change wins). */
  remember(key: string, before: FeedRule | undefined): void {
    if (!this.#before.has(key)) this.#before.set(key, before);
  }

  /**
   * The cover context of one transfer (rpz-cover.ts): the view's suffix rules, read once at
   * the start (they are a few percent of the rules), and which `*.X` the transfer has written.
   * Call it before any change lands on the view (right after openView), so it holds the
   * suffixes of this serial.
   */
  coverContext(): RpzCoverContext {
    const suffixes = new Map<string, RuleMode>();
    for (const r of this.rules) if (r.kind === 'domain_suffix') suffixes.set(r.value, r.mode);
    return new RpzCoverContext(suffixes);
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

  constructor(readonly origin: string, private readonly source: ZoneRules, limits: JournalLimits) {
    this.journal = new ZoneJournal(limits);
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
    const view = new ZoneView(serial, Array.from(this.source.rules.values()), this.source.rules);
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

  #update(u: SyncUpdate): void {
    if (u.kind === 'reload') {
      // The difference to the old set is unknown: older clients get the whole zone.
      this.journal.clear();
      for (const v of this.#views) v.aborted = true;
    } else {
      for (const v of this.#views) for (const s of u.steps) { const r = s.before ?? s.after; if (r) v.remember(rpzRuleKey(r), s.before); }
      if (this.#movesCover(u)) this.journal.clear();
      else this.journal.append(this.#difference(u));
    }
    const serial = this.serial;
    if (serial !== undefined) for (const fn of this.#listeners) fn(serial);
  }

  /**
   * Does the batch change cover wildcards (rpz-cover.ts)? They depend on a suffix rule and
   * on every name rule under it, and one `*.X` is shared by all the name rules below X, so
   * the exact difference would need an index of each name's descendants. Batches that touch
   * a suffix rule, or a name rule with a suffix-ruled ancestor, are rare; the journal is
   * cleared at their version instead (as a reload does), and secondaries asking IXFR from
   * before it get the whole zone (RFC 1995 §4). A name rule with no suffix above it has no
   * cover, and no other rule's cover depends on it, so every other batch stays an exact diff.
   * Ancestors are looked up in the live map: a suffix the batch itself changed is caught as
   * a touched suffix rule, so the map's state after the batch is the one that matters.
   */
  #movesCover(u: Extract<SyncUpdate, { kind: 'changes' }>): boolean {
    const live = this.source.rules;
    for (const s of u.steps) {
      for (const r of [s.before, s.after]) {
        if (!r) continue;
        if (r.kind === 'domain_suffix') return true;
        if (r.kind !== 'domain') continue;
        for (let dot = r.value.indexOf('.'); dot >= 0; dot = r.value.indexOf('.', dot + 1)) {
          if (live.has(`domain_suffix ${r.value.slice(dot + 1)}`)) return true;
        }
      }
    }
    return false;
  }

  /**
   * What a secondary deletes and adds for one batch, owner by owner: the record each touched
   * owner had before (touched rules at their earlier state, others as they are) against the
   * record it has now. Owners whose record did not change are left out.
   */
  #difference(u: Extract<SyncUpdate, { kind: 'changes' }>): JournalStep {
    const touched = new Map<string, FeedRule | undefined>();
    for (const s of u.steps) { const r = s.before ?? s.after; if (r) touched.set(rpzRuleKey(r), s.before); }
    const live = this.source.rules;
    const before: Lookup = (k) => (touched.has(k) ? touched.get(k) : live.get(k));
    const after: Lookup = (k) => live.get(k);
    const owners = new Map<string, { rule: FeedRule; index: number }>();
    for (const s of u.steps) {
      for (const r of [s.before, s.after]) {
        if (!r) continue;
        const recs = rpzRecordsOf(r);
        for (let i = 0; i < recs.length; i++) if (!owners.has(recs[i]!.owner)) owners.set(recs[i]!.owner, { rule: r, index: i });
      }
    }
    const deleted: RpzRecord[] = [];
    const added: RpzRecord[] = [];
    for (const { rule, index } of owners.values()) {
      const was = rpzOwnerRecord(rule, index, before);
      const now = rpzOwnerRecord(rule, index, after);
      if (was && now && was.action === now.action) continue;
      if (was) deleted.push(was);
      if (now) added.push(now);
    }
    return { from: rpzSerial(u.from), to: rpzSerial(u.to), deleted, added };
  }
}
