import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { MatcherBuilder, NO_MATCH, applyChanges, parseIpText, type FeedRule, type Matcher, type RuleChange } from '@tizilim/shared';
import { parseResource } from '@tizilim/shared/resource/index';
import type { DB } from '../db/schema.js';
import { activeRulesQuery, changesSince, countActiveRules } from '../repositories/feed-repository.js';
import { logHead } from '../repositories/public-log-repository.js';
import { changeFromLogRow } from '../routes/feed/feed-lines.js';
import type { LogWatcher } from './log-watcher.js';
import { CheckAnswerCache } from './check-answer-cache.js';

/** Log entries read per catch-up query. */
const PAGE = 5_000;
/** Further behind than this (e.g. after the database was away), reload rather than replay. */
const MAX_REPLAY = 200_000;
/** After a failure, try a fresh load again this much later. */
const RETRY_MS = 30_000;

interface Copy {
  matcher: Matcher;
  /** host → values of the `url` rules on it */
  urlHosts: Map<string, Set<string>>;
}

/**
 * An in-process copy of the active rule set (every open enforcement span), so a check for a
 * name no rule covers needs no database. Loaded from one REPEATABLE READ snapshot together with
 * the log head it reflects, then kept current from the public log each time the watcher sees
 * the head move. The copy only ever answers "nothing here"; anything it does cover is asked of
 * the database, which alone knows entries, legal bases and instants. Whenever the copy may be
 * wrong (loading, behind the known head, a failure) it is not ready and checks use the database.
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
  /** Checks answered from the copy (a metric, and what tests look at). */
  answered = 0;
  /** Answers for covered names, valid for one register version. */
  readonly answers = new CheckAnswerCache();

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

  /** Resolves when the running load or catch-up (if any) is over; for tests and tools. */
  async settled(): Promise<void> {
    while (this.#busy) await this.#busy;
  }

  /**
   * True only when the copy is ready and no active rule covers the host (exactly or by a
   * suffix), the address, or any URL on the host. False means "ask the database".
   */
  nothingCovers(target: { host?: string | undefined; ip?: string | undefined }): boolean {
    if (!this.ready) return false;
    const copy = this.#copy!;
    if (target.host !== undefined) {
      if (copy.urlHosts.has(target.host)) return false;
      if (copy.matcher.matchHost(target.host) !== NO_MATCH) return false;
    }
    if (target.ip !== undefined) {
      const bytes = parseIpText(target.ip);
      if (!bytes || copy.matcher.matchIp(bytes) !== NO_MATCH) return false;
    }
    return target.host !== undefined || target.ip !== undefined;
  }

  #kick(): void {
    if (this.#closed) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = this.#run().finally(() => {
      this.#busy = undefined;
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
      const version = (await logHead(trx)).seq;
      const b = new MatcherBuilder({ expectedRules: await countActiveRules(trx) });
      const urlHosts = new Map<string, Set<string>>();
      for await (const row of activeRulesQuery(trx).stream(2000)) {
        if (this.#closed) throw new Error('closed');
        const rule: FeedRule = { id: row.id, kind: row.kind, value: row.value, mode: row.mode, entry: Number(row.add_seq ?? 0) };
        if (row.ends_at) rule.until = row.ends_at.toISOString();
        // A rule the matcher cannot hold throws: a copy missing a rule must never answer.
        b.add(rule);
        if (row.kind === 'url') addUrl(urlHosts, row.value);
      }
      return { copy: { matcher: b.build(), urlHosts }, version };
    });
    if (this.#closed) return;
    this.#version = version;
    this.#copy = copy;
    this.#needsLoad = false;
    this.#log?.info({ rules: copy.matcher.ruleCount, version, ms: Date.now() - started }, 'active rules loaded for public checks');
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
      const rows = await changesSince(this.#db, this.#version, PAGE);
      if (this.#closed || this.#copy === undefined) return;
      if (rows.length === 0) return;
      const changes: RuleChange[] = [];
      const urlHosts = new Map(this.#copy.urlHosts);
      for (const row of rows) {
        const c = changeFromLogRow(row);
        const rule: FeedRule = { id: c.id, kind: c.kind, value: c.value, mode: c.mode, entry: c.entry };
        if (c.until !== undefined) rule.until = c.until;
        changes.push({ op: c.op, rule });
        if (c.kind === 'url') {
          if (c.op === 'add') addUrl(urlHosts, c.value, true);
          else removeUrl(urlHosts, c.value);
        }
      }
      // Throws (nothing swapped) when a rule cannot be held; #run then falls back to the database.
      const matcher = applyChanges(this.#copy.matcher, changes);
      this.#copy = { matcher, urlHosts };
      this.#version = Number(rows.at(-1)!.seq);
      if (rows.length < PAGE) return;
    }
  }
}

function urlHost(value: string): string {
  const parsed = parseResource(value);
  if (!parsed.ok || parsed.resource.kind !== 'url' || !parsed.resource.host) throw new TypeError(`url rule ${value}: no host`);
  return parsed.resource.host;
}

/** `copyOnWrite`: the set is shared with the copy in use, so change a new one. */
function addUrl(hosts: Map<string, Set<string>>, value: string, copyOnWrite = false): void {
  const host = urlHost(value);
  const values = hosts.get(host);
  hosts.set(host, copyOnWrite || !values ? new Set(values).add(value) : values.add(value));
}

function removeUrl(hosts: Map<string, Set<string>>, value: string): void {
  const host = urlHost(value);
  const values = hosts.get(host);
  if (!values?.has(value)) return;
  const rest = new Set(values);
  rest.delete(value);
  if (rest.size === 0) hosts.delete(host);
  else hosts.set(host, rest);
}
