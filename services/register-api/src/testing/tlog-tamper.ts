import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/**
 * What an attacker with database superuser rights can do to the log, for the attack tests:
 * triggers off for the transaction (`session_replication_role = replica` disables the
 * append-only guards and the foreign keys), then the tree rebuilt to match, so the register
 * signs the rewritten log as if nothing happened. Test clones only.
 */
export async function rewriteLogAsSuperuser(db: Kysely<DB>, rewrite: (trx: Kysely<DB>) => Promise<void>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    await rewrite(trx);
    await sql`DELETE FROM tlog_nodes`.execute(trx);
    await sql`DO $$ DECLARE r record; BEGIN FOR r IN SELECT seq, body FROM public_log ORDER BY seq LOOP PERFORM tlog_add_leaf(r.seq, r.body); END LOOP; END $$`.execute(trx);
    await sql`UPDATE public_log_head SET seq = (SELECT coalesce(max(seq), 0) FROM public_log), hash = coalesce((SELECT hash FROM public_log ORDER BY seq DESC LIMIT 1), repeat('0', 64))`.execute(trx);
    // The evidence of the old tree goes too: every checkpoint and cosignature beyond what is left.
    await sql`DELETE FROM tlog_cosignatures WHERE tree_size >= (SELECT seq FROM public_log_head)`.execute(trx);
    await sql`DELETE FROM tlog_checkpoints WHERE tree_size >= (SELECT seq FROM public_log_head)`.execute(trx);
    await sql`DELETE FROM log_checkpoints WHERE seq >= (SELECT seq FROM public_log_head)`.execute(trx);
  });
}

/** Removes the last `count` entries (a rollback). */
export function rollBack(db: Kysely<DB>, count: number): Promise<void> {
  return rewriteLogAsSuperuser(db, async (trx) => {
    await sql`DELETE FROM public_log WHERE seq > (SELECT max(seq) FROM public_log) - ${count}`.execute(trx);
  });
}

/** Rewrites one entry's body in place (a fork: same size, another root). */
export function forkAt(db: Kysely<DB>, seq: number): Promise<void> {
  return rewriteLogAsSuperuser(db, async (trx) => {
    await sql`UPDATE public_log SET body = replace(body, '"op":"add"', '"op":"remove"') WHERE seq = ${seq}`.execute(trx);
  });
}
