/**
 * Seeds a fresh Postgres database with a register of N (default 1,000,000) active rules, in
 * the register's real shapes, without going through the API (which would take hours):
 *
 *   users (admin, operator, approver) → 12 legal bases (court rulings, prosecutor
 *   recommendations, ministry orders) → N resources → ceil(N/1000) decisions of 1000 resources
 *   each, drafted by the operator and approved by the approver, one day apart over the last
 *   ~1000 days (every 50th a suspension until a date a year ahead) → decision_resources →
 *   N public_log entries with a valid SHA-256 chain (built in Node with the shared
 *   canonicalJson/entryHash, in seq order) → N open enforcement_periods carrying add_seq →
 *   public_log_head → audit_log rows for each draft and approval. The transparency log's Merkle
 *   tree (tlog_nodes) is built as the entries go in, by migration 0010's trigger on public_log,
 *   exactly as for the register's own writes; afterwards its leaf count is checked.
 *
 * Rows go in as multi-row `INSERT … SELECT … FROM json_populate_recordset(NULL::table, $1)`
 * batches of 5000 inside one transaction (no COPY: pg-copy-streams is not installed; a JSON
 * parameter costs far less CPU in Node than pg's escaping of text arrays). Resources, links,
 * log entries and spans are written in one pass over the rules, their batches queued on the
 * one connection in dependency order, so Node builds and hashes the next rows while Postgres
 * writes the previous batches. Nothing is disabled: every constraint, trigger (the append-only
 * ones refuse UPDATE/DELETE, not INSERT) and index of the migrations is live as rows go in. Afterwards VACUUM ANALYZE (what autovacuum would
 * do on a live register) and a full verification of the chain with the shared ChainVerifier.
 *
 * Names: see rule-names.ts (StevenBlack hosts and suffixes, prefixed labels; never resolved).
 *
 * CLI:  npx tsx bench/register/seed-million.ts [--rules=1000000] [--keep] [--verify=full|sql|none]
 *         [--server=postgres://postgres@127.0.0.1:5432/postgres]
 * Creates `tizilim_bench_<pid>`, seeds it, and drops it at the end unless --keep (then it
 * prints the DATABASE_URL to reuse, e.g. with register-bench.ts --database-url=…).
 * `--verify-database=URL` only runs the shared ChainVerifier over an existing database's log.
 */
import { createHash, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { migrateToLatest } from '@tizilim/migrations';
import { canonicalJson, entryHash, ChainVerifier, GENESIS_HASH, type LogEntryBody } from '@tizilim/shared';
import { hashApiToken, generateApiToken } from '@tizilim/register-api/auth/api-token';
import { isSensitiveCategory } from '@tizilim/register-api/domain/categories';
import { generateRules } from './rule-names.js';

export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const BATCH = 5000;
const PER_DECISION = 1000;
const DAY = 86_400_000;

export function withDatabase(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try { await c.query(text); } finally { await c.end(); }
}

export async function createBenchDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^tizilim_bench_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to create database ${name}`);
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  return withDatabase(serverUrl, name);
}

export async function dropBenchDatabase(serverUrl: string, name: string): Promise<void> {
  if (!/^tizilim_bench_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to drop database ${name}`);
  await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

const CATEGORY_CYCLE = ['extremism', 'gambling', 'pornography', 'drugs', 'gambling', 'terrorism', 'child_sexual_abuse', 'suicide',
  'unregistered_platform', 'pornography', 'child_cyberbullying', 'gambling', 'order_noncompliance', 'other', 'drugs', 'extremism'];

