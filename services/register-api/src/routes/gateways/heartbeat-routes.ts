import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CAN } from '../../auth/roles.js';
import { recordAudit } from '../../repositories/audit-repository.js';
import { recordHeartbeat } from '../../repositories/gateway-repository.js';
import { ispOfUser } from '../../repositories/isp-repository.js';
import { logHead } from '../../repositories/public-log-repository.js';
import { errorResponses } from '../../schemas/error-responses.js';

const count = (what: string) => z.number({ error: `must be a whole number of ${what}` }).int(`must be a whole number of ${what}`).min(0, 'must not be negative').max(Number.MAX_SAFE_INTEGER);

/** A name the gateway chose for itself, e.g. `dns1.isp.kz-5353`: bounded, so it cannot grow a table or a log line without limit. */
const gatewayId = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit');

const counters = z
  .record(z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'counter names are lower-case letters, digits and _'), count('events'), { error: 'must be an object of counter name to count' })
  .refine((c) => Object.keys(c).length <= 64, 'at most 64 counters');

export const heartbeatBody = z
  .object({
    gatewayId,
    version: count('log entries').describe('the register version (last log entry) the gateway enforces; 0 before its first sync'),
    rules: count('rules').describe('rules in its enforced set'),
    counters: counters.describe('running totals since the gateway started, e.g. queries by result'),
  })
  .strict();

export const heartbeatRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/v1/gateways/heartbeat', {
    onRequest: app.authorize(CAN.sendHeartbeats),
    schema: {
      tags: ['isps'],
      summary: 'A gateway reports the register version it enforces, its rule count and its counters',
      description: 'Gateways are known by their `gatewayId` within their ISP. The answer says how far behind the register the gateway is.',
      security: [{ bearer: [] }],
      body: heartbeatBody,
      response: {
        200: z.object({ gatewayId: z.string(), ispId: z.string().nullable(), registerVersion: z.number(), lagEntries: z.number(), receivedAt: z.string() }),
        ...errorResponses(400, 401, 403),
      },
    },
  }, async (request) => {
    const user = request.user!;
    const { row, head } = await app.db.transaction().execute(async (trx) => {
      const ispId = await ispOfUser(trx, user.id);
      const { row, firstSeen } = await recordHeartbeat(trx, { ...request.body, ispId, userId: user.id, sourceIp: request.ip });
      // Only the first heartbeat is audited: the rest change nothing but the latest state, every few seconds.
      if (firstSeen) {
        await recordAudit(trx, {
          actorId: user.id, sourceIp: request.ip, action: 'gateway.first_seen', targetType: 'gateway', targetId: row.id,
          after: { gatewayId: row.gateway_id, ispId, version: row.version, rules: row.rules },
        });
      }
      return { row, head: await logHead(trx) };
    });
    return {
      gatewayId: row.gateway_id,
      ispId: row.isp_id,
      registerVersion: head.seq,
      lagEntries: Math.max(0, head.seq - Number(row.version)),
      receivedAt: row.last_seen_at.toISOString(),
    };
  });
};
