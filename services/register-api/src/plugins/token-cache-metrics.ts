import { Counter, Gauge, type Registry } from 'prom-client';
import type { TokenCache } from '../auth/token-cache.js';

/**
 * The in-memory tokens requests are authenticated against: how many are held, how often they
 * were reloaded (each revocation, disabling or new user on any API process causes one), and
 * how old the copy is, so a stuck refresh shows before a revoked token lingers.
 */
export function registerTokenCacheMetrics(registry: Registry, cache: TokenCache): void {
  new Gauge({
    name: 'register_auth_tokens_cached',
    help: 'Valid API tokens held in memory for authentication',
    registers: [registry],
    collect() {
      this.set(cache.size);
    },
  });
  new Counter({
    name: 'register_auth_reloads_total',
    help: 'Reloads of the in-memory tokens (NOTIFY from the database, or a moved fingerprint)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cache.reloads);
    },
  });
  new Gauge({
    name: 'register_auth_copy_age_seconds',
    help: 'Seconds since the in-memory tokens were last confirmed current (reload or fingerprint check)',
    registers: [registry],
    collect() {
      this.set(cache.confirmedAt === 0 ? -1 : (Date.now() - cache.confirmedAt) / 1000);
    },
  });
}
