import type { Role } from '../db/schema.js';

export const ROLES: readonly Role[] = ['admin', 'operator', 'approver', 'auditor', 'isp'];

/** Who may do what, named once so routes read as policy. */
export const CAN = {
  manageUsers: ['admin'],
  draft: ['operator'],
  approve: ['approver'],
  readDecisions: ['operator', 'approver', 'auditor', 'admin'],
  readState: ['admin', 'operator', 'approver', 'auditor', 'isp'],
  readAudit: ['auditor'],
  readFeed: ['isp'],
  managePlatforms: ['operator'],
  readPlatforms: ['operator', 'approver', 'auditor', 'admin'],
  manageIsps: ['admin'],
  readEnforcement: ['admin', 'auditor'],
  sendHeartbeats: ['isp'],
} as const satisfies Record<string, readonly Role[]>;
