import { sql, type Kysely } from 'kysely';

/**
 * The state machines the service follows, held by the database too, so a write that skips a
 * step fails whoever makes it. Every legitimate transition (domain/decision-service.ts,
 * domain/enforcement.ts, the schedulers):
 *
 *   pending_approval → scheduled | in_force | rejected | ended (a suspension approved after its end)
 *   scheduled        → in_force | ended (the scheduler, or a suspension whose end passed first)
 *   in_force         → ended (restored, expired, superseded)
 *
 * A decision is born pending approval, and its resources are written with it, in the same
 * transaction: neither a decision that skips approval nor a resource added to a drafted one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION decision_is_born_pending() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status <> 'pending_approval' OR NEW.approved_by IS NOT NULL OR NEW.rejected_by IS NOT NULL OR NEW.ended_at IS NOT NULL OR NEW.end_reason IS NOT NULL THEN
        RAISE EXCEPTION 'a decision is drafted pending approval; % refused', NEW.status USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER decisions_born_pending BEFORE INSERT ON decisions FOR EACH ROW EXECUTE FUNCTION decision_is_born_pending()`.execute(db);

  await sql`
    CREATE FUNCTION decision_follows_state_machine() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
           (OLD.status = 'pending_approval' AND NEW.status IN ('scheduled', 'in_force', 'rejected', 'ended'))
        OR (OLD.status = 'scheduled' AND NEW.status IN ('in_force', 'ended'))
        OR (OLD.status = 'in_force' AND NEW.status = 'ended')) THEN
        RAISE EXCEPTION 'decision % cannot go from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF (NEW.approved_by, NEW.approved_at) IS DISTINCT FROM (OLD.approved_by, OLD.approved_at)
         AND NOT (OLD.status = 'pending_approval' AND NEW.status IN ('scheduled', 'in_force', 'ended')) THEN
        RAISE EXCEPTION 'decision % is approved only when it leaves pending_approval', OLD.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF (NEW.rejected_by, NEW.rejected_at, NEW.reject_reason) IS DISTINCT FROM (OLD.rejected_by, OLD.rejected_at, OLD.reject_reason)
         AND NOT (OLD.status = 'pending_approval' AND NEW.status = 'rejected') THEN
        RAISE EXCEPTION 'decision % is rejected only from pending_approval', OLD.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF (NEW.ended_at, NEW.end_reason) IS DISTINCT FROM (OLD.ended_at, OLD.end_reason) AND NOT (NEW.status = 'ended' AND OLD.status <> 'ended') THEN
        RAISE EXCEPTION 'decision % gets its end only as it ends', OLD.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER decisions_state_machine BEFORE UPDATE ON decisions FOR EACH ROW EXECUTE FUNCTION decision_follows_state_machine()`.execute(db);

  // Statement level with the new rows as a table: one check per insert, however many rows.
  // xmin is the inserting transaction: the decision must have been drafted by this one.
  await sql`
    CREATE FUNCTION decision_resources_only_while_drafting() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (
        SELECT 1 FROM added a LEFT JOIN decisions d ON d.id = a.decision_id
        WHERE d.id IS NULL OR d.status <> 'pending_approval' OR d.xmin <> pg_current_xact_id()::xid
      ) THEN
        RAISE EXCEPTION 'a decision''s resources are written with its draft and never change' USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER decision_resources_only_while_drafting AFTER INSERT ON decision_resources
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION decision_resources_only_while_drafting()`.execute(db);

  // A closed span is history.
  await sql`
    CREATE FUNCTION enforcement_period_closes_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.closed_at IS NOT NULL THEN
        RAISE EXCEPTION 'enforcement period % is closed and never changes', OLD.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER enforcement_periods_close_once BEFORE UPDATE ON enforcement_periods FOR EACH ROW EXECUTE FUNCTION enforcement_period_closes_once()`.execute(db);

  // The log's head only moves forward (the log itself is append-only since 0001).
  await sql`
    CREATE FUNCTION public_log_head_moves_forward() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.seq < OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash IS DISTINCT FROM OLD.hash) THEN
        RAISE EXCEPTION 'the public log head only moves forward' USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER public_log_head_forward BEFORE UPDATE ON public_log_head FOR EACH ROW EXECUTE FUNCTION public_log_head_moves_forward()`.execute(db);

  // An order: open → overdue → an outcome, or open → an outcome.
  await sql`
    CREATE FUNCTION order_follows_state_machine() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
           (OLD.status = 'open' AND NEW.status IN ('overdue', 'removed', 'limited', 'refused'))
        OR (OLD.status = 'overdue' AND NEW.status IN ('removed', 'limited', 'refused'))) THEN
        RAISE EXCEPTION 'order % cannot go from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER orders_state_machine BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION order_follows_state_machine()`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('not reversible: the register never deletes');
}
