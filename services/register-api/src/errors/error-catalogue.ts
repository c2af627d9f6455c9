/**
 * Every error the register answers with, with a stable code and its HTTP status. Clients match
 * on `code`; messages are for people and may change.
 */
export const ERROR_CATALOGUE = {
  VALIDATION: { code: 'REG_ERR_VALIDATION', status: 400 },
  UNAUTHENTICATED: { code: 'REG_ERR_UNAUTHENTICATED', status: 401 },
  FORBIDDEN: { code: 'REG_ERR_FORBIDDEN', status: 403 },
  NOT_FOUND: { code: 'REG_ERR_NOT_FOUND', status: 404 },
  SELF_APPROVAL: { code: 'REG_ERR_SELF_APPROVAL', status: 409 },
  INVALID_STATE: { code: 'REG_ERR_INVALID_STATE', status: 409 },
  CONFLICT: { code: 'REG_ERR_CONFLICT', status: 409 },
  FEED_GONE: { code: 'REG_ERR_FEED_GONE', status: 410 },
  PAYLOAD_TOO_LARGE: { code: 'REG_ERR_PAYLOAD_TOO_LARGE', status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { code: 'REG_ERR_UNSUPPORTED_MEDIA_TYPE', status: 415 },
  RATE_LIMITED: { code: 'REG_ERR_RATE_LIMITED', status: 429 },
  INTERNAL: { code: 'REG_ERR_INTERNAL', status: 500 },
  DATABASE_UNAVAILABLE: { code: 'REG_ERR_DATABASE_UNAVAILABLE', status: 503 },
  REQUEST_TIMEOUT: { code: 'REG_ERR_REQUEST_TIMEOUT', status: 408 },
  URI_TOO_LONG: { code: 'REG_ERR_URI_TOO_LONG', status: 414 },
  HEADERS_TOO_LARGE: { code: 'REG_ERR_HEADERS_TOO_LARGE', status: 431 },
  /** Approving a decision whose effectiveUntil has already passed: it would never be in force. */
  WINDOW_PASSED: { code: 'REG_ERR_WINDOW_PASSED', status: 409 },
  /** The process is stopping: long-polls end at once and new requests are turned away, with Retry-After. */
  SHUTTING_DOWN: { code: 'REG_ERR_SHUTTING_DOWN', status: 503 },
} as const;

export type ErrorKind = keyof typeof ERROR_CATALOGUE;

/** One field's problem, named the way a client wrote it: `resources[2]`, `effectiveUntil`. */
export interface FieldIssue {
  field: string;
  message: string;
}

export class RegisterError extends Error {
  readonly kind: ErrorKind;
  readonly details: FieldIssue[] | undefined;

  constructor(kind: ErrorKind, message: string, details?: FieldIssue[]) {
    super(message);
    this.name = 'RegisterError';
    this.kind = kind;
    this.details = details;
  }

  get code(): string {
    return ERROR_CATALOGUE[this.kind].code;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.kind].status;
  }
}

/** A 400 about one field, the common case of domain validation beyond the schema. */
export function fieldError(field: string, message: string): RegisterError {
  return new RegisterError('VALIDATION', `${field}: ${message}`, [{ field, message }]);
}

export const notFound = (what: string): RegisterError => new RegisterError('NOT_FOUND', `${what} not found`);