const LEGAL_BASES = [
  { kind: 'court_ruling', authority: 'Specialised Inter-District Economic Court of Astana', prefix: '2-' },
  { kind: 'court_ruling', authority: 'Almaly District Court of Almaty', prefix: '7599-' },
  { kind: 'court_ruling', authority: 'Specialised Inter-District Court of Shymkent', prefix: '6-' },
  { kind: 'court_ruling', authority: 'Yesil District Court of Astana', prefix: '7194-' },
  { kind: 'prosecutor_recommendation', authority: 'Prosecutor-General of the Republic of Kazakhstan', prefix: 'PG-' },
  { kind: 'prosecutor_recommendation', authority: 'Deputy Prosecutor-General', prefix: 'DPG-' },
  { kind: 'prosecutor_recommendation', authority: 'Prosecutor-General of the Republic of Kazakhstan', prefix: 'PG-R-' },
  { kind: 'ministry_order', authority: 'Ministry of Culture and Information', prefix: 'MCI-' },
  { kind: 'ministry_order', authority: 'Ministry of Digital Development, Innovations and Aerospace Industry', prefix: 'MDDIAI-' },
  { kind: 'ministry_order', authority: 'Ministry of Culture and Information', prefix: 'MCI-O-' },
  { kind: 'court_ruling', authority: 'Bostandyk District Court of Almaty', prefix: '7511-' },
  { kind: 'ministry_order', authority: 'Committee for Information of the Ministry of Culture and Information', prefix: 'CI-' },
] as const;

export interface SeedOptions {
  databaseUrl: string;
  rules: number;
  /**
   * 'full': every entry through the shared ChainVerifier (canonical form, shape, hash, order of
   * times), as the project's verify command does; 'sql': SHA-256(prevHash ‖ body) and the links
   * recomputed by Postgres (the stored body is the hashed text); 'none'.
   */
  verify?: 'full' | 'sql' | 'none';
  log?: (line: string) => void;
}

export interface SeedReport {
  rules: number;
  byKind: Record<string, number>;
  refused: number;
  decisions: number;
  legalBases: number;
  head: { seq: number; hash: string };
  seconds: { names: number; insert: number; vacuum: number; verify: number | null; total: number };
  tableBytes: Record<string, string>;
  verified: 'full' | 'sql' | null;
}

/**
 * Inserts rows in batches of BATCH as one JSON parameter:
 * `INSERT INTO t (cols) SELECT cols FROM json_populate_recordset(NULL::t, $1)`. JSON.stringify
 * is native and Postgres parses JSON in C; binding the same rows as text arrays costs several
 * times more CPU in pg's array escaping. At most one statement is in flight while the caller
 * builds the next batch.
 */
/** Runs statements on one client strictly one after another, in the order they were issued. */
class StatementQueue {
  #tail: Promise<unknown> = Promise.resolve();
  constructor(readonly client: pg.ClientBase) {}
  run(text: string, values: unknown[]): Promise<unknown> {
    const result = this.#tail.then(() => this.client.query(text, values));
    this.#tail = result.catch(() => {});
    return result;
  }
}

class BulkInserter {
  readonly #queue: StatementQueue;
  readonly #text: string;
  #rows: Record<string, unknown>[] = [];
  #inFlight: Promise<unknown> = Promise.resolve();
  rows = 0;
  /** time spent waiting for the database (the rest of the wall time is building rows in Node) */
  waitMs = 0;

  constructor(queue: StatementQueue, table: string, columns: readonly string[]) {
    this.#queue = queue;
    const names = columns.join(', ');
    this.#text = `INSERT INTO ${table} (${names}) SELECT ${names} FROM json_populate_recordset(NULL::${table}, $1::json)`;
  }

