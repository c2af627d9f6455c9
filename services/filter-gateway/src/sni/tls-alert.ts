/**
 * TLS alerts the checker sends (RFC 8446 §6). Blocked names get `access_denied` (49): "a
 * valid certificate or PSK was received, but when access control was applied, the sender
 * decided not to proceed" is the closest the protocol has to "refused by policy", and
 * clients report it verbatim (OpenSSL: "tlsv1 alert access denied"), unlike
 * `handshake_failure` (40), which reads as a cipher mismatch, or `unrecognized_name` (112),
 * which says the server does not know the name. `unrecognized_name` is kept for what it does
 * mean here: no name we can route to (no SNI and no fixed target, or a name that does not
 * resolve).
 */
export const ALERT_ACCESS_DENIED = 49;
export const ALERT_DECODE_ERROR = 50;
export const ALERT_INTERNAL_ERROR = 80;
export const ALERT_UNRECOGNIZED_NAME = 112;

/**
 * A fatal alert record. Its version is the client's own `legacy_version` capped at TLS 1.2
 * (the value TLS 1.3 puts in every record): before the ServerHello, OpenSSL, Go and NSS take
 * any 3.x record version, and a TLS 1.0-only client sees the version it spoke.
 */
export function alertRecord(clientLegacyVersion: number, description: number): Buffer {
  const minor = clientLegacyVersion >> 8 === 3 ? Math.min(Math.max(clientLegacyVersion & 0xff, 1), 3) : 3;
  return Buffer.from([21, 3, minor, 0, 2, 2, description]);
}
