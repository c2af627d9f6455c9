import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN, ROLES } from '../../auth/roles.js';
import { generateApiToken, hashApiToken } from '../../auth/api-token.js';
import { insertUser, listTokens, listUsers } from '../../repositories/user-repository.js';
import { recordAudit } from '../../repositories/audit-repository.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { toTokenView, userBody, userView, userWithTokensView } from './user-schemas.js';

export const userRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/v1/users', {
    onRequest: app.authorize(CAN.manageUsers),
    schema: {
      tags: ['users'],
      summary: 'Create a user and their API token (the token is shown only in this answer)',
      description: 'The token expires after TOKEN_TTL_DAYS days (never, when it is 0).',
      security: [{ bearer: [] }],
      body: userBody,
      response: { 201: userView.extend({ token: z.string(), tokenId: z.string(), expiresAt: z.string().nullable() }), ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    const token = generateApiToken();
    const user = await app.db.transaction().execute(async (trx) => {
      const row = await insertUser(trx, { name: request.body.name, roles: request.body.roles, tokenHash: hashApiToken(token), createdBy: request.user!.id, ttlDays: app.tokenTtlDays });
      await recordAudit(trx, {
        actorId: request.user!.id, sourceIp: request.ip, action: 'user.create', targetType: 'user', targetId: row.id,
        after: { name: row.name, roles: row.roles, tokenId: row.token.id, expiresAt: row.token.expires_at },
      });
      return row;
    });
    return reply.status(201).send({
      id: user.id, name: user.name, roles: user.roles, createdAt: user.created_at.toISOString(), token,
      tokenId: user.token.id, expiresAt: user.token.expires_at?.toISOString() ?? null,
    });
  });

  app.get('/v1/users', {
    onRequest: app.authorize(CAN.manageUsers),
    schema: {
      tags: ['users'],
      summary: 'List people and their tokens (never the secrets)',
      security: [{ bearer: [] }],
      response: { 200: z.object({ users: z.array(userWithTokensView) }), ...errorResponses(401, 403) },
    },
  }, async () => {
    const [users, tokens] = await Promise.all([listUsers(app.db), listTokens(app.db)]);
    const byUser = new Map<string, typeof tokens>();
    for (const t of tokens) byUser.set(t.user_id, [...(byUser.get(t.user_id) ?? []), t]);
    const now = new Date();
    return {
      users: users.map((u) => ({
        id: u.id, name: u.name, roles: u.roles, createdAt: u.created_at.toISOString(), createdBy: u.created_by, ispId: u.isp_id,
        disabledAt: u.disabled_at?.toISOString() ?? null, disabledBy: u.disabled_by,
        tokens: (byUser.get(u.id) ?? []).map((t) => toTokenView(t, now)),
      })),
    };
  });

  app.get('/v1/me', {
    onRequest: app.authorize(ROLES),
    schema: {
      tags: ['users'],
      summary: 'Who the bearer token belongs to',
      security: [{ bearer: [] }],
      response: { 200: z.object({ id: z.string(), name: z.string(), roles: z.array(z.string()) }), ...errorResponses(401) },
    },
  }, async (request) => {
    const { id, name, roles } = request.user!;
    return { id, name, roles };
  });
};
