import { sql, type Kysely } from 'kysely';

/**
 * Foreign online platforms with their domains and legal representatives, 24-hour orders to
 * them, and the ISPs and gateways that enforce the register. Like the core, nothing here is
 * ever deleted: a representative is replaced, a domain is detached, an order keeps its outcome.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE platforms (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
      daily_audience bigint NOT NULL CHECK (daily_audience >= 0),
      registration_deadline timestamptz NOT NULL,
      created_by uuid NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX platforms_created_idx ON platforms (created_at, id)`.execute(db);

  // Domains are register resources, so a platform's domains and the decisions that restrict
  // them are one thread. A domain leaves a platform by getting removed_at, never by DELETE;
  // while attached it belongs to one platform only.
  await sql`
    CREATE TABLE platform_domains (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      platform_id uuid NOT NULL REFERENCES platforms(id),
      resource_id uuid NOT NULL REFERENCES resources(id),
      position int NOT NULL,
      added_at timestamptz NOT NULL DEFAULT now(),
      removed_at timestamptz,
      CHECK (removed_at IS NULL OR removed_at >= added_at)
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX platform_domains_current_idx ON platform_domains (resource_id) WHERE removed_at IS NULL`.execute(db);
  await sql`CREATE INDEX platform_domains_platform_idx ON platform_domains (platform_id)`.execute(db);

  // Representatives as a history: appointing a new one stamps replaced_at on the old row.
  await sql`
    CREATE TABLE platform_representatives (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      platform_id uuid NOT NULL REFERENCES platforms(id),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
      contact text NOT NULL CHECK (length(contact) BETWEEN 1 AND 500),
      country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
      appointed_at timestamptz NOT NULL,
      recorded_by uuid NOT NULL REFERENCES users(id),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      replaced_at timestamptz
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX platform_representatives_current_idx ON platform_representatives (platform_id) WHERE replaced_at IS NULL`.execute(db);

  // An order's status is 'open' until it gets an outcome or its 24 hours pass ('overdue');
  // an outcome sets status to itself, on an overdue order too (then it is late).
  await sql`
    CREATE TABLE orders (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      platform_id uuid NOT NULL REFERENCES platforms(id),
      legal_basis_id uuid NOT NULL REFERENCES legal_bases(id),
      category text NOT NULL,
      issued_at timestamptz NOT NULL,
      due_at timestamptz NOT NULL,
      note text,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','overdue','removed','limited','refused')),
      overdue_at timestamptz,
      outcome text CHECK (outcome IN ('removed','limited','refused')),
      outcome_at timestamptz,
      evidence text,
      late boolean,
      outcome_recorded_by uuid REFERENCES users(id),
      outcome_recorded_at timestamptz,
      created_by uuid NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (due_at = issued_at + interval '24 hours'),
      CHECK ((outcome IS NULL) = (outcome_at IS NULL)),
      CHECK ((outcome IS NULL) = (evidence IS NULL)),
      CHECK ((outcome IS NULL) = (late IS NULL)),
      CHECK ((outcome IS NULL) = (outcome_recorded_by IS NULL)),
      CHECK (outcome IS NULL OR status = outcome),
      CHECK (outcome IS NOT NULL OR status IN ('open','overdue')),
      CHECK ((status = 'overdue') <= (overdue_at IS NOT NULL))
    )`.execute(db);
  await sql`CREATE INDEX orders_due_idx ON orders (due_at) WHERE status = 'open'`.execute(db);
  await sql`CREATE INDEX orders_platform_idx ON orders (platform_id, created_at, id)`.execute(db);
  await sql`CREATE INDEX orders_created_idx ON orders (created_at, id)`.execute(db);

  await sql`
    CREATE TABLE order_content_urls (
      order_id uuid NOT NULL REFERENCES orders(id),
      resource_id uuid NOT NULL REFERENCES resources(id),
      position int NOT NULL,
      PRIMARY KEY (order_id, resource_id)
    )`.execute(db);

  // Restriction drafts made from an order, so the order shows what followed from it.
  await sql`
    CREATE TABLE order_escalations (
      order_id uuid NOT NULL REFERENCES orders(id),
      decision_id uuid NOT NULL UNIQUE REFERENCES decisions(id),
      target text NOT NULL CHECK (target IN ('content','domains')),
      created_by uuid NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (order_id, decision_id)
    )`.execute(db);

  await sql`
    CREATE TABLE isps (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
      bin text UNIQUE CHECK (bin ~ '^[0-9]{12}$'),
      contact text NOT NULL CHECK (length(contact) BETWEEN 1 AND 500),
      created_by uuid NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  // The ISP an isp-role token belongs to; other users have none.
  await sql`ALTER TABLE users ADD COLUMN isp_id uuid REFERENCES isps(id)`.execute(db);
  await sql`ALTER TABLE users ADD CONSTRAINT users_isp_needs_isp_role CHECK (isp_id IS NULL OR 'isp' = ANY(roles))`.execute(db);

  // The latest heartbeat of each gateway. A gateway is known by the id it chose, within its
  // ISP (owner_key = isp_id), or within its token for tokens not tied to an ISP (owner_key =
  // user_id), so rotating an ISP's token keeps the gateway's identity.
  await sql`
    CREATE TABLE gateways (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      owner_key uuid NOT NULL,
      gateway_id text NOT NULL CHECK (gateway_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
      isp_id uuid REFERENCES isps(id),
      user_id uuid NOT NULL REFERENCES users(id),
      version bigint NOT NULL CHECK (version >= 0),
      rules bigint NOT NULL CHECK (rules >= 0),
      counters jsonb NOT NULL,
      source_ip text,
      first_seen_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      heartbeats bigint NOT NULL DEFAULT 1,
      UNIQUE (owner_key, gateway_id),
      CHECK (owner_key = COALESCE(isp_id, user_id))
    )`.execute(db);
  await sql`CREATE INDEX gateways_isp_idx ON gateways (isp_id)`.execute(db);

  for (const table of ['platforms', 'platform_domains', 'platform_representatives', 'orders', 'order_content_urls', 'order_escalations', 'isps', 'gateways']) {
    await sql`
      CREATE TRIGGER ${sql.id(`${table}_no_delete`)} BEFORE DELETE ON ${sql.id(table)}
      FOR EACH ROW EXECUTE FUNCTION register_refuses_delete()`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('the platforms, orders and ISPs migration is not reversible: the register never deletes');
}
