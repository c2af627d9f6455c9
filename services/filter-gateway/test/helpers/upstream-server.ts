import dgram from 'node:dgram';
import net from 'node:net';
import dns2 from 'dns2';

const { Packet } = dns2;

export type UpstreamMode = 'normal' | 'silent' | 'slow' | 'truncate' | 'refuse-udp';

export interface Zone {
  /** `cname`: answered as a CNAME to that name, followed by the target's own A/AAAA records. */
  [lowerName: string]: { a?: string[]; aaaa?: string[]; ttl?: number; txtCount?: number; cname?: string };
}

/**
 * A small authoritative-ish resolver on loopback for tests: answers the names it is given,
 * NXDOMAIN with an SOA for others, and can be told to be slow, silent or to truncate UDP.
 * Counts what it is asked so tests can see de-duplication and caching.
 */
export class TestUpstream {
  mode: UpstreamMode = 'normal';
  slowMs = 300;
  udpQueries = 0;
  tcpQueries = 0;
  readonly asked: string[] = [];
  port = 0;
  #udp = dgram.createSocket('udp4');
  #tcp = net.createServer((s) => this.#onTcp(s));

  constructor(public zone: Zone) {}

  async start(): Promise<this> {
    // UDP and TCP on the same port: retry when the TCP side of a random UDP port is taken.
    for (;;) {
      this.#udp = dgram.createSocket('udp4');
      await new Promise<void>((r) => this.#udp.bind(0, '127.0.0.1', () => r()));
      this.port = this.#udp.address().port;
      try {
        await new Promise<void>((r, j) => { this.#tcp.once('error', j); this.#tcp.listen(this.port, '127.0.0.1', () => { this.#tcp.off('error', j); r(); }); });
        break;
      } catch {
        await new Promise<void>((r) => this.#udp.close(() => r()));
      }
    }
    this.#udp.on('message', (m, rinfo) => {
      this.udpQueries++;
      if (this.mode === 'silent') return;
      const send = (): void => {
        const resp = this.answer(m, this.mode === 'truncate');
        if (resp) this.#udp.send(resp, rinfo.port, rinfo.address);
      };
      if (this.mode === 'slow') setTimeout(send, this.slowMs); else send();
    });
    return this;
  }

  get total(): number {
    return this.udpQueries + this.tcpQueries;
  }

  #onTcp(s: net.Socket): void {
    let acc = Buffer.alloc(0);
    s.on('error', () => s.destroy());
    s.on('data', (c: Buffer) => {
      acc = Buffer.concat([acc, c]);
      while (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        const m = acc.subarray(2, 2 + acc.readUInt16BE(0));
        acc = acc.subarray(2 + m.length);
        this.tcpQueries++;
        if (this.mode === 'silent') continue;
        const resp = this.answer(Buffer.from(m), false);
        if (!resp) continue;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(resp.length);
        s.write(Buffer.concat([len, resp]));
      }
    });
  }

  answer(m: Buffer, truncate: boolean): Buffer | undefined {
    let req;
    try { req = Packet.parse(m); } catch { return undefined; }
    const q = req.questions[0];
    if (!q) return undefined;
    this.asked.push(q.name);
    const res = new Packet(req);
    res.header.qr = 1;
    res.header.ra = 1;
    res.questions = req.questions;
    res.answers = [];
    res.authorities = [];
    res.additionals = req.additionals.filter((r) => r.type === 41).map((r) => ({ ...r, rdata: [] }) as unknown as typeof r);
    const z = this.zone[q.name.toLowerCase()];
    if (truncate) {
      res.header.tc = 1;
      return res.toBuffer();
    }
    if (!z) {
      res.header.rcode = Packet.RCODE.NXDOMAIN;
      res.authorities.push({
        name: 'test.', type: Packet.TYPE.SOA, class: 1, ttl: 300, primary: 'ns.test.', admin: 'h.test.',
        serial: 1, refresh: 60, retry: 60, expiration: 600, minimum: 30,
      } as never);
      return res.toBuffer();
    }
    const ttl = z.ttl ?? 300;
    let owner = q.name;
    let at = z;
    for (let hops = 0; at.cname && hops < 8; hops++) {
      res.answers.push({ name: owner, type: 5, class: 1, ttl, domain: at.cname } as never);
      owner = at.cname;
      const next = this.zone[at.cname.toLowerCase()];
      if (!next) break;
      at = next;
    }
    if (q.type === Packet.TYPE.A) for (const a of at.a ?? []) res.answers.push({ name: owner, type: 1, class: 1, ttl, address: a } as never);
    if (q.type === Packet.TYPE.AAAA) for (const a of at.aaaa ?? []) res.answers.push({ name: owner, type: 28, class: 1, ttl, address: a } as never);
    if (q.type === Packet.TYPE.TXT) {
      for (let i = 0; i < (z.txtCount ?? 1); i++) res.answers.push({ name: q.name, type: 16, class: 1, ttl, data: `record ${i} ${'x'.repeat(100)}` } as never);
    }
    if (res.answers.length === 0) {
      res.authorities.push({
        name: 'test.', type: Packet.TYPE.SOA, class: 1, ttl: 300, primary: 'ns.test.', admin: 'h.test.',
        serial: 1, refresh: 60, retry: 60, expiration: 600, minimum: 30,
      } as never);
    }
    return res.toBuffer();
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.#udp.close(() => r()));
    await new Promise<void>((r) => this.#tcp.close(() => r()));
  }
}

/** A loopback port with nothing listening on it (UDP): queries there get ICMP unreachable. */
export async function deadPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}
