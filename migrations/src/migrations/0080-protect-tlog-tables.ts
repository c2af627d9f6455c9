import type { Kysely } from 'kysely';
import { protectRegisterTable } from '../protection/register-protection.js';

/**
 * The transparency log's tables (0010) joined the register beside the protection (0021), so
 * they get it here: stored tree nodes, signed checkpoints and witness cosignatures are written
 * once and never changed or removed, by any role; TRUNCATE included, which 0010's own row
 * triggers do not see.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['tlog_nodes', 'tlog_checkpoints', 'tlog_cosignatures']) {
    await protectRegisterTable(db, table);
  }
}

export async function down(): Promise<void> {
  // Protection is not taken back.
}
