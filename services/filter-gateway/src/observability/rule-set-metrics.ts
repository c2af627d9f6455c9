import { Gauge, type Registry } from 'prom-client';
import type { RuleSet } from '../dns/rules/rule-set.js';

/**
 * Rules the register sent that this process's matcher refused (malformed values). They are
 * not enforced, so a non-zero value needs a look at the register. A gauge with `max` over the
 * cluster: every worker refuses the same rules, so a sum would count each once per worker.
 */
export function registerRuleSetMetrics(registry: Registry, rules: RuleSet): void {
  new Gauge({
    name: 'register_rules_rejected',
    help: 'Rules from the register the matcher refused since start (not enforced)',
    registers: [registry], aggregator: 'max',
    collect() { this.set(rules.rejectedRules); },
  });
  new Gauge({
    name: 'register_rules_exceptions',
    help: 'Exceptions in the rule set: restorations carved out of wider rules (mode allow), which let their names through',
    registers: [registry], aggregator: 'max',
    collect() { this.set(rules.exceptionCount); },
  });
}
