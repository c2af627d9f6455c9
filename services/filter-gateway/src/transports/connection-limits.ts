/**
 * Caps on open connections for one listener: in total, and per client address. A client at
 * its cap (or a listener at its total) gets its new connection closed at accept, before any
 * TLS work is spent on it.
 */
export class ConnectionLimits {
  readonly #perClient = new Map<string, number>();
  #total = 0;

  constructor(private readonly maxTotal: number, private readonly maxPerClient: number) {}

  get total(): number { return this.#total; }

  /** Takes a slot for `client`, or says which cap is full. Every 'ok' needs one release(). */
  acquire(client: string): 'ok' | 'total-cap' | 'client-cap' {
    if (this.#total >= this.maxTotal) return 'total-cap';
    const n = this.#perClient.get(client) ?? 0;
    if (n >= this.maxPerClient) return 'client-cap';
    this.#perClient.set(client, n + 1);
    this.#total++;
    return 'ok';
  }

  release(client: string): void {
    const n = this.#perClient.get(client);
    if (n === undefined) return;
    if (n <= 1) this.#perClient.delete(client); else this.#perClient.set(client, n - 1);
    this.#total--;
  }
}
