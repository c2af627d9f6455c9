import type { Server, Socket } from 'node:net';

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

/**
 * How long a stopping gateway lets queries already received on a connection finish (an
 * upstream answer on its way) before it closes what is left. With sync's stop and the
 * snapshot write, the whole stop stays within 3 s.
 */
export const DRAIN_GRACE_MS = 1_500;

/**
 * The connections of one stream listener (DNS over TCP, DoH, DoT, ...), so that a stop can
 * drain them: stop accepting, close idle connections at once, close each busy one as soon as
 * its last answer is written, and close whatever is still open when the grace period ends.
 * A listener joins by creating one on its server and marking work on a connection with
 * `begin`/`end`; `draining` tells it to ask clients not to keep the connection.
 *
 * `event` is the server's event that hands over a client's socket: 'connection' for TCP and
 * HTTP, 'secureConnection' for TLS (the socket `begin`/`end` are then given).
 */
export class ConnectionDrain {
  readonly #server: Server;
  readonly #busy = new Map<Socket, number>();
  #draining = false;
  #allClosed: (() => void) | undefined;

  constructor(server: Server, event: 'connection' | 'secureConnection' = 'connection') {
    this.#server = server;
    server.on(event, (sock: Socket) => {
      if (this.#draining) {
        sock.destroy();
        return;
      }
      this.#busy.set(sock, 0);
      sock.once('close', () => {
        this.#busy.delete(sock);
        if (this.#busy.size === 0) this.#allClosed?.();
      });
    });
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Open connections. */
  get size(): number {
    return this.#busy.size;
  }

  /** A query or request started on `sock`. */
  begin(sock: Socket): void {
    const n = this.#busy.get(sock);
    if (n !== undefined) this.#busy.set(sock, n + 1);
  }

  /** Its answer is written; a draining connection with nothing left in flight is closed now. */
  end(sock: Socket): void {
    const n = this.#busy.get(sock);
    if (n === undefined) return;
    this.#busy.set(sock, Math.max(0, n - 1));
    if (this.#draining && n <= 1) sock.end();
  }

  /** Stops accepting, lets work in flight finish for up to `graceMs`, then closes the rest. */
  async drain(graceMs = DRAIN_GRACE_MS): Promise<void> {
    if (!this.#draining) {
      this.#draining = true;
      this.#server.close();
      // end() flushes what is already written, then FIN: an idle client sees a clean close.
      for (const [sock, n] of this.#busy) if (n === 0) sock.end();
    }
    if (this.#busy.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.#allClosed = () => { clearTimeout(timer); resolve(); };
      });
    }
    for (const sock of this.#busy.keys()) sock.destroy();
    this.#busy.clear();
  }
}
