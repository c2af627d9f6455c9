import { pino } from 'pino';
import { loadRegisterConfig } from './config.js';
import { startRegister } from './register-service.js';
import { SHUTDOWN_DEADLINE_MS } from './plugins/shutdown-plugin.js';

const config = loadRegisterConfig(process.env);
const logger = pino({ level: config.LOG_LEVEL, name: 'register-api' });

try {
  const register = await startRegister(config, logger);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    const started = Date.now();
    logger.info({ signal }, 'shutting down');
    // The stop is bounded: whatever still runs at the deadline is cut off (an unfinished
    // transaction rolls back whole in Postgres).
    setTimeout(() => {
      logger.error({ ms: Date.now() - started }, 'stop took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    register.close().then(
      () => {
        logger.info({ ms: Date.now() - started }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (err) {
  logger.fatal({ err }, 'register-api failed to start');
  process.exitCode = 1;
}
