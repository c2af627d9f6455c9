import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
export { cryptoFrame, encodeInitial, helloOverInitials, withServerName, type InitialSpec } from '../src/testing/quic-initial-encoder.js';

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

