import type { FastifyReply } from 'fastify';

/**
 * No inline script or style anywhere (not even a style attribute): scripts and CSS come only
 * from our fingerprinted files, so injected markup could not run even if escaping failed.
 * `connect-src 'self'` is what the in-browser log verifier needs to download the log.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function setPageHeaders(reply: FastifyReply): void {
  void reply.header('content-type', 'text/html; charset=utf-8');
  void reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'same-origin');
  void reply.header('x-frame-options', 'DENY');
  // Pages change with the register; a minute of staleness is acceptable and saves the database.
  void reply.header('cache-control', 'public, max-age=0, must-revalidate');
  void reply.header('vary', 'Accept, Accept-Language');
}
