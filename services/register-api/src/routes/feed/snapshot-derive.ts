import type { Kysely } from 'kysely';
import type { FileHandle } from 'node:fs/promises';
import type { DB } from '../../db/schema.js';
import { changesSince, type ActiveRuleRow } from '../../repositories/feed-repository.js';
import { changeFromLogRow } from './feed-lines.js';
import { SNAPSHOT_BUFFER } from './snapshot-cache.js';

/** Log entries read per query while collecting the changes between two versions. */
const PAGE = 5_000;

/** What turns the snapshot of one version into the next: rules gone (by resource id), and rules added, in log order. */
export interface SnapshotStep {
  removed: Set<string>;
  added: ActiveRuleRow[];
}

/**
 * The changes between versions `from` and `to` as a snapshot sees them. A rule added and
 * removed again in between never shows; one removed and added again leaves its old line and
 * gets a new one at the end, where its newer entry puts it. Undefined when the log does not
 * reach `to` (it always should).
 */
export async function snapshotStep(db: Kysely<DB>, from: number, to: number): Promise<SnapshotStep | undefined> {
  const removed = new Set<string>();
  const added = new Map<string, ActiveRuleRow>();
  let at = from;
  while (at < to) {
    const rows = await changesSince(db, at, Math.min(PAGE, to - at));
    if (rows.length === 0) return undefined;
    for (const row of rows) {
      const c = changeFromLogRow(row);
      if (c.seq > to) return undefined;
      if (c.op === 'add') {
        added.delete(c.id);
        added.set(c.id, { id: c.id, kind: c.kind, value: c.value, mode: c.mode, ends_at: c.until ? new Date(c.until) : null, add_seq: c.entry });
      } else if (!added.delete(c.id)) {
        removed.add(c.id);
      }
      at = c.seq;
    }
  }
  return { removed, added: [...added.values()] };
}

/**
 * The rule lines of a snapshot file (its header line skipped), without the lines of the
 * resources in `drop`, as slices of what was read. Counts what it dropped in `dropped.n`, so
 * the caller can tell the file and the step did not fit together.
 */
export async function* keptLines(file: FileHandle, drop: ReadonlySet<string>, dropped: { n: number }): AsyncGenerator<Buffer> {
  let rest: Buffer | undefined;
  let inHeader = true;
  for await (const chunk of file.createReadStream({ highWaterMark: SNAPSHOT_BUFFER }) as AsyncIterable<Buffer>) {
    let buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = undefined;
    if (inHeader) {
      const nl = buf.indexOf(10);
      if (nl < 0) { rest = buf; continue; }
      buf = buf.subarray(nl + 1);
      inHeader = false;
    }
    const last = buf.lastIndexOf(10);
    if (last < 0) { rest = buf; continue; }
    if (last + 1 < buf.length) rest = Buffer.from(buf.subarray(last + 1));
    const whole = buf.subarray(0, last + 1);
    if (drop.size === 0) { yield whole; continue; }
    let keepFrom = 0;
    for (let pos = 0; pos < whole.length; ) {
      const nl = whole.indexOf(10, pos);
      // Every line starts {"id":"<resource id>", as snapshotLine writes it.
      const idEnd = whole.indexOf(34, pos + 7);
      if (drop.has(whole.toString('latin1', pos + 7, idEnd))) {
        if (pos > keepFrom) yield whole.subarray(keepFrom, pos);
        keepFrom = nl + 1;
        dropped.n++;
      }
      pos = nl + 1;
    }
    if (keepFrom < whole.length) yield whole.subarray(keepFrom);
  }
  if (rest && rest.length > 0) throw new Error('snapshot file does not end with a complete line');
}
