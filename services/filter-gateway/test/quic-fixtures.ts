import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deriveClientInitialKeys } from '../src/quic/initial-keys.js';
import { quicVersionSpec } from '../src/quic/quic-versions.js';
import { encodeVarint } from '../src/quic/varint.js';

const DATASETS = fileURLToPath(new URL('../../../../shared/datasets/', import.meta.url));

export interface InitialRow {
  flow: string;
  index: number;
  version: string;
  sni: string;
  alpn: string;
  note: string;
  datagram: Buffer;
}

/** `quic-initials.tsv`: real client Initial datagrams (nDPI test pcaps), in flow order. */
export function quicInitialRows(): InitialRow[] {
  const text = readFileSync(DATASETS + 'quic-initials.tsv', 'utf8');
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const c = l.split('\t');
    return { flow: c[1]!, index: Number(c[2]), version: c[3]!, sni: c[5]!, alpn: c[6]!, note: c[7]!, datagram: Buffer.from(c[8]!, 'hex') };
  }).sort((a, b) => (a.flow < b.flow ? -1 : a.flow > b.flow ? 1 : a.index - b.index));
}

/** The handshake message (header included) of a recorded TLS ClientHello in one record, by SNI. */
export function recordedHello(sni: string): Buffer {
  const text = readFileSync(DATASETS + 'tls-clienthellos.tsv', 'utf8');
  for (const l of text.split('\n')) {
    if (l.startsWith('#') || !l) continue;
    const c = l.split('\t');
    if (c[8] !== sni || c[7] !== '1') continue;
    const rec = Buffer.from(c[c.length - 1]!, 'hex');
    return rec.subarray(5, 5 + rec.readUInt16BE(3));
  }
  throw new Error(`no single-record hello for ${sni}`);
}

/** The huge (11 KiB) hello of nDPI's tls_with_huge_ch.pcapng, its records joined. */
export function hugeHello(): Buffer {
  const text = readFileSync(DATASETS + 'tls-clienthellos.tsv', 'utf8');
  for (const l of text.split('\n')) {
    const c = l.split('\t');
    if (!c[1]?.includes('tls_with_huge_ch')) continue;
    const raw = Buffer.from(c[c.length - 1]!, 'hex');
    const parts: Buffer[] = [];
    for (let p = 0; p + 5 <= raw.length;) {
      const len = raw.readUInt16BE(p + 3);
      parts.push(raw.subarray(p + 5, p + 5 + len));
      p += 5 + len;
    }
    return Buffer.concat(parts);
  }
  throw new Error('no huge hello');
}

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
  const hpKeyCipher = keys.hp;
  const mask = hpKeyCipher.update(packet.subarray(pnOffset + 4, pnOffset + 20));
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
