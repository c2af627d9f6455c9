import { decodeStrictBase64 } from '../public-log/signing-key.js';
import { HASH_SIZE } from './merkle-hash.js';

/**
 * C2SP tlog-checkpoint §"Note text": the origin line, the tree size in decimal (no leading
 * zeros), the base64 root hash, then optional extension lines; each line ends in a newline.
 * Signed and verified as a note (note.ts).
 */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
  extensions: string[];
}

export function formatCheckpoint({ origin, size, root, extensions = [] }: { origin: string; size: number; root: Uint8Array; extensions?: string[] }): string {
  if (root.length !== HASH_SIZE) throw new RangeError('checkpoint root must be 32 bytes');
  return [origin, String(size), Buffer.from(root).toString('base64'), ...extensions].map((l) => `${l}\n`).join('');
}

/** Parses the note text of a checkpoint; null when it is not one. */
export function parseCheckpoint(text: string): Checkpoint | null {
  if (!text.endsWith('\n')) return null;
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) return null;
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '' || !/^(0|[1-9][0-9]{0,15})$/.test(sizeText)) return null;
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return null;
  const root = decodeStrictBase64(rootText);
  if (root?.length !== HASH_SIZE) return null;
  if (extensions.some((l) => l === '')) return null;
  return { origin, size, root, extensions };
}
