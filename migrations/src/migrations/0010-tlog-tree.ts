import { sql, type Kysely } from 'kysely';

/**
 * The public log as an RFC 9162 Merkle tree (DESIGN.md, "The transparency log").
 *
 * tlog_nodes holds every complete subtree: (level, idx) is the root of leaves
 * [idx·2^level, (idx+1)·2^level), leaf idx = seq − 1, leaf hash SHA-256(0x00 ‖ body). A hash tile
 * of C2SP tlog-tiles is a range of one level, and any proof is O(log n) of these rows.
 *
 * The tree is extended by a trigger on public_log, not by the writers: the approval (one
 * statement of CTEs), the scheduler, imports and the bench seed all append log rows, and a
 * trigger covers each of them in the same transaction with no second round trip while the log
 * head is locked. Appending leaf i stores the leaf and then, while i is a right child, its
 * parent: 2 rows per entry on average, log2(n) at most. A statement trigger with a transition
 * table walks the new rows in seq order, whatever order one INSERT wrote them in.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE tlog_nodes (
      level smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
      idx bigint NOT NULL CHECK (idx >= 0),
      hash bytea NOT NULL CHECK (length(hash) = 32),
      PRIMARY KEY (level, idx)
    )`.execute(db);

  await sql`
    CREATE FUNCTION tlog_add_leaf(leaf_seq bigint, leaf_body text) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      i bigint := leaf_seq - 1;
      lvl smallint := 0;
      h bytea := sha256('\\x00'::bytea || convert_to(leaf_body, 'UTF8'));
      left_hash bytea;
    BEGIN
      INSERT INTO tlog_nodes (level, idx, hash) VALUES (0, i, h);
      WHILE i % 2 = 1 LOOP
        SELECT n.hash INTO left_hash FROM tlog_nodes n WHERE n.level = lvl AND n.idx = i - 1;
        IF left_hash IS NULL THEN
          RAISE EXCEPTION 'tlog: node %/% is missing below leaf %', lvl, i - 1, leaf_seq - 1;
        END IF;
        h := sha256('\\x01'::bytea || left_hash || h);
        i := i / 2;
        lvl := lvl + 1;
        INSERT INTO tlog_nodes (level, idx, hash) VALUES (lvl, i, h);
      END LOOP;
    END $$`.execute(db);

  await sql`
    CREATE FUNCTION tlog_extend() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      r record;
    BEGIN
      FOR r IN SELECT seq, body FROM tlog_new_entries ORDER BY seq LOOP
        PERFORM tlog_add_leaf(r.seq, r.body);
      END LOOP;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER public_log_extends_tlog AFTER INSERT ON public_log
    REFERENCING NEW TABLE AS tlog_new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION tlog_extend()`.execute(db);

  // Nodes are facts about the log: never changed, never removed.
  await sql`
    CREATE FUNCTION tlog_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER tlog_nodes_no_update BEFORE UPDATE OR DELETE ON tlog_nodes
    FOR EACH ROW EXECUTE FUNCTION tlog_is_append_only()`.execute(db);

  // Entries written before this migration become leaves now, in order.
  await sql`
    DO $$
    DECLARE r record;
    BEGIN
      FOR r IN SELECT seq, body FROM public_log ORDER BY seq LOOP
        PERFORM tlog_add_leaf(r.seq, r.body);
      END LOOP;
    END $$`.execute(db);

  // Every signed checkpoint is kept. The note is deterministic (no time in it, Ed25519), so
  // several API processes signing one tree size write the same row.
  await sql`
    CREATE TABLE tlog_checkpoints (
      tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
      root_hash bytea NOT NULL CHECK (length(root_hash) = 32),
      note text NOT NULL,
      signed_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`
    CREATE TABLE tlog_cosignatures (
      tree_size bigint NOT NULL REFERENCES tlog_checkpoints (tree_size),
      witness text NOT NULL,
      line text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tree_size, witness)
    )`.execute(db);
  await sql`CREATE INDEX tlog_cosignatures_witness_idx ON tlog_cosignatures (witness, tree_size)`.execute(db);
  for (const table of ['tlog_checkpoints', 'tlog_cosignatures']) {
    await sql`
      CREATE TRIGGER ${sql.id(`${table}_no_update`)} BEFORE UPDATE OR DELETE ON ${sql.id(table)}
      FOR EACH ROW EXECUTE FUNCTION tlog_is_append_only()`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('the transparency log migration is not reversible: signed checkpoints are never removed');
}
