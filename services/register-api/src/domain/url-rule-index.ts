/**
 * The active `url` rules by the host they are on (the resource's `host` column, as the
 * database query compares it), each with the log entry that added it. URL rules are few
 * (thousands, not millions), so plain Maps are the right size.
 */
export class UrlRuleIndex {
  readonly #byHost = new Map<string, Map<string, number>>();
  readonly #hostOf = new Map<string, string>();

  get size(): number {
    return this.#hostOf.size;
  }

  hasHost(host: string): boolean {
    return this.#byHost.has(host);
  }

  /** The entry this value had before, or -1. */
  set(host: string, value: string, entry: number): number {
    const previous = this.delete(value);
    let values = this.#byHost.get(host);
    if (!values) this.#byHost.set(host, (values = new Map()));
    values.set(value, entry);
    this.#hostOf.set(value, host);
    return previous;
  }

  /** The entry of the removed rule, or -1. */
  delete(value: string): number {
    const host = this.#hostOf.get(value);
    if (host === undefined) return -1;
    this.#hostOf.delete(value);
    const values = this.#byHost.get(host)!;
    const entry = values.get(value)!;
    values.delete(value);
    if (values.size === 0) this.#byHost.delete(host);
    return entry;
  }

  /** [value, entry] of every rule on `host`. */
  onHost(host: string): Iterable<[string, number]> {
    return this.#byHost.get(host) ?? [];
  }
}
