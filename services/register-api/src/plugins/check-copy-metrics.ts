import { Gauge, type Registry } from 'prom-client';
import type { ActiveRules } from '../domain/active-rules.js';

/**
 * The in-memory copy public checks are answered from: the register version it holds (-1 while
 * it is not ready and checks go to the database), so operators and benchmarks can tell.
 */
export function registerCheckCopyMetrics(registry: Registry, rules: ActiveRules): void {
  new Gauge({
    name: 'register_check_copy_version',
    help: 'Register version the in-memory copy for public checks holds; -1 while not ready (checks use the database)',
    registers: [registry],
    collect() {
      this.set(rules.ready ? rules.version : -1);
    },
  });
}
