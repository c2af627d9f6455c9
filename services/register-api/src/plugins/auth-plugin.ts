import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Role } from '../db/schema.js';
import { hashApiToken } from '../auth/api-token.js';
import { TokenCache } from '../auth/token-cache.js';
import type { Listen } from '../domain/log-watcher.js';
import { RegisterError } from '../errors/error-catalogue.js';

export interface AuthenticatedUser {
  id: string;
  name: string;
  roles: Role[];
  /** The token this request came with (GET /v1/users lists it; an admin may revoke it). */
  tokenId: string;
}

export interface AuthOptions {
  /** NOTIFY subscription: a revoked token or disabled user stops working at once on every process. */
  listen?: Listen | undefined;
  /** Expiry of tokens issued from now on (TOKEN_TTL_DAYS); null: they never expire. */
  tokenTtlDays?: number | null | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthenticatedUser | null;
  }
  interface FastifyInstance {
    /** An onRequest hook: 401 without a valid bearer token, 403 without one of the roles. */
    authorize(roles: readonly Role[]): onRequestHookHandler;
    tokenCache: TokenCache;
    /** TOKEN_TTL_DAYS, for routes that issue tokens. */
    tokenTtlDays: number | null;
  }
}

/**
 * Bearer-token authentication. It runs in onRequest, before the body is parsed or validated,
 * so a caller without the right credentials learns nothing about what a valid body looks like.
 * Tokens are checked against the in-memory copy (auth/token-cache.ts), not the database.
 */
export const authPlugin = fp(async (app: FastifyInstance, options: AuthOptions) => {
  app.decorateRequest('user', null);
  const cache = new TokenCache({ db: app.db, listen: options.listen, logger: app.log });
  await cache.start();
  app.addHook('onClose', () => cache.stop());
  app.decorate('tokenCache', cache);
  app.decorate('tokenTtlDays', options.tokenTtlDays ?? null);

  app.decorate('authorize', (roles: readonly Role[]): onRequestHookHandler => {
    return async (request: FastifyRequest) => {
      const user = await authenticate(cache, request);
      if (!user) throw new RegisterError('UNAUTHENTICATED', 'a valid bearer token is required');
      if (!user.roles.some((r) => roles.includes(r))) {
        throw new RegisterError('FORBIDDEN', `this needs one of the roles: ${roles.join(', ')}`);
      }
      request.user = user;
    };
  });
}, { name: 'auth', dependencies: ['db'] });

async function authenticate(cache: TokenCache, request: FastifyRequest): Promise<AuthenticatedUser | null> {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
  if (!match) return null;
  const token = await cache.lookup(hashApiToken(match[1]!));
  return token ? { id: token.userId, name: token.name, roles: token.roles, tokenId: token.tokenId } : null;
}
