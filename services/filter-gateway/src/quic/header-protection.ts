import type { InitialKeys } from './initial-keys.js';

/**
 * Removes header protection from a long-header packet in place (RFC 9001 §5.4): the mask is
 * AES-ECB of the 16 bytes that start 4 bytes after the packet number's first byte (§5.4.2,
 * sampled as if the packet number were 4 bytes long); it unmasks the low 4 bits of the first
 * byte (§5.4.1), which give the packet number's length, then the packet number itself.
 * Returns the packet number length, or 0 when the packet is too short to sample.
 */
const mask = new Uint8Array(16);

export function removeHeaderProtection(b: Uint8Array, start: number, pnOffset: number, end: number, keys: InitialKeys): number {
  const sampleStart = pnOffset + 4;
  if (sampleStart + 16 > end) return 0;
  keys.hp.encryptBlock(b, sampleStart, mask);
  b[start] = b[start]! ^ (mask[0]! & 0x0f);
  const pnLength = (b[start]! & 0x03) + 1;
  for (let i = 0; i < pnLength; i++) b[pnOffset + i] = b[pnOffset + i]! ^ mask[1 + i]!;
  return pnLength;
}
