import type { FeedRule, LogEntryBody } from '@tizilim/shared';
import type { ActiveRuleRow } from '../../repositories/feed-repository.js';

/** The snapshot's first line: which version the lines after it are, and how many. */
export function snapshotHeader(version: number, count: number): string {
  return `${JSON.stringify({ version, count, generatedAt: new Date().toISOString() })}\n`;
}

/** One NDJSON line of the snapshot, built by hand: this runs a million times per snapshot. */
export function snapshotLine(row: ActiveRuleRow): string {
  const until = row.ends_at ? `,"until":"${row.ends_at.toISOString()}"` : '';
  return `{"id":"${row.id}","kind":"${row.kind}","value":${JSON.stringify(row.value)},"mode":"${row.mode}"${until},"entry":${Number(row.add_seq ?? 0)}}\n`;
}

export function snapshotRule(row: ActiveRuleRow): FeedRule {
  return {
    id: row.id,
    kind: row.kind,
    value: row.value,
    mode: row.mode,
    ...(row.ends_at ? { until: row.ends_at.toISOString() } : {}),
    entry: Number(row.add_seq ?? 0),
  };
}

export function changeFromLogRow(row: { seq: number; op: 'add' | 'remove'; body: string; id: string; kind: FeedRule['kind']; value: string }) {
  const body = JSON.parse(row.body) as LogEntryBody;
  return {
    seq: Number(row.seq),
    op: row.op,
    id: row.id,
    kind: row.kind,
    value: row.value,
    mode: body.mode,
    ...(body.until ? { until: body.until } : {}),
    entry: Number(row.seq),
  };
}
