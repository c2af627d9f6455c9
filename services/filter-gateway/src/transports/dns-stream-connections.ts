import type net from 'node:net';
import { DRAIN_GRACE_MS } from '../util/listen.js';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { StreamLimits } from '../config.js';
import type { Pipeline } from '../dns/pipeline/build-pipeline.js';
import { Query } from '../dns/pipeline/types.js';
import { MAX_MESSAGE } from '../dns/wire/constants.js';
import type { ConnectionMetrics } from '../observability/connection-metrics.js';
import type { CoarseClock } from '../util/clock.js';
import { ConnectionLimits } from './connection-limits.js';
import { dispatch } from './dispatch.js';

/** Queries one connection may have outstanding before we stop reading from it (RFC 7766 6.2.1.1). */
const MAX_PENDING = 64;
/** How often deadlines are checked; they are enforced to within this. */
const SWEEP_MS = 100;
/** After close() ends a connection, how long its client has to hang up before it is cut. */
/** Shared with every draining listener (util/listen.ts), so a stop takes one known bound. */
const CLOSE_GRACE_MS = DRAIN_GRACE_MS;

class Conn {
  acc: Buffer = Buffer.alloc(0);
  pending = 0;
  lastActivity: number;
  /** When the message now arriving began (its first length byte); 0 when between messages. */
  messageStart = 0;
  closing = false;

  constructor(readonly sock: net.Socket, now: number) {
    this.lastActivity = now;
  }
}

/**
 * The connection side of DNS over a byte stream (RFC 1035 4.2.2 framing, RFC 7766), shared by
 * plain TCP and DoT (RFC 7858, the same framing inside TLS): several queries per connection,
 * each answered as it completes, so pipelined queries may be answered out of order.
 *
 * Bounded against hostile clients: connections over the total or per-address cap are closed at
 * accept; a message must arrive whole within `messageTimeoutMs` of its first byte (a client
 * that sends a length and trickles the rest is cut off); a connection with nothing outstanding
 * and nothing received for `idleTimeoutMs` is closed. Deadlines are swept on the process's
 * coarse clock, not one timer per connection or message.
 */
export class DnsStreamConnections {
  readonly #conns = new Set<Conn>();
  readonly #limits: ConnectionLimits;
  readonly #stopSweep: () => void;
  #lastSweep = 0;
  #closing = false;

  constructor(
    private readonly transport: 'tcp' | 'dot',
    private readonly limits: StreamLimits,
    private readonly pipeline: Pipeline,
    private readonly clock: CoarseClock,
    private readonly metrics: ConnectionMetrics,
    private readonly log: Logger,
  ) {
    this.#limits = new ConnectionLimits(limits.maxConnections, limits.maxConnectionsPerClient);
    metrics.trackOpen(transport, () => this.#limits.total);
    this.#stopSweep = clock.onTick((now) => {
      if (now - this.#lastSweep < SWEEP_MS) return;
      this.#lastSweep = now;
      this.#sweep(now);
    });
  }

  get open(): number { return this.#conns.size; }

  /**
   * Called on the raw TCP socket as it is accepted (before any TLS): takes a slot under the
   * caps or closes it. Returns whether it was admitted.
   */
  admit(raw: net.Socket): boolean {
    const client = raw.remoteAddress ?? '?';
    const verdict = this.#closing ? 'total-cap' : this.#limits.acquire(client);
    if (verdict !== 'ok') {
      this.metrics.refused(this.transport, verdict);
      raw.destroy();
      return false;
    }
    raw.once('close', () => this.#limits.release(client));
    return true;
  }

  /** Serves DNS messages on an admitted socket (the raw one for TCP, the TLS one for DoT). */
  serve(sock: net.Socket): void {
    // A TLS handshake can finish after close() began (the client is done before we are).
    if (this.#closing) { sock.end(); setTimeout(() => sock.destroy(), CLOSE_GRACE_MS).unref(); return; }
    const c = new Conn(sock, this.clock.now);
    this.#conns.add(c);
    sock.setNoDelay(true);
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.#conns.delete(c));
    const reply = (chunks: Uint8Array[] | null): void => {
      c.pending--;
      if (c.pending < MAX_PENDING && sock.isPaused() && !c.closing) sock.resume();
      if (chunks !== null && !sock.destroyed) {
        let size = 0;
        for (let k = 0; k < chunks.length; k++) size += chunks[k]!.length;
        const len = Buffer.allocUnsafe(2);
        len.writeUInt16BE(size, 0);
        sock.cork();
        sock.write(len);
        for (let k = 0; k < chunks.length; k++) sock.write(chunks[k]!);
        sock.uncork();
      }
      if (c.closing && c.pending === 0) sock.end();
    };
    sock.on('data', (chunk: Buffer) => {
      if (c.closing) return;
      const now = this.clock.now;
      c.lastActivity = now;
      let acc = c.acc.length === 0 ? chunk : Buffer.concat([c.acc, chunk]);
      let completed = false;
      while (acc.length >= 2) {
        const n = acc.readUInt16BE(0);
        if (acc.length < 2 + n) break;
        // Each message gets its own bytes: answers are written by editing them in place.
        const msg = Buffer.from(acc.subarray(2, 2 + n));
        acc = acc.subarray(2 + n);
        completed = true;
        if (n === 0) continue;
        c.pending++;
        dispatch(this.pipeline, new Query(msg, this.transport, MAX_MESSAGE, performance.now()), reply, this.log);
      }
      c.acc = acc;
      if (acc.length === 0) c.messageStart = 0;
      else if (completed || c.messageStart === 0) c.messageStart = now;
      if (c.pending >= MAX_PENDING) sock.pause();
    });
  }

  #sweep(now: number): void {
    const { messageTimeoutMs, idleTimeoutMs } = this.limits;
    for (const c of this.#conns) {
      if (c.messageStart !== 0 && now - c.messageStart >= messageTimeoutMs) {
        this.metrics.cut(this.transport, 'message-deadline');
        c.sock.destroy();
      } else if (c.pending === 0 && c.messageStart === 0 && now - c.lastActivity >= idleTimeoutMs) {
        this.metrics.cut(this.transport, 'idle');
        c.sock.destroy();
      }
    }
  }

  /**
   * Stops taking new connections (admit refuses) and ends the open ones: idle ones now, busy
   * ones after their last answer; whoever has not hung up within the drain grace is cut.
   */
  closeAll(): void {
    this.#closing = true;
    this.#stopSweep();
    for (const c of this.#conns) {
      c.closing = true;
      if (c.pending === 0) c.sock.end();
      setTimeout(() => c.sock.destroy(), CLOSE_GRACE_MS).unref();
    }
  }
}
