/**
 * HMAC-SHA-256 (RFC 2104, FIPS 180-4) for the short inputs of Initial key derivation, in plain
 * JS: node:crypto costs several microseconds per HMAC object on this path, and a flow needs five
 * HMACs (RFC 9001 §5.2). A key's inner and outer pad states are computed once ({@link HmacKey})
 * and each message of at most 55 bytes then costs two compression rounds. Checked against
 * node:crypto and RFC 9001 Appendix A in the tests.
 */
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const W = new Int32Array(64);
const BLOCK = new Uint8Array(64);
// Scratch for mac(): derivation is synchronous, so one set serves every caller.
const STATE = new Int32Array(8);
const INNER = new Uint8Array(32);

/** One SHA-256 compression of the 64-byte `block` into `h`. */
function compress(h: Int32Array, block: Uint8Array): void {
  for (let i = 0; i < 16; i++) W[i] = (block[i * 4]! << 24) | (block[i * 4 + 1]! << 16) | (block[i * 4 + 2]! << 8) | block[i * 4 + 3]!;
  for (let i = 16; i < 64; i++) {
    const a = W[i - 15]!;
    const b = W[i - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, hh = h[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (hh + S1 + ch + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + b) | 0; h[2] = (h[2]! + c) | 0; h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0; h[5] = (h[5]! + f) | 0; h[6] = (h[6]! + g) | 0; h[7] = (h[7]! + hh) | 0;
}

/** Hashes `msg` (at most 55 bytes) as the second block after a 64-byte prefix already in `h`. */
function finishAfterBlock(h: Int32Array, msg: Uint8Array, out: Uint8Array): void {
  BLOCK.fill(0);
  BLOCK.set(msg);
  BLOCK[msg.length] = 0x80;
  const bits = (64 + msg.length) * 8;
  BLOCK[62] = bits >>> 8;
  BLOCK[63] = bits & 0xff;
  compress(h, BLOCK);
  for (let i = 0; i < 8; i++) {
    out[i * 4] = h[i]! >>> 24; out[i * 4 + 1] = (h[i]! >>> 16) & 0xff; out[i * 4 + 2] = (h[i]! >>> 8) & 0xff; out[i * 4 + 3] = h[i]! & 0xff;
  }
}

/** A key's HMAC pad states, ready for many short messages. Keys longer than 64 bytes are not needed here. */
export class HmacKey {
  readonly #inner = new Int32Array(8);
  readonly #outer = new Int32Array(8);

  constructor(key: Uint8Array) {
    if (key.length > 64) throw new RangeError('HMAC keys over 64 bytes are not supported');
    const pad = new Uint8Array(64);
    for (let i = 0; i < 64; i++) pad[i] = (key[i] ?? 0) ^ 0x36;
    this.#inner.set(IV);
    compress(this.#inner, pad);
    for (let i = 0; i < 64; i++) pad[i] = (key[i] ?? 0) ^ 0x5c;
    this.#outer.set(IV);
    compress(this.#outer, pad);
  }

  /** HMAC(key, msg) for msg of at most 55 bytes, into a new 32-byte array. */
  mac(msg: Uint8Array): Uint8Array {
    if (msg.length > 55) throw new RangeError('HMAC message over 55 bytes');
    STATE.set(this.#inner);
    finishAfterBlock(STATE, msg, INNER);
    STATE.set(this.#outer);
    const out = new Uint8Array(32);
    finishAfterBlock(STATE, INNER, out);
    return out;
  }
}
