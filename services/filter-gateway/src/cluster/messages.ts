import type { FeedChange, FeedRule } from '@tizilim/shared';

/**
 * IPC between the primary (sync, snapshot file, metrics endpoint) and the workers (DNS).
 * Full rule sets never cross IPC: after a full reload the primary has written the snapshot
 * file and workers read it themselves; only small change batches travel as messages.
 */
export type PrimaryToWorker =
  | { type: 'tz:reload'; file: string }
  | { type: 'tz:changes'; changes: FeedChange[]; to: number }
  /** The whole set over IPC: only when the snapshot file could not be written (a full disk). */
  | { type: 'tz:replace'; rules: FeedRule[]; version: number }
  /** Stop: drain the listeners, then exit (the primary kills a worker that takes too long). */
  | { type: 'tz:drain' };

export type WorkerToPrimary =
  | { type: 'tz:hello' }
  | { type: 'tz:ready'; version: number };

export function isTzMessage(m: unknown): m is { type: string } {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string'
    && (m as { type: string }).type.startsWith('tz:');
}
