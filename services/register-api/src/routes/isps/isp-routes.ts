import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN } from '../../auth/roles.js';
import { generateApiToken, hashApiToken } from '../../auth/api-token.js';
import type { IspRow } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/unique-violation.js';
import { enforcementOverview } from '../../domain/enforcement-overview.js';
import { RegisterError, notFound } from '../../errors/error-catalogue.js';
import { recordAudit } from '../../repositories/audit-repository.js';
import { findIsp, findIspClash, insertIsp, tieUserToIsp } from '../../repositories/isp-repository.js';
import { insertUser } from '../../repositories/user-repository.js';
import { idParams } from '../../schemas/common-schemas.js';
import { errorResponses } from '../../schemas/error-responses.js';
import { enforcementView, ispBody, ispTokenBody, ispTokenView, ispView } from './isp-schemas.js';

const toView = (r: IspRow) => ({ id: r.id, name: r.name, bin: r.bin, contact: r.contact, createdBy: r.created_by, createdAt: r.created_at.toISOString() });

export const ispRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/v1/isps', {
    onRequest: app.authorize(CAN.manageIsps),
    schema: {
      tags: ['isps'],
      summary: 'Register an internet service provider',
      security: [{ bearer: [] }],
      body: ispBody,
      response: { 201: ispView, ...errorResponses(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const { name, contact } = request.body;
    const bin = request.body.bin ?? null;
    const row = await app.db.transaction().execute(async (trx) => {
      const clash = await findIspClash(trx, name, bin);
      if (clash) {
        const field = clash.name === name ? 'name' : 'bin';
        throw new RegisterError('CONFLICT', `${field}: ISP ${clash.id} is already registered with this ${field}`, [{ field, message: `ISP ${clash.id} is already registered with this ${field}` }]);
      }
      const created = await insertIsp(trx, { name, bin, contact, createdBy: request.user!.id });
      await recordAudit(trx, { actorId: request.user!.id, sourceIp: request.ip, action: 'isp.create', targetType: 'isp', targetId: created.id, after: toView(created) });
      return created;
    }).catch((err: unknown) => {
      // the same ISP registered twice at the same instant: the loser hears what it would a moment later
      if (isUniqueViolation(err, 'isps_name_key') || isUniqueViolation(err, 'isps_bin_key')) throw new RegisterError('CONFLICT', 'an ISP with this name or BIN was registered at the same moment');
      throw err;
    });
    return reply.status(201).send(toView(row));
  });

  app.post('/v1/isps/:id/tokens', {
    onRequest: app.authorize(CAN.manageIsps),
    schema: {
      tags: ['isps'],
      summary: "Issue a token for the ISP's gateways: a new user with the isp role, tied to this ISP (the token is shown only in this answer)",
      security: [{ bearer: [] }],
      params: idParams,
      body: ispTokenBody,
      response: { 201: ispTokenView, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const token = generateApiToken();
    const { isp, user } = await app.db.transaction().execute(async (trx) => {
      const isp = await findIsp(trx, request.params.id);
      if (!isp) throw notFound('ISP');
      const name = request.body?.name ?? `${isp.name} gateways`;
      const user = await insertUser(trx, { name, roles: ['isp'], tokenHash: hashApiToken(token), createdBy: request.user!.id, ttlDays: app.tokenTtlDays });
      await tieUserToIsp(trx, user.id, isp.id);
      await recordAudit(trx, {
        actorId: request.user!.id, sourceIp: request.ip, action: 'isp.token.create', targetType: 'user', targetId: user.id,
        after: { name: user.name, roles: user.roles, ispId: isp.id },
      });
      return { isp, user };
    });
    return reply.status(201).send({ id: user.id, name: user.name, roles: user.roles, ispId: isp.id, createdAt: user.created_at.toISOString(), token });
  });

  app.get('/v1/isps/enforcement', {
    onRequest: app.authorize(CAN.readEnforcement),
    schema: {
      tags: ['isps'],
      summary: "Each ISP's gateways: the register version each enforces, how far behind it is (entries, seconds), when it was last seen",
      security: [{ bearer: [] }],
      response: { 200: enforcementView, ...errorResponses(401, 403) },
    },
  }, async () => enforcementOverview(app.db));
};
