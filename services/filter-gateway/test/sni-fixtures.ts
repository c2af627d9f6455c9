/** Shared material for the SNI tests: the real ClientHello corpus and hello surgery. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@tizilim/shared';

export const DATASETS = fileURLToPath(new URL('../../../../shared/datasets/', import.meta.url));

export interface HelloRow {
  file: string;
  name: string;
  /** Expected server name, null for none. */
  sni: string | null;
  alpn: string[];
  segments: number;
  ech: boolean;
  esni: boolean;
  bytes: Buffer;
}

/** Rows of a ClientHello TSV, columns found by the names in its `#` header line. */
export function loadHellos(file: string): HelloRow[] {
  const lines = readFileSync(DATASETS + file, 'utf8').split('\n').filter((l) => l.length > 0);
  const header = lines[0]!.replace(/^#/, '').split('\t');
  const col = (row: string[], name: string): string | undefined => {
    const i = header.indexOf(name);
    return i < 0 ? undefined : row[i];
  };
  return lines.slice(1).map((line, i) => {
    const row = line.split('\t');
    const sni = col(row, 'sni') ?? '-';
    const alpn = col(row, 'alpn') ?? '-';
    return {
      file,
      name: `${file}:${i + 2} ${col(row, 'pcap_path') ?? col(row, 'testdata_file') ?? ''}`,
      sni: sni === '-' ? null : sni,
      alpn: alpn === '-' ? [] : alpn.split(','),
      segments: Number(col(row, 'tcp_segments') ?? '1'),
      ech: col(row, 'ech') === '1',
      esni: col(row, 'esni') === '1',
      bytes: Buffer.from(col(row, 'hex')!, 'hex'),
    };
  });
}

export function allHellos(): HelloRow[] {
  return [...loadHellos('tls-clienthellos.tsv'), ...loadHellos('tls-clienthellos-utls.tsv')];
}

/** Splits into `n` nearly equal parts, as a hello arriving in `n` TCP segments. */
export function splitInto(buf: Buffer, n: number): Buffer[] {
  const parts: Buffer[] = [];
  const size = Math.ceil(buf.length / n);
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return parts;
}

/** The handshake bytes of the first record (a hello record holding one whole message). */
export function handshakeOf(record: Buffer): Buffer {
  const len = record.readUInt16BE(3);
  return record.subarray(5, 5 + len);
}

/** Re-frames a hello into several handshake records of at most `fragment` bytes each. */
export function reframe(record: Buffer, fragment: number): Buffer {
  const hs = handshakeOf(record);
  const out: Buffer[] = [];
  for (let i = 0; i < hs.length; i += fragment) {
    const part = hs.subarray(i, i + fragment);
    const h = Buffer.from([22, record[1]!, record[2]!, 0, 0]);
    h.writeUInt16BE(part.length, 3);
    out.push(h, part);
  }
  return Buffer.concat(out);
}

/**
 * Adds a padding extension (RFC 7685) of `padLen` zero bytes at the end of the extensions
 * and fixes every length on the way up, as a post-quantum key share would grow a hello.
 */
export function padHello(record: Buffer, padLen: number): Buffer {
  const hs = handshakeOf(record);
  const body = hs.subarray(4, 4 + hs.readUIntBE(1, 3));
  let p = 34;
  p += 1 + body[p]!;
  p += 2 + body.readUInt16BE(p);
  p += 1 + body[p]!;
  const extLen = body.readUInt16BE(p);
  const exts = body.subarray(p + 2, p + 2 + extLen);
  const pad = Buffer.alloc(4 + padLen);
  pad.writeUInt16BE(0x0015, 0);
  pad.writeUInt16BE(padLen, 2);
  const newExts = Buffer.concat([exts, pad]);
  const extHdr = Buffer.alloc(2);
  extHdr.writeUInt16BE(newExts.length, 0);
  const newBody = Buffer.concat([body.subarray(0, p), extHdr, newExts]);
  const msgHdr = Buffer.from([1, 0, 0, 0]);
  msgHdr.writeUIntBE(newBody.length, 1, 3);
  const recHdr = Buffer.from([22, record[1]!, record[2]!, 0, 0]);
  recHdr.writeUInt16BE(4 + newBody.length, 3);
  return Buffer.concat([recHdr, msgHdr, newBody]);
}

/** Seeded, so a failing fuzz case can be replayed. */
export const prng = seededRandom;

/**
 * A hello naming `name`, built from a real Chrome-shaped hello of the corpus by swapping its
 * server_name extension. For socket tests that need no real handshake behind the hello.
 */
export function helloFor(name: string): Buffer {
  const base = loadHellos('tls-clienthellos-utls.tsv').find((r) => r.name.includes('Chrome-70 ') || r.name.endsWith('Chrome-70'))
    ?? loadHellos('tls-clienthellos-utls.tsv').find((r) => r.sni !== null)!;
  const hs = handshakeOf(base.bytes);
  const body = hs.subarray(4, 4 + hs.readUIntBE(1, 3));
  let p = 34;
  p += 1 + body[p]!;
  p += 2 + body.readUInt16BE(p);
  p += 1 + body[p]!;
  const extStart = p + 2;
  const extEnd = extStart + body.readUInt16BE(p);
  const exts: Buffer[] = [];
  for (let q = extStart; q < extEnd;) {
    const type = body.readUInt16BE(q);
    const len = body.readUInt16BE(q + 2);
    if (type !== 0) exts.push(body.subarray(q, q + 4 + len));
    q += 4 + len;
  }
  const n = Buffer.from(name, 'latin1');
  const sni = Buffer.alloc(9 + n.length);
  sni.writeUInt16BE(0, 0);
  sni.writeUInt16BE(5 + n.length, 2);
  sni.writeUInt16BE(3 + n.length, 4);
  sni[6] = 0;
  sni.writeUInt16BE(n.length, 7);
  n.copy(sni, 9);
  const allExts = Buffer.concat([sni, ...exts]);
  const extHdr = Buffer.alloc(2);
  extHdr.writeUInt16BE(allExts.length, 0);
  const newBody = Buffer.concat([body.subarray(0, p), extHdr, allExts]);
  const msgHdr = Buffer.from([1, 0, 0, 0]);
  msgHdr.writeUIntBE(newBody.length, 1, 3);
  const recHdr = Buffer.from([22, 3, 1, 0, 0]);
  recHdr.writeUInt16BE(4 + newBody.length, 3);
  return Buffer.concat([recHdr, msgHdr, newBody]);
}
