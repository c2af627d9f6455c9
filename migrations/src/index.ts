import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import * as registerCore from './migrations/0001-register-core.js';
import * as platformsOrdersIsps from './migrations/0002-platforms-orders-isps.js';
import * as imports from './migrations/0003-imports.js';
import * as feedLinks from './migrations/0004-feed-links.js';
import * as reversedHostIndex from './migrations/0005-reversed-host-index.js';
import * as spansByDecisionIndex from './migrations/0006-spans-by-decision-index.js';
import * as tlogTree from './migrations/0010-tlog-tree.js';
import * as peopleAndTokens from './migrations/0020-people-and-tokens.js';
import * as registerProtection from './migrations/0021-register-protection.js';
import * as decisionStateMachine from './migrations/0022-decision-state-machine.js';
import * as enforcementNeedsTheLog from './migrations/0023-enforcement-needs-the-log.js';
import * as exceptionSpans from './migrations/0030-exception-spans.js';
import * as protectTlogTables from './migrations/0080-protect-tlog-tables.js';
import * as approverGuard from './migrations/0081-approver-guard.js';
import * as pinnedSearchPathAndLogChain from './migrations/0082-pinned-search-path-and-log-chain.js';
import * as treeNodesOnlyFromTheLog from './migrations/0083-tree-nodes-only-from-the-log.js';

/**
 * Every migration, in order. An explicit list rather than a folder scan: it keeps the order
 * reviewable and works under vitest, whose loader a file-scanning provider bypasses.
 */
export const migrations: Record<string, Migration> = {
  '0001-register-core': registerCore,
  '0002-platforms-orders-isps': platformsOrdersIsps,
  '0003-imports': imports,
  '0004-feed-links': feedLinks,
  '0005-reversed-host-index': reversedHostIndex,
  '0006-spans-by-decision-index': spansByDecisionIndex,
  '0010-tlog-tree': tlogTree,
  '0020-people-and-tokens': peopleAndTokens,
  '0021-register-protection': registerProtection,
  '0022-decision-state-machine': decisionStateMachine,
  '0023-enforcement-needs-the-log': enforcementNeedsTheLog,
  '0030-exception-spans': exceptionSpans,
  '0080-protect-tlog-tables': protectTlogTables,
  '0081-approver-guard': approverGuard,
  '0082-pinned-search-path-and-log-chain': pinnedSearchPathAndLogChain,
  '0083-tree-nodes-only-from-the-log': treeNodesOnlyFromTheLog,
};

export async function migrateToLatest(db: Kysely<unknown>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}

export { protectRegisterTable, withRegisterTriggersOff, type RegisterTableRules } from './protection/register-protection.js';
export { grantServiceRole, type ServiceRole, type ServiceRoleGrants } from './protection/service-role.js';
