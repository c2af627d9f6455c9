import { sql, type Kysely } from 'kysely';

/**
 * Bulk imports of register dumps. One row per import: who ran it, which file (by SHA-256),
 * and the report of what landed. The row is written before the first decision and updated in
 * the same transaction as every batch of decisions, so even an import cut short (a client
 * that went away, a process that stopped) leaves a report that says exactly what was written.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE imports (
      id uuid PRIMARY KEY,
      created_by uuid NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      status text NOT NULL DEFAULT 'running' CHECK (status IN ('running','completed')),
      file_sha256 text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
      file_bytes bigint NOT NULL CHECK (file_bytes >= 0),
      encoding text NOT NULL,
      dump_updated text,
      category text NOT NULL,
      rows int NOT NULL CHECK (rows >= 0),
      decisions int NOT NULL DEFAULT 0 CHECK (decisions >= 0),
      resources int NOT NULL DEFAULT 0 CHECK (resources >= 0),
      legal_bases_created int NOT NULL DEFAULT 0 CHECK (legal_bases_created >= 0),
      legal_bases_reused int NOT NULL DEFAULT 0 CHECK (legal_bases_reused >= 0),
      error_count int NOT NULL DEFAULT 0 CHECK (error_count >= 0),
      -- [{line, reason}], at most a bounded number (error_count holds the total)
      errors jsonb NOT NULL DEFAULT '[]'::jsonb,
      -- [{id, authority, documentNumber, date, kind, legalBasisId, ..., lines}] of the decisions written
      report jsonb NOT NULL DEFAULT '[]'::jsonb,
      CHECK ((status = 'completed') = (finished_at IS NOT NULL))
    )`.execute(db);
  await sql`CREATE INDEX imports_created_idx ON imports (created_at, id)`.execute(db);
  await sql`CREATE INDEX imports_sha256_idx ON imports (file_sha256)`.execute(db);
  // An import report is part of the record of who put what into the register.
  await sql`
    CREATE TRIGGER imports_no_delete BEFORE DELETE ON imports
    FOR EACH ROW EXECUTE FUNCTION register_refuses_delete()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE imports`.execute(db);
}
