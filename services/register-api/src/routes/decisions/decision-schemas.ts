import { z } from 'zod';
import { parseResource, type ParsedResource } from '@tizilim/shared/resource/index';
import { CATEGORIES } from '../../domain/categories.js';
import { isoInstant, text, uuid } from '../../schemas/common-schemas.js';

/** A resource as an operator writes it (`bad.kz`, `*.evil.kz`, a URL, an IP or CIDR), parsed at the edge. */
const resourceInput = z
  .string({ error: 'must be a string: a domain, *.suffix, URL, IP address or CIDR prefix' })
  .max(2048, 'must be at most 2048 characters')
  .transform((raw, ctx): ParsedResource => {
    const parsed = parseResource(raw);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.reason });
      return z.NEVER;
    }
    return parsed.resource;
  });

export const decisionBody = z
  .object({
    action: z.enum(['restrict', 'suspend', 'restore'], { error: 'must be restrict, suspend or restore' }),
    resources: z.array(resourceInput).min(1, 'must name at least one resource').max(1000, 'at most 1000 resources per decision'),
    legalBasisId: uuid,
    category: z.enum(CATEGORIES, { error: `must be one of ${CATEGORIES.join(', ')}` }),
    effectiveFrom: isoInstant.optional(),
    effectiveUntil: isoInstant.optional(),
    note: text(2000, { multiline: true }).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.action === 'suspend' && !b.effectiveUntil) {
      ctx.addIssue({ code: 'custom', path: ['effectiveUntil'], message: 'is required for a suspension' });
    }
    if (b.action !== 'suspend' && b.effectiveUntil) {
      ctx.addIssue({ code: 'custom', path: ['effectiveUntil'], message: 'applies only to a suspension' });
    }
    if (b.effectiveFrom && b.effectiveUntil && b.effectiveUntil <= b.effectiveFrom) {
      ctx.addIssue({ code: 'custom', path: ['effectiveUntil'], message: 'must be later than effectiveFrom' });
    }
    const seen = new Map<string, number>();
    b.resources.forEach((r, i) => {
      const key = `${r.kind} ${r.value}`;
      const first = seen.get(key);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['resources', i], message: `repeats resources[${first}] (${r.display})` });
      else seen.set(key, i);
    });
  });

export const rejectBody = z.object({ reason: text(2000, { multiline: true }) }).strict();

export const decisionStatus = z.enum(['pending_approval', 'scheduled', 'in_force', 'ended', 'rejected']);

export const decisionView = z
  .object({
    id: z.string(),
    action: z.enum(['restrict', 'suspend', 'restore']),
    status: decisionStatus,
    category: z.string(),
    legalBasisId: z.string(),
    effectiveFrom: z.string(),
    effectiveUntil: z.string().nullable(),
    note: z.string().nullable(),
    resources: z.array(z.object({ kind: z.string(), value: z.string(), display: z.string() })),
    createdBy: z.string(),
    createdAt: z.string(),
    approvedBy: z.string().nullable(),
    approvedAt: z.string().nullable(),
    rejectedBy: z.string().nullable(),
    rejectedAt: z.string().nullable(),
    rejectReason: z.string().nullable(),
    endedAt: z.string().nullable(),
    endReason: z.string().nullable(),
  })
  .meta({ id: 'Decision' });
