import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { LOG_CHANNEL, logHead } from '../repositories/public-log-repository.js';

export type Listen = (channel: string, onPayload: (payload: string) => void) => Promise<() => Promise<void>>;

interface Waiter {
  since: number;
  wake: () => void;
}

/**
 * Knows the head of the public log and wakes long-polls the moment it moves. NOTIFY (sent by
 * every appender, from any API process) makes it instant; a slow re-read of the head covers
 * notifications missed while the LISTEN connection was down.
 */
export class LogWatcher {
  readonly #db: Kysely<DB>;
  readonly #listen: Listen | undefined;
  readonly #pollMs: number;
  readonly #waiters = new Set<Waiter>();
  readonly #advanceListeners = new Set<(head: number) => void>();
  #head = 0;
  #unsubscribe: (() => Promise<void>) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(db: Kysely<DB>, listen: Listen | undefined, pollMs = 1000) {
    this.#db = db;
    this.#listen = listen;
    this.#pollMs = listen ? pollMs : Math.min(pollMs, 50);
  }

  async start(): Promise<void> {
    if (this.#listen) this.#unsubscribe = await this.#listen(LOG_CHANNEL, (payload) => this.#advance(Number(payload)));
    this.#timer = setInterval(() => void this.#refresh(), this.#pollMs);
    this.#timer.unref();
    await this.#refresh();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    for (const w of this.#waiters) w.wake();
    this.#waiters.clear();
    await this.#unsubscribe?.();
  }

  /** Resolves once the head is beyond `since`, after `timeoutMs`, or when `signal` aborts, whichever comes first. */
  waitBeyond(since: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.#head > since || timeoutMs <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        since,
        wake: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', waiter.wake);
          this.#waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, timeoutMs);
      signal?.addEventListener('abort', waiter.wake, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** The newest head seen (0 before the first read). */
  get head(): number {
    return this.#head;
  }

  /**
   * This process committed entries up to `seq` (an approval answered): the head is known to
   * have moved without waiting for NOTIFY or the poll, so the in-process check copy is not
   * taken as current while it is behind what this process's own client was just told.
   */
  appended(seq: number): void {
    this.#advance(seq);
  }

  /** Calls `listener` with the new head each time it moves; returns the unsubscribe. */
  onAdvance(listener: (head: number) => void): () => void {
    this.#advanceListeners.add(listener);
    return () => this.#advanceListeners.delete(listener);
  }

  async #refresh(): Promise<void> {
    try {
      this.#advance((await logHead(this.#db)).seq);
    } catch {
      // database away; the next tick tries again
    }
  }

  #advance(seq: number): void {
    if (!Number.isFinite(seq) || seq <= this.#head) return;
    this.#head = seq;
    for (const w of this.#waiters) if (seq > w.since) w.wake();
    for (const listener of this.#advanceListeners) listener(seq);
  }
}
