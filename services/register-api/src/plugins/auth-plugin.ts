import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Role } from '../db/schema.js';
import { hashApiToken } from '../auth/api-token.js';
import { RegisterError } from '../errors/error-catalogue.js';

export interface AuthenticatedUser {
  id: string;
  name: string;
  roles: Role[];
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthenticatedUser | null;
  }
  interface FastifyInstance {
    /** An onRequest hook: 401 without a valid bearer token, 403 without one of the roles. */
    authorize(roles: readonly Role[]): onRequestHookHandler;
  }
}

/**
 * Bearer-token authentication. It runs in onRequest, before the body is parsed or validated,
 * so a caller without the right credentials learns nothing about what a valid body looks like.
 */
export const authPlugin = fp(async (app: FastifyInstance) => {
  app.decorateRequest('user', null);

  app.decorate('authorize', (roles: readonly Role[]): onRequestHookHandler => {
    return async (request: FastifyRequest) => {
      const user = await authenticate(app, request);
      if (!user) throw new RegisterError('UNAUTHENTICATED', 'a valid bearer token is required');
      if (!user.roles.some((r) => roles.includes(r))) {
        throw new RegisterError('FORBIDDEN', `this needs one of the roles: ${roles.join(', ')}`);
      }
      request.user = user;
    };
  });
}, { name: 'auth', dependencies: ['db'] });

async function authenticate(app: FastifyInstance, request: FastifyRequest): Promise<AuthenticatedUser | null> {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
  if (!match) return null;
  const row = await app.db
    .selectFrom('users')
    .select(['id', 'name', 'roles'])
    .where('token_hash', '=', hashApiToken(match[1]!))
    .executeTakeFirst();
  return row ?? null;
}
