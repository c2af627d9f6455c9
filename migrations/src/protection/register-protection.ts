import { sql, type Kysely } from 'kysely';

/**
 * Database-side protection of register tables, for migrations. The triggers hold for every
 * role, the owner included: a bug or an injection running as the owner cannot TRUNCATE, DELETE
 * or rewrite what the register promises to keep. (An owner can still drop a trigger with DDL;
 * that is why the service runs as a role that owns nothing, see service-role.ts.)
 *
 * A later migration protects its own table in one line:
 *
 *   await protectRegisterTable(db, 'my_table', { updatable: ['status'], setOnce: ['closed_at'] });
 *
 * Calling it again replaces the table's rules (e.g. after adding a column that may change).
 */
export interface RegisterTableRules {
  /** Columns an UPDATE may change; every other column is fixed once the row is written. Empty: no UPDATE at all. */
  updatable?: readonly string[];
  /** Of `updatable`, the columns that may go from NULL to a value once and never change again. */
  setOnce?: readonly string[];
}

/** The trigger functions and the policy table; created once (migration 0021), used by every protected table. */
export async function installRegisterProtection(db: Kysely<unknown>): Promise<void> {
  // What each table lets the service UPDATE: the grants (service-role.ts) are made from this.
  await sql`
    CREATE TABLE IF NOT EXISTS register_table_policies (
      table_name text PRIMARY KEY,
      updatable text[] NOT NULL,
      set_once text[] NOT NULL
    )`.execute(db);

  // 0001 made this one; redefined so TRUNCATE (statement level, no row) says the same thing.
  await sql`
    CREATE OR REPLACE FUNCTION register_refuses_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the register never deletes (% is append-only): % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db);

  await sql`
    CREATE OR REPLACE FUNCTION register_refuses_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: UPDATE refused', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db);

  // Compares the row as JSON without the updatable columns: one expression whatever the table,
  // and a column added later is fixed until a migration says otherwise.
  await sql`
    CREATE OR REPLACE FUNCTION register_keeps_columns() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      updatable text[] := TG_ARGV[0]::text[];
      set_once text[] := TG_ARGV[1]::text[];
      old_row jsonb := to_jsonb(OLD);
      new_row jsonb := to_jsonb(NEW);
      changed text;
      col text;
    BEGIN
      IF (old_row - updatable) IS DISTINCT FROM (new_row - updatable) THEN
        SELECT string_agg(o.key, ', ' ORDER BY o.key) INTO changed
          FROM jsonb_each(old_row - updatable) o WHERE o.value IS DISTINCT FROM new_row -> o.key;
        RAISE EXCEPTION 'the register keeps %.% as written: UPDATE refused', TG_TABLE_NAME, changed USING ERRCODE = 'insufficient_privilege';
      END IF;
      FOREACH col IN ARRAY set_once LOOP
        IF old_row -> col <> 'null'::jsonb AND old_row -> col IS DISTINCT FROM new_row -> col THEN
          RAISE EXCEPTION '%.% is set once and never changes: UPDATE refused', TG_TABLE_NAME, col USING ERRCODE = 'insufficient_privilege';
        END IF;
      END LOOP;
      RETURN NEW;
    END $$`.execute(db);
}

/**
 * Refuses TRUNCATE and DELETE on `table`, and UPDATE of any column not in `updatable` (every
 * role, owner included), and records the rules so the service role is granted UPDATE on those
 * columns only.
 */
export async function protectRegisterTable(db: Kysely<unknown>, table: string, rules: RegisterTableRules = {}): Promise<void> {
  const updatable = [...(rules.updatable ?? [])];
  const setOnce = [...(rules.setOnce ?? [])];
  const stray = setOnce.filter((c) => !updatable.includes(c));
  if (stray.length > 0) throw new Error(`protectRegisterTable(${table}): setOnce columns must be updatable too: ${stray.join(', ')}`);
  const t = sql.id(table);
  for (const suffix of ['no_delete', 'no_truncate', 'no_update', 'keeps_columns']) {
    await sql`DROP TRIGGER IF EXISTS ${sql.id(`${table}_${suffix}`)} ON ${t}`.execute(db);
  }
  // Statement level: refused even when no row matches, and free for the rows that do.
  await sql`CREATE TRIGGER ${sql.id(`${table}_no_delete`)} BEFORE DELETE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION register_refuses_delete()`.execute(db);
  await sql`CREATE TRIGGER ${sql.id(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION register_refuses_delete()`.execute(db);
  if (updatable.length === 0) {
    await sql`CREATE TRIGGER ${sql.id(`${table}_no_update`)} BEFORE UPDATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION register_refuses_update()`.execute(db);
  } else {
    await sql`
      CREATE TRIGGER ${sql.id(`${table}_keeps_columns`)} BEFORE UPDATE ON ${t}
      FOR EACH ROW EXECUTE FUNCTION register_keeps_columns(${sql.lit(pgArray(updatable))}, ${sql.lit(pgArray(setOnce))})`.execute(db);
  }
  await sql`
    INSERT INTO register_table_policies (table_name, updatable, set_once) VALUES (${table}, ${updatable}, ${setOnce})
    ON CONFLICT (table_name) DO UPDATE SET updatable = EXCLUDED.updatable, set_once = EXCLUDED.set_once`.execute(db);
}

/**
 * For a migration that must rewrite protected rows (a backfill of a new column): runs `work`
 * with the table's user triggers off, inside the migration's transaction. Only the owner can.
 */
export async function withRegisterTriggersOff(db: Kysely<unknown>, table: string, work: () => Promise<void>): Promise<void> {
  await sql`ALTER TABLE ${sql.id(table)} DISABLE TRIGGER USER`.execute(db);
  await work();
  await sql`ALTER TABLE ${sql.id(table)} ENABLE TRIGGER USER`.execute(db);
}

function pgArray(items: readonly string[]): string {
  for (const i of items) if (!/^[a-z_][a-z0-9_]*$/.test(i)) throw new Error(`not a plain column name: ${i}`);
  return `{${items.join(',')}}`;
}
