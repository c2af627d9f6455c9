import type { CheckResult } from './public-check.js';

/**
 * Answers of public checks of restricted names, kept for the register version they were
 * computed at: any change of the log moves the version and drops them all. A name that is
 * restricted is asked again and again (by people sent to it from a block page, by monitors),
 * and its answer needs three joins; repeating it from memory keeps those checks off Postgres.
 */
export class CheckAnswerCache {
  readonly #answers = new Map<string, Omit<CheckResult, 'at'>>();
  #version = -1;

  constructor(private readonly maxEntries = 50_000) {}

  get(name: string, version: number): Omit<CheckResult, 'at'> | undefined {
    if (version !== this.#version) return undefined;
    return this.#answers.get(name);
  }

  set(name: string, version: number, answer: CheckResult): void {
    // A suspension's answer changes by itself when its end passes: never repeat it.
    if (answer.matches.some((m) => m.until !== null) || answer.related.some((m) => m.until !== null)) return;
    if (version !== this.#version) {
      this.#answers.clear();
      this.#version = version;
    }
    if (this.#answers.size >= this.maxEntries) this.#answers.clear();
    const { at: _at, ...rest } = answer;
    this.#answers.set(name, rest);
  }
}
