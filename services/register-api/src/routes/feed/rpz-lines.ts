import { rpzOriginWireLength, rpzRuleKey, rpzRuleText, rpzZoneHeader, type RpzCoverContext } from '@tizilim/shared';
import type { RpzRuleRow } from '../../repositories/feed-repository.js';

/**
 * `/v1/feed/rpz` in text: the zone content itself is defined once in `packages/shared/src/rpz`
 * (the gateway's zone transfers write the same records in wire form); this only maps the
 * register's row onto it.
 */
export function rpzHeader(origin: string, serial: number): string {
  return rpzZoneHeader(origin, serial);
}

/**
 * `shadowed` (rpzRulesQuery): a more specific rule in force writes this rule's first owner (a
 * suffix's apex, a /32's address). The rule text then leaves it to that rule, as the gateway's
 * zone does (rpzWrittenRecords), so one owner never carries two CNAMEs.
 */
export function rpzLines(
  row: Omit<RpzRuleRow, 'id' | 'shadowed'> & { shadowed?: boolean | null }, context?: RpzCoverContext, origin?: string,
): string {
  const rule = {
    kind: row.kind,
    value: row.value,
    mode: row.mode,
    entry: Number(row.add_seq ?? 0),
    until: row.ends_at ? row.ends_at.toISOString() : undefined,
  };
  const own = rpzRuleKey(rule);
  // Every rival more specific than this rule is "present": exactly what `shadowed` says.
  return rpzRuleText(rule, row.shadowed ? (key) => key !== own : undefined, context,
    origin === undefined ? undefined : rpzOriginWireLength(origin));
}
