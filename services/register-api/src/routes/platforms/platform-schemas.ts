import { z } from 'zod';
import { text } from '../../schemas/common-schemas.js';
import { countryCode, instantOrDate, platformDomain, refineNoRepeats } from '../../schemas/platform-order-inputs.js';

const audience = z
  .number({ error: 'must be a whole number of daily users' })
  .int('must be a whole number of daily users')
  .min(0, 'must not be negative')
  .max(10_000_000_000, 'must be at most 10,000,000,000');

const domains = z
  .array(platformDomain, { error: 'must be a list of domain names' })
  .min(1, 'must name at least one domain')
  .max(200, 'at most 200 domains per platform')
  .superRefine(refineNoRepeats('domains'));

export const platformBody = z
  .object({
    name: text(200),
    domains,
    country: countryCode,
    dailyAudience: audience,
    registrationDeadline: instantOrDate
      .optional()
      .describe('When a representative must be on record (if the audience is above 100,000); when omitted, the duty applies from now'),
  })
  .strict();

export const platformPatchBody = z
  .object({
    name: text(200).optional(),
    domains: domains.optional(),
    country: countryCode.optional(),
    dailyAudience: audience.optional(),
    registrationDeadline: instantOrDate.optional(),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'must change at least one field', path: [] });

export const representativeBody = z
  .object({
    name: text(300),
    contact: text(500),
    country: countryCode,
    appointedAt: instantOrDate,
  })
  .strict();

const registrationStatus = z.enum(['not_required', 'registered', 'pending', 'past_deadline']);
const resourceView = z.object({ kind: z.string(), value: z.string(), display: z.string() });

export const representativeView = z
  .object({
    id: z.string(),
    name: z.string(),
    contact: z.string(),
    country: z.string(),
    appointedAt: z.string(),
    recordedBy: z.string(),
    recordedAt: z.string(),
    replacedAt: z.string().nullable(),
  })
  .meta({ id: 'PlatformRepresentative' });

export const platformView = z
  .object({
    id: z.string(),
    name: z.string(),
    country: z.string(),
    domains: z.array(resourceView),
    dailyAudience: z.number(),
    registrationDeadline: z.string(),
    representativeRequired: z.boolean(),
    registrationStatus,
    representative: representativeView.nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Platform' });

export const platformDetailView = platformView.extend({ representativeHistory: z.array(representativeView) });
