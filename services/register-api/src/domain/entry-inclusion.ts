import type { FastifyInstance } from 'fastify';
import { RegisterError } from '../errors/error-catalogue.js';

/**
 * An entry's inclusion proof against the latest signed checkpoint, as the JSON entry and the
 * entry page both show it; null while no checkpoint covers the entry yet.
 */
export async function entryInclusionProof(app: FastifyInstance, seq: number): Promise<{ treeSize: number; leafIndex: number; hashes: string[] } | null> {
  try {
    const { treeSize, leafIndex, hashes } = await app.tlog.inclusionProof(seq);
    return { treeSize, leafIndex, hashes };
  } catch (err) {
    if (err instanceof RegisterError && err.kind === 'NOT_FOUND') return null;
    throw err;
  }
}
