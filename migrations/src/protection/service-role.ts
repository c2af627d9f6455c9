import { sql, type Kysely } from 'kysely';

export interface ServiceRole {
  /** The login role the service connects as (DATABASE_URL's user). */
  name: string;
  /** Its password, when DATABASE_URL has one. */
  password?: string | undefined;
}

export interface ServiceRoleGrants {
  /** Tables no migration protected (see protectRegisterTable): granted UPDATE on every column, never DELETE. */
  unprotectedTables: string[];
}

/** Tables of the migrator itself: the service never needs them. */
const MIGRATION_TABLES = new Set(['kysely_migration', 'kysely_migration_lock', 'register_table_policies']);

/**
 * Creates the service's login role if it is missing and gives it exactly what the service
 * needs: SELECT and INSERT on the register's tables, UPDATE only on the columns each table's
 * rules name, USAGE on sequences; no DELETE, no TRUNCATE, no DDL. Run by the owner after the
 * migrations, at every start, so tables added by later migrations are covered. Idempotent.
 */
export async function grantServiceRole(db: Kysely<unknown>, role: ServiceRole): Promise<ServiceRoleGrants> {
  const { rows: me } = await sql<{ me: string }>`SELECT current_user AS me`.execute(db);
  if (me[0]!.me === role.name) {
    throw new Error(`DATABASE_URL and MIGRATION_DATABASE_URL name the same role (${role.name}): the service would run with owner rights`);
  }
  await createRoleIfMissing(db, role);
  const { rows: found } = await sql<{ rolsuper: boolean; rolbypassrls: boolean }>`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = ${role.name}`.execute(db);
  if (found[0]?.rolsuper) throw new Error(`the service role ${role.name} is a superuser: triggers and grants would not bind it`);

  return db.transaction().execute(async (trx) => {
    // Several API processes may start at once: concurrent GRANTs on one table collide ("tuple
    // concurrently updated"); one at a time per database.
    await sql`SELECT pg_advisory_xact_lock(hashtext('tizilim_service_role_grants'))`.execute(trx);
    const r = sql.id(role.name);
    const { rows: tables } = await sql<{ name: string; updatable: string[] | null }>`
      SELECT c.relname AS name, p.updatable
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN register_table_policies p ON p.table_name = c.relname
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`.execute(trx);
    // Start from nothing, so a column that stopped being updatable loses its grant.
    await sql`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${r}`.execute(trx);
    await sql`REVOKE CREATE ON SCHEMA public FROM ${r}`.execute(trx);
    await sql`GRANT USAGE ON SCHEMA public TO ${r}`.execute(trx);
    const unprotectedTables: string[] = [];
    for (const t of tables) {
      if (MIGRATION_TABLES.has(t.name)) continue;
      const table = sql.id(t.name);
      await sql`GRANT SELECT, INSERT ON ${table} TO ${r}`.execute(trx);
      if (t.updatable === null) {
        unprotectedTables.push(t.name);
        await sql`GRANT UPDATE ON ${table} TO ${r}`.execute(trx);
      } else if (t.updatable.length > 0) {
        await sql`GRANT UPDATE (${sql.join(t.updatable.map((c) => sql.id(c)))}) ON ${table} TO ${r}`.execute(trx);
      }
    }
    await sql`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r}`.execute(trx);
    return { unprotectedTables };
  });
}

/**
 * Roles are cluster-wide and many databases (tests, several services) may migrate at once:
 * the one that loses the race to create it gets duplicate_object or unique_violation, which
 * means someone else already did it.
 */
async function createRoleIfMissing(db: Kysely<unknown>, role: ServiceRole): Promise<void> {
  const name = quoteIdent(role.name);
  // The password is set by ALTER ROLE below, outside the DO block's dollar quotes.
  await sql.raw(`
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(role.name)}) THEN
        CREATE ROLE ${name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`).execute(db);
  if (role.password !== undefined) {
    // Concurrent ALTER ROLEs of one role race on its catalogue row ("tuple concurrently updated").
    for (let attempt = 0; ; attempt++) {
      try {
        await sql.raw(`ALTER ROLE ${name} LOGIN PASSWORD ${quoteLiteral(role.password)}`).execute(db);
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
      }
    }
  }
}

/** DO blocks take no parameters: the name and password are quoted here, the way Postgres quotes them. */
function quoteIdent(s: string): string {
  if (s.includes('\0') || s.includes('$')) throw new Error('a role name cannot contain NUL or $');
  return `"${s.replace(/"/g, '""')}"`;
}

function quoteLiteral(s: string): string {
  if (s.includes('\0')) throw new Error('a password cannot contain NUL');
  return `'${s.replace(/'/g, "''")}'`;
}
