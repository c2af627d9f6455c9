import { Counter, Gauge, type Registry } from 'prom-client';

/** Why a stream connection was refused at accept or cut off later. Bounded: metric labels. */
export type ConnectionRefusal = 'total-cap' | 'client-cap' | 'tls-handshake';
export type ConnectionCut = 'message-deadline' | 'idle' | 'bad-frame';

/**
 * Connections of the stream transports (TCP, DoT, DoH): open now, refused (caps, failed TLS
 * handshakes) and cut by a deadline. Connections are few next to queries, so prom-client's
 * own inc() is cheap enough here.
 */
export class ConnectionMetrics {
  readonly #refused: Counter<'transport' | 'reason'>;
  readonly #cut: Counter<'transport' | 'reason'>;
  readonly #open = new Map<string, () => number>();

  constructor(registry: Registry) {
    this.#refused = new Counter({
      name: 'dns_connections_refused_total',
      help: 'DNS stream connections refused: over the total or per-client cap, or a failed TLS handshake',
      labelNames: ['transport', 'reason'] as const,
      registers: [registry],
    });
    this.#cut = new Counter({
      name: 'dns_connections_cut_total',
      help: 'DNS stream connections closed by the gateway: message deadline, idle deadline, or a frame it cannot use',
      labelNames: ['transport', 'reason'] as const,
      registers: [registry],
    });
    const open = this.#open;
    new Gauge({
      name: 'dns_connections_open',
      help: 'DNS stream connections open now',
      labelNames: ['transport'] as const,
      registers: [registry],
      collect() { for (const [t, n] of open) this.set({ transport: t }, n()); },
    });
  }

  refused(transport: string, reason: ConnectionRefusal): void {
    this.#refused.inc({ transport, reason });
  }

  cut(transport: string, reason: ConnectionCut): void {
    this.#cut.inc({ transport, reason });
  }

  trackOpen(transport: string, count: () => number): void {
    this.#open.set(transport, count);
  }
}
