/**
 * Bounds the `warn` lines the primary writes for refused queries. A refusal can be provoked by
 * anyone who can reach the port, over UDP with any source address, so one line per refused
 * packet lets a stranger fill the gateway's disk. Each (peer, reason, key) is logged the first
 * time, then at most once per `windowMs` with the number of refusals left out in between; and
 * all peers together get at most `maxPerWindow` lines per window (spoofed sources are each new).
 * The metrics (`rpz_xfr_refused_total`) still count every refusal.
 */
export class RefusalLogLimiter {
  readonly #seen = new Map<string, { until: number; suppressed: number }>();
  #windowStart = 0;
  #linesInWindow = 0;
  #droppedInWindow = 0;

  constructor(
    private readonly windowMs = 60_000,
    private readonly maxPerWindow = 200,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether to write a line for this refusal now; when it says yes, `suppressed` is how many
   * refusals of the same kind were not logged since the last line (and `droppedOverall`, how
   * many lines of any kind the global cap left out in the previous window).
   */
  admit(key: string): { log: false } | { log: true; suppressed: number; droppedOverall: number } {
    const t = this.now();
    let droppedOverall = 0;
    if (t - this.#windowStart >= this.windowMs) {
      droppedOverall = this.#droppedInWindow;
      this.#windowStart = t;
      this.#linesInWindow = 0;
      this.#droppedInWindow = 0;
    }
    const entry = this.#seen.get(key);
    if (entry && t < entry.until) {
      entry.suppressed++;
      return { log: false };
    }
    if (this.#linesInWindow >= this.maxPerWindow) {
      this.#droppedInWindow++;
      return { log: false };
    }
    if (!entry && this.#seen.size >= this.maxKeys) this.#sweep(t);
    const suppressed = entry?.suppressed ?? 0;
    this.#seen.set(key, { until: t + this.windowMs, suppressed: 0 });
    this.#linesInWindow++;
    return { log: true, suppressed, droppedOverall };
  }

  #sweep(t: number): void {
    for (const [k, e] of this.#seen) if (t >= e.until) this.#seen.delete(k);
    // Still full (a flood of distinct sources inside one window): start over; the global cap holds.
    if (this.#seen.size >= this.maxKeys) this.#seen.clear();
  }
}