  async push(row: Record<string, unknown>): Promise<void> {
    this.#rows.push(row);
    this.rows++;
    if (this.#rows.length >= BATCH) await this.#send();
  }

  async #send(): Promise<void> {
    const json = JSON.stringify(this.#rows);
    this.#rows = [];
    const w = performance.now();
    await this.#inFlight;
    this.waitMs += performance.now() - w;
    this.#inFlight = this.#queue.run(this.#text, [json]);
    // Surface a failure at the next await rather than as an unhandled rejection.
    this.#inFlight.catch(() => {});
  }

  async finish(): Promise<void> {
    if (this.#rows.length > 0) await this.#send();
    const w = performance.now();
    await this.#inFlight;
    this.waitMs += performance.now() - w;
  }
}

export async function seedRegister(opts: SeedOptions): Promise<SeedReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const t0 = performance.now();
  const generated = generateRules(opts.rules);
  const tNames = performance.now();
  log(`seed: ${generated.rules.length} names generated in ${((tNames - t0) / 1000).toFixed(1)} s ${JSON.stringify(generated.byKind)}, ${generated.refused} refused by the parser`);

  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 2 });
  try {
    const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    await migrateToLatest(kysely);
    const client = await pool.connect();
    let decisionsCount = 0;
    let head = { seq: 0, hash: GENESIS_HASH };
    try {
      await client.query('BEGIN');
      const existing = await client.query<{ n: string }>('SELECT count(*) AS n FROM public_log');
      if (Number(existing.rows[0]!.n) !== 0) throw new Error('the database already has a public log; seed a fresh one');
      // The seed writes decisions already in force with their resources, which the register's
      // state-machine triggers (migration 0022) refuse to anyone else: off for this transaction only.
      await client.query('ALTER TABLE decisions DISABLE TRIGGER decisions_born_pending');
      await client.query('ALTER TABLE decision_resources DISABLE TRIGGER decision_resources_only_while_drafting');
      await client.query('ALTER TABLE enforcement_periods DISABLE TRIGGER enforcement_periods_opened_with_log');

      // People. Their tokens are thrown away: the benchmark adds its own users.
      const users: Record<'admin' | 'operator' | 'approver', string> = { admin: randomUUID(), operator: randomUUID(), approver: randomUUID() };
      for (const [role, id] of Object.entries(users)) {
        await client.query('INSERT INTO users (id, name, roles, token_hash, created_by) VALUES ($1, $2, $3, $4, $5)',
          [id, `seed ${role}`, [role], hashApiToken(generateApiToken()), role === 'admin' ? null : users.admin]);
      }

      // Legal bases.
      const now = Date.now();
      const start = now - 1000 * DAY;
      const bases = LEGAL_BASES.map((b, i) => ({
        id: randomUUID(), kind: b.kind, authority: b.authority,
        documentNumber: `${b.prefix}${1000 + i * 37}/${2024 + (i % 3)}`,
        issuedAt: new Date(start - (30 - i) * DAY).toISOString().slice(0, 10),
      }));
      for (const b of bases) {
        await client.query(
          `INSERT INTO legal_bases (id, kind, authority, document_number, issued_at, effective_at, provisions, summary, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)`,
          [b.id, b.kind, b.authority, b.documentNumber, b.issuedAt,
            JSON.stringify([{ law: 'Law of the Republic of Kazakhstan "On Mass Media"', article: '41-1' }]),
            'Bench seed: restriction of access to the listed resources', users.operator, new Date(start - 10 * DAY)]);
      }

      // Decisions first (1000 rows); then resources, their links, the log and the spans in one
      // pass over the rules. The four inserters share this connection, whose queue keeps their
      // statements in the order they were issued (a batch of resources before the links and log
      // entries naming them, log entries before the spans naming their seq), while Node builds
      // and hashes the next rows as Postgres writes the previous batch.
      const rules = generated.rules;
      const queue = new StatementQueue(client);
      const nDecisions = Math.ceil(rules.length / PER_DECISION);
      const step = (now - start) / nDecisions;
      const decisions = new BulkInserter(queue, 'decisions', [
        'id', 'action', 'category', 'legal_basis_id', 'status', 'effective_from', 'effective_until', 'note', 'created_by', 'created_at', 'approved_by', 'approved_at']);
      const decisionRows: { id: string; action: 'restrict' | 'suspend'; category: string; basis: (typeof bases)[number]; created: Date; approved: Date; until: Date | null }[] = [];
      for (let d = 0; d < nDecisions; d++) {
        const created = new Date(Math.floor(start + d * step));
        const approved = new Date(created.getTime() + 2 * 3_600_000);
        const suspend = d % 50 === 7;
        const row = {
          id: randomUUID(), action: suspend ? 'suspend' as const : 'restrict' as const, category: CATEGORY_CYCLE[d % CATEGORY_CYCLE.length]!,
          basis: bases[d % bases.length]!, created, approved, until: suspend ? new Date(now + 400 * DAY + d * 60_000) : null,
        };
        decisionRows.push(row);
        await decisions.push({
          id: row.id, action: row.action, category: row.category, legal_basis_id: row.basis.id, status: 'in_force', effective_from: created,
          effective_until: row.until, note: `bench seed decision ${d + 1}`, created_by: users.operator, created_at: created, approved_by: users.approver, approved_at: approved,
        });
      }
      await decisions.finish();
      decisionsCount = decisionRows.length;

      const resources = new BulkInserter(queue, 'resources', ['id', 'kind', 'value', 'display', 'host', 'created_at']);
      const links = new BulkInserter(queue, 'decision_resources', ['decision_id', 'resource_id', 'position']);
      const logRows = new BulkInserter(queue, 'public_log', ['seq', 'time', 'op', 'resource_id', 'decision_id', 'category', 'body', 'prev_hash', 'hash']);
      const spans = new BulkInserter(queue, 'enforcement_periods', ['resource_id', 'decision_id', 'mode', 'starts_at', 'ends_at', 'add_seq']);
      let prevHash = GENESIS_HASH;
      for (let i = 0; i < rules.length; i++) {
        const r = rules[i]!;
        const d = decisionRows[Math.floor(i / PER_DECISION)]!;
        const resourceId = randomUUID();
        const seq = i + 1;
        const mode = d.action === 'suspend' ? 'suspend' : 'restrict';
        await resources.push({ id: resourceId, kind: r.kind, value: r.value, display: r.display, host: r.host, created_at: d.created });
        await links.push({ decision_id: d.id, resource_id: resourceId, position: i % PER_DECISION });
        const redact = isSensitiveCategory(d.category) && r.kind === 'url';
        // The register's publicBody (public-log-repository.ts), field for field.
        const body: LogEntryBody = {
          seq,
          time: d.approved.toISOString(),
          op: 'add',
          reason: 'approved',
          mode,
          until: d.until ? d.until.toISOString() : null,
          resource: {
            kind: r.kind, value: redact ? null : r.value, host: r.host, display: redact ? null : r.display,
            valueSha256: createHash('sha256').update(r.value, 'utf8').digest('hex'),
          },
          category: d.category,
          decision: { id: d.id, action: d.action, effectiveFrom: d.created.toISOString() },
          legalBasis: { id: d.basis.id, kind: d.basis.kind, authority: d.basis.authority, documentNumber: d.basis.documentNumber, issuedAt: d.basis.issuedAt },
        };
        // entryHash(prevHash, body) is SHA-256(prevHash bytes ‖ canonicalJson(body)); the text is
        // needed for the row anyway, so it is serialised once and hashed here, and checked
        // against entryHash itself on the first entry of every decision.
        const text = canonicalJson(body);
        const hash = createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(text, 'utf8').digest('hex');
        if (i % PER_DECISION === 0 && entryHash(prevHash, body) !== hash) throw new Error(`entry ${seq}: hash differs from entryHash`);
        await logRows.push({ seq, time: d.approved, op: 'add', resource_id: resourceId, decision_id: d.id, category: d.category, body: text, prev_hash: prevHash, hash });
        prevHash = hash;
        await spans.push({ resource_id: resourceId, decision_id: d.id, mode, starts_at: d.approved, ends_at: d.until, add_seq: seq });
        if (seq % 200_000 === 0) log(`seed: ${seq} rules written (${((performance.now() - tNames) / 1000).toFixed(1)} s)`);
      }
      for (const ins of [resources, links, logRows, spans]) await ins.finish();
      head = { seq: rules.length, hash: prevHash };
      const waited = [resources, links, logRows, spans].map((x) => x.waitMs).reduce((x, y) => x + y, 0);
      log(`seed: resources, decision_resources, public_log, enforcement_periods: ${rules.length} rows each in ${((performance.now() - tNames) / 1000).toFixed(1)} s (Node waited for Postgres ${(waited / 1000).toFixed(1)} s)`);

      await client.query('UPDATE public_log_head SET seq = $1, hash = $2 WHERE id = 1', [head.seq, head.hash]);

      const audit = new BulkInserter(queue, 'audit_log', ['at', 'actor_id', 'source_ip', 'action', 'target_type', 'target_id', 'before', 'after']);
      for (const [d, row] of decisionRows.entries()) {
        const first = d * PER_DECISION + 1;
        const last = Math.min(rules.length, first + PER_DECISION - 1);
        await audit.push({ at: row.created, actor_id: users.operator, source_ip: '127.0.0.1', action: 'decision.create', target_type: 'decision', target_id: row.id,
          before: null, after: { id: row.id, action: row.action, status: 'pending_approval', category: row.category, resources: last - first + 1 } });
        await audit.push({ at: row.approved, actor_id: users.approver, source_ip: '127.0.0.1', action: 'decision.approve', target_type: 'decision', target_id: row.id,
          before: { status: 'pending_approval' }, after: { status: 'in_force', logEntries: [first, last] } });
      }
      await audit.finish();
      await client.query('ALTER TABLE decisions ENABLE TRIGGER decisions_born_pending');
      await client.query('ALTER TABLE decision_resources ENABLE TRIGGER decision_resources_only_while_drafting');
      await client.query('ALTER TABLE enforcement_periods ENABLE TRIGGER enforcement_periods_opened_with_log');
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    const tInsert = performance.now();
    log(`seed: committed in ${((tInsert - tNames) / 1000).toFixed(1)} s; VACUUM ANALYZE…`);
    await pool.query('VACUUM ANALYZE');
    const tVacuum = performance.now();

    let verified: SeedReport['verified'] = null;
    let tVerify: number | null = null;
    const mode = opts.verify ?? 'full';
    if (mode !== 'none') {
      const result = mode === 'full' ? await verifyChain(pool) : await verifyChainSql(pool);
      verified = mode;
      tVerify = performance.now();
      log(`seed: chain ${result.ok ? `verified: ${result.count} entries, head ${result.head.seq} ${result.head.hash.slice(0, 16)}…` : `BROKEN at ${result.firstBadSeq}: ${result.reason}`} (${((tVerify - tVacuum) / 1000).toFixed(1)} s)`);
      if (!result.ok) throw new Error(`seeded chain does not verify at ${result.firstBadSeq}: ${result.reason}`);
      if (result.head.hash !== head.hash) throw new Error('verified head differs from public_log_head');
    }
    const leaves = await pool.query<{ n: string }>('SELECT count(*) AS n FROM tlog_nodes WHERE level = 0');
    if (Number(leaves.rows[0]!.n) !== head.seq) throw new Error(`the Merkle tree has ${leaves.rows[0]!.n} leaves for ${head.seq} entries`);
    log(`seed: Merkle tree has ${head.seq} leaves`);
    const sizes = await pool.query<{ t: string; s: string }>(
      `SELECT c.relname AS t, pg_size_pretty(pg_total_relation_size(c.oid)) AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname IN ('resources','decisions','decision_resources','public_log','enforcement_periods','audit_log','tlog_nodes')`);
    const total = performance.now();
    return {
      rules: generated.rules.length, byKind: generated.byKind, refused: generated.refused, decisions: decisionsCount, legalBases: LEGAL_BASES.length, head,
      seconds: {
        names: +((tNames - t0) / 1000).toFixed(1), insert: +((tInsert - tNames) / 1000).toFixed(1), vacuum: +((tVacuum - tInsert) / 1000).toFixed(1),
        verify: tVerify === null ? null : +((tVerify - tVacuum) / 1000).toFixed(1), total: +((total - t0) / 1000).toFixed(1),
      },
      tableBytes: Object.fromEntries(sizes.rows.map((r) => [r.t, r.s])),
      verified,
    };
  } finally {
    await pool.end();
  }
}

