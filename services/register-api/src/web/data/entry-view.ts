import { sql, type Kysely } from 'kysely';
import type { LogEntryBody, PublicLogEntry } from '@tizilim/shared';
import type { DB, DecisionStatus, EndReason, Role } from '../../db/schema.js';

/** At most this many of the resource's entries on its entry page (newest); the resource page has all. */
const HISTORY_LIMIT = 200;

/**
 * The entry's Merkle inclusion proof against the latest signed checkpoint (RFC 9162 §2.1.3):
 * tree size, leaf index, the audit path, and the checkpoint it verifies against. Null while no
 * checkpoint covers the entry yet; the page then renders nothing for it.
 */
export interface InclusionProofView {
  treeSize: number;
  leafIndex: number;
  hashes: readonly string[];
  checkpointUrl: string;
}

/** Everything the entry page shows; nothing in it is secret or personal (roles, not people). */
export interface EntryView {
  entry: PublicLogEntry;
  decision: {
    status: DecisionStatus;
    effectiveUntil: Date | null;
    endedAt: Date | null;
    endReason: EndReason | null;
    draftedByRoles: Role[];
    approvedByRoles: Role[];
  };
  basis: {
    effectiveAt: string | null;
    provisions: readonly unknown[];
    summary: string | null;
    documentUrl: string | null;
    documentSha256: string | null;
  };
  /** the resource's log entries, oldest first (this one among them) */
  history: LogEntryBody[];
  historyTruncated: boolean;
  /** Null while no signed checkpoint covers the entry (see InclusionProofView). */
  inclusionProof: InclusionProofView | null;
}

interface EntryRow {
  body: string;
  prev_hash: string;
  hash: string;
  decision_id: string;
  /** oldest first; one more than HISTORY_LIMIT when there are more */
  history: string[] | null;
}

type DecisionDetails = Pick<EntryView, 'decision' | 'basis'>;

/**
 * What an entry page shows of its decision: its status, the roles of the two people who acted,
 * its legal basis. Shared by every entry of the decision (a thousand, for an imported one), and
 * changed only together with the log (a decision ends with entries that remove its resources),
 * so kept until the log head moves. One query per decision instead of a five-table join per
 * page view: the join's planning alone cost more than the JSON entry's whole query.
 */
export class DecisionDetailsCache {
  #head = -1;
  readonly #byId = new Map<string, Promise<DecisionDetails | undefined>>();

  constructor(private readonly db: Kysely<DB>, private readonly logHead: () => number, private readonly maxSize = 10_000) {}

  get(decisionId: string): Promise<DecisionDetails | undefined> {
    const head = this.logHead();
    if (head !== this.#head || this.#byId.size >= this.maxSize) {
      this.#byId.clear();
      this.#head = head;
    }
    let found = this.#byId.get(decisionId);
    if (!found) {
      found = loadDecisionDetails(this.db, decisionId);
      this.#byId.set(decisionId, found);
      found.catch(() => this.#byId.delete(decisionId));
    }
    return found;
  }
}

async function loadDecisionDetails(db: Kysely<DB>, decisionId: string): Promise<DecisionDetails | undefined> {
  const row = await db
    .selectFrom('decisions as d')
    .innerJoin('legal_bases as b', 'b.id', 'd.legal_basis_id')
    .leftJoin('users as cu', 'cu.id', 'd.created_by')
    .leftJoin('users as au', 'au.id', 'd.approved_by')
    .select([
      'd.status', 'd.effective_until', 'd.ended_at', 'd.end_reason', 'cu.roles as drafted_roles', 'au.roles as approved_roles',
      'b.effective_at', 'b.provisions', 'b.summary', 'b.document_url', 'b.document_sha256',
    ])
    .where('d.id', '=', decisionId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    decision: {
      status: row.status,
      effectiveUntil: row.effective_until,
      endedAt: row.ended_at,
      endReason: row.end_reason,
      draftedByRoles: row.drafted_roles ?? [],
      approvedByRoles: row.approved_roles ?? [],
    },
    basis: {
      effectiveAt: row.effective_at,
      provisions: Array.isArray(row.provisions) ? row.provisions : [],
      summary: row.summary,
      documentUrl: row.document_url,
      documentSha256: row.document_sha256,
    },
  };
}

/**
 * The entry and the resource's history in one round trip (two index scans), its decision from
 * the cache. The entry page is what every blocked DNS answer links to, so it is the page that
 * must stay nearly as cheap as the JSON entry.
 */
export async function loadEntryView(db: Kysely<DB>, decisions: DecisionDetailsCache, seq: number): Promise<EntryView | undefined> {
  const result = await sql<EntryRow>`
    SELECT l.body, l.prev_hash, l.hash, l.decision_id,
           (SELECT array_agg(h.body ORDER BY h.seq) FROM
              (SELECT seq, body FROM public_log WHERE resource_id = l.resource_id ORDER BY seq DESC LIMIT ${HISTORY_LIMIT + 1}) h) AS history
    FROM public_log l
    WHERE l.seq = ${seq}`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  const details = await decisions.get(row.decision_id);
  if (!details) throw new Error(`log entry ${seq} names decision ${row.decision_id}, which does not exist`);
  return {
    entry: { ...(JSON.parse(row.body) as LogEntryBody), prevHash: row.prev_hash, hash: row.hash },
    ...details,
    history: (row.history ?? []).slice(-HISTORY_LIMIT).map((b) => JSON.parse(b) as LogEntryBody),
    historyTruncated: (row.history?.length ?? 0) > HISTORY_LIMIT,
    inclusionProof: null,
  };
}
