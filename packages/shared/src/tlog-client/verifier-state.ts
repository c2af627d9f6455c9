import { readFile, rename, writeFile } from 'node:fs/promises';
import { decodeStrictBase64 } from '../public-log/signing-key.js';

/**
 * What a verifier (verify-log, a witness) remembers about one log between runs: its key and the
 * last checkpoint it verified. The next checkpoint must be consistent with it; a smaller or
 * different tree is a rollback or a fork.
 */
export interface VerifiedState {
  origin: string;
  key: string;
  size: number;
  /** base64 root hash */
  root: string;
  /** the note as verified, kept as evidence */
  checkpoint: string;
}

export async function readState(path: string): Promise<VerifiedState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const s = JSON.parse(text) as Partial<VerifiedState>;
  if (typeof s.origin !== 'string' || typeof s.key !== 'string' || !Number.isSafeInteger(s.size) || (s.size as number) < 0
    || typeof s.root !== 'string' || decodeStrictBase64(s.root)?.length !== 32 || typeof s.checkpoint !== 'string') {
    throw new Error(`state file ${path} is damaged (expected origin, key, size, root, checkpoint)`);
  }
  return s as VerifiedState;
}

/** Written to a temporary file and renamed, so a crash never leaves half a state. */
export async function writeState(path: string, state: VerifiedState): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, path);
}
