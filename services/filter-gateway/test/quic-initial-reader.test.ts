import { describe, expect, it } from 'vitest';
import { seededRandom } from '@tizilim/shared';
import { decodeAlpn } from '../src/sni/client-hello-parser.js';
import { InitialReader, type ReaderStatus } from '../src/quic/initial-reader.js';
import { QUIC_V1, QUIC_V2 } from '../src/quic/quic-versions.js';
import { readVarint, encodeVarint } from '../src/quic/varint.js';
import { CryptoStream } from '../src/quic/crypto-stream.js';
import { cryptoFrame, encodeInitial, helloOverInitials, hugeHello, quicInitialRows, recordedHello } from './quic-fixtures.js';

const DCID = Buffer.from('8394c8f03e515708', 'hex');
const SERVER_CID = Buffer.from('f067a5502a4262b5', 'hex');
const DRAFT_29 = 0xff00001d;

function feed(datagrams: readonly Uint8Array[]): InitialReader {
  const r = new InitialReader();
  for (const d of datagrams) r.push(d);
  return r;
}

describe('QUIC Initials of the corpus (quic-initials.tsv)', () => {
  const rows = quicInitialRows();

  it('classifies every datagram: the recorded name and ALPN, or a stated reason', () => {
    const readers = new Map<string, InitialReader>();
    const reasons = new Map<string, number>();
    let named = 0;
    for (const row of rows) {
      let r = readers.get(row.flow);
      // A flow whose first datagram was unreadable holds no state in the checker: start afresh.
      if (r === undefined || (r.status !== 'need_more' && r.status !== 'done')) readers.set(row.flow, (r = new InitialReader()));
      const status = r.push(row.datagram);
      if (row.sni !== '-' && !row.note.startsWith('gQUIC')) {
        expect(status, `${row.flow} #${row.index}`).toBe('done');
        expect(r.info!.serverName).toBe(row.sni);
        if (row.alpn !== '-') expect(decodeAlpn(r.info!).join(',')).toBe(row.alpn);
        named++;
      } else if (status !== 'done' && status !== 'need_more') {
        reasons.set(status, (reasons.get(status) ?? 0) + 1);
      }
      // Every row ends in a name, a reason, or an Initial that adds nothing to a flow already read.
      expect(['done', 'need_more', 'reserved_version', 'gquic', 'undecryptable', 'connection_close', 'not_initial']).toContain(status);
    }
    expect(named).toBe(121);
    expect(Object.fromEntries(reasons)).toEqual({ reserved_version: 58, gquic: 5, undecryptable: 1, connection_close: 1 });
  });

  it('reads the ECH hello on its outer name', () => {
    const row = rows.find((r) => r.note.includes('ECH'))!;
    const r = feed([row.datagram]);
    expect(r.status).toBe('done');
    expect(r.info!.ech).toBe(true);
    expect(r.info!.serverName).toBe(row.sni);
  });

  it('reads flows whose retransmission changes DCID and version (keys from the first Initial)', () => {
    for (const flow of ['b83cc45129cba97ee348d647f3c706dc85a7', '828381a786882fe30f09739d4782a217']) {
      const datagrams = rows.filter((r) => r.flow.endsWith(flow));
      expect(datagrams.length).toBeGreaterThan(1);
      const r = new InitialReader();
      for (const d of datagrams) expect(['need_more', 'done']).toContain(r.push(d.datagram));
      expect(r.info?.serverName).toBe(datagrams[0]!.sni);
    }
    // Alone, the later packet of the first flow cannot be opened: its keys come from the DCID
    // of the flow's first Initial, which the packet no longer carries.
    expect(feed([rows.filter((r) => r.flow.endsWith('b83cc45129cba97ee348d647f3c706dc85a7'))[1]!.datagram]).status).toBe('undecryptable');
  });
});