/** The chain recomputed in SQL: gapless seq from 1, each prevHash the previous hash, each hash SHA-256(prevHash ‖ body). */
export async function verifyChainSql(pool: pg.Pool) {
  const { rows } = await pool.query<{ n: string; bad: string; first_bad: string | null; last_hash: string | null; head_seq: string; head_hash: string }>(`
    WITH c AS (
      SELECT seq, hash,
        seq = row_number() OVER w
        AND prev_hash = coalesce(lag(hash) OVER w, repeat('0', 64))
        AND hash = encode(sha256(decode(prev_hash, 'hex') || convert_to(body, 'UTF8')), 'hex') AS ok
      FROM public_log WINDOW w AS (ORDER BY seq)
    )
    SELECT count(*) AS n, count(*) FILTER (WHERE NOT ok) AS bad, min(seq) FILTER (WHERE NOT ok) AS first_bad,
      (SELECT hash FROM c ORDER BY seq DESC LIMIT 1) AS last_hash,
      (SELECT seq FROM public_log_head) AS head_seq, (SELECT hash FROM public_log_head) AS head_hash
    FROM c`);
  const r = rows[0]!;
  const n = Number(r.n);
  if (Number(r.bad) > 0) return { ok: false as const, firstBadSeq: Number(r.first_bad), reason: 'hash or link mismatch (SQL check)', where: 'entry' as const };
  if (Number(r.head_seq) !== n || (n > 0 && r.head_hash !== r.last_hash)) return { ok: false as const, firstBadSeq: n, reason: 'public_log_head is not the last entry', where: 'entry' as const };
  return { ok: true as const, count: n, head: { seq: n, hash: r.last_hash ?? GENESIS_HASH } };
}

