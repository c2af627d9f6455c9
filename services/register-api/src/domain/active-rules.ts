import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { CompiledMatcher, MatcherBuilder, NO_MATCH, applyChanges, whenCompacted, type FeedRule, type Matcher, type RuleChange } from '@tizilim/shared';
import type { DB } from '../db/schema.js';
import { countActiveRules } from '../repositories/feed-repository.js';
import { changesWithSpansSince, openSpanDecisions, openSpansQuery } from '../repositories/check-copy-repository.js';
import type { CheckTarget } from '../repositories/public-query-repository.js';
import { logHead } from '../repositories/public-log-repository.js';
import { changeFromLogRow } from '../routes/feed/feed-lines.js';
import type { LogWatcher } from './log-watcher.js';
import { ActiveEntries } from './active-entries.js';
import { IpRuleIndex } from './ip-rule-index.js';
import { UrlRuleIndex } from './url-rule-index.js';
import { SuggestIndex, type SuggestCandidate } from './suggest-index.js';
import { canFindRuleEntries, matcherRuleEntry } from './matcher-rule-entry.js';
import { applyToEntries, index, type Copy } from './check-copy.js';
import type { PublicEntrySource } from './public-view.js';

/** Log entries read per catch-up query. */
const PAGE = 5_000;
/** Further behind than this (e.g. after the database was away), reload rather than replay. */
const MAX_REPLAY = 200_000;
/** After a failure, try a fresh load again this much later. */
const RETRY_MS = 30_000;


/**
 * An in-process copy of the active rule set (every open enforcement span) with what a public
 * entry shows of each, so a check "now" needs no database, whether or not anything covers the
 * name. Loaded from one REPEATABLE READ snapshot together with the log head it reflects, then
 * kept current from the public log each time the watcher sees the head move. Whenever the
 * copy may be wrong (loading, behind the known head, a failure) it is not ready and checks
 * use the database, which also answers every question about a past instant.
 */
export class ActiveRules {
  readonly #db: Kysely<DB>;
  readonly #watcher: LogWatcher;
  readonly #log: Pick<Logger, 'info' | 'warn'> | undefined;
  /** Replaced by one assignment; undefined while not ready. */
  #copy: Copy | undefined;
  #version = -1;
  #busy: Promise<void> | undefined;
  #again = false;
  #needsLoad = true;
  #closed = false;
  #unsubscribe: (() => void) | undefined;
  #retry: NodeJS.Timeout | undefined;
  /** Checks waiting for the copy to catch up with the head (see `waitCurrent`). */
  readonly #waiters = new Set<() => void>();
  /** Checks answered from the copy (a metric, and what tests look at). */
  answered = 0;

  constructor(db: Kysely<DB>, watcher: LogWatcher, log?: Pick<Logger, 'info' | 'warn'>) {
    this.#db = db;
    this.#watcher = watcher;
    this.#log = log;
  }

