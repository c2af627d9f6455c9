import { setMaxListeners } from 'node:events';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { RegisterError } from '../errors/error-catalogue.js';

/**
 * Seconds a client should wait before asking again once this process is stopping: about the
 * time another API process (or this one, restarted) takes to answer. Gateways honour it.
 */
export const SHUTDOWN_RETRY_AFTER_SECONDS = 2;

/**
 * How long requests already running (an approval's transaction, a snapshot still streaming)
 * may take to finish once a stop begins; then their connections are closed. The whole stop,
 * database included, stays within the 3 s goal.
 */
export const SHUTDOWN_GRACE_MS = 1_800;

/** Past this, the process exits whatever is left: Postgres rolls back an unfinished transaction whole. */
export const SHUTDOWN_DEADLINE_MS = 2_600;

declare module 'fastify' {
  interface FastifyInstance {
    /** Aborted the moment `close()` begins: long-polls end at once instead of holding the stop. */
    stopping: AbortSignal;
  }
}

/** A long-poll or a new request met a stopping process: 503 with Retry-After, in the register's shape. */
export function shuttingDown(): RegisterError {
  return new RegisterError('SHUTTING_DOWN', `the register is stopping; retry in ${SHUTDOWN_RETRY_AFTER_SECONDS} s (another API process may answer sooner)`);
}

/**
 * The start of an orderly stop. On `close()` (SIGTERM, SIGINT) the signal aborts before the
 * server stops listening (preClose): waiting long-polls answer 503 at once, and requests
 * that still arrive on kept-alive connections are turned away in the register's error shape
 * (Fastify's own 503 would not be). Requests already running are left to finish; their
 * transactions commit or roll back whole.
 */
export const shutdownPlugin = fp(async (app: FastifyInstance) => {
  const stop = new AbortController();
  // Every waiting long-poll listens on it: hundreds are normal, not a leak.
  setMaxListeners(0, stop.signal);
  app.decorate('stopping', stop.signal);
  app.addHook('preClose', async () => {
    stop.abort();
  });
  // A callback hook, not an async one: it runs for every request, and a promise each costs.
  app.addHook('onRequest', (_request, reply, done) => {
    if (!stop.signal.aborted) return done();
    void reply.header('connection', 'close');
    done(shuttingDown());
  });
}, { name: 'shutdown' });
