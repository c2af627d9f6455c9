import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FeedRule } from '@tizilim/shared';
import { readSnapshotStream, snapshotHeaderLine, type Snapshot } from './snapshot-codec.js';

export const SNAPSHOT_FILE = 'snapshot.ndjson';

export function snapshotPath(dataDir: string): string {
  return path.join(dataDir, SNAPSHOT_FILE);
}

/** The last snapshot on disk, undefined when there is none; throws when it is damaged. */
export async function readSnapshotFile(file: string): Promise<Snapshot | undefined> {
  const stream = createReadStream(file);
  try {
    await new Promise<void>((resolve, reject) => { stream.once('open', () => resolve()); stream.once('error', reject); });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return readSnapshotStream(stream);
}

/**
 * Writes the rules beside the target and renames over it, after an fsync: a crash or a
 * concurrent reader sees the old file or the new one, never a torn one.
 */
export async function writeSnapshotFile(file: string, version: number, rules: Iterable<FeedRule>, count: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'w');
  try {
    let chunk = snapshotHeaderLine(version, count) + '\n';
    for (const r of rules) {
      chunk += JSON.stringify(r) + '\n';
      if (chunk.length > 1 << 16) { await fh.write(chunk); chunk = ''; }
    }
    if (chunk) await fh.write(chunk);
    await fh.sync();
    await fh.close();
    await rename(tmp, file);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  // Make the rename itself durable.
  const dir = await open(path.dirname(file), 'r').catch(() => undefined);
  if (dir) { await dir.sync().catch(() => undefined); await dir.close(); }
}

/**
 * Removes the temporary files of writes that never reached their rename (the process was
 * killed mid-write). Only this process writes here, and it has not started writing yet.
 */
export async function removeStaleTemps(file: string): Promise<number> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.tmp-`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const stale = names.filter((n) => n.startsWith(prefix));
  await Promise.all(stale.map((n) => rm(path.join(dir, n), { force: true })));
  return stale.length;
}
