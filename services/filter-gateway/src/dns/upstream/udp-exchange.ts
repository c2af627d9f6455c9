import dgram from 'node:dgram';
import type { Deadlines } from '../../util/deadlines.js';
import type { UpstreamAddress } from './upstream-address.js';

export class UpstreamTimeout extends Error {
  constructor() { super('upstream timeout'); }
}

/**
 * One question over UDP from a fresh socket: the kernel picks a random ephemeral source port
 * for each (Linux randomises them), which with the random ID makes blind spoofing hard
 * (RFC 5452). The socket is connected, so an ICMP port-unreachable surfaces as an error at
 * once and failover need not wait for the timeout. `accept` filters out datagrams that are
 * not the answer (wrong ID or question); those are ignored, not fatal.
 */
export function udpExchange(
  to: UpstreamAddress, query: Buffer, deadline: number, deadlines: Deadlines,
  accept: (resp: Buffer) => boolean,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(to.family === 6 ? 'udp6' : 'udp4');
    let settled = false;
    const d = {
      deadline,
      expire: () => finish(new UpstreamTimeout()),
    };
    const finish = (err: Error | undefined, resp?: Buffer): void => {
      if (settled) return;
      settled = true;
      deadlines.delete(d);
      try { sock.close(); } catch { /* already closed */ }
      if (err) reject(err); else resolve(resp!);
    };
    deadlines.add(d);
    sock.on('error', (err) => finish(err));
    sock.on('message', (msg) => { if (accept(msg)) finish(undefined, msg); });
    sock.connect(to.port, to.host, () => {
      if (settled) return;
      sock.send(query, (err) => { if (err) finish(err); });
    });
  });
}
