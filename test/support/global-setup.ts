import type { TestProject } from 'vitest/node';
import { createTemplate, dropTemplate } from '@tizilim/register-api/testing/test-database';

/**
 * One migrated database template for the whole run; each test file clones it. Real Postgres
 * when TEST_DATABASE_URL is set, the embedded PGlite otherwise.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = await createTemplate(process.env.TEST_DATABASE_URL || undefined);
  // The ProvidedContext augmentation lives with the helper that injects it (register-api's
  // testing module); this project sees vitest's own, empty declaration.
  (project.provide as (key: string, value: unknown) => void)('dbTemplate', template);
  return () => dropTemplate(template);
}
