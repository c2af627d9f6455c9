import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { inject } from 'vitest';
import { buildApp } from '../app.js';
import { generateApiToken, hashApiToken } from '../auth/api-token.js';
import type { Role } from '../db/schema.js';
import { insertUser } from '../repositories/user-repository.js';
import { cloneTemplate, type TestDatabase } from './test-database.js';

export interface TestUsers {
  admin: string;
  operator: string;
  operator2: string;
  approver: string;
  approver2: string;
  auditor: string;
  isp: string;
  /** approver and operator at once: exercises the "not your own decision" rule */
  operatorApprover: string;
}

export interface TestRegister {
  app: Awaited<ReturnType<typeof buildApp>>;
  database: TestDatabase;
  tokens: TestUsers;
  /** ids of the users behind `tokens` */
  userIds: Record<keyof TestUsers, string>;
  close(): Promise<void>;
}

/** A register on its own clone of the migrated template, with one user per role. */
export async function startTestRegister(opts: { logger?: Logger } = {}): Promise<TestRegister> {
  const database = await cloneTemplate(inject('dbTemplate'));
  const app = await buildApp({ db: database.db, logger: opts.logger ?? false, listen: database.listen, publicRateLimitPerMinute: 100_000 });
  const roles: Record<keyof TestUsers, Role[]> = {
    admin: ['admin'],
    operator: ['operator'],
    operator2: ['operator'],
    approver: ['approver'],
    approver2: ['approver'],
    auditor: ['auditor'],
    isp: ['isp'],
    operatorApprover: ['operator', 'approver'],
  };
  const tokens = {} as TestUsers;
  const userIds = {} as Record<keyof TestUsers, string>;
  for (const [name, r] of Object.entries(roles) as [keyof TestUsers, Role[]][]) {
    const token = generateApiToken();
    // The admin comes first (roles above), and makes everyone else: the database refuses users
    // made by nobody once an admin exists (migration 0081).
    const row = await insertUser(database.db, { name, roles: r, tokenHash: hashApiToken(token), createdBy: userIds.admin ?? null });
    tokens[name] = token;
    userIds[name] = row.id;
  }
  return {
    app,
    database,
    tokens,
    userIds,
    async close() {
      await app.close();
      await database.close();
    },
  };
}

export type { FastifyInstance };
