import type { Server } from 'node:net';

/**
 * Binds a TCP or HTTP server and resolves with the port it got (port 0 in tests); a bind error
 * (EADDRINUSE, EACCES) rejects instead of surfacing later as an unhandled 'error' event.
 */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}
