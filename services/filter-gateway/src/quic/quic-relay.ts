import dgram from 'node:dgram';
import { isIP } from 'node:net';

/**
 * The origin side of one relayed QUIC flow: its own UDP socket, so the origin's replies map
 * back to the flow by socket, not by parsing. Replies from any other source are ignored (an
 * off-path sender cannot inject into the flow through us).
 */
export interface QuicRelay {
  send(datagram: Uint8Array): void;
  close(): void;
}

export function openQuicRelay(
  address: string, port: number,
  onReply: (datagram: Buffer) => void,
  onError: (err: Error) => void,
): QuicRelay {
  const family = isIP(address);
  const sock = dgram.createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    // Addresses here are always literals: skip dns.lookup and its deferred send.
    lookup: (host, _options, cb) => cb(null, host, family === 6 ? 6 : 4),
  });
  let closed = false;
  sock.on('message', (msg, rinfo) => {
    if (rinfo.port !== port || rinfo.address !== address) return;
    onReply(msg);
  });
  // ICMP unreachable surfaces as ECONNREFUSED on the next send or read.
  sock.on('error', (err) => { if (!closed) onError(err); });
  sock.unref();
  return {
    send(datagram) {
      if (closed) return;
      sock.send(datagram, port, address, (err) => { if (err && !closed) onError(err); });
    },
    close() {
      if (closed) return;
      closed = true;
      try { sock.close(); } catch { /* already closed */ }
    },
  };
}
