import { expect } from 'vitest';
import type { apiClient } from './http.js';
import { courtRuling } from './http.js';
import type { TestRegister } from './test-register.js';

type Api = ReturnType<typeof apiClient>;

/** Drafts and approves a decision through the API, as two different people. */
export async function enforce(
  api: Api,
  reg: TestRegister,
  body: { action?: string; resources: string[]; category?: string; effectiveUntil?: string; legalBasisId?: string },
): Promise<{ id: string; logEntries: number[]; legalBasisId: string }> {
  const legalBasisId = body.legalBasisId ?? (await api('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling)).body.id;
  const draft = await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', category: 'extremism', ...body, legalBasisId });
  expect(draft.status, JSON.stringify(draft.body)).toBe(201);
  const approved = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
  expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  return { id: draft.body.id, logEntries: approved.body.logEntries, legalBasisId };
}
