import { rpzRuleText, rpzZoneHeader } from '@tizilim/shared';
import type { ActiveRuleRow } from '../../repositories/feed-repository.js';

/**
 * `/v1/feed/rpz` in text: the zone content itself is defined once in `packages/shared/src/rpz`
 * (the gateway's zone transfers write the same records in wire form); this only maps the
 * register's row onto it.
 */
export function rpzHeader(origin: string, serial: number): string {
  return rpzZoneHeader(origin, serial);
}

export function rpzLines(row: ActiveRuleRow): string {
  return rpzRuleText({
    kind: row.kind,
    value: row.value,
    mode: row.mode,
    entry: Number(row.add_seq ?? 0),
    until: row.ends_at ? row.ends_at.toISOString() : undefined,
  });
}
