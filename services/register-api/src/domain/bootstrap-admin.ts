import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import { hashApiToken } from '../auth/api-token.js';
import { countAdmins, insertUser, tokenHashKnown } from '../repositories/user-repository.js';
import { recordAudit } from '../repositories/audit-repository.js';

/**
 * `ADMIN_TOKEN` on first start creates the first admin with that token. Once an admin exists
 * the variable creates nothing more: a leaked environment must not mint new admins.
 */
export async function bootstrapAdmin(db: Kysely<DB>, token: string | undefined, logger: Logger, ttlDays: number | null = null): Promise<void> {
  if (!token) return;
  const tokenHash = hashApiToken(token);
  // Known already (valid, or revoked/expired on purpose): never resurrected from the environment.
  if (await tokenHashKnown(db, tokenHash)) return;
  if ((await countAdmins(db)) > 0) {
    logger.warn('ADMIN_TOKEN is set but an admin already exists with another token; ignoring it');
    return;
  }
  await db.transaction().execute(async (trx) => {
    const admin = await insertUser(trx, { name: 'admin', roles: ['admin'], tokenHash, createdBy: null, ttlDays });
    await recordAudit(trx, { actorId: null, sourceIp: null, action: 'user.bootstrap_admin', targetType: 'user', targetId: admin.id, after: { name: admin.name, roles: admin.roles } });
  });
  logger.info('created the first admin from ADMIN_TOKEN');
}
