import dgram from 'node:dgram';
import net from 'node:net';
import dns2 from 'dns2';

export const { Packet } = dns2;
export type Parsed = InstanceType<typeof dns2.Packet>;

export interface QueryOptions {
  id?: number;
  type?: number;
  edns?: { size?: number; do?: boolean } | false;
  rd?: boolean;
  opcode?: number;
}

/** A query as a client would send it; the name's case is kept byte for byte. */
export function buildQuery(name: string, opts: QueryOptions = {}): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(opts.id ?? Math.floor(Math.random() * 65536), 0);
  header.writeUInt16BE(((opts.opcode ?? 0) << 11) | (opts.rd === false ? 0 : 0x0100), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(opts.edns ? 1 : 0, 10);
  parts.push(header);
  for (const l of labels) {
    const b = Buffer.from(l, 'utf8');
    parts.push(Buffer.from([b.length]), b);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(opts.type ?? 1, 1);
  tail.writeUInt16BE(1, 3);
  parts.push(tail);
  if (opts.edns) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(opts.edns.size ?? 1232, 3);
    opt[7] = opts.edns.do ? 0x80 : 0;
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

export function parse(buf: Buffer): Parsed {
  return Packet.parse(buf);
}

/** One UDP exchange; undefined when nothing came back in time. */
export function udpAsk(port: number, msg: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => { s.close(); resolve(undefined); }, timeoutMs);
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(m); });
    s.on('error', () => { clearTimeout(t); s.close(); resolve(undefined); });
    s.send(msg, port, '127.0.0.1');
  });
}

/** One TCP exchange with RFC 7766 framing; undefined when nothing came back in time. */
export function tcpAsk(port: number, msg: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let acc = Buffer.alloc(0);
    const done = (v: Buffer | undefined): void => { clearTimeout(t); s.destroy(); resolve(v); };
    const t = setTimeout(() => done(undefined), timeoutMs);
    s.on('error', () => done(undefined));
    s.on('close', () => done(undefined));
    s.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      s.write(Buffer.concat([len, msg]));
    });
    s.on('data', (c: Buffer) => {
      acc = Buffer.concat([acc, c]);
      if (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) done(acc.subarray(2, 2 + acc.readUInt16BE(0)));
    });
  });
}

export function rcodeOf(buf: Buffer): number {
  return buf[3]! & 0x0f;
}

export function flagsOf(buf: Buffer): number {
  return buf.readUInt16BE(2);
}

/** The EDE option of a parsed message, if any. */
export function edeOf(p: Parsed): { infoCode: number; extraText: string } | undefined {
  for (const r of p.additionals) {
    if (r.type !== 41) continue;
    for (const o of r.rdata ?? []) {
      if (o.ednsCode === 15) return o as unknown as { infoCode: number; extraText: string };
    }
  }
  return undefined;
}
