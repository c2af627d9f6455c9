import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@tizilim/shared';
import { Aes128 } from '../src/quic/aes-block.js';
import { HmacKey } from '../src/quic/hmac-sha256.js';
import { deriveClientInitialKeys } from '../src/quic/initial-keys.js';
import { QUIC_V1, QUIC_V2, quicVersionSpec } from '../src/quic/quic-versions.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const DCID = Buffer.from('8394c8f03e515708', 'hex');

describe('Initial keys (RFC 9001 §5.2, Appendix A; RFC 9369 Appendix A)', () => {
  it('QUIC v1 client keys of RFC 9001 A.1, and the header-protection mask of A.2', () => {
    const k = deriveClientInitialKeys(quicVersionSpec(QUIC_V1)!, DCID);
    expect(hex(k.key)).toBe('1f369613dd76d5467730efcbe3b1a22d');
    expect(hex(k.iv)).toBe('fa044b2f42a3fd3b46fb255c');
    const mask = new Uint8Array(16);
    k.hp.encryptBlock(Buffer.from('d1b1c98dd7689fb8ec11d242b123dc9b', 'hex'), 0, mask);
    expect(hex(mask.subarray(0, 5))).toBe('437b9aec36');
  });

  it('QUIC v2 client keys of RFC 9369 A.1', () => {
    const k = deriveClientInitialKeys(quicVersionSpec(QUIC_V2)!, DCID);
    expect(hex(k.key)).toBe('8b1a0bc121284290a29e0971b5cd045d');
    expect(hex(k.iv)).toBe('91f73e2351d8fa91660e909f');
  });

  it('HMAC-SHA-256 and AES-128 agree with node:crypto on seeded random inputs', () => {
    const rnd = seededRandom(9001);
    const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
    for (let i = 0; i < 500; i++) {
      const key = bytes(Math.floor(rnd() * 65));
      const msg = bytes(Math.floor(rnd() * 56));
      expect(hex(new HmacKey(key).mac(msg))).toBe(createHmac('sha256', key).update(msg).digest('hex'));
      const aesKey = bytes(16);
      const block = bytes(16);
      const c = createCipheriv('aes-128-ecb', aesKey, null);
      c.setAutoPadding(false);
      const out = new Uint8Array(16);
      new Aes128(aesKey).encryptBlock(block, 0, out);
      expect(hex(out)).toBe(c.update(block).toString('hex'));
    }
    expect(() => new HmacKey(randomBytes(65))).toThrow(RangeError);
  });
});
