import { describe, expect, it } from 'vitest';
import { ClientHelloParser, decodeAlpn, type HelloStatus } from '../src/sni/client-hello-parser.js';
import { allHellos, padHello, prng, reframe, splitInto, type HelloRow } from './sni-fixtures.js';

const rows = allHellos();

function feed(parts: readonly Uint8Array[], parser = new ClientHelloParser()): ClientHelloParser {
  for (const p of parts) if (parser.push(p) !== 'need_more') break;
  return parser;
}

function bytewise(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < buf.length; i++) out.push(buf.subarray(i, i + 1));
  return out;
}

function expectRow(parser: ClientHelloParser, row: HelloRow): void {
  expect(parser.status, row.name).toBe('done');
  const info = parser.info!;
  expect(info.serverName, row.name).toBe(row.sni);
  expect(decodeAlpn(info), row.name).toEqual(row.alpn);
  expect(info.ech, row.name).toBe(row.ech);
  expect(info.esni, row.name).toBe(row.esni);
}

describe('ClientHello parser on the real corpus', () => {
  it('has the corpus it is judged on', () => {
    expect(rows.length).toBe(401 + 22);
    expect(rows.some((r) => r.segments > 1)).toBe(true);
    expect(rows.some((r) => r.ech)).toBe(true);
    expect(rows.some((r) => r.sni === null)).toBe(true);
  });

  it('extracts the recorded SNI, ALPN and ECH of every hello, whole', () => {
    for (const row of rows) expectRow(feed([row.bytes]), row);
  });

  it('the same split into the recorded number of TCP segments (and into 2, 3 and 7)', () => {
    for (const row of rows) {
      for (const n of new Set([row.segments, 2, 3, 7])) expectRow(feed(splitInto(row.bytes, n)), row);
    }
  });

  it('the same fed one byte at a time', () => {
    for (const row of rows) {
      const parser = new ClientHelloParser();
      const parts = bytewise(row.bytes);
      let status: HelloStatus = 'need_more';
      for (let i = 0; i < parts.length; i++) {
        status = parser.push(parts[i]!);
        // Done exactly on the last byte of the handshake message, not before.
        if (i < parts.length - 1) expect(status, row.name).toBe('need_more');
      }
      expectRow(parser, row);
    }
  });

  it('the same re-framed into several TLS records, fed whole and byte by byte', () => {
    for (const row of rows) {
      for (const frag of [1000, 100, 17]) {
        const multi = reframe(row.bytes, frag);
        expectRow(feed([multi]), row);
        expectRow(feed(splitInto(multi, 5)), row);
      }
      if (row.bytes.length < 2000) expectRow(feed(bytewise(reframe(row.bytes, 33))), row);
    }
  });

  it('reads hellos grown past 2 KB (post-quantum key share size) in two segments', () => {
    for (const row of rows.filter((r) => r.sni !== null).slice(0, 50)) {
      const big = padHello(row.bytes, 1800 + row.bytes.length % 300);
      expect(big.length).toBeGreaterThan(2048);
      expectRow(feed(splitInto(big, 2)), row);
    }
  });

  it('reads the 11 KB hello and refuses one over the bound', () => {
    const huge = rows.find((r) => r.bytes.length > 10_000)!;
    expectRow(feed(splitInto(huge.bytes, 12)), huge);
    expect(feed([huge.bytes], new ClientHelloParser({ maxHelloBytes: 4096 })).status).toBe('too_large');
    // Just under the bound passes; just over, across two records, is refused.
    const base = rows.find((r) => r.sni !== null)!;
    expectRow(feed(splitInto(padHello(base.bytes, 16_000), 3)), base);
    expect(feed(splitInto(reframe(padHello(base.bytes, 16_300), 8000), 3)).status).toBe('too_large');
  });
});

