/**
 * A unique index refused a row (SQLSTATE 23505). Checks in the service catch the common case
 * with a precise message; this catches the race two concurrent requests can still run into,
 * so it answers 409 rather than 500.
 */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  if (e.code !== '23505') return false;
  return e.constraint === constraint || (typeof e.message === 'string' && e.message.includes(constraint));
}
