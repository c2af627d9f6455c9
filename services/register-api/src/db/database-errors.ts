/**
 * Errors that mean "the database is not there right now" rather than "the request is wrong":
 * refused or reset connections, a server shutting down, a pool that could not connect in time.
 * They become 503 with Retry-After, and the transaction they interrupted wrote nothing.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '08000', '08001', '08003', '08004', '08006', '08007', // connection exceptions
  '53300', // too_many_connections
]);

const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTCONN', 'EHOSTUNREACH']);

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATES.has(e.code) || UNAVAILABLE_NODE_CODES.has(e.code))) return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  return (
    msg.includes('Connection terminated') ||
    msg.includes('timeout exceeded when trying to connect') ||
    msg.includes('Client has encountered a connection error') ||
    msg.includes('terminating connection due to administrator command') ||
    msg.includes('the database system is shutting down') ||
    msg.includes('the database system is starting up')
  );
}

/**
 * Errors that mean "the database refused this value": a data exception (class 22: a character
 * it cannot store, a number or date out of its range, a string too long) or a check constraint.
 * Validation should have caught each before; as a last line they become 400, never 500.
 */
export function isDatabaseRefusal(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && (code.startsWith('22') || code === '23514' || code === '54000');
}

/**
 * Why the database refused the person behind a write (migration 0081, SQLSTATE TZ403, the reason
 * in DETAIL): the service checks the same before writing, so this is the last line, e.g. an
 * approver disabled between their request's authentication and its commit.
 */
export type ActorRefusal = 'unknown_user' | 'drafter' | 'disabled' | 'missing_role' | 'no_actor';
const ACTOR_REFUSALS = new Set<string>(['unknown_user', 'drafter', 'disabled', 'missing_role', 'no_actor']);

export function actorRefusal(err: unknown): ActorRefusal | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; detail?: unknown };
  if (e.code !== 'TZ403') return undefined;
  return typeof e.detail === 'string' && ACTOR_REFUSALS.has(e.detail) ? (e.detail as ActorRefusal) : 'no_actor';
}

/**
 * The register's protection triggers (migrations 0021–0023, 0080) refusing a change: a status
 * that skips the state machine, a closed span reopened, a defining column rewritten. They raise
 * insufficient_privilege (42501), as does a missing grant. The service checks the same rules
 * first, so this means it and the database disagree (a race, or a bug): the client is told its
 * change was refused and nothing was written (409), and the service logs it as an error.
 */
export function isProtectionRefusal(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { code?: unknown }).code === '42501';
}