  /** Starts loading in the background; checks use the database until it is done. */
  start(): void {
    this.#unsubscribe = this.#watcher.onAdvance(() => this.#kick());
    this.#kick();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#copy = undefined;
    this.#wake();
    this.#unsubscribe?.();
    if (this.#retry) clearTimeout(this.#retry);
    await this.#busy;
  }

  /** Loaded and not behind the newest log head this process has heard of. */
  get ready(): boolean {
    return this.#copy !== undefined && this.#version >= this.#watcher.head;
  }

  get version(): number {
    return this.#version;
  }

  /** Sizes of the copy, for tools and metrics; undefined while there is none. */
  get stats(): { rules: number; spans: number; decisions: number; keptAside: number; entryBytes: number; matcherBytes: number | undefined } | undefined {
    const copy = this.#copy;
    if (!copy) return undefined;
    return {
      rules: copy.matcher.ruleCount, spans: copy.entries.size, decisions: copy.entries.decisionCount,
      keptAside: copy.entries.unusualCount, entryBytes: copy.entries.byteSize,
      matcherBytes: copy.matcher instanceof CompiledMatcher ? copy.matcher.byteSize : undefined,
    };
  }

  /**
   * Resolves true once the copy is current again, false when it cannot become so within
   * `timeoutMs` or there is no copy to catch up (loading, failed). A change of the register
   * makes the copy stale until the new entries are read (a few ms); a check waits for that
   * rather than sending a burst of queries to the database, which is slower than the wait.
   */
  waitCurrent(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    if (this.#copy === undefined || this.#needsLoad) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        if (!this.ready && this.#copy !== undefined && !this.#needsLoad && !this.#closed && Date.now() < deadline) return;
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve(this.ready);
      };
      const deadline = Date.now() + timeoutMs;
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  /** Resolves when the running load or catch-up (if any) is over; for tests and tools. */
  async settled(): Promise<void> {
    while (this.#busy) await this.#busy;
  }

  /**
   * The spans in force at `nowMs` that cover the target, as `spansCovering` finds them in the
   * database (exact name, suffix rules on the name and every parent, URL rules on the host,
   * prefixes containing the address), in the same order (by entry). Undefined when the copy
   * cannot answer: not ready, or found inconsistent (then it reloads).
   */
  coveringSpans(target: CheckTarget, nowMs: number): PublicEntrySource[] | undefined {
    if (!this.ready) return undefined;
    const copy = this.#copy!;
    const found: { kind: FeedRule['kind']; value: string; entry: number; urlHost: string | null }[] = [];
    if (target.host !== undefined) {
      // One lookup says whether any name rule covers the host; only then is each candidate asked for.
      if (copy.matcher.matchHost(target.host) !== NO_MATCH) {
        const exact = matcherRuleEntry(copy.matcher, 'domain', target.host);
        if (exact >= 0) found.push({ kind: 'domain', value: target.host, entry: exact, urlHost: null });
        for (const parent of target.parents ?? []) {
          const entry = matcherRuleEntry(copy.matcher, 'domain_suffix', parent);
          if (entry >= 0) found.push({ kind: 'domain_suffix', value: parent, entry, urlHost: null });
        }
      }
      for (const [value, entry] of copy.urls.onHost(target.host)) found.push({ kind: 'url', value, entry, urlHost: target.host });
    }
    if (target.ip !== undefined) {
      for (const [kind, value, entry] of copy.ips.containing(target.ip)) found.push({ kind, value, entry, urlHost: null });
    }
    if (found.length > 1) found.sort((a, b) => a.entry - b.entry);
    const rows: PublicEntrySource[] = [];
    for (const f of found) {
      const row = copy.entries.row(f.entry, f.kind, f.value, f.urlHost, nowMs);
      if (row === null) {
        this.#discard(new Error(`entry ${f.entry} (${f.kind} ${f.value}) is matched but has no span details`));
        return undefined;
      }
      if (row) rows.push(row);
    }
    return rows;
  }

  /**
   * Up to `limit` open restrictions in force at `nowMs` whose value (or Unicode form) starts
   * with `prefix` (already in `suggestPrefix` form), in key order, with what a public entry
   * shows of each; looks at no more than `maxScan` keys. Undefined when the copy is not ready.
   */
  suggest(prefix: string, limit: number, maxScan: number, nowMs: number): PublicEntrySource[] | undefined {
    if (!this.ready) return undefined;
    const copy = this.#copy!;
    const rows: PublicEntrySource[] = [];
    copy.suggest.find(prefix, limit, maxScan, (c: SuggestCandidate) => {
      const row = copy.entries.row(c.seq, c.kind, c.value, c.kind === 'url' ? urlHostOf(c.value) : null, nowMs);
      // Not in force now (scheduled, or past its planned end), or an exception: not a restriction.
      if (!row || row.mode === 'allow') return false;
      rows.push(row);
      return true;
    });
    return rows;
  }

  #kick(): void {
    if (this.#closed) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = this.#run().finally(() => {
      this.#busy = undefined;
      this.#wake();
    });
  }

  async #run(): Promise<void> {
    try {
      do {
        this.#again = false;
        if (this.#needsLoad) await this.#load();
        else await this.#catchUp();
      } while (this.#again && !this.#closed);
    } catch (err) {
      if (this.#closed) return;
      // Anything unexpected: stop answering from memory, load afresh later.
      this.#copy = undefined;
      this.#needsLoad = true;
      this.#log?.warn({ err }, 'active rules copy failed; checks use the database until it reloads');
      this.#retry = setTimeout(() => this.#kick(), RETRY_MS);
      this.#retry.unref();
    }
  }

  async #load(): Promise<void> {
    const started = Date.now();
    this.#copy = undefined;
    const { copy, version } = await this.#db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
      // Every row will be read: plan for all of them (a hash join), not for the first 10 %.
      await sql`SET LOCAL cursor_tuple_fraction = 1`.execute(trx);
      const version = (await logHead(trx)).seq;
      const expected = await countActiveRules(trx);
      const decisions = new Map((await openSpanDecisions(trx)).map((d) => [d.id, d]));
      const b = new MatcherBuilder({ expectedRules: expected });
      const copy = { urls: new UrlRuleIndex(), ips: new IpRuleIndex(), entries: new ActiveEntries(expected), suggest: new SuggestIndex() };
      for await (const row of openSpansQuery(trx).stream(5000)) {
        if (this.#closed) throw new Error('closed');
        if (row.add_seq === null) throw new Error(`open span of ${row.kind} ${row.value} names no log entry`);
        const d = decisions.get(row.decision_id);
        if (!d) throw new Error(`open span of ${row.kind} ${row.value}: decision ${row.decision_id} not found`);
        const seq = Number(row.add_seq);
        const rule: FeedRule = { id: row.id, kind: row.kind, value: row.value, mode: row.mode, entry: seq };
        if (row.ends_at) rule.until = row.ends_at.toISOString();
        // A rule the matcher cannot hold throws: a copy missing a rule must never answer.
        b.add(rule);
        index(copy, row.kind, row.value, row.host, seq);
        const span = {
          seq, mode: row.mode, startsAt: row.starts_at, endsAt: row.ends_at, decisionId: d.id, category: d.category,
          basisKind: d.basis_kind, authority: d.authority, documentNumber: d.document_number, issuedAt: d.issued_at,
          kind: row.kind, value: row.value, display: row.display, host: row.host,
        };
        copy.entries.add(span);
        copy.suggest.add(span);
      }
      const matcher = b.build();
      if (!canFindRuleEntries(matcher)) throw new Error('the matcher cannot be asked for rules by value');
      return { copy: { ...copy, matcher }, version };
    });
    // Outside the transaction, in slices: the type-ahead keys are sorted while requests go on.
    await copy.suggest.sealInSlices();
    if (this.#closed) return;
    this.#version = version;
    this.#copy = copy;
    this.#needsLoad = false;
    this.#log?.info({ rules: copy.matcher.ruleCount, decisions: copy.entries.decisionCount, version, ms: Date.now() - started }, 'active rules loaded for public checks');
    // Entries appended while loading: the watcher may have announced them already.
    await this.#catchUp();
  }

  async #catchUp(): Promise<void> {
    if (this.#watcher.head - this.#version > MAX_REPLAY) {
      this.#needsLoad = true;
      this.#again = true;
      return;
    }
    for (;;) {
      const rows = await changesWithSpansSince(this.#db, this.#version, PAGE);
      const copy = this.#copy;
      if (this.#closed || copy === undefined) return;
      if (rows.length === 0) return;
      // From here to the swap nothing awaits: a check sees the copy before this page or after it.
      const changes: RuleChange[] = rows.map((row) => {
        const c = changeFromLogRow(row);
        const rule: FeedRule = { id: c.id, kind: c.kind, value: c.value, mode: c.mode, entry: c.entry };
        if (c.until !== undefined) rule.until = c.until;
        return { op: c.op, rule };
      });
      // Throws (nothing changed yet) when a rule cannot be held; #run then falls back to the database.
      const matcher = applyChanges(copy.matcher, changes);
      if (!canFindRuleEntries(matcher)) throw new Error('the matcher cannot be asked for rules by value');
      // Throws half-way only on a broken log (an add without its span): #run drops the copy.
      applyToEntries(copy, rows, changes);
      this.#copy = { ...copy, matcher };
      this.#adoptCompacted(matcher);
      this.#version = Number(rows.at(-1)!.seq);
      this.#wake();
      if (rows.length < PAGE) return;
    }
  }

  /** A background compaction's fresh build (same rules) replaces the overlay once done, freeing the old build. */
  #adoptCompacted(matcher: Matcher): void {
    whenCompacted(matcher).then((c) => {
      const copy = this.#copy;
      if (copy !== undefined && copy.matcher === matcher && c !== matcher) this.#copy = { ...copy, matcher: c };
    }, () => undefined);
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
  }

  #discard(err: Error): void {
    this.#copy = undefined;
    this.#needsLoad = true;
    this.#log?.warn({ err }, 'active rules copy inconsistent; checks use the database until it reloads');
    this.#kick();
  }
}

/** The host of a URL rule's value (normalised, so `URL` agrees with the register's host column). */
function urlHostOf(value: string): string | null {
  try {
    return new URL(value).hostname;
  } catch {
    return null;
  }
}
