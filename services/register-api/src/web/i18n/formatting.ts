import type { Language } from './language.js';

const LOCALES: Record<Language, string> = { kk: 'kk-KZ', ru: 'ru-RU', en: 'en-GB' };

/** Intl formatters are costly to build and cheap to use: one set per language, built once. */
export interface Formatters {
  /** date and time, in UTC, written the reader's way */
  instant(value: string | Date | null | undefined): string;
  /** a calendar date (YYYY-MM-DD, as legal documents are dated) */
  date(value: string | null | undefined): string;
  number(value: number): string;
  /** the machine form for <time datetime> */
  iso(value: string | Date): string;
}

function build(lang: Language): Formatters {
  const locale = LOCALES[lang];
  const instant = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });
  const date = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' });
  const number = new Intl.NumberFormat(locale);
  return {
    instant(value) {
      if (value === null || value === undefined) return '';
      const d = typeof value === 'string' ? new Date(value) : value;
      return Number.isNaN(d.getTime()) ? String(value) : `${instant.format(d)} UTC`;
    },
    date(value) {
      if (!value) return '';
      const d = new Date(`${value.slice(0, 10)}T00:00:00Z`);
      return Number.isNaN(d.getTime()) ? value : date.format(d);
    },
    number: (value) => number.format(value),
    iso: (value) => (typeof value === 'string' ? value : value.toISOString()),
  };
}

export const FORMATTERS: Record<Language, Formatters> = { kk: build('kk'), ru: build('ru'), en: build('en') };
