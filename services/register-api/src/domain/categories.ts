/** Categories of restricted content (DESIGN.md, Decision). */
export const CATEGORIES = [
  'child_cyberbullying',
  'child_sexual_abuse',
  'extremism',
  'terrorism',
  'pornography',
  'drugs',
  'suicide',
  'gambling',
  'unregistered_platform',
  'order_noncompliance',
  'other',
] as const;

export type Category = (typeof CATEGORIES)[number];

/**
 * Categories whose URLs are never published: listing them would advertise the material.
 * The public sees the host and a hash of the URL; ISPs still receive the full value.
 */
const SENSITIVE: ReadonlySet<string> = new Set<Category>(['child_sexual_abuse']);

export function isSensitiveCategory(category: string): boolean {
  return SENSITIVE.has(category);
}
