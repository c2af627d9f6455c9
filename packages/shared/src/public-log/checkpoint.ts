import { sign, verify, type KeyObject } from 'node:crypto';
import type { SignedCheckpoint } from '../public-log-types.js';
import { canonicalJson } from './canonical-json.js';
import { decodeStrictBase64, publicKeyFromBase64, publicKeyToBase64 } from './signing-key.js';

/** The log head a checkpoint vouches for. */
export interface CheckpointHead {
  seq: number;
  hash: string;
  time: string;
}

/** The signed bytes: UTF-8 of canonicalJson({hash, seq, time}), nothing else. */
export function checkpointMessage({ seq, hash, time }: CheckpointHead): Uint8Array {
  return Buffer.from(canonicalJson({ seq, hash, time }), 'utf8');
}

export function signCheckpoint(privateKey: KeyObject, head: CheckpointHead): SignedCheckpoint {
  // Ed25519 hashes internally, so Node takes no digest name (null).
  const signature = sign(null, checkpointMessage(head), privateKey);
  return {
    seq: head.seq,
    hash: head.hash,
    time: head.time,
    signature: signature.toString('base64'),
    publicKey: publicKeyToBase64(privateKey),
  };
}

/**
 * True when `cp.signature` is a valid Ed25519 signature by `cp.publicKey` over the head.
 * This proves only who signed; whether that key is the register's is for the caller to pin.
 * Malformed input (wrong types, bad base64, wrong lengths) yields false rather than throwing,
 * because checkpoints arrive from the network.
 */
export function verifyCheckpoint(cp: SignedCheckpoint): boolean {
  if (typeof cp !== 'object' || cp === null) return false;
  const { seq, hash, time, signature, publicKey } = cp as Partial<Record<keyof SignedCheckpoint, unknown>>;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return false;
  if (typeof hash !== 'string' || typeof time !== 'string') return false;
  if (typeof signature !== 'string' || typeof publicKey !== 'string') return false;
  const key = publicKeyFromBase64(publicKey);
  const rawSignature = decodeStrictBase64(signature);
  if (!key || rawSignature?.length !== 64) return false;
  try {
    return verify(null, checkpointMessage({ seq, hash, time }), key, rawSignature);
  } catch {
    return false;
  }
}
