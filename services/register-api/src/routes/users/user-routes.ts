import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN, ROLES } from '../../auth/roles.js';
import { generateApiToken, hashApiToken } from '../../auth/api-token.js';
import { insertUser, listUsers } from '../../repositories/user-repository.js';
import { recordAudit } from '../../repositories/audit-repository.js';
import { text } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';

const role = z.enum(ROLES as [string, ...string[]]) as z.ZodType<(typeof ROLES)[number]>;

const userBody = z.object({
  name: text(200),
  roles: z.array(role).min(1, 'must name at least one role').max(5).refine((r) => new Set(r).size === r.length, 'must not repeat a role'),
}).strict();

const userView = z.object({ id: z.string(), name: z.string(), roles: z.array(z.string()), createdAt: z.string() });

export const userRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/v1/users', {
    onRequest: app.authorize(CAN.manageUsers),
    schema: {
      tags: ['users'],
      summary: 'Create a user and their API token (the token is shown only in this answer)',
      security: [{ bearer: [] }],
      body: userBody,
      response: { 201: userView.extend({ token: z.string() }), ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    const token = generateApiToken();
    const user = await app.db.transaction().execute(async (trx) => {
      const row = await insertUser(trx, { name: request.body.name, roles: request.body.roles, tokenHash: hashApiToken(token), createdBy: request.user!.id });
      await recordAudit(trx, {
        actorId: request.user!.id, sourceIp: request.ip, action: 'user.create', targetType: 'user', targetId: row.id,
        after: { name: row.name, roles: row.roles },
      });
      return row;
    });
    return reply.status(201).send({ id: user.id, name: user.name, roles: user.roles, createdAt: user.created_at.toISOString(), token });
  });

  app.get('/v1/users', {
    onRequest: app.authorize(CAN.manageUsers),
    schema: {
      tags: ['users'],
      summary: 'List users (never their tokens)',
      security: [{ bearer: [] }],
      response: { 200: z.object({ users: z.array(userView) }), ...errorResponses(401, 403) },
    },
  }, async () => {
    const rows = await listUsers(app.db);
    return { users: rows.map((u) => ({ id: u.id, name: u.name, roles: u.roles, createdAt: u.created_at.toISOString() })) };
  });

  app.get('/v1/me', {
    onRequest: app.authorize(ROLES),
    schema: {
      tags: ['users'],
      summary: 'Who the bearer token belongs to',
      security: [{ bearer: [] }],
      response: { 200: z.object({ id: z.string(), name: z.string(), roles: z.array(z.string()) }), ...errorResponses(401) },
    },
  }, async (request) => request.user!);
};
