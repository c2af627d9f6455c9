import { nameToWire } from './wire-names.js';

/** A shared secret for TSIG (RFC 8945), hmac-sha256 only. */
export interface TsigKey {
  /** Lower case with trailing dot, as compared on the wire. */
  name: string;
  nameWire: Buffer;
  secret: Buffer;
}

export class TsigKeyError extends Error {}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * `RPZ_TSIG_KEYS`: `name:base64secret,…` (the form `tsig-keygen` and `dnssec-keygen` print).
 * A secret shorter than 16 bytes is refused: RFC 8945 §6 wants at least the MAC's half length.
 */
export function parseTsigKeys(text: string | undefined): Map<string, TsigKey> {
  const keys = new Map<string, TsigKey>();
  for (const part of (text ?? '').split(',')) {
    const item = part.trim();
    if (!item) continue;
    const colon = item.indexOf(':');
    if (colon <= 0) throw new TsigKeyError(`"${item}" is not name:base64secret`);
    const raw = item.slice(0, colon).trim().toLowerCase();
    const b64 = item.slice(colon + 1).trim();
    if (!BASE64.test(b64)) throw new TsigKeyError(`the secret of key "${raw}" is not base64`);
    const secret = Buffer.from(b64, 'base64');
    if (secret.length < 16) throw new TsigKeyError(`the secret of key "${raw}" is shorter than 16 bytes`);
    const name = raw.endsWith('.') ? raw : `${raw}.`;
    let nameWire: Buffer;
    try { nameWire = nameToWire(name); } catch { throw new TsigKeyError(`"${raw}" is not a valid key name`); }
    if (keys.has(name)) throw new TsigKeyError(`key "${raw}" is named twice`);
    keys.set(name, { name, nameWire, secret });
  }
  return keys;
}
