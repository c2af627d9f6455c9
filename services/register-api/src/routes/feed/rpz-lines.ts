import { rpzRuleText, rpzZoneHeader } from '@tizilim/shared';
import type { ActiveRpzRuleRow } from '../../repositories/feed-repository.js';

/**
 * `/v1/feed/rpz` in text: the zone content itself is defined once in `packages/shared/src/rpz`
 * (the gateway's zone transfers write the same records in wire form); this only maps the
 * register's row onto it.
 */
export function rpzHeader(origin: string, serial: number): string {
  return rpzZoneHeader(origin, serial);
}

export function rpzLines(row: Omit<ActiveRpzRuleRow, 'id' | 'apex_taken'> & { apex_taken?: boolean }): string {
  const rule = {
    kind: row.kind,
    value: row.value,
    mode: row.mode,
    entry: Number(row.add_seq ?? 0),
    until: row.ends_at ? row.ends_at.toISOString() : undefined,
  };
  return rpzRuleText(rule, row.apex_taken ? (key) => key === `domain ${row.value}` : undefined);
}
