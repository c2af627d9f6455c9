import { z } from 'zod';
import { text } from '../../schemas/common-schemas.js';

export const ispBody = z
  .object({
    name: text(200),
    bin: z.string({ error: 'must be the 12-digit business identification number (BIN)' })
      .trim()
      .regex(/^[0-9]{12}$/, 'must be the 12-digit business identification number (BIN)')
      .optional(),
    contact: text(500),
  })
  .strict();

export const ispView = z
  .object({ id: z.string(), name: z.string(), bin: z.string().nullable(), contact: z.string(), createdBy: z.string(), createdAt: z.string() })
  .meta({ id: 'Isp' });

/** The body is optional: a token needs nothing but a name, and one is made up when absent. */
export const ispTokenBody = z.object({ name: text(200).optional() }).strict().nullish();

export const ispTokenView = z.object({
  id: z.string().describe('the user the token belongs to'),
  name: z.string(),
  roles: z.array(z.string()),
  ispId: z.string(),
  createdAt: z.string(),
  token: z.string().describe('shown only in this answer; stored hashed'),
});

const gatewayStatus = z.enum(['current', 'behind', 'silent']);

export const gatewayEnforcementView = z.object({
  gatewayId: z.string(),
  version: z.number(),
  rules: z.number(),
  counters: z.record(z.string(), z.number()),
  lagEntries: z.number(),
  lagSeconds: z.number(),
  status: gatewayStatus,
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  secondsSinceLastSeen: z.number(),
});

export const enforcementView = z
  .object({
    registerVersion: z.number(),
    generatedAt: z.string(),
    isps: z.array(z.object({
      id: z.string().nullable().describe('null: gateways whose isp token is not tied to a registered ISP'),
      name: z.string().nullable(),
      bin: z.string().nullable(),
      contact: z.string().nullable(),
      gateways: z.array(gatewayEnforcementView),
      minVersion: z.number().nullable(),
      maxLagEntries: z.number().nullable(),
      maxLagSeconds: z.number().nullable(),
      lastSeenAt: z.string().nullable(),
    })),
  })
  .meta({ id: 'Enforcement' });
