import type { LegalBasisInput } from '../repositories/legal-basis-repository.js';

export type LegalBasisKind = LegalBasisInput['kind'];

/**
 * Register dumps name the authority but not the kind of document, so the kind is guessed from
 * the authority text (lower-cased), in this order:
 *   1. a court: a word starting or ending with `суд` (суд, судебный, Мосгорсуд), a word starting
 *      with `сот` (Kazakh соты, сотының — but not сотрудничество or сотовый), or `court`
 *      → court_ruling
 *   2. a prosecutor: `прокурат` or `прокурор` (Генпрокуратура, Бас прокуратурасы) or
 *      `prosecutor` → prosecutor_recommendation
 *   3. anything else (ministries, agencies, regulators) → ministry_order
 * Word edges matter: a bare substring would make "государственный" (which holds "суд") a court.
 * An operator who knows better passes `kind` and no guess is made.
 */
const COURT = [/суд(?!\p{L})/u, /(?<!\p{L})суд/u, /(?<!\p{L})сот(?!р|ов)/u, /(?<!\p{L})court/u];
const PROSECUTOR = [/прокурат/u, /прокурор/u, /prosecutor/u];

export function guessLegalBasisKind(authority: string): LegalBasisKind {
  const text = authority.toLowerCase();
  if (COURT.some((word) => word.test(text))) return 'court_ruling';
  if (PROSECUTOR.some((word) => word.test(text))) return 'prosecutor_recommendation';
  return 'ministry_order';
}
