import type { Logger } from 'pino';
import { decodeStrictBase64 } from '@tizilim/shared/public-log/index';
import type { WitnessCore } from './witness-core.js';
import type { WitnessMetrics } from './witness-server.js';

/**
 * The witness does not wait to be asked: every poll it fetches each log's checkpoint and checks
 * it against what it saw before, so a rollback or a fork is caught at the next poll even when
 * the register stops asking for cosignatures.
 */
export class WitnessPoller {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly core: WitnessCore,
    private readonly logs: ReadonlyArray<{ origin: string; url: string }>,
    private readonly intervalMs: number,
    private readonly metrics: WitnessMetrics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.poll(), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass over every log; concurrent calls share it. */
  poll(): Promise<void> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<void> {
    for (const log of this.logs) {
      try {
        const response = await fetch(`${log.url}/tlog/checkpoint`, { signal: AbortSignal.timeout(10_000) });
        if (!response.ok) throw new Error(`GET /tlog/checkpoint answered ${response.status}`);
        const note = await response.text();
        const outcome = await this.core.observe(note, async (from) => {
          const to = Number(note.split('\n')[1]);
          const proof = await fetch(`${log.url}/public/v1/log/consistency?from=${from}&to=${to}`, { signal: AbortSignal.timeout(10_000) });
          if (!proof.ok) return null;
          const { hashes } = (await proof.json()) as { hashes?: unknown };
          if (!Array.isArray(hashes)) return null;
          const decoded = hashes.map((h) => (typeof h === 'string' ? decodeStrictBase64(h) : null));
          return decoded.every((h) => h?.length === 32) ? (decoded as Buffer[]) : null;
        });
        this.metrics.polls.inc({ origin: log.origin, outcome });
        if (outcome === 'invalid') this.logger.warn({ origin: log.origin, url: log.url }, 'polled checkpoint does not verify');
      } catch (err) {
        this.metrics.polls.inc({ origin: log.origin, outcome: 'unreachable' });
        this.logger.warn({ origin: log.origin, url: log.url, err: { message: (err as Error).message } }, 'log unreachable');
      }
    }
  }
}
