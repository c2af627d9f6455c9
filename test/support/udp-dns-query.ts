import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';

/** The wire form of a single-question query (RD set, no EDNS). */
export function encodeQuery(name: string, qtype = 1, id = randomInt(0, 0x10000)): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  parts.push(header);
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1]));
  return Buffer.concat(parts);
}

/**
 * One UDP query to 127.0.0.1:port; resolves to the answer's RCODE, or undefined after
 * `timeoutMs` without a matching answer. For readiness polls, where spawning dig is too slow.
 */
export async function udpRcode(port: number, name: string, timeoutMs = 500, qtype = 1): Promise<number | undefined> {
  const id = randomInt(0, 0x10000);
  const query = encodeQuery(name, qtype, id);
  const sock = createSocket('udp4');
  try {
    return await new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      sock.on('error', () => { clearTimeout(timer); resolve(undefined); });
      sock.on('message', (msg) => {
        if (msg.length >= 12 && msg.readUInt16BE(0) === id && (msg[2]! & 0x80) !== 0) {
          clearTimeout(timer);
          resolve(msg[3]! & 0x0f);
        }
      });
      sock.send(query, port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}
