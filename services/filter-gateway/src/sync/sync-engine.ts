import type { Logger } from 'pino';
import type { FeedChange, FeedRule } from '@tizilim/shared';
import { ruleKey } from '../dns/rules/rule-set.js';
import { FeedHttpError, type FeedClient } from './feed-client.js';
import { readSnapshotFile, removeStaleTemps, writeSnapshotFile } from './snapshot-file.js';

/** Where the synced rules go: the local RuleSet, or the cluster's workers. */
export interface RuleSink {
  /** A full rule set replaced the old one; the snapshot file holds it unless its write failed (see `fileVersion`). */
  reload(version: number, rules: ReadonlyMap<string, FeedRule>): void;
  changes(changes: readonly FeedChange[], to: number): void;
}

export interface SyncOptions {
  snapshotFile: string;
  waitSeconds: number;
  maxBackoffMs: number;
  /** How long change batches may gather before the snapshot file is rewritten. */
  persistDelayMs?: number;
}

export type SyncState = 'starting' | 'connected' | 'unreachable';

/** A rule before and after one change batch (undefined: absent), for followers that need the difference. */
export interface RuleStep {
  before: FeedRule | undefined;
  after: FeedRule | undefined;
}

/**
 * What followers of the rule set hear after the sink: a whole new set, or one batch of
 * changes with each touched rule's first and last state (the zone-transfer journal needs
 * what a removed rule was, which the change alone does not say).
 */
export type SyncUpdate =
  | { kind: 'reload'; version: number }
  | { kind: 'changes'; from: number; to: number; steps: readonly RuleStep[] };

/**
 * Keeps the rule set in step with the register: disk snapshot first, then changes by
 * long-poll, a full snapshot when there is none or the register says 410. While the register
 * cannot be reached the last rules stay in force; the state is logged on change only.
 */
export class SyncEngine {
  readonly rules = new Map<string, FeedRule>();
  version = -1;
  /** Epoch ms of the last answer from the register; 0 = never. */
  lastContact = 0;
  /** Epoch ms the long-poll now waiting was sent; 0 when none is. */
  #pollSentAt = 0;
  /** Staleness counts from here until the register first answers. */
  readonly #createdAt = Date.now();
  state: SyncState = 'starting';
  /** Version the snapshot file holds, and what came after it (for workers that start late). */
  fileVersion = -1;
  changesSinceFile: FeedChange[] = [];
  /** Why the last snapshot file write failed (ENOSPC, EROFS, ...); undefined once one succeeds. */
  snapshotWriteError: string | undefined;
  snapshotWriteFailures = 0;
  /** Times the register asked us to come back later (503 + Retry-After) and we did as told. */
  retryHints = 0;

  #stopped = false;
  #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #persistTimer: NodeJS.Timeout | undefined;
  #persisting: Promise<void> = Promise.resolve();
  #sleepWake: (() => void) | undefined;
  readonly #followers = new Set<(u: SyncUpdate) => void>();

  constructor(
    private readonly opts: SyncOptions,
    private readonly client: FeedClient,
    private readonly sink: RuleSink,
    private readonly log: Logger,
  ) {}

  /** Loads the disk snapshot (if any) and starts following the register in the background. */
  async start(): Promise<void> {
    const stale = await removeStaleTemps(this.opts.snapshotFile).catch(() => 0);
    if (stale > 0) this.log.warn({ stale }, 'removed unfinished snapshot writes (the gateway was killed while writing)');
    try {
      const snap = await readSnapshotFile(this.opts.snapshotFile);
      if (snap) {
        this.#replace(snap.version, snap.rules);
        this.fileVersion = snap.version;
        this.log.info({ version: snap.version, rules: snap.rules.length }, 'loaded snapshot from disk');
        this.sink.reload(this.version, this.rules);
        this.#tell({ kind: 'reload', version: this.version });
      }
    } catch (err) {
      this.log.error({ err }, 'snapshot on disk is unreadable; fetching a new one');
    }
    this.#loop = this.#run();
  }

  /** Hears every reload and change batch after the sink has applied it. */
  onUpdate(fn: (u: SyncUpdate) => void): () => void {
    this.#followers.add(fn);
    return () => this.#followers.delete(fn);
  }

