import { createHash, randomBytes } from 'node:crypto';

/**
 * API tokens: 32 random bytes, shown once, stored only as SHA-256. A fast hash is right here
 * because the input is high-entropy (no dictionary to guard against) and it lets a lookup be
 * an index probe.
 */
export function generateApiToken(): string {
  return `tzl_${randomBytes(32).toString('base64url')}`;
}

export function hashApiToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
