import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { generateApiToken } from '@tizilim/register-api/auth/api-token';
import { loadRegisterConfig } from '@tizilim/register-api/config';
import { startRegister } from '@tizilim/register-api/register-service';

/**
 * `npm start`: the register and the gateway on the embedded database, wired together, ready
 * for the README's tour. Production runs each service alone (docker-compose.yml).
 */
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', name: 'tizilim' });
const dataDir = process.env.DATA_DIR || './data';
mkdirSync(dataDir, { recursive: true });

// A newcomer needs an admin token to try anything: keep one beside the data, made once.
const adminTokenFile = join(dataDir, 'admin-token');
if (!process.env.ADMIN_TOKEN) {
  if (!existsSync(adminTokenFile)) writeFileSync(adminTokenFile, `${generateApiToken()}\n`, { mode: 0o600 });
  process.env.ADMIN_TOKEN = readFileSync(adminTokenFile, 'utf8').trim();
}

try {
  const register = await startRegister(loadRegisterConfig(process.env), logger.child({ service: 'register-api' }));
  logger.info({ url: register.url, adminTokenFile: process.env.ADMIN_TOKEN ? adminTokenFile : undefined }, 'register-api ready');
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    register.close().catch((err: unknown) => {
      logger.error({ err }, 'error while stopping');
      process.exitCode = 1;
    });
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} catch (err) {
  logger.fatal({ err }, 'failed to start');
  process.exitCode = 1;
}