describe('hellos over several Initials (test encoder)', () => {
  const pq = recordedHello('it-mil-v086.prod.surfshark.com');

  it.each([['v1', QUIC_V1], ['v2', QUIC_V2], ['draft-29', DRAFT_29]])('%s: a 2 KiB hello over two Initials, the second to the server CID', (_n, version) => {
    expect(pq.length).toBeGreaterThan(1500);
    const [a, b] = helloOverInitials(pq, version, DCID, 1100, SERVER_CID);
    expect(b).toBeDefined();
    const r = new InitialReader();
    expect(r.push(a!)).toBe('need_more');
    expect(r.push(b!)).toBe('done');
    expect(r.info!.serverName).toBe('it-mil-v086.prod.surfshark.com');
    expect(r.info!.ech).toBe(true);
  });

  it('in reverse order, duplicated, and coalesced in one datagram', () => {
    // Sent together (before the server answered), both carry the original DCID.
    const [a, b] = helloOverInitials(pq, QUIC_V1, DCID, 1100);
    const rev = new InitialReader();
    expect(rev.push(b!)).toBe('need_more');
    expect(rev.push(b!)).toBe('need_more');
    expect(rev.push(a!)).toBe('done');
    expect(rev.info!.serverName).toBe('it-mil-v086.prod.surfshark.com');
    const first = encodeInitial({ version: QUIC_V1, keyDcid: DCID, pn: 0, frames: cryptoFrame(0, pq.subarray(0, 900)), padTo: 0 });
    const second = encodeInitial({ version: QUIC_V1, keyDcid: DCID, pn: 1, frames: cryptoFrame(900, pq.subarray(900)), padTo: 0 });
    expect(feed([Buffer.concat([first, second])]).info?.serverName).toBe('it-mil-v086.prod.surfshark.com');
  });

  it('an 11 KiB hello over twelve Initials in shuffled order, with overlapping retransmissions', () => {
    const huge = hugeHello();
    const packets = helloOverInitials(huge, QUIC_V1, DCID, 1000);
    const rnd = seededRandom(14);
    const order = packets.map((p, i) => ({ p, k: rnd(), i })).sort((x, y) => x.k - y.k);
    const r = new InitialReader();
    // Overlapping frame straddling two chunks, sent first.
    r.push(encodeInitial({ version: QUIC_V1, keyDcid: DCID, pn: 99, frames: cryptoFrame(500, huge.subarray(500, 1700)) }));
    const statuses = order.map(({ p }) => r.push(p));
    expect(statuses.at(-1)).toBe('done');
    expect(statuses.slice(0, -1).every((s) => s === 'need_more')).toBe(true);
    expect(r.info!.serverName).toBeNull();
  });

  it('refuses a hello above the cap, and a stream that is not a ClientHello', () => {
    const big = Buffer.alloc(20_000);
    big[0] = 1;
    big.writeUIntBE(big.length - 4, 1, 3);
    expect(feed([encodeInitial({ version: QUIC_V1, keyDcid: DCID, pn: 0, frames: cryptoFrame(0, big.subarray(0, 1000)) })]).status).toBe('too_large');
    const serverHello = Buffer.from('0200002a0303', 'hex');
    expect(feed([encodeInitial({ version: QUIC_V1, keyDcid: DCID, pn: 0, frames: cryptoFrame(0, serverHello) })]).status).toBe('not_client_hello');
    // CRYPTO data far past the cap is refused before anything is allocated for it.
    expect(feed([encodeInitial({ version: QUIC_V1, keyDcid: DCID, pn: 0, frames: cryptoFrame(2 ** 40, Buffer.alloc(10)) })]).status).toBe('too_large');
  });

  it('a forged packet after a good one does not end the check', () => {
    const [a, b] = helloOverInitials(pq, QUIC_V1, DCID, 1100);
    const r = new InitialReader();
    r.push(a!);
    const forged = Buffer.from(b!);
    forged[forged.length - 1]! ^= 1;
    expect(r.push(forged)).toBe('need_more');
    expect(r.push(Buffer.alloc(1200, 0x41))).toBe('need_more');
    expect(r.push(b!)).toBe('done');
  });

  it('frames an Initial may not carry make it malformed (RFC 9000 §17.2.2)', () => {
    const stream = Buffer.of(0x08, 0x00); // STREAM
    expect(feed([encodeInitial({ version: QUIC_V1, keyDcid: DCID, pn: 0, frames: stream })]).status).toBe('malformed');
  });
});

describe('varint and CRYPTO reassembly', () => {
  it('round-trips varints of each length (RFC 9000 §16, A.1 examples)', () => {
    expect(readVarint(Buffer.from('c2197c5eff14e88c', 'hex'), 0, 8)).toBe(151288809941952652);
    expect(readVarint(Buffer.from('9d7f3e7d', 'hex'), 0, 4)).toBe(494878333);
    expect(readVarint(Buffer.from('7bbd', 'hex'), 0, 2)).toBe(15293);
    expect(readVarint(Buffer.from('25', 'hex'), 0, 1)).toBe(37);
    expect(readVarint(Buffer.from('9d7f3e', 'hex'), 0, 3)).toBe(-1);
    for (const v of [0, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30, 2 ** 40]) {
      const e = encodeVarint(v);
      expect(readVarint(e, 0, e.length)).toBe(v);
    }
  });

  it('keeps the first copy of overlapping data and tracks the contiguous prefix', () => {
    const s = new CryptoStream(100);
    s.add(10, Buffer.from('klmnop'));
    expect(s.contiguous).toBe(0);
    s.add(0, Buffer.from('abcdefghij'));
    expect(s.contiguous).toBe(16);
    expect(s.add(12, Buffer.from('mnop'))).toBe('ok');
    expect(s.add(12, Buffer.from('XXXXXXqr'))).toBe('conflict');
    expect(Buffer.from(s.bytes(0, 20)).toString()).toBe('abcdefghijklmnopXXqr');
    expect(s.add(95, Buffer.alloc(10))).toBe('too_large');
  });
});

describe('fuzz: damaged, random, short, reordered and duplicated Initials', () => {
  const rows = quicInitialRows();
  const finals: ReaderStatus[] = ['done', 'need_more', 'version_negotiation', 'reserved_version', 'gquic', 'unknown_version', 'not_initial', 'truncated', 'bad_cid', 'undecryptable', 'malformed', 'connection_close', 'not_client_hello', 'bad_hello', 'too_large', 'conflict'];

  it('never throws and always answers, for 20,000 seeded mutations', () => {
    const rnd = seededRandom(2026);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
    const t0 = Date.now();
    for (let i = 0; i < 20_000; i++) {
      const base = Buffer.from(pick(rows).datagram);
      const kind = i % 6;
      let d: Buffer = base;
      if (kind === 0) for (let k = 0; k < 1 + rnd() * 8; k++) base[Math.floor(rnd() * base.length)] = Math.floor(rnd() * 256);
      else if (kind === 1) d = base.subarray(0, Math.floor(rnd() * base.length));
      else if (kind === 2) d = Buffer.from(Array.from({ length: Math.floor(rnd() * 1400) }, () => Math.floor(rnd() * 256)));
      else if (kind === 3) { base.writeUInt32BE(Math.floor(rnd() * 2 ** 32), 1); }
      else if (kind === 4) { base[0] = Math.floor(rnd() * 256); base[5] = Math.floor(rnd() * 256); }
      const r = new InitialReader();
      const s1 = r.push(d);
      // A second datagram of the same flow: the same one again (duplicated) or another row.
      const s2 = r.push(kind === 5 ? d : pick(rows).datagram);
      expect(finals).toContain(s1);
      expect(finals).toContain(s2);
    }
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});
