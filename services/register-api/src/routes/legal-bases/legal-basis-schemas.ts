import { z } from 'zod';
import { LEGAL_BASIS_KINDS } from '@tizilim/shared';
import { isoDate, text } from '../../schemas/common-schemas.js';

/** A provision of law relied on: `{law, article}`, or one line of text such as "On communications, art. 41-1". */
const provision = z.union([
  z.object({ law: text(300), article: text(100).optional() }).strict(),
  text(400).transform((law) => ({ law })),
]);

export const legalBasisBody = z
  .object({
    kind: z.enum(LEGAL_BASIS_KINDS as [string, ...string[]], { error: `must be one of ${LEGAL_BASIS_KINDS.join(', ')}` }) as z.ZodType<
      (typeof LEGAL_BASIS_KINDS)[number]
    >,
    authority: text(300),
    documentNumber: text(100),
    issuedAt: isoDate,
    effectiveAt: isoDate.optional(),
    provisions: z.array(provision).min(1, 'must cite at least one provision of law').max(50),
    summary: text(4000, { multiline: true }).optional(),
    documentSha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal digits').transform((s) => s.toLowerCase()).optional(),
    documentUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const today = new Date().toISOString().slice(0, 10);
    if (b.issuedAt > today) ctx.addIssue({ code: 'custom', path: ['issuedAt'], message: 'must not be in the future' });
    if (b.effectiveAt && b.effectiveAt < b.issuedAt) ctx.addIssue({ code: 'custom', path: ['effectiveAt'], message: 'must not be before issuedAt' });
  });

export const legalBasisView = z
  .object({
    id: z.string(),
    kind: z.string(),
    authority: z.string(),
    documentNumber: z.string(),
    issuedAt: z.string(),
    effectiveAt: z.string().nullable(),
    provisions: z.array(z.object({ law: z.string(), article: z.string().optional() })),
    summary: z.string().nullable(),
    documentSha256: z.string().nullable(),
    documentUrl: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'LegalBasis' });
