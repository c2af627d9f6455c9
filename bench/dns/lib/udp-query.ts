import { createSocket, type Socket } from 'node:dgram';

export const RCODE_NOERROR = 0;
export const RCODE_NXDOMAIN = 3;

/** The wire form of a single-question query (RD set, no EDNS). */
export function encodeQuery(name: string, qtype = 1, id = 0): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  parts.push(header);
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1]));
  return Buffer.concat(parts);
}

/**
 * A reusable UDP client for 127.0.0.1: one socket, queries matched to answers by ID.
 * `ask` resolves to the RCODE or undefined after the timeout.
 */
export class UdpAsker {
  readonly #sock: Socket;
  readonly #pending = new Map<number, (rcode: number) => void>();
  #nextId = 1;
  #ready: Promise<void>;

  constructor(private readonly port: number) {
    this.#sock = createSocket('udp4');
    this.#sock.on('error', () => undefined);
    this.#sock.on('message', (msg) => {
      if (msg.length < 12 || (msg[2]! & 0x80) === 0) return;
      const cb = this.#pending.get(msg.readUInt16BE(0));
      if (cb) cb(msg[3]! & 0x0f);
    });
    this.#ready = new Promise((resolve) => this.#sock.bind(0, '127.0.0.1', () => resolve()));
  }

  async ask(name: string, timeoutMs = 500, qtype = 1): Promise<number | undefined> {
    await this.#ready;
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) & 0xffff || 1;
    return new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => { this.#pending.delete(id); resolve(undefined); }, timeoutMs);
      this.#pending.set(id, (rcode) => { clearTimeout(timer); this.#pending.delete(id); resolve(rcode); });
      this.#sock.send(encodeQuery(name, qtype, id), this.port, '127.0.0.1');
    });
  }

  close(): void {
    try { this.#sock.close(); } catch { /* closed */ }
  }
}

/** Polls until `name` gets `rcode` (any rcode when undefined) or the deadline passes. */
export async function waitForRcode(port: number, name: string, rcode: number | undefined, timeoutMs: number, alive: () => boolean): Promise<void> {
  const asker = new UdpAsker(port);
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!alive()) throw new Error(`server on port ${port} exited before answering ${name}`);
      const got = await asker.ask(name, 300);
      if (got !== undefined && (rcode === undefined || got === rcode)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`port ${port} did not answer ${name} with rcode ${rcode} within ${timeoutMs} ms`);
  } finally {
    asker.close();
  }
}
