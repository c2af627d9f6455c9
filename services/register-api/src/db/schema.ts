import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Every table of the register, in one place. Types follow what `pg` returns. */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** `date` columns are read as `YYYY-MM-DD` strings (see pg-types.ts): a date has no time zone. */
type DateOnly = ColumnType<string, string, string>;
/** int8 is read as a JS number (see pg-types.ts): our sequences stay far below 2^53. */
type Int8 = ColumnType<number, number | string | bigint, number | string | bigint>;

export type Role = 'admin' | 'operator' | 'approver' | 'auditor' | 'isp';

export interface UsersTable {
  id: Generated<string>;
  name: string;
  roles: Role[];
  /** The token a user was created with by a direct insert (seeders); the service leaves it NULL and writes api_tokens (0020). */
  token_hash: ColumnType<Buffer | null, Buffer | null | undefined, never>;
  created_at: Generated<Date>;
  created_by: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Generated<Date>;
  actor_id: string | null;
  source_ip: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  before: unknown;
  after: unknown;
}

export interface LegalBasesTable {
  id: Generated<string>;
  kind: 'court_ruling' | 'prosecutor_recommendation' | 'ministry_order';
  authority: string;
  document_number: string;
  issued_at: DateOnly;
  effective_at: ColumnType<string | null, string | null, string | null>;
  provisions: ColumnType<{ law: string; article: string }[], string, string>;
  summary: string | null;
  document_sha256: string | null;
  document_url: string | null;
  created_by: string;
  created_at: Generated<Date>;
}

export interface ResourcesTable {
  id: Generated<string>;
  kind: 'domain' | 'domain_suffix' | 'url' | 'ip' | 'cidr';
  value: string;
  display: string;
  host: string | null;
  created_at: Generated<Date>;
}

export type DecisionStatus = 'pending_approval' | 'scheduled' | 'in_force' | 'ended' | 'rejected';
export type EndReason = 'restored' | 'expired' | 'superseded';

export interface DecisionsTable {
  id: Generated<string>;
  action: 'restrict' | 'suspend' | 'restore';
  category: string;
  legal_basis_id: string;
  status: Generated<DecisionStatus>;
  effective_from: Timestamp;
  effective_until: ColumnType<Date | null, Date | string | null, Date | string | null>;
  note: string | null;
  created_by: string;
  created_at: Generated<Date>;
  approved_by: string | null;
  approved_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  rejected_by: string | null;
  rejected_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  reject_reason: string | null;
  ended_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  end_reason: EndReason | null;
}

export interface DecisionResourcesTable {
  decision_id: string;
  resource_id: string;
  position: number;
}

