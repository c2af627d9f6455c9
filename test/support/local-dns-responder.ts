import { createSocket, type Socket } from 'node:dgram';

/**
 * A tiny authoritative stand-in for the resolvers a forwarder sends allowed names to, with
 * per-name addresses: answers A and AAAA from `records` (lower-case names, no trailing dot),
 * falls back to `defaultV4` for any other A question, and answers every other question with
 * NOERROR and no records. Records what it was asked. Binds 127.0.0.1 only and never sends
 * anything but replies to whoever asked.
 */
export interface ResponderRecords {
  [name: string]: { a?: readonly number[]; aaaa?: readonly number[] };
}

export class LocalDnsResponder {
  readonly questions: { name: string; qtype: number }[] = [];
  #socket: Socket | undefined;

  constructor(
    private readonly records: ResponderRecords = {},
    private readonly defaultV4: readonly number[] = [192, 0, 2, 10],
    private readonly ttl = 60,
  ) {}

  async start(): Promise<number> {
    const socket = createSocket('udp4');
    this.#socket = socket;
    socket.on('error', () => undefined);
    socket.on('message', (msg, rinfo) => {
      try {
        const reply = this.#answer(msg);
        if (reply) socket.send(reply, rinfo.port, rinfo.address);
      } catch {
        // A malformed question gets no answer; this is a test double, not a resolver.
      }
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => { socket.off('error', reject); resolve(); });
    });
    return socket.address().port;
  }

  /** Names asked (lower case), in order. */
  names(): string[] {
    return this.questions.map((q) => q.name);
  }

  close(): void {
    try { this.#socket?.close(); } catch { /* already closed */ }
    this.#socket = undefined;
  }

  #answer(msg: Buffer): Buffer | undefined {
    if (msg.length < 12 || (msg[2]! & 0x80) !== 0) return undefined;
    let i = 12;
    const labels: string[] = [];
    while (i < msg.length && msg[i] !== 0) {
      const l = msg[i]!;
      if (l > 63) return undefined;
      labels.push(msg.subarray(i + 1, i + 1 + l).toString('latin1'));
      i += l + 1;
    }
    if (i + 5 > msg.length) return undefined;
    const qtype = msg.readUInt16BE(i + 1);
    const qEnd = i + 5;
    const name = labels.join('.').toLowerCase();
    this.questions.push({ name, qtype });

    const rec = this.records[name];
    let rdata: readonly number[] | undefined;
    if (qtype === 1) rdata = rec?.a ?? (rec ? undefined : this.defaultV4);
    else if (qtype === 28) rdata = rec?.aaaa;

    const header = Buffer.from(msg.subarray(0, 12));
    header[2] = 0x84 | (msg[2]! & 0x01); // QR, AA, RD copied
    header[3] = 0x80; // RA, NOERROR
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(rdata ? 1 : 0, 6);
    header.writeUInt16BE(0, 8);
    header.writeUInt16BE(0, 10);
    const parts: Buffer[] = [header, msg.subarray(12, qEnd)];
    if (rdata) {
      const rr = Buffer.alloc(12 + rdata.length);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(qtype, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(this.ttl, 6);
      rr.writeUInt16BE(rdata.length, 10);
      Buffer.from(rdata).copy(rr, 12);
      parts.push(rr);
    }
    return Buffer.concat(parts);
  }
}
