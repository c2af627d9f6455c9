/**
 * When a foreign platform must have a legal representative in the country: above this many
 * average daily users, by its registration deadline.
 */
export const REPRESENTATIVE_AUDIENCE_THRESHOLD = 100_000;

export type RegistrationStatus = 'not_required' | 'registered' | 'pending' | 'past_deadline';

export function representativeRequired(dailyAudience: number): boolean {
  return dailyAudience > REPRESENTATIVE_AUDIENCE_THRESHOLD;
}

/**
 * `registered` once a representative is on record (whatever the audience), `not_required` below
 * the threshold, otherwise `pending` until the deadline and `past_deadline` after it.
 */
export function registrationStatus(p: { dailyAudience: number; deadline: Date; hasRepresentative: boolean }, now: Date): RegistrationStatus {
  if (p.hasRepresentative) return 'registered';
  if (!representativeRequired(p.dailyAudience)) return 'not_required';
  return p.deadline <= now ? 'past_deadline' : 'pending';
}
