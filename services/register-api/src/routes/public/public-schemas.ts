import { z } from 'zod';

export const publicResourceSchema = z.object({
  kind: z.string(),
  value: z.string().nullable().describe('null for URLs of sensitive categories: see host and valueSha256'),
  display: z.string().nullable(),
  host: z.string().nullable(),
  valueSha256: z.string(),
});

export const publicEntrySchema = z
  .object({
    entry: z.number().describe('seq of the public log entry that put this rule in force'),
    entryUrl: z.string(),
    resource: publicResourceSchema,
    state: z.enum(['restricted', 'suspended', 'excepted', 'ended']),
    mode: z.enum(['restrict', 'suspend', 'allow']),
    since: z.string(),
    until: z.string().nullable(),
    endReason: z.string().nullable(),
    decisionId: z.string(),
    category: z.string(),
    legalBasis: z.object({ kind: z.string(), authority: z.string(), documentNumber: z.string(), issuedAt: z.string() }),
  })
  .meta({ id: 'PublicEntry' });

export const checkResultSchema = z.object({
  name: z.string(), at: z.string(), restricted: z.boolean(), decidedBy: publicEntrySchema.nullable(), matches: z.array(publicEntrySchema), related: z.array(publicEntrySchema),
});
