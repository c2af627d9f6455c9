import { rpzRuleText, rpzZoneHeader, type RpzCoverContext } from '@tizilim/shared';
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
 * `apex_ruled`: a suffix row whose apex name also has an exact rule. That rule alone writes the
 * apex's record (exact wins, as in the gateway), so one owner never carries two CNAMEs.
 */
export function rpzLines(row: Omit<RpzRuleRow, 'id' | 'apex_ruled'> & { apex_ruled?: boolean | null }, context?: RpzCoverContext): string {
  const rule = {
    kind: row.kind,
    value: row.value,
    mode: row.mode,
    entry: Number(row.add_seq ?? 0),
    until: row.ends_at ? row.ends_at.toISOString() : undefined,
  };
  return rpzRuleText(rule, row.apex_ruled ? (key) => key === `domain ${row.value}` : undefined, context);
}
