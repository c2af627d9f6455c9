import { createDecipheriv } from 'node:crypto';
import type { InitialKeys } from './initial-keys.js';

/** AEAD_AES_128_GCM's tag (RFC 9001 §5.3). */
export const AEAD_TAG_LENGTH = 16;

/**
 * Opens an Initial packet's payload (RFC 9001 §5.3): the nonce is the IV XOR the packet number
 * (left-padded), the associated data is the unprotected header up to the end of the packet
 * number. The header must already be unprotected. Undefined when authentication fails, which is
 * how a damaged packet or one protected with other keys shows itself.
 */
export function openInitialPayload(b: Uint8Array, start: number, pnOffset: number, pnLength: number, end: number, keys: InitialKeys): Buffer | undefined {
  const payloadStart = pnOffset + pnLength;
  if (payloadStart + AEAD_TAG_LENGTH > end) return undefined;
  const nonce = Buffer.from(keys.iv);
  // Packet numbers of up to 4 bytes touch only the IV's last 4 bytes.
  for (let i = 0; i < pnLength; i++) nonce[12 - pnLength + i] = nonce[12 - pnLength + i]! ^ b[pnOffset + i]!;
  try {
    const d = createDecipheriv('aes-128-gcm', keys.key, nonce);
    d.setAAD(b.subarray(start, payloadStart));
    d.setAuthTag(b.subarray(end - AEAD_TAG_LENGTH, end));
    const out = d.update(b.subarray(payloadStart, end - AEAD_TAG_LENGTH));
    d.final();
    return out;
  } catch {
    return undefined;
  }
}
