import { sql, type Kysely } from 'kysely';

/**
 * What is enforced changes only with its public log entry, in the same transaction: a span is
 * opened with the `add` entry it names (add_seq) and closed with a `remove` entry for its
 * resource and decision; a decision in force ends only when it has no open span left. Checked
 * at COMMIT (constraint triggers, deferred), because the service writes a span and its entry
 * in separate statements. So even with the service's credentials, lifting or adding a block
 * without saying so in the public log fails.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION enforcement_span_opened_with_log() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (
        SELECT 1 FROM public_log l
        WHERE l.seq = NEW.add_seq AND l.op = 'add' AND l.resource_id = NEW.resource_id AND l.decision_id = NEW.decision_id
          AND l.xmin = pg_current_xact_id()::xid
      ) THEN
        RAISE EXCEPTION 'enforcement period % opened without its add entry in the public log', NEW.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE CONSTRAINT TRIGGER enforcement_periods_opened_with_log AFTER INSERT ON enforcement_periods
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION enforcement_span_opened_with_log()`.execute(db);

  await sql`
    CREATE FUNCTION enforcement_span_closed_with_log() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (
        SELECT 1 FROM public_log l
        WHERE l.resource_id = NEW.resource_id AND l.decision_id = NEW.decision_id AND l.op = 'remove'
          AND l.xmin = pg_current_xact_id()::xid
      ) THEN
        RAISE EXCEPTION 'enforcement period % closed without its remove entry in the public log', NEW.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE CONSTRAINT TRIGGER enforcement_periods_closed_with_log AFTER UPDATE ON enforcement_periods
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.closed_at IS NULL AND NEW.closed_at IS NOT NULL)
    EXECUTE FUNCTION enforcement_span_closed_with_log()`.execute(db);

  await sql`
    CREATE FUNCTION decision_ends_without_open_spans() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM enforcement_periods p WHERE p.decision_id = NEW.id AND p.closed_at IS NULL) THEN
        RAISE EXCEPTION 'decision % still has open enforcement periods: it cannot end', NEW.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE CONSTRAINT TRIGGER decisions_end_without_open_spans AFTER UPDATE ON decisions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.status = 'in_force' AND NEW.status = 'ended')
    EXECUTE FUNCTION decision_ends_without_open_spans()`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('not reversible: the register never deletes');
}
