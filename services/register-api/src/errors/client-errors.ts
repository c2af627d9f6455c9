import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, type ErrorKind } from './error-catalogue.js';

/**
 * Errors that happen before a route runs, so the error handler never sees them, answered in
 * the register's shape all the same: what Node's parser refuses (a header block over
 * --max-http-header-size: 431; a request line or header that is not HTTP: 400; a client too
 * slow to send its headers: 408) and what Fastify's router refuses (a path parameter over
 * maxParamLength: 414; a path that is not valid percent-encoding: 400).
 */
export function clientErrorHandler(err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [kind, message]: [ErrorKind, string] =
    err.code === 'HPE_HEADER_OVERFLOW' && requestLineTooLong(err.rawPacket) ? ['URI_TOO_LONG', 'the request URI is too long']
    : err.code === 'HPE_HEADER_OVERFLOW' ? ['HEADERS_TOO_LARGE', 'the request headers are too large']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? ['REQUEST_TIMEOUT', 'the request took too long to arrive']
    : ['VALIDATION', 'request: not a well-formed HTTP request'];
  const { code, status } = ERROR_CATALOGUE[kind];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroySoon();
}

/**
 * An HTTP/1.1 request without a Host header (RFC 9112 §3.2: 400). Node would answer it itself
 * with an empty 400; the server is made with requireHostHeader off so that it is answered
 * here, in the register's shape, before any route or the tile front door sees it.
 */
export function answerMissingHost(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.headers.host !== undefined || req.httpVersion !== '1.1') return false;
  const { code, status } = ERROR_CATALOGUE.VALIDATION;
  const problem = 'an HTTP/1.1 request needs a Host header';
  const body = JSON.stringify({ error: { code, message: `host: ${problem}`, details: [{ field: 'host', message: problem }] } });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
  return true;
}

/** Node counts the request line in its header limit: when the line itself is what overflowed, it is the URI. */
function requestLineTooLong(packet: unknown): boolean {
  if (!Buffer.isBuffer(packet)) return false;
  const end = packet.indexOf('\r\n');
  return end === -1 || end > MAX_REQUEST_LINE;
}

const MAX_REQUEST_LINE = 8 * 1024;

/**
 * Renders a refusal as a web page for a browser; returns false when the request is not a
 * browser's navigation to a page.
 */
export type BrowserErrorPage = (request: FastifyRequest, reply: FastifyReply, status: number, message: string, details: { field: string; message: string }[]) => boolean;

/**
 * One app's web pages, filled in once they are registered (they own the templates and assets);
 * Fastify takes `frameworkErrors` when the app is made, before any plugin, hence the slot.
 */
export interface BrowserErrorSlot { page?: BrowserErrorPage }

/** Fastify's `frameworkErrors` for an app whose web pages, once registered, fill `slot`. */
export function frameworkErrorHandler(slot: BrowserErrorSlot) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const [kind, field, problem]: [ErrorKind, string, string] =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? ['URI_TOO_LONG', 'path', 'a path segment is too long']
      : error.code === 'FST_ERR_BAD_URL' ? ['VALIDATION', 'path', 'is not a valid URL path (broken percent-encoding)']
      : ['VALIDATION', 'request', error.message];
    const { code, status } = ERROR_CATALOGUE[kind];
    const message = `${field}: ${problem}`;
    const details = [{ field, message: problem }];
    // A browser that followed a damaged link to a page gets a page, as for any other bad input.
    if (slot.page?.(request, reply, status, message, details)) return;
    void reply.status(status).send({ error: { code, message, details } });
  };
}
