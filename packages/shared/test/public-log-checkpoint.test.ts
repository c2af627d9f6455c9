import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SignedCheckpoint } from '../src/public-log-types.js';
import {
  checkpointMessage,
  exportSigningKey,
  generateSigningKey,
  loadSigningKey,
  publicKeyToBase64,
  signCheckpoint,
  verifyCheckpoint,
} from '../src/public-log/index.js';

// RFC 8032 §7.1, TEST 1: a known seed and its public key, so the raw-seed form is pinned to the standard.
const RFC8032_SEED = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const RFC8032_PUBLIC = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');

const HEAD = { seq: 1, hash: 'f41171c2713e60efa7877d019f2ee9bd23daef6c22b0f508acee6494f7135686', time: '2026-11-24T10:05:00.000Z' };

describe('checkpoints', () => {
  it('signs exactly canonicalJson({hash, seq, time})', () => {
    expect(Buffer.from(checkpointMessage({ ...HEAD, extra: 1 } as typeof HEAD)).toString('utf8')).toBe(
      `{"hash":"${HEAD.hash}","seq":1,"time":"2026-11-24T10:05:00.000Z"}`,
    );
  });

  it('matches the worked example of CANONICAL-FORM.md (Ed25519 signatures are deterministic)', () => {
    const key = loadSigningKey(RFC8032_SEED.toString('base64'));
    expect(signCheckpoint(key, HEAD)).toEqual({
      ...HEAD,
      signature: '73gvoq9PouNJpR5a1O8y7VzcXmHiyM1hwD2gIb4ELmuEMyfrzIy81mYm5GHM2vDz04wMraSeErFHCfMt/yGlDw==',
      publicKey: '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=',
    });
  });

  it('verifies a genuine checkpoint', () => {
    const cp = signCheckpoint(generateSigningKey(), HEAD);
    expect(Buffer.from(cp.signature, 'base64')).toHaveLength(64);
    expect(Buffer.from(cp.publicKey, 'base64')).toHaveLength(32);
    expect(verifyCheckpoint(cp)).toBe(true);
  });

  it('refuses a checkpoint whose head or signature was altered', () => {
    const cp = signCheckpoint(generateSigningKey(), HEAD);
    const signature = Buffer.from(cp.signature, 'base64');
    signature[10] = (signature[10] ?? 0) ^ 1;
    const forgeries: SignedCheckpoint[] = [
      { ...cp, seq: 2 },
      { ...cp, hash: 'f'.repeat(64) },
      { ...cp, time: '2026-11-24T10:05:00.001Z' },
      { ...cp, signature: signature.toString('base64') },
    ];
    for (const forged of forgeries) expect(verifyCheckpoint(forged)).toBe(false);
  });

  it("refuses a signature by another key presented under the register's public key", () => {
    const register = generateSigningKey();
    const forger = generateSigningKey();
    const forged = { ...signCheckpoint(forger, HEAD), publicKey: publicKeyToBase64(register) };
    expect(verifyCheckpoint(forged)).toBe(false);
  });

  it('returns false, not an exception, for malformed checkpoints', () => {
    const cp = signCheckpoint(generateSigningKey(), HEAD);
    const malformed = [
      { ...cp, signature: 'not base64!' },
      { ...cp, signature: cp.signature.slice(0, 40) },
      { ...cp, signature: cp.signature.replace(/=+$/, '') },
      { ...cp, publicKey: Buffer.alloc(31).toString('base64') },
      { ...cp, publicKey: Buffer.from(cp.publicKey, 'base64').toString('base64url') },
      { ...cp, seq: '1' },
      { ...cp, seq: -1 },
      { ...cp, hash: null },
      null,
      'checkpoint',
    ];
    for (const bad of malformed) expect(verifyCheckpoint(bad as unknown as SignedCheckpoint)).toBe(false);
  });
});

describe('signing keys', () => {
  it('loads base64 of a raw RFC 8032 seed', () => {
    const key = loadSigningKey(`  ${RFC8032_SEED.toString('base64')}\n`);
    expect(publicKeyToBase64(key)).toBe(RFC8032_PUBLIC.toString('base64'));
    expect(exportSigningKey(key, 'base64-seed')).toBe(RFC8032_SEED.toString('base64'));
  });

  it('round-trips through PEM PKCS#8 and through the seed form', () => {
    const key = generateSigningKey();
    const pem = exportSigningKey(key);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(publicKeyToBase64(loadSigningKey(pem))).toBe(publicKeyToBase64(key));
    expect(publicKeyToBase64(loadSigningKey(exportSigningKey(key, 'base64-seed')))).toBe(publicKeyToBase64(key));
  });

  it('refuses keys that are not Ed25519 private keys', () => {
    const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    expect(() => loadSigningKey(ecPem)).toThrow(/Ed25519/);
    expect(() => loadSigningKey(Buffer.alloc(31).toString('base64'))).toThrow(/32-byte/);
    expect(() => loadSigningKey('not a key')).toThrow();
  });
});
