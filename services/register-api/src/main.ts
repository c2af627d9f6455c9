import { pino } from 'pino';
import { loadRegisterConfig } from './config.js';
import { startRegister } from './register-service.js';

const config = loadRegisterConfig(process.env);
const logger = pino({ level: config.LOG_LEVEL, name: 'register-api' });

try {
  const register = await startRegister(config, logger);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    register.close().then(
      () => logger.info('stopped'),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (err) {
  logger.fatal({ err }, 'register-api failed to start');
  process.exitCode = 1;
}
