import { sql, type Kysely } from 'kysely';

/**
 * Who may act, held by the database as well as by the service: even with the service's
 * credentials (or the owner's), a decision is approved only by an enabled approver who did not
 * draft it, and rejected only by an enabled approver; an audit row names an enabled actor, or
 * none only for the system's own acts; and a user is created by an enabled admin (by nobody
 * only while there is no enabled admin: the first one).
 *
 * Refusals raise SQLSTATE TZ403 with a DETAIL naming the reason (unknown_user, drafter,
 * disabled, missing_role, no_actor), which the service maps to 403/409
 * (services/register-api/src/db/database-errors.ts).
 *
 * The person's row is read FOR SHARE: an admin disabling the approver at the same moment
 * either waits for the approval to commit or is seen by it, never neither.
 */

/** Audit actions the system performs itself, with no person behind them. */
export const SYSTEM_AUDIT_ACTIONS = ['order.overdue', 'user.bootstrap_admin'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION register_person_may_act(person uuid, needed_role text, act text, drafter uuid) RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE
      who record;
    BEGIN
      SELECT u.roles, u.disabled_at INTO who FROM users u WHERE u.id = person FOR SHARE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'no user % exists to %', person, act USING ERRCODE = 'TZ403', DETAIL = 'unknown_user';
      END IF;
      IF drafter IS NOT NULL AND person = drafter THEN
        RAISE EXCEPTION 'user % drafted this decision and cannot % it', person, act USING ERRCODE = 'TZ403', DETAIL = 'drafter';
      END IF;
      IF who.disabled_at IS NOT NULL THEN
        RAISE EXCEPTION 'user % is disabled and cannot %', person, act USING ERRCODE = 'TZ403', DETAIL = 'disabled';
      END IF;
      IF needed_role IS NOT NULL AND NOT (needed_role = ANY (who.roles)) THEN
        RAISE EXCEPTION 'user % is not an % and cannot %', person, needed_role, act USING ERRCODE = 'TZ403', DETAIL = 'missing_role';
      END IF;
    END $$`.execute(db);

  await sql`
    CREATE FUNCTION decision_decided_by_fit_approver() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.approved_by IS NOT NULL AND NEW.approved_by IS DISTINCT FROM OLD.approved_by THEN
        PERFORM register_person_may_act(NEW.approved_by, 'approver', 'approve decision ' || NEW.id, NEW.created_by);
      END IF;
      IF NEW.rejected_by IS NOT NULL AND NEW.rejected_by IS DISTINCT FROM OLD.rejected_by THEN
        PERFORM register_person_may_act(NEW.rejected_by, 'approver', 'reject decision ' || NEW.id, NULL);
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER decisions_decided_by_fit_approver BEFORE UPDATE OF approved_by, rejected_by ON decisions
    FOR EACH ROW EXECUTE FUNCTION decision_decided_by_fit_approver()`.execute(db);

  // Statement level over the new rows: an import writes thousands of audit rows in one INSERT.
  await sql`
    CREATE FUNCTION audit_rows_name_a_fit_actor() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      bad record;
    BEGIN
      SELECT a.action INTO bad FROM added a
        WHERE a.actor_id IS NULL AND a.action <> ALL (${sql.lit(`{${SYSTEM_AUDIT_ACTIONS.join(',')}}`)}::text[]) LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'audit action % needs the person who did it', bad.action USING ERRCODE = 'TZ403', DETAIL = 'no_actor';
      END IF;
      -- An admin who disables themself is disabled by the time their own act is recorded.
      SELECT a.actor_id, a.action INTO bad FROM added a JOIN users u ON u.id = a.actor_id
        WHERE u.disabled_at IS NOT NULL AND NOT (a.action = 'user.disable' AND a.target_id = a.actor_id::text) LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'user % is disabled: % cannot be recorded in their name', bad.actor_id, bad.action USING ERRCODE = 'TZ403', DETAIL = 'disabled';
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER audit_log_names_a_fit_actor AFTER INSERT ON audit_log
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION audit_rows_name_a_fit_actor()`.execute(db);

  // People are made by an enabled admin; by nobody only while there is no enabled admin (the
  // first admin, ADMIN_TOKEN; seeders of a fresh database).
  // (An admin disabled since keeps created_by in old rows: only new rows are checked.)
  await sql`
    CREATE FUNCTION user_created_by_fit_admin() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.created_by IS NOT NULL THEN
        PERFORM register_person_may_act(NEW.created_by, 'admin', 'create users', NULL);
      ELSIF EXISTS (SELECT 1 FROM users u WHERE 'admin' = ANY (u.roles) AND u.disabled_at IS NULL) THEN
        RAISE EXCEPTION 'a user is created by an admin (by nobody only while there is no admin)' USING ERRCODE = 'TZ403', DETAIL = 'no_actor';
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER users_created_by_fit_admin BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION user_created_by_fit_admin()`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('not reversible: the register never deletes');
}
