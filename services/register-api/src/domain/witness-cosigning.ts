import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  TLOG_SIZE_CONTENT_TYPE, consistencyPath, cosignatureVerifier, ed25519NoteVerifier, formatAddCheckpoint, openNote,
  parseTlogSize, type NoteVerifier,
} from '@tizilim/shared/tlog/index';
import type { DB } from '../db/schema.js';
import { withStoredNodes } from '../repositories/tlog-repository.js';
import type { SignedTreeHead } from './tlog-checkpoints.js';

/** One witness the register asks to cosign: LOG_WITNESS_URLS[i] with LOG_WITNESS_KEYS[i]. */
export interface WitnessConfig {
  url: string;
  verifier: NoteVerifier;
}

/** Pairs the two comma-separated lists by position; throws naming the variable at fault. */
export function parseWitnessConfig(urls: string | undefined, keys: string | undefined): WitnessConfig[] {
  const u = (urls ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const k = (keys ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (u.length !== k.length) throw new Error(`LOG_WITNESS_URLS names ${u.length} witnesses but LOG_WITNESS_KEYS has ${k.length} keys`);
  return u.map((url, i) => {
    const verifier = cosignatureVerifier(k[i]!);
    if (!verifier) throw new Error(`LOG_WITNESS_KEYS[${i}] is not a tlog-cosignature Ed25519 verifier key (name+id+base64(0x04 ‖ key))`);
    if (!/^https?:\/\//.test(url)) throw new Error(`LOG_WITNESS_URLS[${i}] must be an http(s) URL`);
    return { url: url.replace(/\/+$/, ''), verifier };
  });
}

export type CosignOutcome = 'cosigned' | 'conflict' | 'refused' | 'unreachable';

/**
 * tlog-witness add-checkpoint for one witness: from the size it last cosigned for us (0 at
 * first), with the consistency proof to the new checkpoint. A 409 tells the witness's size; we
 * retry once from there. A cosignature is stored only when it verifies under the configured
 * key; a witness that refuses is logged loudly and never blocks the log.
 */
export async function requestCosignature(db: Kysely<DB>, logVerifierKey: string, head: SignedTreeHead, witness: WitnessConfig, logger: Logger): Promise<CosignOutcome> {
  const last = await db.selectFrom('tlog_cosignatures').select((eb) => eb.fn.max('tree_size').as('size')).where('witness', '=', witness.verifier.name).executeTakeFirst();
  let oldSize = last?.size == null ? 0 : Math.min(Number(last.size), head.treeSize);
  for (let attempt = 0; attempt < 2; attempt++) {
    const proof = await withStoredNodes(db, (read) => consistencyPath(read, oldSize, head.treeSize).map((h) => Buffer.from(h)));
    let response: Response;
    try {
      response = await fetch(`${witness.url}/add-checkpoint`, {
        method: 'POST',
        body: formatAddCheckpoint({ oldSize, proof, checkpoint: head.note }),
        signal: AbortSignal.timeout(5000),
      });
    } catch (err) {
      logger.warn({ witness: witness.url, err: { message: (err as Error).message } }, 'witness unreachable');
      return 'unreachable';
    }
    const body = await response.text();
    if (response.status === 409 && response.headers.get('content-type')?.startsWith(TLOG_SIZE_CONTENT_TYPE)) {
      const theirs = parseTlogSize(body);
      if (theirs !== null && theirs !== oldSize && theirs <= head.treeSize && attempt === 0) {
        oldSize = theirs;
        continue;
      }
    }
    if (response.status !== 200) {
      logger.error({ witness: witness.url, status: response.status, body: body.slice(0, 200), treeSize: head.treeSize, oldSize }, 'witness refused to cosign the checkpoint');
      return response.status === 409 ? 'conflict' : 'refused';
    }
    const logVerifier = ed25519NoteVerifier(logVerifierKey)!;
    try {
      const opened = openNote(head.note + body, [logVerifier, witness.verifier]);
      const line = body.split('\n').find((l) => l.startsWith(`\u2014 ${witness.verifier.name} `));
      if (!opened.verified.some((s) => s.name === witness.verifier.name) || !line) throw new Error('no cosignature by the configured key');
      await db.insertInto('tlog_cosignatures').values({ tree_size: head.treeSize, witness: witness.verifier.name, line: `${line}\n` })
        .onConflict((oc) => oc.columns(['tree_size', 'witness']).doNothing()).execute();
      logger.info({ witness: witness.verifier.name, treeSize: head.treeSize }, 'checkpoint cosigned');
      return 'cosigned';
    } catch (err) {
      logger.error({ witness: witness.url, err: { message: (err as Error).message } }, 'witness answered with a cosignature that does not verify');
      return 'refused';
    }
  }
  return 'conflict';
}

