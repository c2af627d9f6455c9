import type { DumpDecisionGroup, DumpRow } from './dump-types.js';

/**
 * Rows citing the same document (authority, number, date) become one decision group, in the
 * order each group first appears; its resources are deduplicated across the rows.
 */
export function groupDumpRows(rows: readonly DumpRow[]): DumpDecisionGroup[] {
  const groups = new Map<string, { group: DumpDecisionGroup; seen: Set<string> }>();
  for (const row of rows) {
    // JSON keeps the three fields apart whatever characters they hold.
    const key = JSON.stringify([row.authority, row.documentNumber, row.date]);
    let entry = groups.get(key);
    if (!entry) {
      entry = { group: { authority: row.authority, documentNumber: row.documentNumber, date: row.date, lines: [], resources: [] }, seen: new Set() };
      groups.set(key, entry);
    }
    entry.group.lines.push(row.line);
    for (const resource of row.resources) {
      if (entry.seen.has(resource)) continue;
      entry.seen.add(resource);
      entry.group.resources.push(resource);
    }
  }
  return Array.from(groups.values(), (e) => e.group);
}
