import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { answerXfrQuery, warnRefusal, type XfrContext } from './xfr-answer.js';
import { listenOn } from '../util/listen.js';

export interface XfrListenerLimits {
  /** Open TCP connections in all; more are closed at once. */
  maxConnections: number;
  /** Open TCP connections from one address. */
  maxPerAddress: number;
  /** A query must arrive whole within this long of the connection opening (or of the last answer). */
  idleMs: number;
  /** A client that reads nothing for this long while we send is cut off (slow-read attack). */
  drainMs: number;
  /** A query longer than this is no transfer request: the connection is closed. */
  maxQueryBytes: number;
}

export const DEFAULT_XFR_LIMITS: XfrListenerLimits = {
  maxConnections: 64, maxPerAddress: 8, idleMs: 10_000, drainMs: 30_000, maxQueryBytes: 4096,
};

/**
 * The primary's listeners on `RPZ_XFR_PORT`: TCP for AXFR/IXFR (RFC 5936 §4.2 framing) and
 * UDP on the same port for SOA queries and IXFR probes (Unbound and BIND ask the SOA over UDP
 * before transferring). Queries on one connection are answered in order; a connection that
 * sends too much, too slowly, or reads too slowly is closed.
 */
export class XfrServer {
  readonly #tcp: net.Server;
  #udp: dgram.Socket | undefined;
  readonly #perAddress = new Map<string, number>();
  readonly #sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly ctx: XfrContext, private readonly log: Logger, private readonly limits = DEFAULT_XFR_LIMITS) {
    this.#tcp = net.createServer((s) => this.#connection(s));
    this.#tcp.maxConnections = limits.maxConnections;
    // Node closes connections past maxConnections without a word: count and log them, or a
    // flood of idle connections that shuts secondaries out would leave no trace.
    this.#tcp.on('drop', (d) => {
      this.ctx.metrics.refused.inc({ reason: 'total_cap' });
      const remote = d?.remoteAddress ?? '';
      warnRefusal(this.ctx, `${remote}|total_cap`, { remote, max: limits.maxConnections }, 'RPZ primary: connection limit reached; closing new connection');
    });
  }

  async listen(host: string, port: number): Promise<number> {
    this.port = await listenOn(this.#tcp, port, host);
    const udp = dgram.createSocket(net.isIP(host) === 6 ? 'udp6' : 'udp4');
    this.#udp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.port, host, () => { udp.off('error', reject); resolve(); });
    });
    udp.on('error', (err) => this.log.warn({ err }, 'RPZ UDP socket error'));
    udp.on('message', (msg, rinfo) => {
      answerXfrQuery(this.ctx, msg, rinfo.address, 'udp', (m) => { udp.send(m, rinfo.port, rinfo.address); }, () => false)
        .catch((err: unknown) => this.log.error({ err }, 'RPZ UDP query failed'));
    });
    return this.port;
  }

  #connection(s: net.Socket): void {
    const remote = s.remoteAddress ?? '';
    const count = (this.#perAddress.get(remote) ?? 0) + 1;
    if (count > this.limits.maxPerAddress) {
      this.ctx.metrics.refused.inc({ reason: 'too_many_connections' });
      this.log.warn({ remote }, 'RPZ primary: too many connections from one address');
      s.destroy();
      return;
    }
    this.#perAddress.set(remote, count);
    this.#sockets.add(s);
    s.setNoDelay(true);
    s.on('close', () => {
      this.#sockets.delete(s);
      const n = (this.#perAddress.get(remote) ?? 1) - 1;
      if (n <= 0) this.#perAddress.delete(remote); else this.#perAddress.set(remote, n);
    });
    s.on('error', () => undefined);

    let pending: Buffer = Buffer.alloc(0);
    let busy = false;
    const queue: Buffer[] = [];
    let idle = setTimeout(() => s.destroy(), this.limits.idleMs);
    const closed = (): boolean => s.destroyed;

    const send = async (m: Buffer): Promise<void> => {
      if (s.destroyed) throw new Error('connection closed');
      const len = Buffer.allocUnsafe(2);
      len.writeUInt16BE(m.length);
      s.cork();
      s.write(len);
      const ok = s.write(m);
      s.uncork();
      if (!ok) await this.#drained(s);
      // Loopback and fast peers take megabytes without pushing back, and a write the kernel
      // took at once emits 'drain' on the next tick, without the event loop turning: yield
      // after every message, so a big transfer never starves other clients and the UDP port
      // (an SOA query waited 220-380 ms behind an AXFR start before, at 300k rules).
      await new Promise<void>((resolve) => setImmediate(resolve));
    };

    const work = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        while (queue.length > 0 && !s.destroyed) {
          const q = queue.shift()!;
          clearTimeout(idle);
          await answerXfrQuery(this.ctx, q, remote, 'tcp', send, closed);
          idle = setTimeout(() => s.destroy(), this.limits.idleMs);
        }
      } catch {
        s.destroy();
      } finally {
        busy = false;
      }
    };

    s.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (len > this.limits.maxQueryBytes || len < 12) {
          this.ctx.metrics.refused.inc({ reason: 'oversized_or_short' });
          this.log.warn({ remote, len }, 'RPZ primary: query length out of bounds; closing');
          s.destroy();
          return;
        }
        if (pending.length < 2 + len) break;
        queue.push(Buffer.from(pending.subarray(2, 2 + len)));
        pending = pending.subarray(2 + len);
        if (queue.length > 8) {
          this.ctx.metrics.refused.inc({ reason: 'flood' });
          s.destroy();
          return;
        }
      }
      void work();
    });
    s.on('close', () => clearTimeout(idle));
  }

  /** Waits for the socket to drain; a reader slower than `drainMs` loses the connection. */
  async #drained(s: net.Socket): Promise<void> {
    const ac = new AbortController();
    let timedOut = false;
    const t = setTimeout(() => { timedOut = true; ac.abort(); }, this.limits.drainMs);
    try {
      await Promise.race([once(s, 'drain', { signal: ac.signal }), once(s, 'close', { signal: ac.signal })]);
    } catch (err) {
      // `once` also rejects on a socket error (the peer reset): that is no slow reader.
      if (!timedOut) { s.destroy(); throw err; }
      this.ctx.metrics.refused.inc({ reason: 'slow_reader' });
      this.log.warn({ remote: s.remoteAddress }, 'RPZ primary: client stopped reading; closing');
      s.destroy();
      throw new Error('slow reader');
    } finally {
      clearTimeout(t);
      ac.abort();
    }
    if (s.destroyed) throw new Error('connection closed');
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
    const udp = this.#udp;
    this.#udp = undefined;
    if (udp) await new Promise<void>((resolve) => { try { udp.close(() => resolve()); } catch { resolve(); } });
  }
}
