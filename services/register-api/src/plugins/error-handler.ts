import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERROR_CATALOGUE, RegisterError, type ErrorKind, type FieldIssue } from '../errors/error-catalogue.js';
import { actorRefusal, isDatabaseRefusal, isDatabaseUnavailable, isProtectionRefusal, type ActorRefusal } from '../db/database-errors.js';
import { SHUTDOWN_RETRY_AFTER_SECONDS } from './shutdown-plugin.js';

/**
 * One place that turns every failure into `{"error":{code,message,details?}}`. A 5xx never
 * carries the underlying message: it may hold SQL, paths or connection strings.
 */
export const errorHandlerPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof RegisterError) {
      if (err.kind === 'SHUTTING_DOWN') void reply.header('retry-after', String(SHUTDOWN_RETRY_AFTER_SECONDS));
      return send(reply, err.kind, err.message, err.details);
    }

    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const details: FieldIssue[] = err.validation.flatMap((v) => {
        // zod reports unknown keys on the object that holds them; name each key instead.
        const keys = (v.params as { keys?: unknown }).keys;
        if (v.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
          return keys.map((k) => ({ field: fieldName(where, `${v.instancePath}/${String(k)}`), message: 'is not a field of this request' }));
        }
        return [{ field: fieldName(where, v.instancePath), message: v.message ?? 'is invalid' }];
      });
      return send(reply, 'VALIDATION', details.map((d) => `${d.field}: ${d.message}`).join('; '), details);
    }

    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err: { message: err.message, code: err.code } }, 'database unavailable');
      void reply.header('retry-after', '2');
      return send(reply, 'DATABASE_UNAVAILABLE', 'the register database is unavailable; nothing was written; retry later');
    }

    const refusedActor = actorRefusal(err);
    if (refusedActor) {
      request.log.warn({ err: { message: err.message, code: err.code } }, 'the database refused the acting user');
      const { kind, message } = ACTOR_REFUSAL_ANSWERS[refusedActor];
      return send(reply, kind, message);
    }

    if (isProtectionRefusal(err)) {
      request.log.error({ err: { message: err.message, code: err.code } }, 'the database\'s protection refused a change the service allowed');
      return send(reply, 'INVALID_STATE', 'the register\'s rules refused this change (its state may have moved meanwhile); nothing was written');
    }

    if (isDatabaseRefusal(err)) {
      // The detail may hold SQL or stored values: logged, not sent.
      request.log.warn({ err: { message: err.message, code: err.code } }, 'value refused by the database');
      return send(reply, 'VALIDATION', 'body: a value was refused by the register\'s rules', [{ field: 'body', message: 'a value was refused by the register\'s rules' }]);
    }

    const status = err.statusCode ?? 500;
    if (status === 413) return send(reply, 'PAYLOAD_TOO_LARGE', 'request body too large');
    if (status === 415) return send(reply, 'UNSUPPORTED_MEDIA_TYPE', 'send JSON with content-type application/json');
    if (status === 429) return send(reply, 'RATE_LIMITED', 'too many requests; slow down');
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, empty body where one is required, ...
      return send(reply, 'VALIDATION', `body: ${err.message}`, [{ field: 'body', message: err.message }]);
    }
    request.log.error({ err }, 'unhandled error');
    return send(reply, 'INTERNAL', 'internal error');
  });

  app.setNotFoundHandler((request, reply) => send(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
});

/** What a client is told when the database refuses the person behind a write (migration 0081). */
const ACTOR_REFUSAL_ANSWERS: Record<ActorRefusal, { kind: ErrorKind; message: string }> = {
  drafter: { kind: 'SELF_APPROVAL', message: 'a decision must be approved by someone other than its author; nothing was written' },
  disabled: { kind: 'FORBIDDEN', message: 'your account was disabled before this could be written; nothing was written' },
  missing_role: { kind: 'FORBIDDEN', message: 'you do not hold the role this needs; nothing was written' },
  unknown_user: { kind: 'FORBIDDEN', message: 'the register does not know the user this would be written in the name of; nothing was written' },
  no_actor: { kind: 'FORBIDDEN', message: 'the register records who does this, and no one could be named; nothing was written' },
};

export function send(reply: FastifyReply, kind: ErrorKind, message: string, details?: FieldIssue[]): FastifyReply {
  const { code, status } = ERROR_CATALOGUE[kind];
  return reply.status(status).send({ error: details ? { code, message, details } : { code, message } });
}

/** `/resources/2/value` in body → `resources[2].value`; query fields keep their plain name. */
function fieldName(context: string, instancePath: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (parts.length === 0) return context;
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out;
}
