import { sql, type Kysely } from 'kysely';

/**
 * Three holes a holder of the service's credentials could use, closed in the database:
 *
 * 1. Shadowing. Postgres searches the session's temporary schema first for tables, and any
 *    role may create temporary tables (TEMPORARY is granted to PUBLIC). The triggers named
 *    their tables unqualified, so `CREATE TEMP TABLE public_log (…)` with a forged `remove`
 *    row let an UPDATE close an enforcement span with no public log entry (a block lifted
 *    silently); a temp `decisions` let resources be added to a decision in force; a temp
 *    `users` would pass any person as an enabled approver. Every function of the register's
 *    schema now runs with `search_path = <schema>, pg_temp`: pg_temp named last is searched
 *    last, so a temporary table can no longer stand in for a register table.
 *
 * 2. The log's chain was kept by the service only. The database now checks each appended
 *    entry: seq follows the last entry's seq (gapless), prev_hash is its hash, and hash is
 *    SHA-256(prev_hash bytes ‖ body) as verify-log computes it; and the head only ever names
 *    the last entry (it could be moved forward by any amount, leaving a gap in the log and
 *    the transparency tree stuck).
 *
 * 3. A span's planned end changed without the span closing: moving an open restriction's
 *    `ends_at` into the past let the scheduler close it as "expired". `ends_at` now changes
 *    only as the span closes, to the moment it closes, and never later than it was.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION public_log_chains() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      r record;
      prev_seq bigint;
      prev_h text;
    BEGIN
      SELECT min(a.seq) - 1 INTO prev_seq FROM added a;
      IF prev_seq IS NULL THEN RETURN NULL; END IF;
      IF prev_seq = 0 THEN
        prev_h := repeat('0', 64);
      ELSE
        SELECT l.hash INTO prev_h FROM public_log l WHERE l.seq = prev_seq;
        IF prev_h IS NULL THEN
          RAISE EXCEPTION 'public log entry % would leave a gap: there is no entry %', prev_seq + 1, prev_seq USING ERRCODE = 'insufficient_privilege';
        END IF;
      END IF;
      FOR r IN SELECT a.seq, a.body, a.prev_hash, a.hash FROM added a ORDER BY a.seq LOOP
        IF r.seq <> prev_seq + 1 THEN
          RAISE EXCEPTION 'public log entry % would leave a gap after %', r.seq, prev_seq USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF r.prev_hash <> prev_h THEN
          RAISE EXCEPTION 'public log entry % does not chain to entry %', r.seq, prev_seq USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF r.hash <> encode(sha256(decode(r.prev_hash, 'hex') || convert_to(r.body, 'UTF8')), 'hex') THEN
          RAISE EXCEPTION 'public log entry %: hash is not SHA-256(prev_hash || body)', r.seq USING ERRCODE = 'insufficient_privilege';
        END IF;
        prev_seq := r.seq;
        prev_h := r.hash;
      END LOOP;
      IF EXISTS (SELECT 1 FROM public_log l WHERE l.seq > prev_seq) THEN
        RAISE EXCEPTION 'public log entries are appended at its end' USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER public_log_chains AFTER INSERT ON public_log
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION public_log_chains()`.execute(db);

  // The head names the last entry, nothing else. Checked after the statement (deferred to
  // COMMIT): the service moves the head in the same statement that appends the entries, as
  // data-modifying CTEs that do not see each other's rows.
  await sql`
    CREATE OR REPLACE FUNCTION public_log_head_names_last_entry() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      h record;
      last record;
    BEGIN
      SELECT seq, hash INTO h FROM public_log_head WHERE id = 1;
      SELECT l.seq, l.hash INTO last FROM public_log l ORDER BY l.seq DESC LIMIT 1;
      IF NOT FOUND THEN
        last := ROW(0::bigint, repeat('0', 64));
      END IF;
      IF h.seq IS DISTINCT FROM last.seq OR h.hash IS DISTINCT FROM last.hash THEN
        RAISE EXCEPTION 'the public log head names the last entry of the log (%), not %', last.seq, h.seq USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE CONSTRAINT TRIGGER public_log_head_names_last_entry AFTER UPDATE ON public_log_head
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public_log_head_names_last_entry()`.execute(db);

  await sql`
    CREATE OR REPLACE FUNCTION enforcement_period_end_moves_only_as_it_closes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.ends_at IS DISTINCT FROM OLD.ends_at AND NOT (
           OLD.closed_at IS NULL AND NEW.closed_at IS NOT NULL
           AND NEW.ends_at = NEW.closed_at
           AND (OLD.ends_at IS NULL OR NEW.ends_at <= OLD.ends_at)) THEN
        RAISE EXCEPTION 'enforcement period %: its planned end changes only as it closes, to that moment', OLD.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER enforcement_periods_end_only_as_closing BEFORE UPDATE OF ends_at ON enforcement_periods
    FOR EACH ROW EXECUTE FUNCTION enforcement_period_end_moves_only_as_it_closes()`.execute(db);

  await pinRegisterFunctionsSearchPath(db);
}

/**
 * Gives every function of the current schema a fixed search_path (the schema, then pg_temp
 * last). Exported so a later migration that adds functions can call it again.
 */
export async function pinRegisterFunctionsSearchPath(db: Kysely<unknown>): Promise<void> {
  await sql`
    DO $$
    DECLARE
      f record;
    BEGIN
      FOR f IN
        SELECT p.oid::regprocedure AS sig
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        LEFT JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
        WHERE n.nspname = current_schema() AND p.prokind = 'f' AND d.objid IS NULL
      LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', f.sig, current_schema());
      END LOOP;
    END $$`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('not reversible: protection is not taken back');
}
