import type { Kysely, Transaction } from 'kysely';
import type { ParsedResource } from '@tizilim/shared/resource/index';
import type { DB } from '../db/schema.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { RegisterError, notFound } from '../errors/error-catalogue.js';
import { recordAudit } from '../repositories/audit-repository.js';
import {
  attachDomains, currentDomains, detachDomains, domainOwners, insertPlatform, lockPlatform, updatePlatformRow,
} from '../repositories/platform-repository.js';
import { currentRepresentatives, replaceRepresentative, type NewRepresentative } from '../repositories/representative-repository.js';
import { upsertResources } from '../repositories/resource-repository.js';
import { platformView, representativeView, type PlatformView } from './platform-view.js';
import type { Actor } from './decision-service.js';
import { transactionNow } from './enforcement.js';

export interface PlatformInput {
  name: string;
  domains: ParsedResource[];
  country: string;
  dailyAudience: number;
  /** Absent: the duty to have a representative applies from the moment of recording. */
  registrationDeadline?: Date | undefined;
}

export type PlatformPatch = Partial<PlatformInput>;

export async function createPlatform(db: Kysely<DB>, input: PlatformInput, actor: Actor): Promise<PlatformView> {
  return domainRace(() => db.transaction().execute(async (trx) => {
    const now = await transactionNow(trx);
    const resources = await upsertResources(trx, input.domains);
    await assertDomainsFree(trx, input.domains, resources.map((r) => r.id), null);
    const row = await insertPlatform(trx, {
      name: input.name,
      country: input.country,
      dailyAudience: input.dailyAudience,
      registrationDeadline: input.registrationDeadline ?? now,
      createdBy: actor.id,
    });
    await attachDomains(trx, row.id, resources.map((r) => r.id), now);
    const view = platformView(row, resources, undefined, now);
    await recordAudit(trx, { actorId: actor.id, sourceIp: actor.sourceIp, action: 'platform.create', targetType: 'platform', targetId: row.id, after: view });
    return view;
  }));
}

/** Changes the fields given; a new domain list replaces the old (domains left out are detached, not deleted). */
export async function updatePlatform(db: Kysely<DB>, id: string, patch: PlatformPatch, actor: Actor): Promise<PlatformView> {
  return domainRace(() => db.transaction().execute(async (trx) => {
    const before = await lockPlatform(trx, id);
    if (!before) throw notFound('platform');
    const now = await transactionNow(trx);
    const domainsBefore = (await currentDomains(trx, [id])).get(id) ?? [];
    const rep = (await currentRepresentatives(trx, [id])).get(id);
    const viewBefore = platformView(before, domainsBefore, rep, now);

    if (patch.domains) {
      const wanted = await upsertResources(trx, patch.domains);
      await assertDomainsFree(trx, patch.domains, wanted.map((r) => r.id), id);
      const wantedIds = new Set(wanted.map((r) => r.id));
      const currentIds = new Set(domainsBefore.map((r) => r.id));
      await detachDomains(trx, id, domainsBefore.filter((r) => !wantedIds.has(r.id)).map((r) => r.id), now);
      await attachDomains(trx, id, wanted.filter((r) => !currentIds.has(r.id)).map((r) => r.id), now);
    }
    const after = await updatePlatformRow(trx, id, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.country !== undefined ? { country: patch.country } : {}),
      ...(patch.dailyAudience !== undefined ? { daily_audience: patch.dailyAudience } : {}),
      ...(patch.registrationDeadline !== undefined ? { registration_deadline: patch.registrationDeadline } : {}),
    }, now);
    const domainsAfter = (await currentDomains(trx, [id])).get(id) ?? [];
    const view = platformView(after, domainsAfter, rep, now);
    await recordAudit(trx, {
      actorId: actor.id, sourceIp: actor.sourceIp, action: 'platform.update', targetType: 'platform', targetId: id, before: viewBefore, after: view,
    });
    return view;
  }));
}

/** Records the platform's legal representative; one already on record is replaced, and kept in the history. */
export async function appointRepresentative(db: Kysely<DB>, id: string, rep: NewRepresentative, actor: Actor): Promise<PlatformView> {
  return db.transaction().execute(async (trx) => {
    const platform = await lockPlatform(trx, id);
    if (!platform) throw notFound('platform');
    const now = await transactionNow(trx);
    const { previous, current } = await replaceRepresentative(trx, id, rep, actor.id, now);
    const domains = (await currentDomains(trx, [id])).get(id) ?? [];
    const view = platformView(platform, domains, current, now);
    await recordAudit(trx, {
      actorId: actor.id, sourceIp: actor.sourceIp, action: 'platform.representative.appoint', targetType: 'platform', targetId: id,
      before: previous ? representativeView(previous) : null, after: representativeView(current),
    });
    return view;
  });
}

/** Two platforms claiming the same domain at the same instant: the loser hears 409, as it would have a moment later. */
async function domainRace<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isUniqueViolation(err, 'platform_domains_current_idx')) {
      throw new RegisterError('CONFLICT', 'domains: a domain was attached to another platform at the same moment; read the platforms again', [
        { field: 'domains', message: 'a domain was attached to another platform at the same moment' },
      ]);
    }
    throw err;
  }
}

/** A domain is attached to one platform at a time: naming another platform's domain is a conflict. */
async function assertDomainsFree(trx: Transaction<DB>, domains: readonly ParsedResource[], resourceIds: readonly string[], self: string | null): Promise<void> {
  const owners = await domainOwners(trx, resourceIds);
  const details = [];
  for (const [i, resourceId] of resourceIds.entries()) {
    const owner = owners.get(resourceId);
    if (owner && owner !== self) details.push({ field: `domains[${i}]`, message: `${domains[i]!.display} is already a domain of platform ${owner}` });
  }
  if (details.length > 0) {
    throw new RegisterError('CONFLICT', details.map((d) => `${d.field}: ${d.message}`).join('; '), details);
  }
}