  #tell(u: SyncUpdate): void {
    for (const fn of this.#followers) {
      try { fn(u); } catch (err) { this.log.error({ err }, 'a rule-set follower failed'); }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    this.#sleepWake?.();
    await this.#loop;
    if (this.#persistTimer) { clearTimeout(this.#persistTimer); this.#persistTimer = undefined; await this.#persist(); }
    await this.#persisting;
  }

  async #run(): Promise<void> {
    let backoff = 250;
    let needSnapshot = this.version < 0;
    while (!this.#stopped) {
      try {
        if (needSnapshot) {
          const snap = await this.client.snapshot(this.#abort.signal);
          this.#contact();
          this.#replace(snap.version, snap.rules);
          await this.#persistNow();
          this.log.info({ version: snap.version, rules: snap.rules.length }, 'loaded snapshot from register');
          this.sink.reload(this.version, this.rules);
          this.#tell({ kind: 'reload', version: this.version });
          needSnapshot = false;
        }
        // The first ask after a start returns at once (wait 0), so a gateway that started from
        // its disk snapshot says "connected" (and catches up) without waiting out a long-poll.
        const wait = this.lastContact === 0 ? 0 : this.opts.waitSeconds;
        this.#pollSentAt = Date.now();
        const page = await this.client.changes(this.version, wait, this.#abort.signal).finally(() => { this.#pollSentAt = 0; });
        this.#contact();
        backoff = 250;
        if (page === 'gone' || page.to < this.version) { needSnapshot = true; continue; }
        const fresh = page.changes.filter((c) => c.seq > this.version);
        const steps = this.#followers.size > 0 ? new Map<string, RuleStep>() : undefined;
        for (const c of fresh) {
          if (!steps) { this.#applyOne(c); continue; }
          const key = ruleKey(c);
          const prior = this.rules.get(key);
          this.#applyOne(c);
          const seen = steps.get(key);
          if (seen) seen.after = this.rules.get(key);
          else steps.set(key, { before: prior, after: this.rules.get(key) });
        }
        if (fresh.length > 0) this.changesSinceFile.push(...fresh);
        const before = this.version;
        this.version = Math.max(this.version, page.to);
        if (fresh.length > 0 || this.version !== before) {
          this.sink.changes(fresh, this.version);
          this.#schedulePersist();
          this.#tell({ kind: 'changes', from: before, to: this.version, steps: steps ? [...steps.values()] : [] });
        }
      } catch (err) {
        if (this.#stopped) break;
        // A register that is stopping says when to come back (503 + Retry-After): wait that
        // long, not the growing backoff, so the gateway is back the moment another answers.
        const hinted = err instanceof FeedHttpError ? err.retryAfterMs : undefined;
        this.#setState('unreachable', err);
        if (hinted !== undefined) {
          this.retryHints++;
          await this.#sleep(Math.min(hinted, this.opts.maxBackoffMs));
          backoff = 250;
          continue;
        }
        await this.#sleep(backoff);
        backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
      }
    }
  }

  /**
   * How far behind the register the rules may be, in ms. A long-poll still inside its wait is
   * the register's promise to answer at the first change, so the rules are current (0); past
   * its wait (a register gone silent) or between attempts, the time since the last answer.
   * Measured from the last answer alone, a healthy gateway read up to the wait (30 s) stale.
   * Before any answer, the time since this engine was made.
   */
  stalenessMs(now = Date.now()): number {
    const overrun = (this.opts.waitSeconds + 5) * 1000;
    if (this.state === 'connected' && this.#pollSentAt > 0 && now - this.#pollSentAt <= overrun) return 0;
    return now - (this.lastContact || this.#createdAt);
  }

  #contact(): void {
    this.lastContact = Date.now();
    this.#setState('connected');
  }

  #setState(s: SyncState, err?: unknown): void {
    if (s === this.state) return;
    this.state = s;
    if (s === 'unreachable') {
      this.log.warn({ err, version: this.version }, 'register unreachable; enforcing the rules we have');
    } else {
      this.log.info({ version: this.version }, 'register reachable');
    }
  }

  #replace(version: number, rules: Iterable<FeedRule>): void {
    this.rules.clear();
    for (const r of rules) this.rules.set(ruleKey(r), r);
    this.version = version;
    this.changesSinceFile = [];
  }

  #applyOne(c: FeedChange): void {
    const key = ruleKey(c);
    if (c.op === 'remove') { this.rules.delete(key); return; }
    const rule: FeedRule = { id: c.id, kind: c.kind, value: c.value, mode: c.mode, entry: c.entry };
    if (c.until !== undefined) rule.until = c.until;
    this.rules.set(key, rule);
  }

  #schedulePersist(): void {
    if (this.#persistTimer) return;
    this.#persistTimer = setTimeout(() => {
      this.#persistTimer = undefined;
      void this.#persist();
    }, this.opts.persistDelayMs ?? 5_000);
    this.#persistTimer.unref();
  }

  async #persistNow(): Promise<void> {
    if (this.#persistTimer) { clearTimeout(this.#persistTimer); this.#persistTimer = undefined; }
    await this.#persist();
  }

  /** Serialised: one write at a time, each of the whole current set. */
  #persist(): Promise<void> {
    this.#persisting = this.#persisting.then(async () => {
      const version = this.version;
      try {
        await writeSnapshotFile(this.opts.snapshotFile, version, this.rules.values(), this.rules.size);
        this.fileVersion = version;
        this.changesSinceFile = this.changesSinceFile.filter((c) => c.seq > version);
        if (this.snapshotWriteError !== undefined) this.log.info({ version }, 'snapshot file written again');
        this.snapshotWriteError = undefined;
      } catch (err) {
        // The rules in memory stay in force; the file keeps the last whole snapshot. Reported
        // in /metrics and /readyz until a write succeeds; retried with the next change.
        this.snapshotWriteFailures++;
        this.snapshotWriteError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        this.log.error({ err }, 'could not write the snapshot file');
        if (!this.#stopped) this.#schedulePersist();
      }
    });
    return this.#persisting;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.#sleepWake = undefined; resolve(); }, ms);
      this.#sleepWake = () => { clearTimeout(t); this.#sleepWake = undefined; resolve(); };
    });
  }
}
