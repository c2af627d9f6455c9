import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN } from '../../auth/roles.js';
import { generateApiToken, hashApiToken } from '../../auth/api-token.js';
import { countAdmins, disableUser, insertApiToken, lockToken, lockUser, revokeToken } from '../../repositories/user-repository.js';
import { recordAudit } from '../../repositories/audit-repository.js';
import { RegisterError, notFound } from '../../errors/error-catalogue.js';
import { idParams } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { issuedTokenView, toTokenView, tokenView, userTokenParams } from './user-schemas.js';

/**
 * Disabling people and revoking or issuing tokens. Each change commits with its audit record;
 * the database then notifies every API process, whose in-memory tokens reload at once (this
 * process waits for its own reload before answering, so the answer means "already stopped here").
 */
export const userTokenRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/v1/users/:id/disable', {
    onRequest: app.authorize(CAN.manageUsers),
    schema: {
      tags: ['users'],
      summary: 'Disable a user: every token of theirs stops working at once, on every API process',
      description: 'Permanent: a disabled user stays disabled (create a new user instead). The last enabled admin cannot be disabled.',
      security: [{ bearer: [] }],
      params: idParams,
      response: { 200: z.object({ id: z.string(), disabledAt: z.string(), disabledBy: z.string() }), ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => {
    const actor = request.user!;
    const disabled = await app.db.transaction().execute(async (trx) => {
      const user = await lockUser(trx, request.params.id);
      if (!user) throw notFound('user');
      if (user.disabled_at) throw new RegisterError('INVALID_STATE', `user was disabled at ${user.disabled_at.toISOString()}`);
      if (user.roles.includes('admin') && (await countAdmins(trx)) <= 1) {
        throw new RegisterError('CONFLICT', 'this is the last enabled admin: disabling them would leave nobody to manage people');
      }
      const row = await disableUser(trx, user.id, actor.id);
      await recordAudit(trx, {
        actorId: actor.id, sourceIp: request.ip, action: 'user.disable', targetType: 'user', targetId: user.id,
        before: { disabledAt: null }, after: { name: user.name, roles: user.roles, disabledAt: row.disabled_at },
      });
      return row;
    });
    await app.tokenCache.reload();
    return { id: request.params.id, disabledAt: disabled.disabled_at!.toISOString(), disabledBy: actor.id };
  });

  app.post('/v1/users/:id/tokens', {
    onRequest: app.authorize(CAN.manageUsers),
    schema: {
      tags: ['users'],
      summary: 'Issue a new token for a user (shown only in this answer); their other tokens stay valid',
      description: 'The token expires after TOKEN_TTL_DAYS days (never, when it is 0).',
      security: [{ bearer: [] }],
      params: idParams,
      response: { 201: issuedTokenView, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    const actor = request.user!;
    const token = generateApiToken();
    const issued = await app.db.transaction().execute(async (trx) => {
      const user = await lockUser(trx, request.params.id);
      if (!user) throw notFound('user');
      if (user.disabled_at) throw new RegisterError('INVALID_STATE', 'user is disabled: a disabled user gets no new token');
      const row = await insertApiToken(trx, { userId: user.id, tokenHash: hashApiToken(token), createdBy: actor.id, ttlDays: app.tokenTtlDays });
      await recordAudit(trx, {
        actorId: actor.id, sourceIp: request.ip, action: 'user.token.create', targetType: 'user', targetId: user.id,
        after: { tokenId: row.id, expiresAt: row.expires_at },
      });
      return row;
    });
    return reply.status(201).send({ userId: request.params.id, tokenId: issued.id, token, expiresAt: issued.expires_at?.toISOString() ?? null });
  });

  app.delete('/v1/users/:id/tokens/:tokenId', {
    onRequest: app.authorize(CAN.manageUsers),
    schema: {
      tags: ['users'],
      summary: 'Revoke a token: it stops working at once, on every API process',
      security: [{ bearer: [] }],
      params: userTokenParams,
      response: { 200: tokenView, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => {
    const actor = request.user!;
    const revoked = await app.db.transaction().execute(async (trx) => {
      const token = await lockToken(trx, request.params.id, request.params.tokenId);
      if (!token) throw notFound('token');
      if (token.revoked_at) throw new RegisterError('INVALID_STATE', `token was revoked at ${token.revoked_at.toISOString()}`);
      const row = await revokeToken(trx, token.id, actor.id);
      await recordAudit(trx, {
        actorId: actor.id, sourceIp: request.ip, action: 'user.token.revoke', targetType: 'user', targetId: request.params.id,
        before: { tokenId: token.id, revokedAt: null }, after: { tokenId: token.id, revokedAt: row.revoked_at },
      });
      return row;
    });
    await app.tokenCache.reload();
    return toTokenView(revoked);
  });
};
