import type net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { ConnectionMetrics } from '../observability/connection-metrics.js';
import type { TlsCredentials } from '../tls/tls-credentials.js';
import { listenOn } from '../util/listen.js';
import type { DnsStreamConnections } from './dns-stream-connections.js';
import { closeStreamServer, type StreamListener } from './tcp.js';

/**
 * DNS over TLS (RFC 7858) on DOT_PORT: the TCP framing inside TLS, with connections kept open
 * and pipelined queries answered as they complete (RFC 7766). Caps apply to the raw socket
 * before the handshake, so a flood of connections costs no TLS work; a handshake that does
 * not finish within DNS_TLS_HANDSHAKE_TIMEOUT_MS, or is not TLS at all, is counted and closed.
 */
export async function startDot(
  host: string, port: number, creds: TlsCredentials, handshakeTimeoutMs: number,
  conns: DnsStreamConnections, metrics: ConnectionMetrics, log: Logger,
): Promise<StreamListener> {
  const server = tls.createServer({
    ...creds.secureContextOptions(),
    // RFC 7858 3.2 / RFC 8310: "dot" is the ALPN id of DNS over TLS; clients without ALPN are welcome too.
    ALPNProtocols: ['dot'],
    handshakeTimeout: handshakeTimeoutMs,
    minVersion: 'TLSv1.2',
  });
  // First in line, before tls wraps the socket, so a refused connection costs no TLS state.
  server.prependListener('connection', (raw: net.Socket) => { conns.admit(raw); });
  server.on('secureConnection', (sock) => conns.serve(sock));
  server.on('tlsClientError', (err: NodeJS.ErrnoException, sock) => {
    // A reset is the client leaving (or our own refusal at accept, already counted), not a bad handshake.
    if (err.code !== 'ECONNRESET') metrics.refused('dot', 'tls-handshake');
    log.debug({ err: err.message }, 'DoT handshake failed');
    sock.destroy();
  });
  server.on('error', () => undefined);
  creds.attach(server);
  const bound = await listenOn(server, port, host);
  return {
    port: bound,
    close: () => {
      creds.detach(server);
      return closeStreamServer(server, conns);
    },
  };
}
