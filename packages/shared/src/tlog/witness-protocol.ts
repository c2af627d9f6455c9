import { decodeStrictBase64 } from '../public-log/signing-key.js';
import { HASH_SIZE } from './merkle-hash.js';

/**
 * C2SP tlog-witness §"add-checkpoint": `POST <prefix>/add-checkpoint` with the body
 *   "old <size>\n", up to 63 base64 consistency-proof lines, "\n", then the signed checkpoint.
 * Answers: 200 with cosignature lines; 409 (text/x.tlog.size, the witness's size) when `old`
 * is not what the witness has, or the same size with another root; 422 when the proof fails;
 * 403 when no trusted signature verifies; 404 for an unknown origin; 400 for a bad body.
 */
export const MAX_PROOF_LINES = 63;
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Buffer[];
  /** The whole signed note. */
  checkpoint: string;
}

export function formatAddCheckpoint({ oldSize, proof, checkpoint }: AddCheckpointRequest): string {
  return `old ${oldSize}\n${proof.map((h) => `${h.toString('base64')}\n`).join('')}\n${checkpoint}`;
}

/** Parses a request body; throws an Error with a message fit for a 400 answer. */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const blank = body.indexOf('\n\n');
  if (blank < 0) throw new Error('expected "old <size>", proof lines, a blank line, then the checkpoint');
  const head = body.slice(0, blank).split('\n');
  const m = /^old (0|[1-9][0-9]{0,15})$/.exec(head[0] ?? '');
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw new Error('first line must be "old <size>" in decimal');
  const lines = head.slice(1);
  if (lines.length > MAX_PROOF_LINES) throw new Error(`more than ${MAX_PROOF_LINES} consistency proof lines`);
  const proof = lines.map((line, i) => {
    const hash = decodeStrictBase64(line);
    if (hash?.length !== HASH_SIZE) throw new Error(`proof line ${i + 1} is not base64 of a 32-byte hash`);
    return hash;
  });
  return { oldSize: Number(m[1]), proof, checkpoint: body.slice(blank + 2) };
}

/** Parses a 409 answer's body: the size the witness last cosigned. */
export function parseTlogSize(body: string): number | null {
  const m = /^(0|[1-9][0-9]{0,15})\n$/.exec(body);
  return m && Number.isSafeInteger(Number(m[1])) ? Number(m[1]) : null;
}