describe('ClientHello parser on hostile input', () => {
  it('closes on bytes that are not TLS', () => {
    for (const s of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'SSH-2.0-OpenSSH_9.6\r\n', '\x80\x2e\x01\x03\x01']) {
      expect(feed([Buffer.from(s, 'latin1')]).status).toBe('not_tls');
    }
    // An alert record, or a handshake record that is not a ClientHello.
    expect(feed([Buffer.from('150301000202', 'hex')]).status).toBe('not_tls');
    expect(feed([Buffer.from('16030100040e000000', 'hex')]).status).toBe('malformed');
  });

  it('refuses smuggling shapes: two server_name extensions, two host names in one list', () => {
    const row = rows.find((r) => r.sni === 'www.ntop.org')!;
    expect(feed([withExtra(row.bytes, sniExt('blocked.test'))]).status).toBe('malformed');
    const noSni = rows.find((r) => r.sni === null && r.file.includes('utls'))!;
    expect(feed([withExtra(noSni.bytes, sniExt('allowed.test', 'blocked.test'))]).status).toBe('malformed');
    expect(feed([withExtra(noSni.bytes, sniExt('allowed.test'))]).info!.serverName).toBe('allowed.test');
  });

  it('marks names with bytes no host name has', () => {
    const noSni = rows.find((r) => r.sni === null && r.bytes.length < 400 && r.file.includes('utls'))!;
    const ok = feed([withExtra(noSni.bytes, sniExt('Blocked.Test.'))]).info!;
    expect(ok.serverName).toBe('Blocked.Test.');
    expect(ok.serverNameValid).toBe(true);
    const bad = feed([withExtra(noSni.bytes, sniExt('blocked.test\0.evil'))]).info!;
    expect(bad.serverNameValid).toBe(false);
    const v6 = feed([withExtra(noSni.bytes, sniExt('2001:db8::1'))]).info!;
    expect(v6.serverName).toBe('2001:db8::1');
    expect(v6.serverNameValid).toBe(true);
  });

  it('never throws and stays bounded on random bytes', () => {
    const rnd = prng(1);
    for (let iter = 0; iter < 20_000; iter++) {
      const len = Math.floor(rnd() * 600);
      const buf = Buffer.alloc(len);
      for (let i = 0; i < len; i++) buf[i] = Math.floor(rnd() * 256);
      // Half of them look like a handshake record, so the fuzz reaches the body parser.
      if (iter % 2 === 0 && len > 9) { buf[0] = 22; buf[1] = 3; buf[5] = 1; }
      const parser = feed(splitInto(buf, 1 + Math.floor(rnd() * 4)));
      expect(['need_more', 'done', 'not_tls', 'malformed', 'too_large']).toContain(parser.status);
      if (parser.status === 'done') expect(parser.info!.serverName?.length ?? 0).toBeLessThanOrEqual(255);
    }
  });

  it('never throws on truncated and mutated real hellos', () => {
    const rnd = prng(2);
    for (const row of rows) {
      for (let k = 0; k < 30; k++) {
        const cut = Math.floor(rnd() * row.bytes.length);
        // A truncated hello is never complete: the parser must keep waiting, not guess.
        expect(feed([row.bytes.subarray(0, cut)]).status).toBe('need_more');
        const m = Buffer.from(row.bytes);
        const flips = 1 + Math.floor(rnd() * 8);
        for (let f = 0; f < flips; f++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
        const parts = splitInto(m, 1 + Math.floor(rnd() * 5));
        const parser = feed(parts);
        expect(['need_more', 'done', 'not_tls', 'malformed', 'too_large']).toContain(parser.status);
      }
    }
  });

  it('bounds what a peer can make it hold', () => {
    // A header announcing a 16 MB message is refused at once, not buffered.
    expect(feed([Buffer.from('1603014000' + '01ffffff', 'hex')]).status).toBe('too_large');
    // Endless 1-byte records never pass the raw-bytes bound.
    const parser = new ClientHelloParser({ maxHelloBytes: 16384 });
    for (const b of ['01', '00', '3f', '00']) parser.push(Buffer.from('1603010001' + b, 'hex'));
    let status: HelloStatus = 'need_more';
    for (let i = 0; i < 20_000 && status === 'need_more'; i++) status = parser.push(Buffer.from('160301000100', 'hex'));
    expect(status).toBe('too_large');
    // Zero-length handshake records are refused (they would stall us on headers alone).
    expect(feed([Buffer.from('1603010000', 'hex')]).status).toBe('malformed');
  });
});

/** The record with one more extension appended (lengths fixed up). */
function withExtra(record: Buffer, ext: Buffer): Buffer {
  const body = record.subarray(9);
  let p = 34;
  p += 1 + body[p]!;
  p += 2 + body.readUInt16BE(p);
  p += 1 + body[p]!;
  const hasExts = p < body.length;
  const extLen = hasExts ? body.readUInt16BE(p) : 0;
  const exts = hasExts ? body.subarray(p + 2, p + 2 + extLen) : Buffer.alloc(0);
  const all = Buffer.concat([exts, ext]);
  const hdr = Buffer.alloc(2);
  hdr.writeUInt16BE(all.length, 0);
  const newBody = Buffer.concat([body.subarray(0, p), hdr, all]);
  const msgHdr = Buffer.from([1, 0, 0, 0]);
  msgHdr.writeUIntBE(newBody.length, 1, 3);
  const recHdr = Buffer.from([22, 3, 1, 0, 0]);
  recHdr.writeUInt16BE(4 + newBody.length, 3);
  return Buffer.concat([recHdr, msgHdr, newBody]);
}

/** A server_name extension listing the given host names. */
function sniExt(...names: string[]): Buffer {
  const entries = names.map((name) => {
    const n = Buffer.from(name, 'latin1');
    const e = Buffer.alloc(3);
    e.writeUInt16BE(n.length, 1);
    return Buffer.concat([e, n]);
  });
  const list = Buffer.concat(entries);
  const hdr = Buffer.alloc(6);
  hdr.writeUInt16BE(0, 0);
  hdr.writeUInt16BE(list.length + 2, 2);
  hdr.writeUInt16BE(list.length, 4);
  return Buffer.concat([hdr, list]);
}
