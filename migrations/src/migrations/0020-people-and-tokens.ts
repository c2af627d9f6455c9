import { sql, type Kysely } from 'kysely';

/**
 * People and their tokens. A user may hold several tokens, each with its own expiry and
 * revocation; disabling a user stops all of them. Tokens that existed before (one per user,
 * on `users.token_hash`) move here and never expire.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE users
      ADD COLUMN disabled_at timestamptz,
      ADD COLUMN disabled_by uuid REFERENCES users(id),
      ADD CONSTRAINT users_disabled_by_someone CHECK ((disabled_at IS NULL) = (disabled_by IS NULL))`.execute(db);

  await sql`
    CREATE TABLE api_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id),
      token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by uuid REFERENCES users(id),
      expires_at timestamptz CHECK (expires_at IS NULL OR expires_at > created_at),
      revoked_at timestamptz,
      revoked_by uuid REFERENCES users(id),
      CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
    )`.execute(db);
  await sql`CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, created_at)`.execute(db);
  await sql`
    INSERT INTO api_tokens (user_id, token_hash, created_at, created_by)
    SELECT id, token_hash, created_at, created_by FROM users WHERE token_hash IS NOT NULL`.execute(db);

  // users.token_hash stays as the token a user was created with, for writers that insert users
  // directly (seeders, benches): such a row gets its token here, never expiring. The service
  // itself leaves it NULL and writes api_tokens.
  await sql`ALTER TABLE users ALTER COLUMN token_hash DROP NOT NULL`.execute(db);
  await sql`
    CREATE FUNCTION users_token_hash_to_api_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO api_tokens (user_id, token_hash, created_at, created_by) VALUES (NEW.id, NEW.token_hash, NEW.created_at, NEW.created_by);
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER users_token_hash_to_api_tokens AFTER INSERT ON users
    FOR EACH ROW WHEN (NEW.token_hash IS NOT NULL) EXECUTE FUNCTION users_token_hash_to_api_tokens()`.execute(db);

  // Every API process keeps the valid tokens in memory; this tells them to reload. Statement
  // level: a bulk insert sends one notice.
  await sql`
    CREATE FUNCTION auth_changed_notice() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('tizilim_auth', TG_TABLE_NAME);
      RETURN NULL;
    END $$`.execute(db);
  for (const table of ['users', 'api_tokens']) {
    await sql`
      CREATE TRIGGER ${sql.id(`${table}_auth_changed`)} AFTER INSERT OR UPDATE ON ${sql.id(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION auth_changed_notice()`.execute(db);
  }

  await sql`CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id)`.execute(db);
  await sql`CREATE INDEX audit_log_target_idx ON audit_log (target_id, id)`.execute(db);
  await sql`CREATE INDEX audit_log_at_idx ON audit_log (at, id)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('not reversible: the register never deletes');
}
