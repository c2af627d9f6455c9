/**
 * One coarse clock per process. Reading a field is cheaper than Date.now() and far cheaper
 * than a timer per query; 10 ms is finer than anything we time with it (TTLs in seconds,
 * upstream timeouts in hundreds of ms, suspension ends).
 */
export class CoarseClock {
  now = Date.now();
  #timer: NodeJS.Timeout | undefined;
  readonly #tickers = new Set<(now: number) => void>();

  constructor(private readonly resolutionMs = 10) {}

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.now = Date.now();
      for (const t of this.#tickers) t(this.now);
    }, this.resolutionMs);
    this.#timer.unref();
  }

  /** Work that must happen "soon" (deadline sweeps) rides on the same interval. */
  onTick(fn: (now: number) => void): () => void {
    this.#tickers.add(fn);
    return () => this.#tickers.delete(fn);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#tickers.clear();
  }
}
