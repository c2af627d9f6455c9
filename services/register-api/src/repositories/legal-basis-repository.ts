import type { Kysely, Transaction } from 'kysely';
import type { DB, LegalBasisRow } from '../db/schema.js';

export interface LegalBasisInput {
  kind: 'court_ruling' | 'prosecutor_recommendation' | 'ministry_order';
  authority: string;
  documentNumber: string;
  issuedAt: string;
  effectiveAt?: string | undefined;
  provisions: { law: string; article?: string | undefined }[];
  summary?: string | undefined;
  documentSha256?: string | undefined;
  documentUrl?: string | undefined;
}

export async function insertLegalBasis(trx: Transaction<DB> | Kysely<DB>, input: LegalBasisInput, createdBy: string) {
  return trx
    .insertInto('legal_bases')
    .values({
      kind: input.kind,
      authority: input.authority,
      document_number: input.documentNumber,
      issued_at: input.issuedAt,
      effective_at: input.effectiveAt ?? null,
      provisions: JSON.stringify(input.provisions),
      summary: input.summary ?? null,
      document_sha256: input.documentSha256 ?? null,
      document_url: input.documentUrl ?? null,
      created_by: createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findLegalBasis(db: Kysely<DB> | Transaction<DB>, id: string) {
  return db.selectFrom('legal_bases').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listLegalBases(db: Kysely<DB>, opts: { limit: number; before?: { createdAt: Date; id: string } }) {
  let q = db.selectFrom('legal_bases').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit);
  if (opts.before) {
    const { createdAt, id } = opts.before;
    q = q.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
  }
  return q.execute();
}

export function legalBasisView(row: LegalBasisRow) {
  return {
    id: row.id,
    kind: row.kind,
    authority: row.authority,
    documentNumber: row.document_number,
    issuedAt: row.issued_at,
    effectiveAt: row.effective_at,
    provisions: row.provisions,
    summary: row.summary,
    documentSha256: row.document_sha256,
    documentUrl: row.document_url,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}
