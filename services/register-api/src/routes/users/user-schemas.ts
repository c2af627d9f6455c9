import { z } from 'zod';
import { ROLES } from '../../auth/roles.js';
import { text, uuid } from '../../schemas/common-schemas.js';

const role = z.enum(ROLES as [string, ...string[]]) as z.ZodType<(typeof ROLES)[number]>;

export const userBody = z.object({
  name: text(200),
  roles: z.array(role).min(1, 'must name at least one role').max(5).refine((r) => new Set(r).size === r.length, 'must not repeat a role'),
}).strict();

export const userTokenParams = z.object({ id: uuid, tokenId: uuid });

/** A token as the register shows it: never its secret, never its hash. */
export const tokenView = z.object({
  id: z.string(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
  state: z.enum(['active', 'expired', 'revoked']),
}).meta({ id: 'ApiToken' });

export const userView = z.object({ id: z.string(), name: z.string(), roles: z.array(z.string()), createdAt: z.string() });

export const userWithTokensView = userView.extend({
  createdBy: z.string().nullable(),
  ispId: z.string().nullable(),
  disabledAt: z.string().nullable(),
  disabledBy: z.string().nullable(),
  tokens: z.array(tokenView),
}).meta({ id: 'User' });

export const issuedTokenView = z.object({
  userId: z.string(),
  tokenId: z.string(),
  token: z.string().meta({ description: 'shown only in this answer' }),
  expiresAt: z.string().nullable(),
});

export interface TokenRow {
  id: string;
  created_at: Date;
  created_by: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
}

export function toTokenView(t: TokenRow, now: Date = new Date()): z.infer<typeof tokenView> {
  return {
    id: t.id,
    createdAt: t.created_at.toISOString(),
    createdBy: t.created_by,
    expiresAt: t.expires_at?.toISOString() ?? null,
    revokedAt: t.revoked_at?.toISOString() ?? null,
    revokedBy: t.revoked_by,
    state: t.revoked_at ? 'revoked' : t.expires_at && t.expires_at <= now ? 'expired' : 'active',
  };
}
