import { createCipheriv } from 'node:crypto';
import { deriveClientInitialKeys } from '../quic/initial-keys.js';
import { quicVersionSpec } from '../quic/quic-versions.js';
import { encodeVarint } from '../quic/varint.js';

/**
 * Builds protected client Initials for tests and benchmarks (never used by the gateway itself):
 * the corpus has no hello over two packets, and benchmarks need fresh connection IDs.
 */

export function cryptoFrame(offset: number, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(0x06), encodeVarint(offset), encodeVarint(data.length), data]);
}

export interface InitialSpec {
  version: number;
  /** The client's original DCID: the key source for every Initial of the connection (RFC 9001 §5.2). */
  keyDcid: Uint8Array;
  /** The DCID on the wire: the original one, or the server's once the client has heard it. */
  dcid?: Uint8Array;
  scid?: Uint8Array;
  token?: Uint8Array;
  pn: number;
  pnLength?: 1 | 2 | 3 | 4;
  frames: Uint8Array;
  /** Pad the packet with PADDING frames to this many bytes (RFC 9000 §14.1's 1200 by default; 0 = none). */
  padTo?: number;
}

/**
 * A test encoder of protected client Initial packets (RFC 9001 §5: payload AEAD, then header
 * protection), the inverse of what the checker reads, so flows the corpus lacks (hellos over
 * two packets, reordered, coalesced) can be built from recorded hellos.
 */
export function encodeInitial(s: InitialSpec): Buffer {
  const spec = quicVersionSpec(s.version);
  if (!spec) throw new Error('unknown version');
  const keys = deriveClientInitialKeys(spec, s.keyDcid);
  const dcid = s.dcid ?? s.keyDcid;
  const scid = s.scid ?? Buffer.from('c1c2c3c4', 'hex');
  const token = s.token ?? new Uint8Array(0);
  const pnLength = s.pnLength ?? 4;
  const first = 0xc0 | (spec.initialType << 4) | (pnLength - 1);
  const ver = Buffer.alloc(4);
  ver.writeUInt32BE(s.version >>> 0);
  const pre = Buffer.concat([Buffer.of(first), ver, Buffer.of(dcid.length), dcid, Buffer.of(scid.length), scid, encodeVarint(token.length), token]);
  const headerLen = pre.length + 2 + pnLength;
  const padTo = s.padTo ?? 1200;
  const padding = Math.max(0, padTo - headerLen - s.frames.length - 16);
  // A packet number of 1 byte must still leave 4 bytes before the sample (RFC 9001 §5.4.2).
  const minPayload = Math.max(0, 4 - pnLength);
  const payload = Buffer.concat([s.frames, Buffer.alloc(Math.max(padding, minPayload - s.frames.length, 0))]);
  const length = pnLength + payload.length + 16;
  const pn = Buffer.alloc(pnLength);
  for (let i = 0; i < pnLength; i++) pn[pnLength - 1 - i] = Math.floor(s.pn / 256 ** i) & 0xff;
  const header = Buffer.concat([pre, Buffer.of(0x40 | (length >> 8), length & 0xff), pn]);
  const nonce = Buffer.from(keys.iv);
  for (let i = 0; i < pnLength; i++) nonce[12 - pnLength + i]! ^= pn[i]!;
  const c = createCipheriv('aes-128-gcm', keys.key, nonce);
  c.setAAD(header);
  const sealed = Buffer.concat([c.update(payload), c.final(), c.getAuthTag()]);
  const packet = Buffer.concat([header, sealed]);
  const pnOffset = header.length - pnLength;
  const mask = new Uint8Array(16);
  keys.hp.encryptBlock(packet, pnOffset + 4, mask);
  packet[0]! ^= mask[0]! & 0x0f;
  for (let i = 0; i < pnLength; i++) packet[pnOffset + i]! ^= mask[1 + i]!;
  return packet;
}

/**
 * A hello split over Initials as a client with a large (post-quantum) hello sends it: the first
 * packet to the original DCID, later ones to `serverCid` when given (the client has heard the
 * server's Initial). Each packet is its own 1200-byte datagram.
 */
export function helloOverInitials(hello: Uint8Array, version: number, keyDcid: Uint8Array, chunk = 1000, serverCid?: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0, pn = 0; off < hello.length; off += chunk, pn++) {
    out.push(encodeInitial({
      version, keyDcid, pn, frames: cryptoFrame(off, hello.subarray(off, off + chunk)),
      ...(pn > 0 && serverCid ? { dcid: serverCid } : {}),
    }));
  }
  return out;
}

/**
 * `hello` (a ClientHello handshake message) with its server_name extension replaced by one
 * naming `name` (RFC 6066 §3), lengths fixed up. Everything else stays as recorded.
 */
export function withServerName(hello: Uint8Array, name: string): Buffer {
  const h = Buffer.from(hello);
  const body = h.subarray(4, 4 + h.readUIntBE(1, 3));
  let p = 34;
  p += 1 + body[p]!;
  p += 2 + body.readUInt16BE(p);
  p += 1 + body[p]!;
  const extStart = p + 2;
  const extEnd = extStart + body.readUInt16BE(p);
  const exts: Buffer[] = [];
  const n = Buffer.from(name, 'latin1');
  const sni = Buffer.alloc(9 + n.length);
  sni.writeUInt16BE(0, 0);
  sni.writeUInt16BE(5 + n.length, 2);
  sni.writeUInt16BE(3 + n.length, 4);
  sni[6] = 0;
  sni.writeUInt16BE(n.length, 7);
  n.copy(sni, 9);
  exts.push(sni);
  for (let q = extStart; q < extEnd;) {
    const type = body.readUInt16BE(q);
    const len = body.readUInt16BE(q + 2);
    if (type !== 0) exts.push(body.subarray(q, q + 4 + len));
    q += 4 + len;
  }
  const extBytes = Buffer.concat(exts);
  const extLen = Buffer.alloc(2);
  extLen.writeUInt16BE(extBytes.length);
  const newBody = Buffer.concat([body.subarray(0, p), extLen, extBytes]);
  const head = Buffer.alloc(4);
  head[0] = 1;
  head.writeUIntBE(newBody.length, 1, 3);
  return Buffer.concat([head, newBody]);
}
