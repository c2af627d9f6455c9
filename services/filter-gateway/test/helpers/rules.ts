import type { FeedRule } from '@tizilim/shared';
import { snapshotPath, writeSnapshotFile } from '../../src/sync/snapshot-file.js';

export const RULES: FeedRule[] = [
  { id: 'a', kind: 'domain', value: 'blocked.kz', mode: 'restrict', entry: 101 },
  { id: 'b', kind: 'domain_suffix', value: 'evil.kz', mode: 'restrict', entry: 102 },
  // "қазақ.kz" as an A-label: rules carry the normalised form.
  { id: 'c', kind: 'domain', value: 'xn--80aa0cbo65f.kz', mode: 'restrict', entry: 103 },
  { id: 'd', kind: 'domain', value: 'paused.kz', mode: 'suspend', until: '2999-01-01T00:00:00Z', entry: 104 },
  { id: 'e', kind: 'domain', value: 'lapsed.kz', mode: 'suspend', until: '2001-01-01T00:00:00Z', entry: 105 },
];

export async function seedSnapshot(dataDir: string, rules: FeedRule[] = RULES, version = 200): Promise<void> {
  await writeSnapshotFile(snapshotPath(dataDir), version, rules, rules.length);
}
