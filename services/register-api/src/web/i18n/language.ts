import { en, type Messages } from './en.js';
import { kk } from './kk.js';
import { ru } from './ru.js';

export const LANGUAGES = ['kk', 'ru', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const MESSAGES: Record<Language, Messages> = { kk, ru, en };

/** Kazakh first: the state language, and the register's own name. */
export const DEFAULT_LANGUAGE: Language = 'kk';

export function isLanguage(value: unknown): value is Language {
  return value === 'kk' || value === 'ru' || value === 'en';
}

/**
 * The reader's language: `?lang=` when it names one of ours (an explicit choice from the
 * switcher), else the first of ours in Accept-Language by q-value, else Kazakh.
 */
export function chooseLanguage(langParam: unknown, acceptLanguage: string | undefined): { lang: Language; explicit: boolean } {
  if (isLanguage(langParam)) return { lang: langParam, explicit: true };
  if (acceptLanguage) {
    let best: Language | undefined;
    let bestQ = 0;
    // Bounded: a hostile header of thousands of ranges costs no more than its first 20.
    const ranges = acceptLanguage.slice(0, 512).split(',', 20);
    for (const range of ranges) {
      const [tag, ...params] = range.trim().toLowerCase().split(';');
      const primary = tag?.split('-')[0];
      if (!isLanguage(primary)) continue;
      const qParam = params.find((p) => p.trim().startsWith('q='));
      const q = qParam ? Number(qParam.trim().slice(2)) : 1;
      if (Number.isFinite(q) && q > bestQ) {
        best = primary;
        bestQ = q;
      }
    }
    if (best) return { lang: best, explicit: false };
  }
  return { lang: DEFAULT_LANGUAGE, explicit: false };
}

/** `{name}` placeholders filled from `values`; unknown names stay as written. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
