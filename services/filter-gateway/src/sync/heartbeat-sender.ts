import { Pool } from 'undici';
import type { Logger } from 'pino';

/**
 * Heartbeats to the register: every HEARTBEAT_INTERVAL_MS the gateway says which register
 * version it enforces, how many rules it holds and its running query totals, so the ministry
 * and the public can see which ISP enforces what and how far behind it is. One sender per
 * gateway (the single process, or the cluster primary); a register that cannot be reached
 * changes nothing about enforcement, and failures are logged once per change of state.
 */

export interface HeartbeatSource {
  /** Register version enforced; negative before the first sync. */
  version(): number;
  rules(): number;
  /** The gateway's metrics in Prometheus text form; query totals are read from it. */
  metrics(): Promise<string>;
}

export interface HeartbeatOptions {
  registerUrl: string;
  token: string;
  gatewayId: string;
  intervalMs: number;
  /** Per request; a register slower than this counts as unreachable for that beat. */
  timeoutMs?: number;
}

export interface HeartbeatBody {
  gatewayId: string;
  version: number;
  rules: number;
  counters: Record<string, number>;
}

/** The register's own rule for gateway ids, so a bad GATEWAY_ID is refused at start, not on every beat. */
export const GATEWAY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `${hostname}-${dnsPort}`, reduced to the characters a gateway id may hold. */
export function defaultGatewayId(hostname: string, dnsPort: number): string {
  const suffix = `-${dnsPort}`;
  const host = hostname.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64 - suffix.length);
  return `${host || 'gateway'}${suffix}`;
}

/** Totals of `dns_queries_total` by result, summed over transports (and over workers, in cluster output). */
export function queryTotalsByResult(exposition: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const m of exposition.matchAll(/^dns_queries_total\{([^}]*)\}\s+(\S+)/gm)) {
    const result = /(?:^|,)result="([^"]*)"/.exec(m[1]!)?.[1];
    const n = Number(m[2]);
    if (!result || !Number.isFinite(n) || !/^[a-z][a-z0-9_]{0,47}$/.test(result)) continue;
    totals[result] = (totals[result] ?? 0) + Math.max(0, Math.round(n));
  }
  // Every series is exported from the first scrape on, most at zero: send only what happened.
  for (const [k, v] of Object.entries(totals)) if (v === 0) delete totals[k];
  return totals;
}

export class HeartbeatSender {
  readonly #pool: Pool;
  readonly #path: string;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #inFlight: Promise<boolean> | undefined;
  /** What went wrong last time (null: the last beat arrived; undefined: none sent yet). */
  #failure: string | null | undefined;

  constructor(
    private readonly opts: HeartbeatOptions,
    private readonly source: HeartbeatSource,
    private readonly log: Logger,
  ) {
    const base = new URL(opts.registerUrl.endsWith('/') ? opts.registerUrl : `${opts.registerUrl}/`);
    this.#path = new URL('v1/gateways/heartbeat', base).pathname;
    this.#pool = new Pool(base.origin, { connections: 1, connectTimeout: opts.timeoutMs ?? 5_000 });
  }

  /** Beats now, then every interval; the timer never keeps the process alive. */
  start(): void {
    if (this.#timer) return;
    void this.beat();
    this.#timer = setInterval(() => void this.beat(), this.opts.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#pool.close();
  }

  /** One heartbeat; true when the register took it. Never throws. A beat still in flight is not doubled. */
  beat(): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    this.#inFlight ??= this.#send().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  async body(): Promise<HeartbeatBody> {
    let counters: Record<string, number> = {};
    try {
      counters = queryTotalsByResult(await this.source.metrics());
    } catch {
      // metrics unavailable for a moment (a worker restarting): the version still matters, send without totals
    }
    return { gatewayId: this.opts.gatewayId, version: Math.max(0, this.source.version()), rules: this.source.rules(), counters };
  }

  async #send(): Promise<boolean> {
    try {
      const timeout = this.opts.timeoutMs ?? 5_000;
      const res = await this.#pool.request({
        method: 'POST',
        path: this.#path,
        headers: { authorization: `Bearer ${this.opts.token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(await this.body()),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        this.#failed(`register answered ${res.statusCode}`, { status: res.statusCode, code: errorCode(text) });
        return false;
      }
      if (this.#failure) this.log.info('heartbeats reach the register again');
      else if (this.#failure === undefined) this.log.info({ gatewayId: this.opts.gatewayId }, 'heartbeats reach the register');
      this.#failure = null;
      return true;
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown };
      this.#failed(typeof e.code === 'string' ? e.code : String(e.message ?? err), { err: { message: String(e.message ?? err), code: e.code } });
      return false;
    }
  }

  #failed(reason: string, detail: Record<string, unknown>): void {
    if (this.#failure !== reason) this.log.warn({ ...detail, gatewayId: this.opts.gatewayId }, `heartbeat not delivered (${reason}); enforcement goes on, will keep trying`);
    this.#failure = reason;
  }
}

function errorCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** The sender for this gateway, started; none without ISP_TOKEN (nothing to authenticate with). */
export function startHeartbeats(
  cfg: { registerUrl: string; ispToken?: string | undefined; gatewayId: string; heartbeatIntervalMs: number },
  source: HeartbeatSource,
  log: Logger,
): HeartbeatSender | undefined {
  if (!cfg.ispToken) {
    log.info('ISP_TOKEN is not set: no heartbeats to the register');
    return undefined;
  }
  const sender = new HeartbeatSender(
    { registerUrl: cfg.registerUrl, token: cfg.ispToken, gatewayId: cfg.gatewayId, intervalMs: cfg.heartbeatIntervalMs },
    source,
    log,
  );
  sender.start();
  return sender;
}
