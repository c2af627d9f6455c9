import net from 'node:net';
import { listenOn } from '../util/listen.js';
import type { DnsStreamConnections } from './dns-stream-connections.js';

export interface StreamListener { port: number; close(): Promise<void> }

/**
 * DNS over TCP (RFC 7766) on DNS_PORT: accepting, capping and framing are the shared
 * stream-connection code's; this file only owns the socket server.
 */
export async function startTcp(host: string, port: number, conns: DnsStreamConnections): Promise<StreamListener> {
  const server = net.createServer({ noDelay: true }, (sock) => {
    if (conns.admit(sock)) conns.serve(sock);
  });
  server.on('error', () => undefined);
  const bound = await listenOn(server, port, host);
  return { port: bound, close: () => closeStreamServer(server, conns) };
}

/** Stop accepting, then end the connections; resolves when the last one is gone. */
export function closeStreamServer(server: net.Server, conns: DnsStreamConnections): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    conns.closeAll();
  });
}
