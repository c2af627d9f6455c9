import net from 'node:net';
import type { Deadlines } from '../../util/deadlines.js';
import { UpstreamTimeout } from './udp-exchange.js';
import type { UpstreamAddress } from './upstream-address.js';

/**
 * One question over a new TCP connection (RFC 7766 framing), used when the UDP answer came
 * back truncated. Connections are not pooled: this path is rare and a fresh connection
 * needs no idle management.
 */
export function tcpExchange(
  to: UpstreamAddress, query: Buffer, deadline: number, deadlines: Deadlines,
  accept: (resp: Buffer) => boolean,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: to.host, port: to.port });
    let settled = false;
    let acc: Buffer = Buffer.alloc(0);
    const d = { deadline, expire: () => finish(new UpstreamTimeout()) };
    const finish = (err: Error | undefined, resp?: Buffer): void => {
      if (settled) return;
      settled = true;
      deadlines.delete(d);
      sock.destroy();
      if (err) reject(err); else resolve(resp!);
    };
    deadlines.add(d);
    sock.on('error', (err) => finish(err));
    sock.on('close', () => finish(new Error('upstream closed the TCP connection')));
    sock.on('connect', () => {
      const len = Buffer.allocUnsafe(2);
      len.writeUInt16BE(query.length, 0);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (chunk: Buffer) => {
      acc = acc.length === 0 ? chunk : Buffer.concat([acc, chunk]);
      while (acc.length >= 2) {
        const n = acc.readUInt16BE(0);
        if (acc.length < 2 + n) return;
        const msg = Buffer.from(acc.subarray(2, 2 + n));
        acc = acc.subarray(2 + n);
        if (accept(msg)) { finish(undefined, msg); return; }
      }
    });
  });
}
