import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * The service's Ed25519 checkpoint key. Two text forms are accepted wherever a key is read
 * (an environment variable or a file):
 *  - PEM PKCS#8 ("-----BEGIN PRIVATE KEY-----"), e.g. from `openssl genpkey -algorithm ed25519`;
 *  - base64 of the raw 32-byte Ed25519 seed (RFC 8032 private key), which fits on one line.
 */

// The fixed PKCS#8 DER header for an Ed25519 private key (RFC 8410 §7); the 32-byte seed follows.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function generateSigningKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

/** Reads a private key in either documented form; throws when it is not an Ed25519 key. */
export function loadSigningKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  if (trimmed.startsWith('-----BEGIN')) {
    key = createPrivateKey({ key: trimmed, format: 'pem' });
  } else {
    const seed = decodeStrictBase64(trimmed);
    if (seed?.length !== 32) {
      throw new Error('signing key: expected a PEM PKCS#8 private key or base64 of a 32-byte Ed25519 seed');
    }
    key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`signing key: expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return key;
}

/** Writes the private key as PEM PKCS#8 (default) or as base64 of the raw seed. */
export function exportSigningKey(key: KeyObject, format: 'pem' | 'base64-seed' = 'pem'): string {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new Error('exportSigningKey: expected an Ed25519 private key');
  }
  if (format === 'pem') return key.export({ format: 'pem', type: 'pkcs8' }).toString();
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string') throw new Error('exportSigningKey: key has no private part');
  return Buffer.from(jwk.d, 'base64url').toString('base64');
}

/** Base64 of the raw 32-byte public key, as checkpoints publish it; accepts a private key too. */
export function publicKeyToBase64(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('publicKeyToBase64: expected an Ed25519 key');
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('publicKeyToBase64: key has no public part');
  return Buffer.from(x, 'base64url').toString('base64');
}

/** The public KeyObject for base64 of a raw 32-byte Ed25519 key, or null if it is not one. */
export function publicKeyFromBase64(text: string): KeyObject | null {
  const raw = decodeStrictBase64(text);
  if (raw?.length !== 32) return null;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch {
    return null;
  }
}

/**
 * Standard padded base64 only. Buffer.from(…, 'base64') skips junk and accepts base64url, so
 * several texts would name the same key or signature; comparing pinned keys as strings relies
 * on there being one spelling.
 */
export function decodeStrictBase64(text: string): Buffer | null {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}
