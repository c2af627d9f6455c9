/**
 * AES-128 encryption of single 16-byte blocks (FIPS 197), in plain JS, for the header-protection
 * mask (RFC 9001 §5.4.3: AES-ECB of one sample per packet). A node:crypto cipher object per flow
 * costs more than the whole mask; this is a table implementation, checked against node:crypto
 * and RFC 9001 Appendix A in the tests.
 */
const SBOX = new Uint8Array(256);
const T0 = new Uint32Array(256);
const T1 = new Uint32Array(256);
const T2 = new Uint32Array(256);
const T3 = new Uint32Array(256);

(function buildTables(): void {
  // Multiplicative inverses in GF(2^8) via log tables, then the affine map (FIPS 197 §5.1.1).
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= (x << 1) ^ ((x & 0x80) ? 0x11b : 0);
    x &= 0xff;
  }
  for (let i = 0; i < 256; i++) {
    const inv = i === 0 ? 0 : exp[(255 - log[i]!) % 255]!;
    let s = inv;
    let r = inv;
    for (let k = 0; k < 4; k++) { r = ((r << 1) | (r >>> 7)) & 0xff; s ^= r; }
    SBOX[i] = s ^ 0x63;
  }
  for (let i = 0; i < 256; i++) {
    const s = SBOX[i]!;
    const s2 = ((s << 1) ^ ((s & 0x80) ? 0x11b : 0)) & 0xff;
    const s3 = s2 ^ s;
    T0[i] = ((s2 << 24) | (s << 16) | (s << 8) | s3) >>> 0;
    T1[i] = ((s3 << 24) | (s2 << 16) | (s << 8) | s) >>> 0;
    T2[i] = ((s << 24) | (s3 << 16) | (s2 << 8) | s) >>> 0;
    T3[i] = ((s << 24) | (s << 16) | (s3 << 8) | s2) >>> 0;
  }
})();

export class Aes128 {
  readonly #rk = new Uint32Array(44);

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError('AES-128 needs a 16-byte key');
    const rk = this.#rk;
    for (let i = 0; i < 4; i++) rk[i] = ((key[i * 4]! << 24) | (key[i * 4 + 1]! << 16) | (key[i * 4 + 2]! << 8) | key[i * 4 + 3]!) >>> 0;
    let rcon = 1;
    for (let i = 4; i < 44; i++) {
      let t = rk[i - 1]!;
      if (i % 4 === 0) {
        t = ((SBOX[(t >>> 16) & 0xff]! << 24) | (SBOX[(t >>> 8) & 0xff]! << 16) | (SBOX[t & 0xff]! << 8) | SBOX[t >>> 24]!) ^ (rcon << 24);
        rcon = ((rcon << 1) ^ ((rcon & 0x80) ? 0x11b : 0)) & 0xff;
      }
      rk[i] = (rk[i - 4]! ^ t) >>> 0;
    }
  }

  /** Encrypts the 16 bytes at `input[offset..]` into `out` (16 bytes). No closures: this runs per packet. */
  encryptBlock(input: Uint8Array, offset: number, out: Uint8Array): void {
    const rk = this.#rk;
    const o = offset;
    let s0 = (((input[o]! << 24) | (input[o + 1]! << 16) | (input[o + 2]! << 8) | input[o + 3]!) ^ rk[0]!) >>> 0;
    let s1 = (((input[o + 4]! << 24) | (input[o + 5]! << 16) | (input[o + 6]! << 8) | input[o + 7]!) ^ rk[1]!) >>> 0;
    let s2 = (((input[o + 8]! << 24) | (input[o + 9]! << 16) | (input[o + 10]! << 8) | input[o + 11]!) ^ rk[2]!) >>> 0;
    let s3 = (((input[o + 12]! << 24) | (input[o + 13]! << 16) | (input[o + 14]! << 8) | input[o + 15]!) ^ rk[3]!) >>> 0;
    let k = 4;
    for (let round = 1; round < 10; round++) {
      const t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ rk[k]!;
      const t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ rk[k + 1]!;
      const t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ rk[k + 2]!;
      const t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ rk[k + 3]!;
      k += 4;
      s0 = t0 >>> 0; s1 = t1 >>> 0; s2 = t2 >>> 0; s3 = t3 >>> 0;
    }
    // Last round: SubBytes and ShiftRows only (FIPS 197 §5.1).
    out[0] = SBOX[s0 >>> 24]! ^ (rk[40]! >>> 24); out[1] = SBOX[(s1 >>> 16) & 0xff]! ^ ((rk[40]! >>> 16) & 0xff);
    out[2] = SBOX[(s2 >>> 8) & 0xff]! ^ ((rk[40]! >>> 8) & 0xff); out[3] = SBOX[s3 & 0xff]! ^ (rk[40]! & 0xff);
    out[4] = SBOX[s1 >>> 24]! ^ (rk[41]! >>> 24); out[5] = SBOX[(s2 >>> 16) & 0xff]! ^ ((rk[41]! >>> 16) & 0xff);
    out[6] = SBOX[(s3 >>> 8) & 0xff]! ^ ((rk[41]! >>> 8) & 0xff); out[7] = SBOX[s0 & 0xff]! ^ (rk[41]! & 0xff);
    out[8] = SBOX[s2 >>> 24]! ^ (rk[42]! >>> 24); out[9] = SBOX[(s3 >>> 16) & 0xff]! ^ ((rk[42]! >>> 16) & 0xff);
    out[10] = SBOX[(s0 >>> 8) & 0xff]! ^ ((rk[42]! >>> 8) & 0xff); out[11] = SBOX[s1 & 0xff]! ^ (rk[42]! & 0xff);
    out[12] = SBOX[s3 >>> 24]! ^ (rk[43]! >>> 24); out[13] = SBOX[(s0 >>> 16) & 0xff]! ^ ((rk[43]! >>> 16) & 0xff);
    out[14] = SBOX[(s1 >>> 8) & 0xff]! ^ ((rk[43]! >>> 8) & 0xff); out[15] = SBOX[s2 & 0xff]! ^ (rk[43]! & 0xff);
  }
}
