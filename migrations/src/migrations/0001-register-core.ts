import { sql, type Kysely } from 'kysely';

/**
 * The register core: users, audit, legal bases, resources, decisions, enforcement periods,
 * and the append-only public log. Plain SQL, so the constraints the register's promises rest
 * on (no decision without a legal basis, four eyes, no overlapping enforcement, a log that
 * cannot be rewritten) live in the database and not only in the service.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS btree_gist`.execute(db);

  await sql`
    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      roles text[] NOT NULL CHECK (cardinality(roles) > 0
        AND roles <@ ARRAY['admin','operator','approver','auditor','isp']::text[]),
      token_hash bytea NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by uuid REFERENCES users(id)
    )`.execute(db);

  await sql`
    CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_id uuid REFERENCES users(id),
      source_ip text,
      action text NOT NULL,
      target_type text NOT NULL,
      target_id text,
      before jsonb,
      after jsonb
    )`.execute(db);

  await sql`
    CREATE TABLE legal_bases (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind text NOT NULL CHECK (kind IN ('court_ruling','prosecutor_recommendation','ministry_order')),
      authority text NOT NULL CHECK (length(authority) BETWEEN 1 AND 300),
      document_number text NOT NULL CHECK (length(document_number) BETWEEN 1 AND 100),
      issued_at date NOT NULL,
      effective_at date,
      provisions jsonb NOT NULL DEFAULT '[]'::jsonb,
      summary text,
      document_sha256 text CHECK (document_sha256 ~ '^[0-9a-f]{64}$'),
      document_url text,
      created_by uuid NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (effective_at IS NULL OR effective_at >= issued_at)
    )`.execute(db);
  await sql`CREATE INDEX legal_bases_authority_idx ON legal_bases (authority, document_number)`.execute(db);

  await sql`
    CREATE TABLE resources (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind text NOT NULL CHECK (kind IN ('domain','domain_suffix','url','ip','cidr')),
      value text NOT NULL,
      display text NOT NULL,
      host text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (kind, value)
    )`.execute(db);
  await sql`CREATE INDEX resources_host_idx ON resources (host)`.execute(db);

  await sql`
    CREATE TABLE decisions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      action text NOT NULL CHECK (action IN ('restrict','suspend','restore')),
      category text NOT NULL,
      legal_basis_id uuid NOT NULL REFERENCES legal_bases(id),
      status text NOT NULL DEFAULT 'pending_approval'
        CHECK (status IN ('pending_approval','scheduled','in_force','ended','rejected')),
      effective_from timestamptz NOT NULL,
      effective_until timestamptz,
      note text,
      created_by uuid NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      approved_by uuid REFERENCES users(id),
      approved_at timestamptz,
      rejected_by uuid REFERENCES users(id),
      rejected_at timestamptz,
      reject_reason text,
      ended_at timestamptz,
      end_reason text CHECK (end_reason IN ('restored','expired','superseded')),
      CHECK ((action = 'suspend') = (effective_until IS NOT NULL)),
      CHECK (effective_until IS NULL OR effective_until > effective_from),
      -- four eyes, in the database: whoever drafted a decision cannot be the one approving it
      CHECK (approved_by IS NULL OR approved_by <> created_by),
      CHECK ((status IN ('scheduled','in_force','ended')) = (approved_by IS NOT NULL)),
      CHECK ((status = 'rejected') = (rejected_by IS NOT NULL))
    )`.execute(db);
  await sql`CREATE INDEX decisions_status_idx ON decisions (status, created_at, id)`.execute(db);
  await sql`CREATE INDEX decisions_created_idx ON decisions (created_at, id)`.execute(db);

  await sql`
    CREATE TABLE decision_resources (
      decision_id uuid NOT NULL REFERENCES decisions(id),
      resource_id uuid NOT NULL REFERENCES resources(id),
      position int NOT NULL,
      PRIMARY KEY (decision_id, resource_id)
    )`.execute(db);
  await sql`CREATE INDEX decision_resources_resource_idx ON decision_resources (resource_id)`.execute(db);

  // One row per span during which a resource was enforced. A span is opened when a restrict or
  // suspend decision takes effect and closed by restoration, expiry or a superseding decision.
  // The exclusion constraint makes overlapping spans for one resource impossible, so "the
  // state at instant T" always has at most one answer.
  await sql`
    CREATE TABLE enforcement_periods (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      resource_id uuid NOT NULL REFERENCES resources(id),
      decision_id uuid NOT NULL REFERENCES decisions(id),
      mode text NOT NULL CHECK (mode IN ('restrict','suspend')),
      starts_at timestamptz NOT NULL,
      ends_at timestamptz,
      closed_at timestamptz,
      end_reason text CHECK (end_reason IN ('restored','expired','superseded')),
      ended_by_decision_id uuid REFERENCES decisions(id),
      CHECK (ends_at IS NULL OR ends_at > starts_at),
      CHECK ((closed_at IS NULL) = (end_reason IS NULL)),
      EXCLUDE USING gist (resource_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
    )`.execute(db);
  await sql`CREATE INDEX enforcement_open_idx ON enforcement_periods (ends_at) WHERE closed_at IS NULL`.execute(db);
  await sql`CREATE INDEX enforcement_resource_idx ON enforcement_periods (resource_id, starts_at)`.execute(db);

  // The public log. body is the canonical JSON that was hashed, stored as text so that what is
  // served is byte for byte what was hashed. The columns beside it are for indexing only.
  await sql`
    CREATE TABLE public_log (
      seq bigint PRIMARY KEY CHECK (seq > 0),
      time timestamptz NOT NULL,
      op text NOT NULL CHECK (op IN ('add','remove')),
      resource_id uuid NOT NULL REFERENCES resources(id),
      decision_id uuid NOT NULL REFERENCES decisions(id),
      category text NOT NULL,
      body text NOT NULL,
      prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
      hash text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
    )`.execute(db);
  await sql`CREATE INDEX public_log_resource_idx ON public_log (resource_id, seq)`.execute(db);
  await sql`CREATE INDEX public_log_decision_idx ON public_log (decision_id)`.execute(db);

  await sql`
    CREATE FUNCTION public_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'public_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER public_log_no_update BEFORE UPDATE OR DELETE ON public_log
    FOR EACH ROW EXECUTE FUNCTION public_log_is_append_only()`.execute(db);
  await sql`
    CREATE TRIGGER public_log_no_truncate BEFORE TRUNCATE ON public_log
    FOR EACH STATEMENT EXECUTE FUNCTION public_log_is_append_only()`.execute(db);

  // The head of the log, one row. Appenders lock it (SELECT … FOR UPDATE), which serialises
  // appends across API processes and keeps seq gapless without a sequence (sequences leave gaps
  // on rollback).
  await sql`
    CREATE TABLE public_log_head (
      id int PRIMARY KEY CHECK (id = 1),
      seq bigint NOT NULL,
      hash text NOT NULL
    )`.execute(db);
  await sql`INSERT INTO public_log_head (id, seq, hash) VALUES (1, 0, ${'0'.repeat(64)})`.execute(db);

  await sql`
    CREATE TABLE log_checkpoints (
      seq bigint PRIMARY KEY,
      hash text NOT NULL,
      time timestamptz NOT NULL,
      signature text NOT NULL,
      public_key text NOT NULL
    )`.execute(db);

  // Keys generated by the service itself, kept so every API process signs with the same key.
  await sql`
    CREATE TABLE service_keys (
      name text PRIMARY KEY,
      secret text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  // Deleting from the register is never allowed: corrections are new decisions.
  await sql`
    CREATE FUNCTION register_refuses_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the register never deletes: DELETE on % refused', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db);
  for (const table of ['legal_bases', 'decisions', 'decision_resources', 'resources', 'audit_log', 'enforcement_periods', 'log_checkpoints', 'users', 'public_log_head', 'service_keys']) {
    await sql`
      CREATE TRIGGER ${sql.id(`${table}_no_delete`)} BEFORE DELETE ON ${sql.id(table)}
      FOR EACH ROW EXECUTE FUNCTION register_refuses_delete()`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('the register core migration is not reversible: the register never deletes');
}
