import { Aes128 } from './aes-block.js';
import { HmacKey } from './hmac-sha256.js';
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
  /** AES-128 keyed with the hp key: one block per packet for the mask (RFC 9001 §5.4.3). */
  hp: Aes128;
}

/** The salt's HMAC pad states, computed once per version. */
const saltKeys = new WeakMap<QuicVersionSpec, HmacKey>();
/** HkdfLabel encodings, computed once per label and length. */
const labels = new Map<string, Uint8Array>();

export function deriveClientInitialKeys(spec: QuicVersionSpec, dcid: Uint8Array): InitialKeys {
  let salt = saltKeys.get(spec);
  if (salt === undefined) saltKeys.set(spec, (salt = new HmacKey(spec.salt)));
  const initialSecret = salt.mac(dcid.length <= 55 ? dcid : dcid.subarray(0, 55));
  const clientSecret = expandLabel(initialSecret, 'client in', 32);
  const k = new HmacKey(clientSecret);
  return {
    key: Buffer.from(k.mac(hkdfLabel(spec.keyLabel, 16)).buffer, 0, 16),
    iv: Buffer.from(k.mac(hkdfLabel(spec.ivLabel, 12)).buffer, 0, 12),
    hp: new Aes128(k.mac(hkdfLabel(spec.hpLabel, 16)).subarray(0, 16)),
  };
}

/**
 * HKDF-Expand-Label with an empty context, for outputs of at most one SHA-256 block (all that
 * Initial keys need): T(1) = HMAC(secret, HkdfLabel || 0x01).
 */
export function expandLabel(secret: Uint8Array, label: string, length: number): Uint8Array {
  return new HmacKey(secret).mac(hkdfLabel(label, length)).subarray(0, length);
}

/** `uint16 length, opaque label<7..255> = "tls13 " + label, opaque context<0..255> = ""`, then T(1)'s counter. */
function hkdfLabel(label: string, length: number): Uint8Array {
  const id = label + '/' + length;
  let info = labels.get(id);
  if (info === undefined) {
    const full = 'tls13 ' + label;
    info = new Uint8Array(2 + 1 + full.length + 1 + 1);
    info[0] = length >> 8;
    info[1] = length & 0xff;
    info[2] = full.length;
    for (let i = 0; i < full.length; i++) info[3 + i] = full.charCodeAt(i);
    info[3 + full.length] = 0; // empty context
    info[4 + full.length] = 1; // counter
    labels.set(id, info);
  }
  return info;
}
