import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const envSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  DATA_DIR: z.string().default('./data'),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: port(8080),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  PUBLIC_BASE_URL: z.url().default('http://127.0.0.1:8080').transform((u) => u.replace(/\/+$/, '')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.enum(['0', '1', 'true', 'false']).default('0').transform((v) => v === '1' || v === 'true'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  SCHEDULER_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  RPZ_ZONE: z.string().regex(/^([a-z0-9-]+\.)+$/i, 'must be a zone name ending in a dot, e.g. rpz.tizilim.').default('rpz.tizilim.'),
  LOG_SIGNING_KEY: z.string().min(32).optional(),
  CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
  PUBLIC_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
  FEED_MAX_CHANGES_GAP: z.coerce.number().int().min(1).default(100_000),
  TLOG_ORIGIN: z.string().regex(/^[^\s+]+$/, 'must be a note key name: no spaces, no +').optional(),
  LOG_WITNESS_URLS: z.string().optional(),
  LOG_WITNESS_KEYS: z.string().optional(),
  TLOG_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(100).default(1000),
  TLOG_TILE_CACHE_MB: z.coerce.number().int().min(0).default(64),
  TLOG_PROOF_CACHE_MB: z.coerce.number().int().min(0).default(64),
  FEED_SNAPSHOT_WARM: z.enum(['0', '1', 'true', 'false']).default('1').transform((v) => v === '1' || v === 'true'),
  // The owner that runs migrations; DATABASE_URL's user then gets only the service's grants.
  MIGRATION_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  // Days an issued API token lasts; 0: tokens never expire.
  TOKEN_TTL_DAYS: z.coerce.number().int().min(0).max(3650).default(90),
}).refine((c) => !c.MIGRATION_DATABASE_URL || c.DATABASE_URL, { path: ['MIGRATION_DATABASE_URL'], message: 'needs DATABASE_URL too (the role the service runs as)' });

export type RegisterConfig = z.infer<typeof envSchema>;

/** Reads the environment once, at start; a bad value stops the start with the variable's name. */
export function loadRegisterConfig(env: NodeJS.ProcessEnv): RegisterConfig {
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
