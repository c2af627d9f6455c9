import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { publicKeyToBase64 } from '../public-log/signing-key.js';
import { keyIdOf, parseVerifierKey, signatureLine, verifierKeyText, type NoteVerifier } from './note.js';

/**
 * C2SP tlog-cosignature (v1, Ed25519): a note signature by a witness over
 *   "cosignature/v1\n" ‖ "time <POSIX seconds>\n" ‖ the checkpoint's note text,
 * whose bytes are u64 big-endian timestamp ‖ 64-byte Ed25519 signature, and whose key ID uses
 * signature type 0x04 (so a cosignature can never pass for a log signature).
 */
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;

export function cosignedMessage(checkpointText: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`, 'utf8');
}

export interface Cosigner {
  name: string;
  keyId: number;
  verifierKey: string;
  /** The signature line for this checkpoint text at `timestamp` (POSIX seconds). */
  cosign(checkpointText: string, timestamp: number): string;
}

export function ed25519Cosigner(name: string, privateKey: KeyObject): Cosigner {
  if (privateKey.type !== 'private') throw new TypeError('expected an Ed25519 private key');
  const key = privateKey;
  const raw = Buffer.from(publicKeyToBase64(key), 'base64');
  const keyId = keyIdOf(name, SIGNATURE_TYPE_COSIGNATURE_V1, raw);
  return {
    name,
    keyId,
    verifierKey: verifierKeyText(name, SIGNATURE_TYPE_COSIGNATURE_V1, raw),
    cosign(text, timestamp) {
      const stamped = Buffer.alloc(8 + 64);
      stamped.writeBigUInt64BE(BigInt(timestamp), 0);
      sign(null, cosignedMessage(text, timestamp), key).copy(stamped, 8);
      return signatureLine(name, keyId, stamped);
    },
  };
}

/** A note verifier for a witness key text (type 0x04); null when the text is not one. */
export function cosignatureVerifier(keyText: string): NoteVerifier | null {
  const parsed = parseVerifierKey(keyText);
  if (!parsed || parsed.type !== SIGNATURE_TYPE_COSIGNATURE_V1) return null;
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: parsed.publicKey.toString('base64url') }, format: 'jwk' });
  return {
    name: parsed.name,
    keyId: parsed.keyId,
    verify(text, signature) {
      if (signature.length !== 72) return false;
      const timestamp = signature.readBigUInt64BE(0);
      if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) return false;
      try {
        return verify(null, cosignedMessage(text.toString('utf8'), Number(timestamp)), key, signature.subarray(8));
      } catch {
        return false;
      }
    },
  };
}
