import type { PlatformRepresentativeRow, PlatformRow, ResourceRow } from '../db/schema.js';
import { registrationStatus, representativeRequired } from './platform-registration.js';
import { resourceView } from '../repositories/resource-repository.js';

export function representativeView(r: PlatformRepresentativeRow) {
  return {
    id: r.id,
    name: r.name,
    contact: r.contact,
    country: r.country,
    appointedAt: r.appointed_at.toISOString(),
    recordedBy: r.recorded_by,
    recordedAt: r.recorded_at.toISOString(),
    replacedAt: r.replaced_at ? r.replaced_at.toISOString() : null,
  };
}

export function platformView(p: PlatformRow, domains: readonly ResourceRow[], rep: PlatformRepresentativeRow | undefined, now: Date) {
  const dailyAudience = Number(p.daily_audience);
  return {
    id: p.id,
    name: p.name,
    country: p.country,
    domains: domains.map(resourceView),
    dailyAudience,
    registrationDeadline: p.registration_deadline.toISOString(),
    representativeRequired: representativeRequired(dailyAudience),
    registrationStatus: registrationStatus({ dailyAudience, deadline: p.registration_deadline, hasRepresentative: rep !== undefined }, now),
    representative: rep ? representativeView(rep) : null,
    createdBy: p.created_by,
    createdAt: p.created_at.toISOString(),
    updatedAt: p.updated_at.toISOString(),
  };
}

export type PlatformView = ReturnType<typeof platformView>;