export interface EnforcementPeriodsTable {
  id: Generated<number>;
  resource_id: string;
  decision_id: string;
  /** `allow`: an exception, a restoration carved out of a wider rule (migration 0030) */
  mode: 'restrict' | 'suspend' | 'allow';
  starts_at: Timestamp;
  ends_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  closed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  end_reason: EndReason | null;
  ended_by_decision_id: string | null;
  /** seq of the public log entry that opened this span */
  add_seq: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface PublicLogTable {
  seq: Int8;
  time: Timestamp;
  op: 'add' | 'remove';
  resource_id: string;
  decision_id: string;
  category: string;
  body: string;
  prev_hash: string;
  hash: string;
}

export interface PublicLogHeadTable {
  id: number;
  seq: Int8;
  hash: string;
}

export interface LogCheckpointsTable {
  seq: Int8;
  hash: string;
  time: Timestamp;
  signature: string;
  public_key: string;
}

export interface ServiceKeysTable {
  name: string;
  secret: string;
  created_at: Generated<Date>;
}

export interface DB {
  users: UsersTable;
  audit_log: AuditLogTable;
  legal_bases: LegalBasesTable;
  resources: ResourcesTable;
  decisions: DecisionsTable;
  decision_resources: DecisionResourcesTable;
  enforcement_periods: EnforcementPeriodsTable;
  public_log: PublicLogTable;
  public_log_head: PublicLogHeadTable;
  log_checkpoints: LogCheckpointsTable;
  service_keys: ServiceKeysTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type LegalBasisRow = Selectable<LegalBasesTable>;
export type NewLegalBasis = Insertable<LegalBasesTable>;
export type ResourceRow = Selectable<ResourcesTable>;
export type DecisionRow = Selectable<DecisionsTable>;
export type NewDecision = Insertable<DecisionsTable>;
export type DecisionUpdate = Updateable<DecisionsTable>;
export type EnforcementPeriodRow = Selectable<EnforcementPeriodsTable>;
export type PublicLogRow = Selectable<PublicLogTable>;

/** One bulk import of a register dump and the report of what it wrote (migration 0003). */
export interface ImportsTable {
  id: string;
  created_by: string;
  created_at: Generated<Date>;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  status: ColumnType<'running' | 'completed', 'running' | 'completed' | undefined, 'running' | 'completed'>;
  file_sha256: string;
  file_bytes: Int8;
  encoding: string;
  dump_updated: string | null;
  category: string;
  rows: number;
  decisions: ColumnType<number, number | undefined, number>;
  resources: ColumnType<number, number | undefined, number>;
  legal_bases_created: ColumnType<number, number | undefined, number>;
  legal_bases_reused: ColumnType<number, number | undefined, number>;
  error_count: ColumnType<number, number | undefined, number>;
  errors: ColumnType<{ line: number; reason: string }[], string | undefined, string>;
  report: ColumnType<unknown[], string | undefined, string>;
}

// Declaration merging adds the table to DB without touching the interface above.
export interface DB {
  imports: ImportsTable;
}

export type ImportRow = Selectable<ImportsTable>;

// --- Foreign platforms, orders, ISPs and gateways (migration 0002) ---

export interface PlatformsTable {
  id: Generated<string>;
  name: string;
  country: string;
  daily_audience: Int8;
  registration_deadline: Timestamp;
  created_by: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PlatformDomainsTable {
  id: Generated<number>;
  platform_id: string;
  resource_id: string;
  position: number;
  added_at: Generated<Date>;
  removed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface PlatformRepresentativesTable {
  id: Generated<string>;
  platform_id: string;
  name: string;
  contact: string;
  country: string;
  appointed_at: Timestamp;
  recorded_by: string;
  recorded_at: Generated<Date>;
  replaced_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type OrderOutcome = 'removed' | 'limited' | 'refused';
export type OrderStatus = 'open' | 'overdue' | OrderOutcome;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface OrdersTable {
  id: Generated<string>;
  platform_id: string;
  legal_basis_id: string;
  category: string;
  issued_at: Timestamp;
  due_at: Timestamp;
  note: string | null;
  status: Generated<OrderStatus>;
  overdue_at: NullableTimestamp;
  outcome: OrderOutcome | null;
  outcome_at: NullableTimestamp;
  evidence: string | null;
  late: boolean | null;
  outcome_recorded_by: string | null;
  outcome_recorded_at: NullableTimestamp;
  created_by: string;
  created_at: Generated<Date>;
}

export interface OrderContentUrlsTable {
  order_id: string;
  resource_id: string;
  position: number;
}

export interface OrderEscalationsTable {
  order_id: string;
  decision_id: string;
  target: 'content' | 'domains';
  created_by: string;
  created_at: Generated<Date>;
}

export interface IspsTable {
  id: Generated<string>;
  name: string;
  bin: string | null;
  contact: string;
  created_by: string;
  created_at: Generated<Date>;
}

export interface GatewaysTable {
  id: Generated<string>;
  owner_key: string;
  gateway_id: string;
  isp_id: string | null;
  user_id: string;
  version: Int8;
  rules: Int8;
  counters: ColumnType<Record<string, number>, string, string>;
  source_ip: string | null;
  first_seen_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  heartbeats: ColumnType<number, number | string | bigint | undefined, number | string | bigint>;
}

// Declaration merging adds the column and tables without touching the interfaces above.
export interface UsersTable {
  /** The ISP an isp-role token belongs to (migration 0002); null for everyone else. */
  isp_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface DB {
  platforms: PlatformsTable;
  platform_domains: PlatformDomainsTable;
  platform_representatives: PlatformRepresentativesTable;
  orders: OrdersTable;
  order_content_urls: OrderContentUrlsTable;
  order_escalations: OrderEscalationsTable;
  isps: IspsTable;
  gateways: GatewaysTable;
}

export type PlatformRow = Selectable<PlatformsTable>;
export type PlatformRepresentativeRow = Selectable<PlatformRepresentativesTable>;
export type OrderRow = Selectable<OrdersTable>;
export type IspRow = Selectable<IspsTable>;
export type GatewayRow = Selectable<GatewaysTable>;

/** The transparency log (migration 0010): complete subtrees, signed checkpoints, cosignatures. */
export interface TlogNodesTable {
  level: number;
  idx: Int8;
  hash: Buffer;
}

export interface TlogCheckpointsTable {
  tree_size: Int8;
  root_hash: Buffer;
  note: string;
  signed_at: Generated<Date>;
}

export interface TlogCosignaturesTable {
  tree_size: Int8;
  witness: string;
  line: string;
  received_at: Generated<Date>;
}

export interface DB {
  tlog_nodes: TlogNodesTable;
  tlog_checkpoints: TlogCheckpointsTable;
  tlog_cosignatures: TlogCosignaturesTable;
}
// --- People and tokens (migration 0020) ---

export interface UsersTable {
  disabled_at: ColumnType<Date | null, never, Date>;
  disabled_by: ColumnType<string | null, never, string>;
}

export interface ApiTokensTable {
  id: Generated<string>;
  user_id: string;
  token_hash: Buffer;
  created_at: Generated<Date>;
  created_by: string | null;
  expires_at: Date | null;
  revoked_at: ColumnType<Date | null, never, Date>;
  revoked_by: ColumnType<string | null, never, string>;
}

export interface DB {
  api_tokens: ApiTokensTable;
}

export type ApiTokenRow = Selectable<ApiTokensTable>;
