import type { OrderRow, ResourceRow } from '../db/schema.js';
import type { EscalationRow } from '../repositories/order-repository.js';
import { resourceView } from '../repositories/resource-repository.js';

export function orderView(o: OrderRow, contentUrls: readonly ResourceRow[], escalations: readonly EscalationRow[]) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: o.id,
    platformId: o.platform_id,
    contentUrls: contentUrls.map(resourceView),
    legalBasisId: o.legal_basis_id,
    category: o.category,
    note: o.note,
    issuedAt: o.issued_at.toISOString(),
    dueAt: o.due_at.toISOString(),
    status: o.status,
    overdueAt: iso(o.overdue_at),
    outcome: o.outcome,
    outcomeAt: iso(o.outcome_at),
    evidence: o.evidence,
    late: o.late,
    outcomeRecordedBy: o.outcome_recorded_by,
    outcomeRecordedAt: iso(o.outcome_recorded_at),
    escalations: escalations.map((e) => ({
      decisionId: e.decision_id,
      target: e.target,
      decisionStatus: e.decision_status,
      createdBy: e.created_by,
      createdAt: e.created_at.toISOString(),
    })),
    createdBy: o.created_by,
    createdAt: o.created_at.toISOString(),
  };
}

export type OrderView = ReturnType<typeof orderView>;
