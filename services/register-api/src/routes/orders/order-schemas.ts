import { z } from 'zod';
import { CATEGORIES } from '../../domain/categories.js';
import { isoInstant, text, uuid } from '../../schemas/common-schemas.js';
import { contentUrl, refineNoRepeats } from '../../schemas/platform-order-inputs.js';

export const orderStatus = z.enum(['open', 'overdue', 'removed', 'limited', 'refused'], { error: 'must be open, overdue, removed, limited or refused' });

export const orderBody = z
  .object({
    platformId: uuid,
    contentUrls: z
      .array(contentUrl, { error: 'must be a list of URLs' })
      .min(1, 'must name at least one URL')
      .max(100, 'at most 100 URLs per order')
      .superRefine(refineNoRepeats('contentUrls')),
    legalBasisId: uuid,
    category: z.enum(CATEGORIES, { error: `must be one of ${CATEGORIES.join(', ')}` }),
    issuedAt: isoInstant.optional().describe('When the order was issued (default now); it is due 24 hours later'),
    note: text(2000, { multiline: true }).optional(),
  })
  .strict();

export const outcomeBody = z
  .object({
    outcome: z.enum(['removed', 'limited', 'refused'], { error: 'must be removed, limited or refused' }),
    at: isoInstant.describe('When the platform acted (or refused)'),
    evidence: text(4000, { multiline: true }).describe('What shows it: a link, a screenshot reference, the platform’s answer'),
  })
  .strict();

export const escalateBody = z
  .object({
    target: z.enum(['content', 'domains'], { error: "must be 'content' (the order's URLs) or 'domains' (the platform's domains)" }),
    note: text(1000, { multiline: true }).optional(),
  })
  .strict();

export const orderView = z
  .object({
    id: z.string(),
    platformId: z.string(),
    contentUrls: z.array(z.object({ kind: z.string(), value: z.string(), display: z.string() })),
    legalBasisId: z.string(),
    category: z.string(),
    note: z.string().nullable(),
    issuedAt: z.string(),
    dueAt: z.string(),
    status: orderStatus,
    overdueAt: z.string().nullable(),
    outcome: z.enum(['removed', 'limited', 'refused']).nullable(),
    outcomeAt: z.string().nullable(),
    evidence: z.string().nullable(),
    late: z.boolean().nullable(),
    outcomeRecordedBy: z.string().nullable(),
    outcomeRecordedAt: z.string().nullable(),
    escalations: z.array(z.object({
      decisionId: z.string(),
      target: z.enum(['content', 'domains']),
      decisionStatus: z.string(),
      createdBy: z.string(),
      createdAt: z.string(),
    })),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'Order' });
