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
        const outcome = await this.core.observe(note, (from) => fetchConsistencyProof(log.url, from, Number(note.split('\n')[1])));
        this.metrics.polls.inc({ origin: log.origin, outcome });
        if (outcome === 'invalid') this.logger.warn({ origin: log.origin, url: log.url }, 'polled checkpoint does not verify');
      } catch (err) {
        this.metrics.polls.inc({ origin: log.origin, outcome: 'unreachable' });
        this.logger.warn({ origin: log.origin, url: log.url, err: { message: (err as Error).message } }, 'log unreachable');
      }
    }
  }
}

/**
 * The consistency proof from `from` to `to`, as the log serves it. A proof the witness could not
 * get (an error status such as 429 or 503, a timeout, a body that is not a proof) is no evidence
 * against the log: it throws, and the poll counts as "unreachable" and is retried. Only a proof
 * that was served and does not verify is a fork.
 */
export async function fetchConsistencyProof(url: string, from: number, to: number): Promise<Buffer[]> {
  const where = `GET /public/v1/log/consistency?from=${from}&to=${to}`;
  const response = await fetch(`${url}/public/v1/log/consistency?from=${from}&to=${to}`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${where} answered ${response.status}`);
  const { hashes } = (await response.json().catch(() => ({}))) as { hashes?: unknown };
  if (!Array.isArray(hashes)) throw new Error(`${where}: the answer holds no "hashes" array`);
  const decoded = hashes.map((h) => (typeof h === 'string' ? decodeStrictBase64(h) : null));
  if (!decoded.every((h) => h?.length === 32)) throw new Error(`${where}: a hash is not base64 of 32 bytes`);
  return decoded as Buffer[];
}
