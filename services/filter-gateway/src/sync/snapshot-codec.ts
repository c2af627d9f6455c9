import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { RESOURCE_KINDS, type FeedRule, type SnapshotHeader } from '@tizilim/shared';

export interface Snapshot {
  version: number;
  rules: FeedRule[];
}

/**
 * Reads the snapshot NDJSON (header line, then one rule a line), the same format on the
 * wire and on disk. Rejects rather than guesses: a half-read or mangled snapshot must never
 * replace the rules being enforced.
 */
export async function readSnapshotStream(input: Readable): Promise<Snapshot> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let header: SnapshotHeader | undefined;
  const rules: FeedRule[] = [];
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let obj: unknown;
    try { obj = JSON.parse(line); } catch { throw new Error(`snapshot line ${n} is not JSON`); }
    if (!header) {
      header = checkHeader(obj);
      continue;
    }
    const rule = checkRule(obj);
    if (!rule) throw new Error(`snapshot line ${n} is not a feed rule`);
    rules.push(rule);
  }
  if (!header) throw new Error('snapshot has no header line');
  if (rules.length !== header.count) {
    throw new Error(`snapshot header says ${header.count} rules, body has ${rules.length}`);
  }
  return { version: header.version, rules };
}

function checkHeader(obj: unknown): SnapshotHeader {
  const h = obj as Partial<SnapshotHeader> | null;
  if (!h || typeof h !== 'object' || !Number.isInteger(h.version) || !Number.isInteger(h.count)) {
    throw new Error('snapshot header needs integer version and count');
  }
  return { version: h.version!, count: h.count!, generatedAt: String(h.generatedAt ?? '') };
}

/** The rule with only the fields we know, or undefined. */
export function checkRule(obj: unknown): FeedRule | undefined {
  const r = obj as Partial<FeedRule> | null;
  if (!r || typeof r !== 'object') return undefined;
  if (typeof r.value !== 'string' || !RESOURCE_KINDS.includes(r.kind as FeedRule['kind'])) return undefined;
  if (r.mode !== 'restrict' && r.mode !== 'suspend' && r.mode !== 'allow') return undefined;
  if (!Number.isInteger(r.entry)) return undefined;
  const rule: FeedRule = { id: String(r.id ?? ''), kind: r.kind!, value: r.value, mode: r.mode, entry: r.entry! };
  if (typeof r.until === 'string') rule.until = r.until;
  return rule;
}

export function snapshotHeaderLine(version: number, count: number): string {
  return JSON.stringify({ version, count, generatedAt: new Date().toISOString() });
}
