import type { Kysely } from 'kysely';
import { installRegisterProtection, protectRegisterTable } from '../protection/register-protection.js';

/**
 * Every register table refuses TRUNCATE and DELETE, and UPDATE of what it keeps: for every
 * role, the owner included. The updatable columns are those the service's own writes change
 * (repositories, the scheduler, the enforcement section); everything else is fixed once written.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await installRegisterProtection(db);

  // Append-only: nothing in them ever changes.
  for (const table of [
    'audit_log', 'legal_bases', 'resources', 'decision_resources', 'public_log', 'log_checkpoints', 'service_keys',
    'order_content_urls', 'order_escalations', 'isps',
  ]) {
    await protectRegisterTable(db, table);
  }

  // Approval, rejection and the end of a decision; what it decides (action, resources, legal
  // basis, category, window, note, author) never changes. Transitions: 0022.
  await protectRegisterTable(db, 'decisions', {
    updatable: ['status', 'approved_by', 'approved_at', 'rejected_by', 'rejected_at', 'reject_reason', 'ended_at', 'end_reason'],
    setOnce: ['approved_by', 'approved_at', 'rejected_by', 'rejected_at', 'reject_reason', 'ended_at', 'end_reason'],
  });
  // A span is closed once (its planned end may be brought forward as it closes).
  await protectRegisterTable(db, 'enforcement_periods', {
    updatable: ['ends_at', 'closed_at', 'end_reason', 'ended_by_decision_id'],
    setOnce: ['closed_at', 'end_reason', 'ended_by_decision_id'],
  });
  await protectRegisterTable(db, 'public_log_head', { updatable: ['seq', 'hash'] });
  await protectRegisterTable(db, 'users', { updatable: ['isp_id', 'disabled_at', 'disabled_by'], setOnce: ['disabled_at', 'disabled_by'] });
  await protectRegisterTable(db, 'api_tokens', { updatable: ['revoked_at', 'revoked_by'], setOnce: ['revoked_at', 'revoked_by'] });
  await protectRegisterTable(db, 'platforms', { updatable: ['name', 'country', 'daily_audience', 'registration_deadline', 'updated_at'] });
  await protectRegisterTable(db, 'platform_domains', { updatable: ['removed_at'], setOnce: ['removed_at'] });
  await protectRegisterTable(db, 'platform_representatives', { updatable: ['replaced_at'], setOnce: ['replaced_at'] });
  await protectRegisterTable(db, 'orders', {
    updatable: ['status', 'overdue_at', 'outcome', 'outcome_at', 'evidence', 'late', 'outcome_recorded_by', 'outcome_recorded_at'],
    setOnce: ['overdue_at', 'outcome', 'outcome_at', 'evidence', 'late', 'outcome_recorded_by', 'outcome_recorded_at'],
  });
  // A gateway's latest heartbeat replaces the previous one; who it is stays.
  await protectRegisterTable(db, 'gateways', { updatable: ['user_id', 'version', 'rules', 'counters', 'source_ip', 'last_seen_at', 'heartbeats'] });
  await protectRegisterTable(db, 'imports', {
    updatable: ['status', 'finished_at', 'decisions', 'resources', 'legal_bases_created', 'legal_bases_reused', 'error_count', 'errors', 'report'],
    setOnce: ['finished_at'],
  });
}

export async function down(): Promise<void> {
  throw new Error('not reversible: the register never deletes');
}
