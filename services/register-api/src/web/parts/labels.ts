import type { Messages } from '../i18n/en.js';

/** A label from one of the messages' enumerations, or the raw value when the enum grows before the labels do. */
export function label<K extends 'op' | 'reasons' | 'modes' | 'actions' | 'states' | 'decisionStatuses' | 'kinds' | 'basisKinds' | 'roles' | 'registrationStatuses' | 'categories'>(
  t: Messages, group: K, value: string | null | undefined,
): string {
  if (value === null || value === undefined) return t.none;
  const labels = t[group] as Record<string, string>;
  return Object.hasOwn(labels, value) ? labels[value]! : value;
}
