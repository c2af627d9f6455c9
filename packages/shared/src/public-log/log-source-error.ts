/**
 * The log could not be obtained at all (unreachable server, HTTP error, unreadable file,
 * unexpected response shape), as opposed to a log that was obtained and failed verification.
 * Callers report the two differently: one says nothing about the log's integrity.
 */
export class LogSourceError extends Error {
  override readonly name = 'LogSourceError';
}
