import { sql, type Kysely } from 'kysely';
import { pinRegisterFunctionsSearchPath } from './0082-pinned-search-path-and-log-chain.js';

/**
 * The Merkle tree's nodes come from the public log and from nothing else (0010: the trigger on
 * public_log calls tlog_add_leaf for each appended entry). Before this, whoever held the
 * service's credentials could INSERT a node, or call tlog_add_leaf (EXECUTE is PUBLIC), at
 * the next leaf's position: every later append would then fail on the duplicate key, and the
 * register could approve nothing until a superuser removed it. A row trigger now refuses any
 * node not written from inside another trigger (pg_trigger_depth: 1 for a direct INSERT or a
 * direct call of tlog_add_leaf, 2 when public_log's statement trigger writes it), for every
 * role, the owner too.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION tlog_nodes_come_from_the_log() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'tlog_nodes: tree nodes are written only by appending to public_log, never directly' USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER tlog_nodes_come_from_the_log BEFORE INSERT ON tlog_nodes
    FOR EACH ROW EXECUTE FUNCTION tlog_nodes_come_from_the_log()`.execute(db);
  await pinRegisterFunctionsSearchPath(db);
}

export async function down(): Promise<void> {
  throw new Error('not reversible: protection is not taken back');
}
