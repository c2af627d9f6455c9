import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { SignedCheckpoint } from '../public-log-types.js';
import { ChainVerifier, type VerifyResult } from './chain-verifier.js';
import { LogSourceError } from './log-source-error.js';

/**
 * Verifies a log saved as NDJSON: one `PublicLogEntry` per line in seq order, and optionally
 * one line `{"checkpoint": SignedCheckpoint}` anywhere. Blank lines are ignored.
 * Throws LogSourceError when the file cannot be read or holds more than one checkpoint.
 */
export async function verifyLogFile(path: string, opts: { expectedPublicKey?: string } = {}): Promise<VerifyResult> {
  // The checkpoint may come after the entry it vouches for, and the verifier keeps no past
  // hashes, so it is found in a first pass; reading twice keeps memory flat for any log size.
  const checkpoint = await findCheckpoint(path);
  const verifier = new ChainVerifier({ ...opts, ...(checkpoint ? { checkpoint } : {}) });
  for await (const { text, lineNumber } of lines(path)) {
    const parsed = parseLine(text);
    if (parsed === undefined) {
      if (!verifier.pushUnreadable(`line ${lineNumber} is not JSON`)) break;
      continue;
    }
    if (isCheckpointLine(parsed)) continue;
    if (!verifier.push(parsed)) break;
  }
  return verifier.finish();
}

async function findCheckpoint(path: string): Promise<SignedCheckpoint | null> {
  let found: { checkpoint: SignedCheckpoint; lineNumber: number } | null = null;
  for await (const { text, lineNumber } of lines(path)) {
    // Parsing only candidate lines keeps the first pass cheap.
    if (!text.includes('"checkpoint"')) continue;
    const parsed = parseLine(text);
    if (parsed === undefined || !isCheckpointLine(parsed)) continue;
    if (found) {
      throw new LogSourceError(`${path}: checkpoints on lines ${found.lineNumber} and ${lineNumber}; expected at most one`);
    }
    found = { checkpoint: parsed.checkpoint as SignedCheckpoint, lineNumber };
  }
  return found?.checkpoint ?? null;
}

async function* lines(path: string): AsyncGenerator<{ text: string; lineNumber: number }> {
  try {
    await access(path);
  } catch {
    throw new LogSourceError(`cannot read ${path}`);
  }
  const reader = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const text of reader) {
      lineNumber++;
      if (text.trim() !== '') yield { text, lineNumber };
    }
  } catch (error) {
    throw new LogSourceError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    reader.close();
  }
}

function parseLine(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isCheckpointLine(value: unknown): value is { checkpoint: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, 'checkpoint');
}
