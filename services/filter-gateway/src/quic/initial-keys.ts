import { createCipheriv, createHmac, type Cipher } from 'node:crypto';
import type { QuicVersionSpec } from './quic-versions.js';

/**
 * The client's Initial packet protection keys (RFC 9001 §5.2): anyone who sees the client's
 * first Destination Connection ID can derive them, which is what lets a middlebox read the
 * ClientHello. HKDF-Extract with the version's salt, then HKDF-Expand-Label (RFC 8446 §7.1)
 * "client in", then the key, IV and header-protection key (labels per version, RFC 9369 §3.3.2).
 */
export interface InitialKeys {
  key: Buffer;
  iv: Buffer;
  /** AES-128-ECB keyed with the hp key, no padding: one `update(sample)` per packet (RFC 9001 §5.4.3). */
  hp: Cipher;
}

export function deriveClientInitialKeys(spec: QuicVersionSpec, dcid: Uint8Array): InitialKeys {
  const initialSecret = createHmac('sha256', spec.salt).update(dcid).digest();
  const clientSecret = expandLabel(initialSecret, 'client in', 32);
  const hpKey = expandLabel(clientSecret, spec.hpLabel, 16);
  const hp = createCipheriv('aes-128-ecb', hpKey, null);
  hp.setAutoPadding(false);
  return { key: expandLabel(clientSecret, spec.keyLabel, 16), iv: expandLabel(clientSecret, spec.ivLabel, 12), hp };
}

/**
 * HKDF-Expand-Label with an empty context, for outputs of at most one SHA-256 block (all that
 * Initial keys need): T(1) = HMAC(secret, HkdfLabel || 0x01).
 */
export function expandLabel(secret: Uint8Array, label: string, length: number): Buffer {
  const full = 'tls13 ' + label;
  const info = Buffer.alloc(2 + 1 + full.length + 1 + 1);
  info.writeUInt16BE(length, 0);
  info[2] = full.length;
  info.write(full, 3, 'latin1');
  info[3 + full.length] = 0; // empty context
  info[4 + full.length] = 1; // counter
  return createHmac('sha256', secret).update(info).digest().subarray(0, length);
}
