import { sql } from 'kysely';
import { expect } from 'vitest';
import type { TestRegister } from '../src/testing/test-register.js';
import { apiClient, courtRuling } from '../src/testing/http.js';

/** Shared set-up for the platform, order and ISP tests: everything through REST. */
export function fixtures(reg: TestRegister) {
  const api = apiClient(reg.app);
  let n = 0;
  const unique = () => `${Date.now().toString(36)}${(n++).toString(36)}`;

  return {
    api,
    unique,
    async legalBasis(): Promise<string> {
      const res = await api('POST', '/v1/legal-bases', reg.tokens.operator, { ...courtRuling, kind: 'prosecutor_recommendation', authority: 'Prosecutor-General of Kazakhstan' });
      expect(res.status).toBe(201);
      return res.body.id;
    },
    async platform(body: Record<string, unknown> = {}): Promise<any> {
      const name = `platform-${unique()}`;
      const res = await api('POST', '/v1/platforms', reg.tokens.operator, {
        name, domains: [`${name}.example.com`, `*.${name}-cdn.example.com`], country: 'SG', dailyAudience: 2_000_000, registrationDeadline: '2025-01-01', ...body,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    },
    async order(platformId: string, legalBasisId: string, body: Record<string, unknown> = {}): Promise<any> {
      const res = await api('POST', '/v1/orders', reg.tokens.operator, {
        platformId, legalBasisId, contentUrls: [`https://video.example.com/v/${unique()}`], category: 'child_cyberbullying', ...body,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    },
    /** Row counts of every table these features write, to show a refused request wrote nothing. */
    async rowCounts() {
      const { rows } = await sql<Record<string, number>>`
        SELECT (SELECT count(*) FROM platforms)::int AS platforms, (SELECT count(*) FROM platform_domains)::int AS platform_domains,
               (SELECT count(*) FROM platform_representatives)::int AS reps, (SELECT count(*) FROM orders)::int AS orders,
               (SELECT count(*) FROM order_content_urls)::int AS order_urls, (SELECT count(*) FROM order_escalations)::int AS escalations,
               (SELECT count(*) FROM decisions)::int AS decisions, (SELECT count(*) FROM resources)::int AS resources,
               (SELECT count(*) FROM isps)::int AS isps, (SELECT count(*) FROM gateways)::int AS gateways,
               (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM audit_log)::int AS audit,
               (SELECT max(updated_at) FROM platforms)::text AS last_platform_update,
               (SELECT count(*) FROM orders WHERE outcome IS NOT NULL)::int AS outcomes`.execute(reg.database.db);
      return rows[0];
    },
    /** A 400 that names the field, in the details and the message. */
    expectFieldError(res: { status: number; body: any }, field: string, label: string) {
      expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.code, label).toBe('REG_ERR_VALIDATION');
      expect(res.body.error.details.map((d: { field: string }) => d.field), label).toContain(field);
      expect(res.body.error.message, label).toContain(field);
    },
  };
}

export const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
export const hoursAfter = (iso: string, h: number) => new Date(Date.parse(iso) + h * 3_600_000).toISOString();