/** Reads public_log in seq order, 10,000 rows a page, through the shared ChainVerifier. */
export async function verifyChain(pool: pg.Pool) {
  const verifier = new ChainVerifier();
  let after = 0;
  for (;;) {
    const { rows } = await pool.query<{ seq: string; body: string; prev_hash: string; hash: string }>(
      'SELECT seq, body, prev_hash, hash FROM public_log WHERE seq > $1 ORDER BY seq LIMIT 10000', [after]);
    if (rows.length === 0) break;
    for (const r of rows) {
      if (!verifier.push({ ...(JSON.parse(r.body) as LogEntryBody), prevHash: r.prev_hash, hash: r.hash })) return verifier.finish();
    }
    after = Number(rows.at(-1)!.seq);
  }
  return verifier.finish();
}

async function main(): Promise<void> {
  const args = new Map(process.argv.slice(2).map((a) => { const [k, v] = a.replace(/^--/, '').split('='); return [k!, v ?? 'true'] as const; }));
  if (args.has('help')) {
    console.log('npx tsx bench/register/seed-million.ts [--rules=1000000] [--keep] [--verify=full|sql|none] [--server=postgres://postgres@127.0.0.1:5432/postgres]');
    console.log('npx tsx bench/register/seed-million.ts --verify-database=postgres://…/tizilim_bench_<pid>   (ChainVerifier over an existing log)');
    return;
  }
  const toVerify = args.get('verify-database');
  if (toVerify) {
    // Verifies the chain of an existing (seeded) database with the shared ChainVerifier.
    const pool = new pg.Pool({ connectionString: toVerify, max: 1 });
    try {
      const t0 = performance.now();
      const result = await verifyChain(pool);
      console.log(`${JSON.stringify(result)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      if (!result.ok) process.exitCode = 1;
    } finally { await pool.end(); }
    return;
  }
  const serverUrl = args.get('server') ?? DEFAULT_SERVER_URL;
  const name = `tizilim_bench_${process.pid}`;
  const keep = args.has('keep');
  const databaseUrl = await createBenchDatabase(serverUrl, name);
  let dropped = false;
  const drop = async () => { if (!keep && !dropped) { dropped = true; await dropBenchDatabase(serverUrl, name); } };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { void drop().finally(() => process.exit(130)); });
  try {
    console.log(`seed: database ${name}`);
    const report = await seedRegister({ databaseUrl, rules: Number(args.get('rules') ?? 1_000_000), verify: (args.get('verify') ?? 'full') as 'full' | 'sql' | 'none' });
    console.log(JSON.stringify(report, null, 2));
    if (keep) console.log(`kept: DATABASE_URL=${databaseUrl}`);
  } finally {
    await drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });
}
